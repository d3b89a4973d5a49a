"""Row-chunked softmax kernels for the cross-entropy of class-index targets.

The textbook route builds a one-hot matrix and a full (N, C) log-probability array. For a
language model's (1024, 50257) logits each of those is 200 MB in float32, and every extra
pass over them costs more time than the arithmetic. These kernels instead walk the rows in
chunks small enough to stay in the CPU cache:

1. the row max (shift so that ``exp`` never overflows),
2. ``exp(z - max)`` into a small scratch buffer (forward) or straight into the gradient,
3. the row sum, so ``logsumexp = max + log(sum)``,
4. and, for the gradient, a scale of the row and a subtraction at the target: one fused pass.

The loss then only needs ``logsumexp`` and the gathered target logit. NumPy releases the
GIL inside its loops, so a couple of threads working on separate row ranges run in parallel;
the calling thread works on the first range itself instead of waiting idle.

Short rows are summed with ``np.einsum("ij->i", ...)``, whose SIMD accumulators are about
three times faster than ``sum(axis=1)``; long rows keep ``sum``'s pairwise summation, whose
rounding error grows with the log of the row length rather than with the length itself.
"""

from __future__ import annotations

import itertools
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

# About 1 MiB of logits a chunk (plus as much scratch in the forward): read from memory
# once for the row max, then again from cache. On a 2-core EPYC (1 MiB of L2 a core,
# 32 MiB of L3) this was the fastest size for 1,000 to 128,256 classes: 256 KiB was 10-25 %
# slower, 2 MiB within noise, 4 MiB slightly slower again.
_CHUNK_BYTES = 1 << 20
# Rows up to this long are summed with einsum: there its error stays within about twice
# pairwise summation's (a few float32 ulps, like PyTorch's own sums), and the pairwise sum
# took a fifth of the kernel's time. Longer rows, where einsum's error grows with the
# length (up to 70 times pairwise's at 50,257 classes), are summed pairwise.
_EINSUM_MAX_CLASSES = 1024
# Below this many elements, threads cost more than they save.
_PARALLEL_MIN_ELEMENTS = 1 << 20
_pool: ThreadPoolExecutor | None = None


def _n_workers() -> int:
    try:
        return max(1, min(len(os.sched_getaffinity(0)), 8))
    except AttributeError:  # not on Linux
        return max(1, min(os.cpu_count() or 1, 8))


def _executor() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:  # created on first use, never at import
        _pool = ThreadPoolExecutor(max_workers=_n_workers(), thread_name_prefix="xent_lessons")
    return _pool


def _rows_per_chunk(n_classes: int, itemsize: int) -> int:
    return max(1, _CHUNK_BYTES // (max(n_classes, 1) * itemsize))


def _row_ranges(n_rows: int, n_classes: int):
    """Split the rows into one contiguous range per worker (one range when it is small)."""
    workers = _n_workers() if n_rows * n_classes >= _PARALLEL_MIN_ELEMENTS else 1
    workers = min(workers, n_rows)
    edges = np.linspace(0, n_rows, workers + 1).astype(int)
    return list(itertools.pairwise(edges.tolist()))


def _run(task, n_rows: int, n_classes: int) -> None:
    """Call ``task(lo, hi)`` on every row range: the first here, the others in the pool.

    Every range is finished before this returns, also when one fails; the error of the
    first failing range (in row order) is the one raised.
    """
    if n_rows == 0:  # an empty batch: nothing to do
        return
    ranges = _row_ranges(n_rows, n_classes)
    futures = [_executor().submit(task, lo, hi) for lo, hi in ranges[1:]]
    errors = []
    try:
        task(*ranges[0])
    except Exception as exc:
        errors.append(exc)
    for future in futures:
        exc = future.exception()  # waits for the range to finish
        if exc is not None:
            errors.append(exc)
    if errors:
        raise errors[0]


def _run_pulled(make_task, n_tasks: int, n_elements: int) -> None:
    """Run ``task(k)`` for ``k`` in ``range(n_tasks)``, each thread pulling the next ``k``.

    ``make_task()`` is called once in each thread (for its own scratch buffers) and returns
    its ``task``. Where :func:`_run` gives each thread a fixed range, here a thread that
    starts late (the machine is busy) or runs slower just takes fewer tasks. Every task
    runs, also when one fails; the error of the first failing ``k`` is the one raised.
    """
    if n_tasks == 0:
        return
    workers = _n_workers() if n_elements >= _PARALLEL_MIN_ELEMENTS else 1
    workers = min(workers, n_tasks)
    numbers = itertools.count()  # its next() is atomic: no two threads get the same k
    errors = {}

    def work():
        task = make_task()
        for k in numbers:
            if k >= n_tasks:
                return
            try:
                task(k)
            except Exception as exc:
                errors[k] = exc

    futures = [_executor().submit(work) for _ in range(workers - 1)]
    try:
        work()
    finally:
        for future in futures:
            future.result()
    if errors:
        raise errors[min(errors)]


def _checked_row_max(zc: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Row max of a chunk into ``out``; NaN and +inf propagate into it, so they are caught here."""
    m = np.max(zc, axis=1, out=out)
    if not np.isfinite(m).all():
        if np.isnan(m).any():
            raise ValueError("logits contains NaN; expected real numbers")
        if np.isposinf(m).any():
            raise ValueError("logits contains +inf; expected finite values or -inf")
        raise ValueError(
            "logits has a row whose entries are all -inf: no class is possible, "
            "so the loss is undefined"
        )
    return m


def _row_sums(chunk: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``chunk.sum(axis=1)`` into ``out``; einsum's faster loop for short rows."""
    if chunk.shape[1] <= _EINSUM_MAX_CLASSES:
        return np.einsum("ij->i", chunk, out=out)
    return np.add.reduce(chunk, axis=1, out=out)


def min_safe_sum(n_classes: int, dtype) -> float:
    """The smallest ``sum(exp(z))`` of a row that the unshifted kernels trust.

    Below it, terms that count may be subnormal numbers, each rounded to a multiple of
    ``tiny * eps``; at ``C * tiny`` and above, their errors add up to at most half an
    ulp of the sum. (Such a row has all its logits below about -80 in float32.)
    """
    return 2.0 * max(n_classes, 1) * float(np.finfo(dtype).tiny)


def row_logsumexp_unshifted(z: np.ndarray):
    """``logsumexp`` of every row as ``(shift, log_sum)``, mostly without the max pass.

    ``exp`` cannot overflow after a shift by the row max, but finding that max is a pass
    over the logits of its own, and the subtraction another. Most logits need neither:
    ``exp(z)`` itself overflows only beyond 88.7 in float32 (709 in float64), and then the
    row's sum is ``inf``; a row so negative that its terms are subnormal has a sum below
    :func:`min_safe_sum`; NaN gives a NaN sum and a row of ``-inf`` a sum of 0. So each
    chunk is summed as it is, ``log_sum = log(sum(exp(z)))`` with ``shift = 0``, and only
    the rows whose sum fails that test are redone with the max shift (which also raises
    the errors for NaN, ``+inf`` and rows of ``-inf``), with ``shift`` their max.

    The sum is as accurate as the shifted one (``exp(z)`` is within an ulp, where
    ``exp(z - m)`` carries the rounding of ``z - m``), and the log is taken in float64,
    so ``log_sum - z[y]`` loses nothing to the size of the logits. Both parts are float64.
    """
    n_rows, n_classes = z.shape
    shift = np.zeros(n_rows)
    log_sum = np.empty(n_rows)
    rows = _rows_per_chunk(n_classes, z.itemsize)
    smallest = min_safe_sum(n_classes, z.dtype)

    def task(lo, hi):
        scratch = np.empty((min(rows, hi - lo), n_classes), dtype=z.dtype)
        sums = np.empty(min(rows, hi - lo), dtype=z.dtype)
        for start in range(lo, hi, rows):
            stop = min(start + rows, hi)
            zc, buf, total = z[start:stop], scratch[: stop - start], sums[: stop - start]
            with np.errstate(over="ignore", invalid="ignore"):
                np.exp(zc, out=buf)
                _row_sums(buf, out=total)
            safe = np.isfinite(total) & (total >= smallest)
            np.log(total, out=log_sum[start:stop], where=safe, dtype=np.float64)
            if not safe.all():
                redo = np.flatnonzero(~safe)
                m, part = _shifted_logsumexp(zc[redo])
                shift[start + redo] = m
                log_sum[start + redo] = part

    _run(task, n_rows, n_classes)
    return shift, log_sum


def _shifted_logsumexp(rows: np.ndarray):
    """``(max, log(sum(exp(z - max))))`` of a few rows, with the row checks."""
    m = _checked_row_max(rows, out=np.empty(rows.shape[0], dtype=rows.dtype))
    e = np.exp(rows - m[:, None])
    return m, np.log(np.add.reduce(e, axis=1))


def row_logsumexp(z: np.ndarray):
    """``logsumexp`` of every row of a C-contiguous 2-D array, in its own dtype.

    Returned in two parts, the row max ``m`` and ``log(sum(exp(z - m)))``: a loss computed
    as ``log_sum - (z[y] - m)`` rounds exactly as PyTorch's ``log_softmax`` does.
    """
    n_rows, n_classes = z.shape
    row_max = np.empty(n_rows, dtype=z.dtype)
    log_sum = np.empty(n_rows, dtype=z.dtype)
    rows = _rows_per_chunk(n_classes, z.itemsize)

    def task(lo, hi):
        scratch = np.empty((min(rows, hi - lo), n_classes), dtype=z.dtype)
        for start in range(lo, hi, rows):
            stop = min(start + rows, hi)
            zc, buf = z[start:stop], scratch[: stop - start]
            m = _checked_row_max(zc, out=row_max[start:stop])
            np.subtract(zc, m[:, None], out=buf)
            np.exp(buf, out=buf)
            sums = _row_sums(buf, out=log_sum[start:stop])
            np.log(sums, out=sums)

    _run(task, n_rows, n_classes)
    return row_max, log_sum


def softmax_scaled_minus_target(
    z: np.ndarray,
    target: np.ndarray,
    row_scale: np.ndarray,
    target_scale: np.ndarray,
    class_offset: np.ndarray | None = None,
    offset_scale: np.ndarray | None = None,
):
    """The cross-entropy gradient in one pass, and the row ``logsumexp`` parts on the way.

    Row ``i`` of the result is
    ``row_scale[i] * softmax(z[i]) - target_scale[i] * onehot(target[i])
    - offset_scale[i] * class_offset``; the last term is label smoothing's.
    Only the result is allocated; it doubles as the scratch buffer.
    """
    n_rows, n_classes = z.shape
    grad = np.empty_like(z)
    row_max = np.empty(n_rows, dtype=z.dtype)
    log_sum = np.empty(n_rows, dtype=z.dtype)
    rows = _rows_per_chunk(n_classes, z.itemsize)

    def task(lo, hi):
        chunk_rows = np.arange(min(rows, hi - lo))
        for start in range(lo, hi, rows):
            stop = min(start + rows, hi)
            zc, gc = z[start:stop], grad[start:stop]
            m = _checked_row_max(zc, out=row_max[start:stop])
            np.subtract(zc, m[:, None], out=gc)
            np.exp(gc, out=gc)
            total = _row_sums(gc, out=log_sum[start:stop])
            gc *= (row_scale[start:stop] / total)[:, None]
            np.log(total, out=total)  # after its last use as the sum
            gc[chunk_rows[: stop - start], target[start:stop]] -= target_scale[start:stop]
            if class_offset is not None:
                gc -= offset_scale[start:stop, None] * class_offset[None, :]

    _run(task, n_rows, n_classes)
    return (row_max, log_sum), grad


def softmax_scaled_minus_target_unshifted(
    z: np.ndarray,
    target: np.ndarray,
    row_scale: np.ndarray,
    target_scale: np.ndarray,
    class_offset: np.ndarray | None = None,
    offset_scale: np.ndarray | None = None,
):
    """:func:`softmax_scaled_minus_target` with unshifted sums, and ``(shift, log_sum)``.

    ``exp(z)`` goes straight into the gradient, as in :func:`row_logsumexp_unshifted`:
    no max pass, no subtraction. The rows whose sum is unsafe (inf, NaN, 0 or tiny) are
    redone by :func:`softmax_scaled_minus_target`, with the max shift and its checks.
    ``shift`` is 0 for the other rows; both parts are float64.
    """
    n_rows, n_classes = z.shape
    grad = np.empty_like(z)
    shift = np.zeros(n_rows)
    log_sum = np.empty(n_rows)
    rows = _rows_per_chunk(n_classes, z.itemsize)
    smallest = min_safe_sum(n_classes, z.dtype)
    unsafe = []

    def task(lo, hi):
        chunk_rows = np.arange(min(rows, hi - lo))
        sums = np.empty(min(rows, hi - lo), dtype=z.dtype)
        for start in range(lo, hi, rows):
            stop = min(start + rows, hi)
            zc, gc, total = z[start:stop], grad[start:stop], sums[: stop - start]
            # An unsafe sum (inf, 0, NaN) is found below, and its rows redone.
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                np.exp(zc, out=gc)
                _row_sums(gc, out=total)
                gc *= (row_scale[start:stop] / total)[:, None]
            safe = np.isfinite(total) & (total >= smallest)
            np.log(total, out=log_sum[start:stop], where=safe, dtype=np.float64)
            gc[chunk_rows[: stop - start], target[start:stop]] -= target_scale[start:stop]
            if class_offset is not None:
                gc -= offset_scale[start:stop, None] * class_offset[None, :]
            if not safe.all():
                unsafe.append(start + np.flatnonzero(~safe))

    _run(task, n_rows, n_classes)
    if unsafe:
        redo = np.concatenate(unsafe)
        offset = None if offset_scale is None else offset_scale[redo]
        (m, part), grad[redo] = softmax_scaled_minus_target(
            np.ascontiguousarray(z[redo]),
            target[redo],
            row_scale[redo],
            target_scale[redo],
            class_offset,
            offset,
        )
        shift[redo], log_sum[redo] = m, part
    return (shift, log_sum), grad


def row_weighted_sum_shifted(z: np.ndarray, shift: np.ndarray, weight: np.ndarray | None):
    """``sum_c weight[c] * (z[i, c] - shift[i])`` per row, chunk by chunk.

    Label smoothing needs the sum of all log-probabilities of a row. Subtracting the shift
    (the row's max, which the caller has) before summing keeps every term <= 0 and small,
    where ``z @ w - max * sum(w)`` would cancel catastrophically for logits like 1e4; the
    max alone is exact, where ``max + log_sum`` would round.
    """
    n_rows, n_classes = z.shape
    out = np.empty(n_rows, dtype=z.dtype)
    rows = _rows_per_chunk(n_classes, z.itemsize)

    def task(lo, hi):
        scratch = np.empty((min(rows, hi - lo), n_classes), dtype=z.dtype)
        for start in range(lo, hi, rows):
            stop = min(start + rows, hi)
            shifted = np.subtract(
                z[start:stop], shift[start:stop, None], out=scratch[: stop - start]
            )
            out[start:stop] = shifted.sum(axis=1) if weight is None else shifted @ weight

    _run(task, n_rows, n_classes)
    return out


class RowLogits:
    """``(M, C)`` logits and the kernels the losses need on them, one row per position.

    The interface the losses use for any layout (see ``_middle_axis.MiddleAxisLogits``,
    its twin for classes on a middle axis); per-position arrays have shape ``(M,)``.
    """

    def __init__(self, z: np.ndarray):
        self.z = z

    def target_logits(self, index: np.ndarray) -> np.ndarray:
        return self.z[np.arange(self.z.shape[0]), index]

    def logsumexp_parts(self, with_max: bool = False):
        """``(shift, log_sum)``: the row max, or mostly 0 (see the kernels).

        float64 always takes the max shift, which rounds as PyTorch's ``log_softmax``
        does (the float64 results agree with torch's to the last bit or two); float32
        takes the faster unshifted sums unless ``with_max``.
        """
        if with_max or self.z.dtype == np.float64:
            return row_logsumexp(self.z)
        return row_logsumexp_unshifted(self.z)

    def others_sum(self, rows, index, target_logit, chunk_bytes: int = _CHUNK_BYTES):
        """``r = sum_{c != y} exp(z_c - z_y)`` for the rows ``rows`` (their max is z_y)."""
        z = self.z
        r = np.empty(rows.size, dtype=z.dtype)
        step = max(1, chunk_bytes // (z.shape[1] * z.itemsize))  # cache-sized blocks
        for start in range(0, rows.size, step):
            block = rows[start : start + step]
            e = z[block]
            e -= target_logit[block, None]
            np.exp(e, out=e)
            e[np.arange(block.size), index[block]] = 0
            r[start : start + step] = e.sum(axis=1)
        return r

    def weighted_sum_shifted(self, shift, weight):
        return row_weighted_sum_shifted(self.z, shift, weight)

    def softmax_scaled_minus_target(
        self, index, row_scale, target_scale, class_offset=None, offset_scale=None
    ):
        """The gradient and ``(shift, log_sum)``. The max shift for float64 (torch's
        rounding) and with label smoothing, whose loss term needs the row max (see
        ``losses.index_target_loss``); unshifted sums otherwise."""
        kernel = softmax_scaled_minus_target
        if class_offset is None and self.z.dtype != np.float64:
            kernel = softmax_scaled_minus_target_unshifted
        return kernel(self.z, index, row_scale, target_scale, class_offset, offset_scale)

    def set_at_targets(self, grad, rows, index, values) -> None:
        grad[rows, index[rows]] = values
