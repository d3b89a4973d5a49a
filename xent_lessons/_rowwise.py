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
GIL inside its loops, so a couple of threads working on separate row ranges run in parallel.
"""

from __future__ import annotations

import itertools
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

# About 512 KiB of scratch a chunk: well inside this machine's L2 cache, and large enough
# that NumPy's per-call overhead is negligible next to the work.
_CHUNK_BYTES = 1 << 19
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
    return max(1, _CHUNK_BYTES // (n_classes * itemsize))


def _row_ranges(n_rows: int, n_classes: int):
    """Split the rows into one contiguous range per worker (one range when it is small)."""
    workers = _n_workers() if n_rows * n_classes >= _PARALLEL_MIN_ELEMENTS else 1
    workers = min(workers, n_rows)
    edges = np.linspace(0, n_rows, workers + 1).astype(int)
    return list(itertools.pairwise(edges.tolist()))


def _run(task, n_rows: int, n_classes: int) -> None:
    ranges = _row_ranges(n_rows, n_classes)
    if len(ranges) == 1:
        task(*ranges[0])
        return
    for future in [_executor().submit(task, lo, hi) for lo, hi in ranges]:
        future.result()  # re-raises a worker's exception here


def _checked_row_max(zc: np.ndarray) -> np.ndarray:
    """Row max of a chunk; NaN and +inf propagate into it, so this is where they are caught."""
    m = zc.max(axis=1)
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
            m = _checked_row_max(zc)
            np.subtract(zc, m[:, None], out=buf)
            np.exp(buf, out=buf)
            row_max[start:stop] = m
            log_sum[start:stop] = np.log(buf.sum(axis=1))

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
        for start in range(lo, hi, rows):
            stop = min(start + rows, hi)
            zc, gc = z[start:stop], grad[start:stop]
            m = _checked_row_max(zc)
            np.subtract(zc, m[:, None], out=gc)
            np.exp(gc, out=gc)
            total = gc.sum(axis=1)
            row_max[start:stop] = m
            log_sum[start:stop] = np.log(total)
            gc *= (row_scale[start:stop] / total)[:, None]
            gc[np.arange(stop - start), target[start:stop]] -= target_scale[start:stop]
            if class_offset is not None:
                gc -= offset_scale[start:stop, None] * class_offset[None, :]

    _run(task, n_rows, n_classes)
    return (row_max, log_sum), grad


def row_weighted_sum_shifted(z: np.ndarray, shift: np.ndarray, weight: np.ndarray | None):
    """``sum_c weight[c] * (z[i, c] - shift[i])`` per row, chunk by chunk.

    Label smoothing needs the sum of all log-probabilities of a row. Subtracting the shift
    (the row's logsumexp) before summing keeps the terms small, where ``z @ w - lse * sum(w)``
    would cancel catastrophically for logits like 1e4.
    """
    n_rows, n_classes = z.shape
    out = np.empty(n_rows, dtype=z.dtype)
    rows = _rows_per_chunk(n_classes, z.itemsize)

    def task(lo, hi):
        for start in range(lo, hi, rows):
            stop = min(start + rows, hi)
            shifted = z[start:stop] - shift[start:stop, None]
            out[start:stop] = shifted.sum(axis=1) if weight is None else shifted @ weight

    _run(task, n_rows, n_classes)
    return out
