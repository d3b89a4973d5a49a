"""``C += A @ B`` in place: the one BLAS call NumPy does not expose.

The fused linear cross-entropy adds each chunk's share of the output layer's gradient,
``d_weight += g.T @ h``, into one (V, H) array. ``np.matmul(..., out=)`` can only
overwrite its output, so ``+=`` in NumPy means a temporary as large as ``d_weight``
(262 MB for Llama 3's 128,256 × 512 output layer, in float32) and two more passes over
it for every chunk. BLAS's ``gemm`` computes ``C = alpha A B + beta C``: with ``beta = 1``
it adds into ``C`` as it goes, reading and writing each element of ``C`` once per chunk
inside its cache-blocked kernel.

NumPy's wheels carry OpenBLAS (``scipy-openblas``) and this module calls its
``cblas_?gemm`` through :mod:`ctypes`. The library is looked for on first use, never at
import, and checked on a small product against NumPy before it is trusted; where it is
missing (another BLAS, another platform), :func:`gemm` falls back to NumPy with a
cache-sized temporary, slower but with the same result.
"""

from __future__ import annotations

import contextlib
import os
import threading

import numpy as np

_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112
# Symbol names of cblas_sgemm / cblas_dgemm in NumPy's bundled OpenBLAS builds, with the
# width of their integers: NumPy >= 2 ships "scipy-openblas64" (64-bit integers, symbols
# prefixed and suffixed so they never clash with another OpenBLAS), NumPy 1.2x shipped
# "openblas64_" (suffix only).
_SYMBOLS = (
    ("scipy_cblas_{t}gemm64_", "c_int64"),
    ("cblas_{t}gemm64_", "c_int64"),
    ("scipy_cblas_{t}gemm", "c_int"),
)
# The fallback's temporary: about 4 MiB of rows of C at a time.
_FALLBACK_BLOCK_BYTES = 4 << 20

_lock = threading.Lock()
_functions: dict | None = None  # {np.float32: fn, np.float64: fn}, {} where unavailable
_set_local_threads = None  # OpenBLAS >= 0.3.27: the calling thread's own thread count
_get_threads = None  # the thread count the calling thread's next call would use


def _candidate_libraries() -> list[str]:
    """Paths of the OpenBLAS libraries this process has loaded, or that NumPy ships."""
    paths = []
    try:  # Linux: the libraries already mapped into this process
        with open("/proc/self/maps") as maps:
            for line in maps:
                path = line.rsplit(None, 1)[-1]
                if "openblas" in os.path.basename(path).lower() and path not in paths:
                    paths.append(path)
    except OSError:
        pass
    numpy_dir = os.path.dirname(np.__file__)
    for folder in ("../numpy.libs", ".dylibs", ".libs"):  # Linux, macOS and Windows wheels
        folder = os.path.join(numpy_dir, folder)
        names = sorted(os.listdir(folder)) if os.path.isdir(folder) else []
        for name in names:
            path = os.path.realpath(os.path.join(folder, name))
            if "openblas" in name.lower() and path not in paths:
                paths.append(path)
    return paths


def _bind(library, dtype):
    """The library's ``cblas_?gemm`` for ``dtype`` with its argument types, or None."""
    import ctypes

    letter = "s" if dtype == np.float32 else "d"
    real = ctypes.c_float if dtype == np.float32 else ctypes.c_double
    for template, integer_name in _SYMBOLS:
        fn = getattr(library, template.format(t=letter), None)
        if fn is None:
            continue
        integer = getattr(ctypes, integer_name)
        fn.restype = None
        fn.argtypes = [
            ctypes.c_int, ctypes.c_int, ctypes.c_int,  # order, trans_a, trans_b
            integer, integer, integer,  # m, n, k
            real, ctypes.c_void_p, integer,  # alpha, a, lda
            ctypes.c_void_p, integer,  # b, ldb
            real, ctypes.c_void_p, integer,  # beta, c, ldc
        ]  # fmt: skip
        return fn
    return None


def _works(fn, dtype) -> bool:
    """Does ``fn`` compute ``C += A.T @ B`` right on a small case? (Checked once.)"""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((5, 7)).astype(dtype)  # used transposed: (7, 5)
    b = rng.standard_normal((5, 3)).astype(dtype)
    c = rng.standard_normal((7, 3)).astype(dtype)
    expected = c + a.T @ b
    _call(fn, a, b, c, trans_a=True, trans_b=False, beta=1.0)
    return bool(np.allclose(c, expected, rtol=1e-4, atol=1e-5))


def _load() -> dict:
    import ctypes  # here, not at import: ``import xent_lessons`` stays light

    global _functions
    with _lock:
        if _functions is not None:
            return _functions
        global _set_local_threads
        found = {}
        for path in _candidate_libraries():
            try:
                library = ctypes.CDLL(path)
            except OSError:
                continue
            global _get_threads
            setter = getattr(library, "openblas_set_num_threads_local", None)
            getter = None
            for name in ("scipy_openblas_get_num_threads64_", "openblas_get_num_threads64_",
                         "openblas_get_num_threads"):  # fmt: skip
                getter = getter or getattr(library, name, None)
            if setter is not None and getter is not None and _set_local_threads is None:
                setter.restype, setter.argtypes = ctypes.c_int, [ctypes.c_int]
                getter.restype, getter.argtypes = ctypes.c_int, []
                _set_local_threads, _get_threads = setter, getter
            for dtype in (np.float32, np.float64):
                fn = _bind(library, dtype)
                if dtype not in found and fn is not None and _works(fn, dtype):
                    found[dtype] = fn
            if len(found) == 2:
                break
        _functions = found
        return found


@contextlib.contextmanager
def one_thread():
    """Run this thread's BLAS calls on this thread alone, for the ``with`` block.

    The kernels split their matrix products between their own threads; BLAS's threads on
    top would only wait for each other (and spin while they wait, taking the cores that
    the element-wise work needs). Where OpenBLAS cannot set a thread's own count (before
    0.3.27, or another BLAS), this changes nothing.
    """
    _load()
    if _set_local_threads is None:
        yield
        return
    # The setter's return value is not the previous count in every OpenBLAS version: ask.
    previous = _get_threads()
    _set_local_threads(1)
    try:
        yield
    finally:
        _set_local_threads(previous)


def _leading_dimension(x: np.ndarray) -> int:
    return x.strides[0] // x.itemsize


def _call(fn, a, b, c, *, trans_a: bool, trans_b: bool, beta: float) -> None:
    m, n = c.shape
    k = a.shape[0] if trans_a else a.shape[1]
    fn(
        _ROW_MAJOR,
        _TRANS if trans_a else _NO_TRANS,
        _TRANS if trans_b else _NO_TRANS,
        m, n, k,
        1.0, a.ctypes.data, max(1, _leading_dimension(a)),
        b.ctypes.data, max(1, _leading_dimension(b)),
        beta, c.ctypes.data, max(1, _leading_dimension(c)),
    )  # fmt: skip


def _blas_ready(x: np.ndarray) -> bool:
    """2-D, unit stride along rows, row stride a whole number of elements >= the row."""
    return (
        x.ndim == 2
        and x.strides[1] == x.itemsize
        and x.strides[0] % x.itemsize == 0
        and x.strides[0] >= x.shape[1] * x.itemsize
    )


def have_inplace_gemm(dtype) -> bool:
    """Whether :func:`gemm` with ``accumulate=True`` runs in BLAS (else in NumPy)."""
    return np.dtype(dtype).type in _load()


def gemm(a, b, out, *, trans_a=False, trans_b=False, accumulate=False, use_blas=True):
    """``out = op(a) @ op(b)``, or ``out += op(a) @ op(b)`` with ``accumulate``; in place.

    ``op(x)`` is ``x.T`` where ``trans_x``. All three arrays are 2-D of one float dtype
    with unit stride along their rows (a C-contiguous array or a slice of its rows);
    ``out`` must not overlap ``a`` or ``b``. ``use_blas=False`` forces the NumPy fallback
    (tests compare both).

    Examples
    --------
    >>> c = np.ones((2, 2))
    >>> gemm(np.eye(2), np.array([[1.0, 2.0], [3.0, 4.0]]), c, accumulate=True)
    >>> c
    array([[2., 3.],
           [4., 5.]])
    """
    op_a = a.T if trans_a else a
    op_b = b.T if trans_b else b
    if not accumulate:
        np.matmul(op_a, op_b, out=out)  # NumPy calls BLAS with beta = 0 itself
        return
    fn = _load().get(out.dtype.type) if use_blas else None
    ready = all(_blas_ready(x) for x in (a, b, out)) and a.dtype == b.dtype == out.dtype
    if fn is not None and ready and out.size and op_a.shape[1]:
        _call(fn, a, b, out, trans_a=trans_a, trans_b=trans_b, beta=1.0)
        return
    rows = max(1, _FALLBACK_BLOCK_BYTES // max(1, out.shape[1] * out.itemsize))
    scratch = np.empty((min(rows, out.shape[0]), out.shape[1]), dtype=out.dtype)
    for start in range(0, out.shape[0], rows):
        stop = min(start + rows, out.shape[0])
        block = np.matmul(op_a[start:stop], op_b, out=scratch[: stop - start])
        out[start:stop] += block
