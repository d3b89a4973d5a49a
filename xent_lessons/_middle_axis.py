"""Softmax kernels for logits with the classes on a middle axis: ``(N, C, D)``.

PyTorch's K-dimensional cross-entropy takes logits ``(N, C, d1, ..., dk)``: a sequence
model's ``(batch, vocab, time)``, a segmentation model's ``(N, C, H, W)``. Seen as
``(N, C, D)`` with ``D = d1 * ... * dk``, each position's classes are a column with a
stride of ``D`` elements. Moving the classes last (a transposed copy) would let the row
kernels of :mod:`._rowwise` run, but the copy costs as much as the loss itself; these
kernels work on the columns where they are instead:

- blocks of whole samples ``z[n0:n1]`` about 1 MiB each, so that a block read from memory
  once is then worked on in the cache; a larger sample in contiguous class chunks
  ``z[n, c0:c1, :]``;
- within a block, NumPy reductions over the class axis run along the contiguous ``D``
  axis, a SIMD loop over ``d`` for every class (``D`` at least :data:`MIN_COLUMNS`);
- ``sum(exp(z))`` unshifted, as in ``_rowwise.row_logsumexp_unshifted``: a class chunk
  only adds into the running sums, so a very long column (a 128k vocabulary) is summed
  chunk by chunk, and only the positions whose sum overflows, underflows or is NaN are
  redone with the max shift (as rows, by the row kernels, which also raise the errors).

Every function takes and returns per-position arrays flattened in ``(n, d)`` order,
``M = N * D`` of them, the order of the class-index targets' ``reshape(-1)``.
"""

from __future__ import annotations

import numpy as np

from . import _rowwise

# Below this many positions per sample the contiguous runs are too short for NumPy's
# inner loops, and moving the classes last (one transposed copy) is faster.
MIN_COLUMNS = 16
_CHUNK_BYTES = _rowwise._CHUNK_BYTES
# Column ranges of a sample split between threads are at least this wide (4 KiB of float32).
_MIN_SPLIT = 1024
# Tiles of the fused index-target kernel (index_loss_and_grad): logits, and as much
# scratch or gradient, stay in the 1 MiB L2 cache of a core.
_TILE_BYTES = 1 << 21
# The fused kernel's classes a position at most (beyond, the class-chunked kernels).
FUSED_MAX_CLASSES = 1024


class MiddleAxisLogits:
    """``(N, C, D)`` logits (C-contiguous) and the kernels the losses need on them."""

    def __init__(self, z3: np.ndarray):
        self.z = z3
        self.n, self.c, self.d = z3.shape
        self.blocks = _blocks(self.n, self.c, self.d, z3.itemsize)

    # ------------------------------------------------------------------ helpers

    def _run(self, task) -> None:
        """``task(block)`` for every block, the blocks split between the threads."""
        blocks = self.blocks

        def run_range(lo, hi):
            for block in blocks[lo:hi]:
                task(block)

        per_block = max(1, self.z.size // max(1, len(blocks)))
        _rowwise._run(run_range, len(blocks), per_block)

    def _positions(self, flat):
        return np.divmod(flat, self.d)

    def columns(self, flat) -> np.ndarray:
        """The logits of the positions ``flat`` as ``(k, C)`` rows (a copy)."""
        n, d = self._positions(flat)
        return np.ascontiguousarray(self.z[n, :, d])

    # ------------------------------------------------------------------ kernels

    def target_logits(self, index: np.ndarray) -> np.ndarray:
        """``z[n, y, d]`` for every position.

        Gathered by flat offsets ``(n * C + y) * D + d`` from the flat view: the same
        values as ``np.take_along_axis(z, y[:, None], axis=1)``, which builds an index
        array per axis and takes ten times longer on (8, 21, 128, 128) logits.
        """
        offsets = index.reshape(self.n, self.d) + (np.arange(self.n) * self.c)[:, None]
        offsets *= self.d
        offsets += np.arange(self.d)
        return self.z.reshape(-1)[offsets.reshape(-1)]

    def logsumexp_parts(self, with_max: bool = False):
        """``(shift, log_sum)`` per position, float64, with ``lse = shift + log_sum``.

        ``with_max=False``: unshifted sums (``shift = 0``) except where they are unsafe.
        ``with_max=True``, and always for float64: ``shift`` is each column's max (label
        smoothing needs it; in float64 it rounds as PyTorch does).
        """
        z, dtype = self.z, self.z.dtype
        with_max = with_max or dtype == np.float64
        shift = np.zeros((self.n, self.d))
        log_sum = np.empty((self.n, self.d))
        smallest = _rowwise.min_safe_sum(self.c, dtype)
        unsafe = []

        def task(block):
            n0, n1, d0, d1, cc = block
            total = np.zeros((n1 - n0, d1 - d0), dtype=dtype)
            m = None
            if with_max:
                m = np.full((n1 - n0, d1 - d0), -np.inf, dtype=dtype)
                for c0 in range(0, self.c, cc):
                    np.maximum(m, z[n0:n1, c0 : c0 + cc, d0:d1].max(axis=1), out=m)
                _check_maxima(m)
                shift[n0:n1, d0:d1] = m
            scratch = np.empty((n1 - n0, min(cc, self.c), d1 - d0), dtype=dtype)
            with np.errstate(over="ignore", invalid="ignore"):
                for c0 in range(0, self.c, cc):
                    zc = z[n0:n1, c0 : c0 + cc, d0:d1]
                    buf = scratch[:, : zc.shape[1]]
                    if m is None:
                        np.exp(zc, out=buf)
                    else:
                        np.subtract(zc, m[:, None, :], out=buf)
                        np.exp(buf, out=buf)
                    total += buf.sum(axis=1)
            if m is not None:
                np.log(total, out=log_sum[n0:n1, d0:d1], dtype=np.float64)
                return
            safe = np.isfinite(total) & (total >= smallest)
            np.log(total, out=log_sum[n0:n1, d0:d1], where=safe, dtype=np.float64)
            if not safe.all():
                bad_n, bad_d = np.nonzero(~safe)
                unsafe.append((bad_n + n0) * self.d + (bad_d + d0))

        self._run(task)
        shift, log_sum = shift.reshape(-1), log_sum.reshape(-1)
        if unsafe:  # redo these positions as rows, with the max shift and its checks
            flat = np.sort(np.concatenate(unsafe))
            m, part = _rowwise._shifted_logsumexp(self.columns(flat))
            shift[flat], log_sum[flat] = m, part
        return shift, log_sum

    def others_sum(self, flat, index, target_logit) -> np.ndarray:
        """``r = sum_{c != y} exp(z_c - z_y)`` at the positions ``flat`` (their max is z_y).

        A few positions are gathered as rows; when they are many (a trained model is
        confident almost everywhere) their blocks are worked on whole, in one more pass.
        """
        if flat.size * 8 <= self.n * self.d:
            rows = _rowwise.RowLogits(self.columns(flat))
            local = np.arange(flat.size)
            return rows.others_sum(local, index[flat], target_logit[flat])
        wanted = np.zeros(self.n * self.d, dtype=bool)
        wanted[flat] = True
        wanted = wanted.reshape(self.n, self.d)
        index2 = index.reshape(self.n, self.d)
        zy2 = target_logit.reshape(self.n, self.d)
        result = np.zeros((self.n, self.d), dtype=self.z.dtype)
        z = self.z

        def task(block):
            n0, n1, d0, d1, cc = block
            if not wanted[n0:n1, d0:d1].any():
                return
            idx, zy = index2[n0:n1, d0:d1], zy2[n0:n1, d0:d1]
            acc = result[n0:n1, d0:d1]
            with np.errstate(over="ignore", invalid="ignore"):
                for c0 in range(0, self.c, cc):
                    buf = z[n0:n1, c0 : c0 + cc, d0:d1] - zy[:, None, :]
                    np.exp(buf, out=buf)
                    _put_at_targets(buf, idx, c0, 0)
                    acc += buf.sum(axis=1)

        self._run(task)
        return result.reshape(-1)[flat]

    def weighted_sum_shifted(self, shift, weight) -> np.ndarray:
        """``sum_c weight[c] * (z[n, c, d] - shift)`` per position (all weights 1 if None)."""
        shift2 = shift.reshape(self.n, self.d).astype(self.z.dtype)
        out = np.zeros((self.n, self.d), dtype=self.z.dtype)
        z = self.z

        def task(block):
            n0, n1, d0, d1, cc = block
            acc = out[n0:n1, d0:d1]
            for c0 in range(0, self.c, cc):
                buf = z[n0:n1, c0 : c0 + cc, d0:d1] - shift2[n0:n1, None, d0:d1]
                if weight is not None:
                    buf *= weight[c0 : c0 + cc][None, :, None]
                acc += buf.sum(axis=1)

        self._run(task)
        return out.reshape(-1)

    def softmax_scaled_minus_target(
        self, index, row_scale, target_scale, class_offset=None, offset_scale=None
    ):
        """The cross-entropy gradient, ``(N, C, D)``, and the ``(shift, log_sum)`` parts.

        At every position, ``row_scale * softmax(z) - target_scale * onehot(y)
        - offset_scale * class_offset`` (the last term label smoothing's), as
        ``_rowwise.softmax_scaled_minus_target`` computes for rows: ``exp(z)`` written
        straight into the gradient, the sums, then the scale and the target's subtraction
        in place, block by block.
        """
        z, dtype = self.z, self.z.dtype
        shape2 = (self.n, self.d)
        index2 = index.reshape(shape2)
        row_scale2 = np.asarray(row_scale, dtype=np.float64).reshape(shape2)
        target_scale2 = np.broadcast_to(target_scale, index.shape).reshape(shape2)
        offset2 = None if offset_scale is None else np.reshape(offset_scale, shape2)
        grad = np.empty_like(z)
        log_sum = np.empty(shape2)
        smallest = _rowwise.min_safe_sum(self.c, dtype)
        unsafe = []

        def task(block):
            n0, n1, d0, d1, cc = block
            total = np.zeros((n1 - n0, d1 - d0), dtype=dtype)
            # An unsafe sum (inf, 0, NaN) is found below, and its positions redone.
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                for c0 in range(0, self.c, cc):
                    gc = grad[n0:n1, c0 : c0 + cc, d0:d1]
                    np.exp(z[n0:n1, c0 : c0 + cc, d0:d1], out=gc)
                    total += gc.sum(axis=1)
                safe = np.isfinite(total) & (total >= smallest)
                np.log(total, out=log_sum[n0:n1, d0:d1], where=safe, dtype=np.float64)
                scale = (row_scale2[n0:n1, d0:d1] / total).astype(dtype)[:, None, :]
            idx = index2[n0:n1, d0:d1]
            ts = target_scale2[n0:n1, d0:d1].astype(dtype)
            for c0 in range(0, self.c, cc):
                gc = grad[n0:n1, c0 : c0 + cc, d0:d1]
                with np.errstate(invalid="ignore"):
                    gc *= scale
                _put_at_targets(gc, idx, c0, ts, subtract=True)
                if class_offset is not None:
                    gc -= (
                        offset2[n0:n1, None, d0:d1].astype(dtype)
                        * class_offset[c0 : c0 + cc][None, :, None]
                    )
            if not safe.all():
                bad_n, bad_d = np.nonzero(~safe)
                unsafe.append((bad_n + n0) * self.d + (bad_d + d0))

        self._run(task)
        shift, log_sum = np.zeros(self.n * self.d), log_sum.reshape(-1)
        if unsafe:  # these positions again, as rows with the max shift (and its checks)
            flat = np.sort(np.concatenate(unsafe))
            offset = None if offset_scale is None else np.reshape(offset_scale, -1)[flat]
            (m, part), rows_grad = _rowwise.softmax_scaled_minus_target(
                self.columns(flat),
                index[flat],
                np.reshape(row_scale, -1)[flat],
                np.broadcast_to(target_scale, index.shape)[flat],
                class_offset,
                offset,
            )
            n, d = self._positions(flat)
            grad[n, :, d] = rows_grad
            shift[flat], log_sum[flat] = m, part
        return (shift, log_sum), grad

    def index_loss_and_grad(
        self, index, valid=None, row_weight=None, grad_scale=None, per_position=True
    ):
        """Each position's ``w[y] * (lse - z[y])`` and, with ``grad_scale``, the gradient.

        The whole index-target loss in one pass over the logits, tile by tile, for float32
        logits with few classes a position (a segmentation model's 21): each tile
        ``z[n0:n1, :, d0:d1]`` (about :data:`_TILE_BYTES`) is read from memory once, and
        everything a position needs is done while the tile is in the cache, in the
        threads (see :func:`_index_tiles`):

        1. ``exp(z)`` into the gradient's tile (or a scratch tile), its sums over the classes;
        2. the target logits gathered from the tile by flat offsets;
        3. the positions whose sum is unsafe (inf, 0, tiny, NaN) redone with their column's
           max shift, which also raises the errors for NaN, ``+inf`` and all ``-inf``;
        4. ``loss = log(sum) - z[y]`` in float64, and the confident positions (a loss below
           ``losses._REFINE_BELOW``) recomputed as ``log1p(r)``, ``r = sum_{c != y}
           exp(z_c - z_y)``, as ``losses.confident_rows`` does;
        5. with ``grad_scale`` (each position's ``w[y] / denominator``): the tile scaled by
           ``grad_scale / sum``, ``grad_scale`` subtracted at the targets, and at the
           confident ones ``-grad_scale * r / (1 + r)`` written instead.

        Parameters: ``index`` (``(M,)`` class indices, 0 where ignored), ``valid``
        (``(M,)`` bool, None if every position counts), ``row_weight`` (``(M,)``, None for
        weights of 1), ``grad_scale`` (``(M,)``, 0 where ignored, or one number for all
        positions, or None for the loss only), ``per_position`` (False: only the sum).
        Returns ``(loss, grad)``: the ``(M,)`` losses in the logits' dtype (0 where
        ignored), or their sum in float64 (the same number as
        ``losses._reduce`` takes from them), and ``grad`` ``(N, C, D)`` or None. The same numbers as the generic path of
        ``losses.categorical_cross_entropy`` (``logsumexp_parts``, ``confident_rows``,
        ``index_target_loss``) and of the gradient, to float32 rounding.
        """
        z, dtype = self.z, self.z.dtype
        n, c, d = self.n, self.c, self.d
        shape2 = (n, d)
        index2 = index.reshape(shape2)
        valid2 = None if valid is None else valid.reshape(shape2)
        weight2 = None if row_weight is None else row_weight.reshape(shape2)
        scale2 = grad_scale
        if grad_scale is not None and np.ndim(grad_scale):
            scale2 = np.reshape(grad_scale, shape2)
        tiles = _index_tiles(n, c, d, z.itemsize)
        loss = np.empty(shape2, dtype=dtype) if per_position else None
        tile_sums = np.zeros(len(tiles))
        grad = None if grad_scale is None else np.empty_like(z)
        z_flat = z.reshape(-1)
        grad_flat = None if grad is None else grad.reshape(-1)
        smallest = _rowwise.min_safe_sum(c, dtype)
        refine_below = 0.1  # losses._REFINE_BELOW (not imported: losses imports this module)

        def tile_task(k, work):
            n0, n1, d0, d1 = tiles[k]
            zt = z[n0:n1, :, d0:d1]
            et = work.exp if grad is None else grad[n0:n1, :, d0:d1]
            total = work.total
            with np.errstate(over="ignore", invalid="ignore"):
                np.exp(zt, out=et)
                np.add.reduce(et, axis=1, out=total)
            # The targets' flat offsets from the tile's first element z[n0, 0, d0]:
            # (n - n0) * C * D + y * D + (d - d0) (work.base holds all but the y * D).
            start = n0 * c * d + d0
            offsets = np.multiply(index2[n0:n1, d0:d1], d, out=work.offsets)
            offsets += work.base
            target_logit = np.take(z_flat[start:], offsets, out=work.target_logit, mode="clip")
            shift = None
            # Two reductions say whether every sum is safe (a NaN fails both tests).
            if not (total.min() >= smallest and total.max() < np.inf):
                # these columns again with their max shift (and its checks)
                safe = np.isfinite(total) & (total >= smallest)
                nn, dd = np.nonzero(~safe)
                columns = zt[nn, :, dd]
                m = np.max(columns, axis=1)
                _check_maxima(m)
                columns -= m[:, None]
                np.exp(columns, out=columns)
                et[nn, :, dd] = columns
                total[nn, dd] = columns.sum(axis=1)
                shift = np.zeros(total.shape)
                shift[nn, dd] = m
            with np.errstate(divide="ignore", invalid="ignore"):
                neg_log_q = np.log(total, out=work.neg_log_q, dtype=np.float64)
                if shift is None:
                    neg_log_q -= target_logit
                else:
                    neg_log_q -= target_logit - shift
            r = confident = None
            if neg_log_q.min() < refine_below:  # rare in a model still learning
                counts = neg_log_q < refine_below
                if valid2 is not None:
                    counts &= valid2[n0:n1, d0:d1]
                confident = np.nonzero(counts)
            if confident is not None and confident[0].size:
                nn, dd = confident
                ys = index2[n0:n1, d0:d1][nn, dd]
                others = zt[nn, :, dd]
                others -= target_logit[nn, dd][:, None]
                np.exp(others, out=others)
                others[np.arange(nn.size), ys] = 0
                r = others.sum(axis=1)
                neg_log_q[nn, dd] = np.log1p(r)
            if weight2 is not None:
                neg_log_q *= weight2[n0:n1, d0:d1]
            if valid2 is not None:
                neg_log_q[~valid2[n0:n1, d0:d1]] = 0
            if per_position:
                loss[n0:n1, d0:d1] = neg_log_q
            else:  # the float32 losses summed in float64, as losses._reduce does
                rounded = work.rounded
                np.copyto(rounded, neg_log_q, casting="same_kind")
                tile_sums[k] = rounded.sum(dtype=np.float64)
            if grad is None:
                return
            ts = scale2 if np.ndim(scale2) == 0 else scale2[n0:n1, d0:d1]
            with np.errstate(invalid="ignore", divide="ignore"):
                et *= (ts / total).astype(dtype)[:, None, :]
            grad_from_start = grad_flat[start:]
            at_target = grad_from_start[offsets]
            at_target -= ts
            if r is not None:  # q_y - 1 = -r / (1 + r), which keeps its digits
                nn, dd = confident
                at_target[nn, dd] = -(ts if np.ndim(ts) == 0 else ts[nn, dd]) * (r / (1 + r))
            grad_from_start[offsets] = at_target

        def make_task():  # one per thread, with its work arrays for each tile shape
            works = {}

            def task(k):
                n0, n1, d0, d1 = tiles[k]
                rows, width = n1 - n0, d1 - d0
                if (rows, width) not in works:
                    works[rows, width] = _TileWork(rows, c, width, d, dtype, grad is None)
                tile_task(k, works[rows, width])

            return task

        _rowwise._run_pulled(make_task, len(tiles), z.size)
        if per_position:
            return loss.reshape(-1), grad
        return float(tile_sums.sum()), grad

    def set_at_targets(self, grad, flat, index, values) -> None:
        """``grad[n, y, d] = values`` at the positions ``flat``."""
        n, d = self._positions(flat)
        grad[n, index[flat], d] = values


class _TileWork:
    """One thread's arrays for the tiles of one shape ``(rows, C, width)`` of
    :meth:`MiddleAxisLogits.index_loss_and_grad`: made once a call, used for every tile,
    so that the tiles allocate nothing (and make no page faults)."""

    def __init__(self, rows: int, c: int, width: int, d: int, dtype, forward: bool):
        shape = (rows, width)
        self.exp = np.empty((rows, c, width), dtype=dtype) if forward else None
        self.total = np.empty(shape, dtype=dtype)
        # (n - n0) * C * D + (d - d0): a target's offset from the tile's start, less y * D
        self.base = (np.arange(rows) * (c * d))[:, None] + np.arange(width)
        self.offsets = np.empty(shape, dtype=np.intp)
        self.target_logit = np.empty(shape, dtype=dtype)
        self.neg_log_q = np.empty(shape)
        self.rounded = np.empty(shape, dtype=dtype)


def _blocks(n: int, c: int, d: int, itemsize: int):
    """``(n0, n1, d0, d1, class_chunk)`` blocks of about ``_CHUNK_BYTES`` of logits each.

    Whole samples, several to a block when they are small. A sample larger than a chunk
    is taken in class chunks ``z[n, c0:c1, :]``, each a contiguous stretch of memory (a
    block of a few columns at a time would read every cache line of the sample once per
    column range). When there are too few samples to keep the threads busy, their columns
    are split into ranges at least ``_MIN_SPLIT`` wide, still long contiguous runs.
    """
    if n == 0 or d == 0:
        return []
    sample = max(c, 1) * d * itemsize
    if sample <= _CHUNK_BYTES:
        per_block = max(1, _CHUNK_BYTES // sample)
        return [(n0, min(n0 + per_block, n), 0, d, c) for n0 in range(0, n, per_block)]
    parts = 1
    wanted = 2 * _rowwise._n_workers()
    if n < wanted and d >= 2 * _MIN_SPLIT:
        parts = min(-(-wanted // n), d // _MIN_SPLIT)
    width = -(-d // parts)
    class_chunk = max(1, min(c, _CHUNK_BYTES // (width * itemsize)))
    return [
        (i, i + 1, d0, min(d0 + width, d), class_chunk)
        for i in range(n)
        for d0 in range(0, d, width)
    ]


def _index_tiles(n: int, c: int, d: int, itemsize: int):
    """``(n0, n1, d0, d1)`` tiles of at most about ``_TILE_BYTES`` of logits, for the
    fused kernel.

    Several whole samples to a tile when they are small, otherwise one sample's columns in
    equal ranges (``z[n, :, d0:d1]`` is C contiguous runs of ``d1 - d0``). Large tiles
    make few NumPy calls; when they would be fewer than four a thread, the columns are
    split further (ranges at least ``_MIN_SPLIT`` wide), so that the threads finish
    together.
    """
    if n == 0 or d == 0:
        return []
    sample = c * d * itemsize
    wanted = 4 * _rowwise._n_workers()
    if n * c * d < _rowwise._PARALLEL_MIN_ELEMENTS:
        wanted = 1  # one thread: as few tiles as can be
    parts = -(-sample // _TILE_BYTES)
    if n * parts < wanted:
        parts = max(parts, min(-(-wanted // n), d // _MIN_SPLIT))
    if parts == 1:
        per_tile = max(1, min(_TILE_BYTES // sample, n // wanted))
        return [(n0, min(n0 + per_tile, n), 0, d) for n0 in range(0, n, per_tile)]
    width = -(-d // parts)
    return [(i, i + 1, d0, min(d0 + width, d)) for i in range(n) for d0 in range(0, d, width)]


def _put_at_targets(chunk, index, c0: int, values, subtract: bool = False) -> None:
    """Write (or subtract) ``values`` at each position's target class, if in this chunk.

    ``chunk`` is ``(nb, cc, dd)`` holding classes ``c0 .. c0 + cc`` of the block whose
    targets ``index`` are ``(nb, dd)``.
    """
    inside = (index >= c0) & (index < c0 + chunk.shape[1])
    if not inside.any():
        return
    nn, dd = np.nonzero(inside)
    cls = index[nn, dd] - c0
    value = values if np.ndim(values) == 0 else values[nn, dd]
    if subtract:
        chunk[nn, cls, dd] -= value
    else:
        chunk[nn, cls, dd] = value


def _check_maxima(m: np.ndarray) -> None:
    """The errors of ``_rowwise._checked_row_max`` for a block of column maxima."""
    if np.isfinite(m).all():
        return
    if np.isnan(m).any():
        raise ValueError("logits contains NaN; expected real numbers")
    if np.isposinf(m).any():
        raise ValueError("logits contains +inf; expected finite values or -inf")
    raise ValueError(
        "logits has a row whose entries are all -inf: no class is possible, "
        "so the loss is undefined"
    )
