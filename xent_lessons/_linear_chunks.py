"""Speed kernels of the fused linear cross-entropy: tiles, threads and in-place BLAS.

:mod:`xent_lessons.fused_linear` holds the algorithm written to be read
(``_reference_row_stats``); this module computes the same numbers faster, in the same
order of ideas:

1. **The forward in tiles.** ``hidden @ weight.T + bias`` is made one tile at a time, up to
   1024 rows by enough classes for 4 MiB, and folded into a running max, a running sum of
   ``exp`` and (for label smoothing) a running sum of ``max - z`` per row: the online
   log-sum-exp. The logits never exist beyond one tile, and the output matrix is read from
   memory once per 1024 rows.
2. **The gradient in row chunks.** A chunk of rows gets all its logits in one matrix
   product (BLAS is at its fastest on one large call), into a buffer reused for every
   chunk. Threads then walk the chunk's rows in blocks of about 1 MiB, small enough to stay
   in the CPU cache from the first touch to the last: add the bias, fold each sub-block
   into the online log-sum-exp (which also keeps each sub-block's max), then turn the block
   into ``scale * softmax - target`` in place and add its column sums to the bias gradient.
   The buffer is read and written once; the two products of the backward read it once each.
3. **In-place BLAS.** ``d_hidden`` of the chunk's rows is one product written into its
   rows; ``d_weight += g.T @ h`` runs as one ``gemm`` with ``beta = 1`` (see :mod:`._blas`),
   which adds into ``d_weight`` without a temporary of its size.
4. **Threads.** NumPy releases the GIL inside its loops: the element-wise passes run on
   as many threads as there are cores (``_rowwise``'s pool; the calling thread takes the
   first range itself), and BLAS runs its own threads for the products.

Every kernel works on the rows that count (ignored rows were taken out by the caller) and
returns the row statistics ``(row_max, log_sum, shift_sum)``: the log-sum-exp of row ``i``
is ``row_max[i] + log_sum[i]``, and ``shift_sum[i] = sum_c (row_max[i] - z[i, c]) >= 0``
(only for label smoothing, else None).
"""

from __future__ import annotations

import numpy as np

from . import _blas, _rowwise

# The forward's tile: at most this many rows, and enough classes for this many bytes.
_FORWARD_TILE_BYTES = 4 << 20
_FORWARD_MAX_ROWS = 1024
_MIN_TILE_COLUMNS = 256
# The gradient's chunk of logits when chunk_size is not given: 32 MiB, a tenth or less of
# what torch's forward and backward keep for the language-model shapes of the benchmark.
DEFAULT_CHUNK_BYTES = 32 << 20
# The element-wise passes of the gradient walk a chunk in blocks of rows of about 1 MiB
# (what stays in a core's L2 cache), each folded into the online log-sum-exp in
# sub-blocks of about 256 KiB.
_BLOCK_BYTES = 1 << 20
_SUB_BLOCK_BYTES = 256 << 10


def rows_per_chunk(n_rows: int, n_classes: int, itemsize: int, chunk_size: int | None) -> int:
    """Rows of logits made at once by the gradient: ``chunk_size``, or 32 MiB of them."""
    if chunk_size is None:
        chunk_size = max(8, DEFAULT_CHUNK_BYTES // (n_classes * itemsize))
    return max(1, min(chunk_size, n_rows))


def _overflow_error(dtype) -> ValueError:
    return ValueError(
        f"hidden @ weight.T + bias overflows {np.dtype(dtype).name}: some logits are "
        "inf; scale the inputs down (a logit above about 1e38 in float32 cannot be stored)"
    )


def _fold_block(x, seen, bias_part, stats, rows, want_shift):
    """Fold the logits block ``x`` (rows ``rows``, classes after ``seen`` others) into the
    running row statistics; leave ``exp(x - block max)`` in ``x``; return the block max."""
    row_max, log_sum, shift_sum = stats
    if bias_part is not None:
        x += bias_part
    m = x.max(axis=1)
    if not np.isfinite(m).all():
        raise _overflow_error(x.dtype)
    x -= m[:, None]
    u = -x.sum(axis=1) if want_shift else None  # sum over the block of (max - z) >= 0
    np.exp(x, out=x)
    s = _rowwise._row_sums(x, out=np.empty_like(m))
    if seen == 0:
        row_max[rows], log_sum[rows] = m, s
        if want_shift:
            shift_sum[rows] = u
        return m
    old = row_max[rows]
    new = np.maximum(old, m)
    log_sum[rows] = log_sum[rows] * np.exp(old - new) + s * np.exp(m - new)
    if want_shift:
        # Every earlier class is (new - old) further below the new max, every class of
        # this block (new - m) further: all terms stay >= 0, so nothing cancels.
        shift_sum[rows] += seen * (new - old) + u + x.shape[1] * (new - m)
    row_max[rows] = new
    return m


def forward_row_stats(h, weight, bias, want_shift: bool, chunk_size: int | None = None):
    """Row statistics of ``h @ weight.T + bias`` from tiles; nothing of size (N, V) is made."""
    n_rows, n_classes = h.shape[0], weight.shape[0]
    dtype = h.dtype
    row_max = np.empty(n_rows, dtype)
    log_sum = np.empty(n_rows, dtype)
    shift_sum = np.zeros(n_rows, dtype) if want_shift else None
    stats = (row_max, log_sum, shift_sum)
    rows = max(1, min(n_rows, chunk_size or _FORWARD_MAX_ROWS))

    # The classes of a tile: 4 MiB of logits for the chunk's rows, all threads together.
    cols = min(n_classes, max(_MIN_TILE_COLUMNS, _FORWARD_TILE_BYTES // (rows * h.itemsize)))

    def task(lo, hi):
        # This thread's rows, tile by tile: its own product, its own tile buffer.
        width = hi - lo
        buffer = np.empty(width * cols, dtype)
        with _blas.one_thread():
            for v0 in range(0, n_classes, cols):
                v1 = min(v0 + cols, n_classes)
                tile = buffer[: width * (v1 - v0)].reshape(width, v1 - v0)
                with np.errstate(over="ignore", invalid="ignore"):  # an overflow raises below
                    np.matmul(h[lo:hi], weight[v0:v1].T, out=tile)
                part = None if bias is None else bias[v0:v1]
                _fold_block(tile, v0, part, stats, slice(lo, hi), want_shift)

    for r0 in range(0, n_rows, rows):
        r1 = min(r0 + rows, n_rows)
        _rowwise._run(lambda lo, hi, r0=r0: task(r0 + lo, r0 + hi), r1 - r0, n_classes * h.shape[1])
    np.log(log_sum, out=log_sum)
    return row_max, log_sum, shift_sum


def fused_row_stats_and_grads(
    h, weight, bias, target, row_scale, target_scale, offset_scale, chunk_size, use_blas=True
):
    """Row statistics and ``(d_h, d_weight, d_bias)``, one chunk of rows at a time.

    Row ``i`` of the logits' gradient is ``row_scale[i] * softmax(z_i)
    - target_scale[i] * onehot(target[i]) - offset_scale[i]`` (the last term is label
    smoothing's, for every class; ``offset_scale`` is None without smoothing). It exists
    for one chunk of rows at a time only. ``d_bias`` is None when ``bias`` is.

    Each chunk runs in two parallel steps, each thread with BLAS on one thread: the rows
    are split between the threads for the logits, the gradient and ``d_h`` (each thread
    writes its own rows), then the classes are split for ``d_weight += g.T @ h`` (each
    thread adds into its own rows of ``d_weight``).
    """
    n_rows, n_classes = h.shape[0], weight.shape[0]
    dtype = h.dtype
    want_shift = offset_scale is not None
    row_max = np.empty(n_rows, dtype)
    log_sum = np.empty(n_rows, dtype)
    shift_sum = np.zeros(n_rows, dtype) if want_shift else None
    stats = (row_max, log_sum, shift_sum)
    d_h = np.empty_like(h)
    d_weight = np.zeros_like(weight) if n_rows == 0 else np.empty_like(weight)
    d_bias = None if bias is None else np.zeros(n_classes, dtype)
    chunk = rows_per_chunk(n_rows, n_classes, h.itemsize, chunk_size)
    buffer = np.empty(chunk * n_classes, dtype)
    block_rows = max(1, _BLOCK_BYTES // (n_classes * h.itemsize))
    sub_cols = min(n_classes, max(_MIN_TILE_COLUMNS, _SUB_BLOCK_BYTES // (block_rows * h.itemsize)))
    sub_starts = list(range(0, n_classes, sub_cols))
    bias_parts = {}  # each thread's column sums, added into d_bias in row order (determinism)

    for k, r0 in enumerate(range(0, n_rows, chunk)):
        r1 = min(r0 + chunk, n_rows)
        z = buffer[: (r1 - r0) * n_classes].reshape(r1 - r0, n_classes)

        def rows_task(lo, hi, z=z, r0=r0):
            column_sums = None if bias is None else np.zeros(n_classes, dtype)
            block_max = np.empty((block_rows, len(sub_starts)), dtype)
            with _blas.one_thread():
                with np.errstate(over="ignore", invalid="ignore"):  # an overflow raises below
                    np.matmul(h[r0 + lo : r0 + hi], weight.T, out=z[lo:hi])
                for b0 in range(lo, hi, block_rows):
                    b1 = min(b0 + block_rows, hi)
                    rows = slice(r0 + b0, r0 + b1)
                    block = z[b0:b1]
                    for j, v0 in enumerate(sub_starts):
                        v1 = min(v0 + sub_cols, n_classes)
                        part = None if bias is None else bias[v0:v1]
                        m = _fold_block(block[:, v0:v1], v0, part, stats, rows, want_shift)
                        block_max[: b1 - b0, j] = m
                    # The block is still in the cache: finish its gradient now. Each
                    # sub-block holds exp(z - its max); rescale it to row_scale * exp(z - lse).
                    lse_max, total = row_max[rows], log_sum[rows]
                    factor = np.exp(block_max[: b1 - b0] - lse_max[:, None])
                    factor *= (row_scale[rows] / total)[:, None]
                    for j, v0 in enumerate(sub_starts):
                        v1 = min(v0 + sub_cols, n_classes)
                        x = block[:, v0:v1]
                        x *= factor[:, j : j + 1]
                        if want_shift:
                            x -= offset_scale[rows, None]
                        if column_sums is not None:
                            column_sums[v0:v1] += x.sum(axis=0)
                    block[np.arange(b1 - b0), target[rows]] -= target_scale[rows]
                np.matmul(z[lo:hi], weight, out=d_h[r0 + lo : r0 + hi])
            if column_sums is not None:
                bias_parts[lo] = column_sums

        def classes_task(v0, v1, z=z, r0=r0, r1=r1, first=k == 0):
            with _blas.one_thread():
                _blas.gemm(z[:, v0:v1], h[r0:r1], d_weight[v0:v1], trans_a=True,
                           accumulate=not first, use_blas=use_blas)  # fmt: skip

        work = (r1 - r0) * n_classes
        _rowwise._run(rows_task, r1 - r0, n_classes)
        _rowwise._run(classes_task, n_classes, max(1, work // n_classes))
        if d_bias is not None:
            for lo in sorted(bias_parts):
                d_bias += bias_parts[lo]
            bias_parts.clear()

    np.log(log_sum, out=log_sum)
    if d_bias is not None and n_rows:
        d_bias -= np.bincount(target, weights=target_scale, minlength=n_classes).astype(dtype)
    return (row_max, log_sum, shift_sum), (d_h, d_weight, d_bias)
