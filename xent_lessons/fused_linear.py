r"""Cross-entropy of a linear output layer, without ever building the (N, V) logits.

A language model's last layer turns each hidden state :math:`h_i` (H numbers) into one
logit per token of the vocabulary, :math:`z = h W^\top + b`, and the loss is the
cross-entropy of those logits. With V = 128,256 classes (Llama 3) and N = 1024 rows the
logits alone are 525 MB in float32, and PyTorch's forward and backward keep three arrays of
that size alive. Everything the loss and the gradient need can be made a few rows at a
time instead:

- **the loss** needs, per row, only :math:`\operatorname{LSE}(z_i) = \log \sum_c e^{z_{ic}}`
  and the target's logit :math:`z_{i y_i} = h_i \cdot W_{y_i} + b_{y_i}`, one dot product
  (Cut Cross-Entropy's "indexed" target logit). The log-sum-exp is computed over blocks of
  classes with a running max and a running sum (the *online* log-sum-exp), so no more than
  a block of logits ever exists;
- **the gradient**, with :math:`g_i = \partial \ell / \partial z_i = s_i\,(\mathrm{softmax}(z_i) - y_i)`
  (:math:`s_i` the reduction's scale), flows into the layer's parameters as
  :math:`\partial L / \partial h_i = g_i W`, :math:`\partial L / \partial W = \sum_i g_i^\top h_i`,
  :math:`\partial L / \partial b = \sum_i g_i`: sums over rows, so a chunk of rows can make
  its :math:`g`, add its share and forget it (Liger Kernel's fused linear cross-entropy).

``_reference_row_stats`` below is that algorithm in plain NumPy, to be read; the public
functions run the same algorithm from :mod:`._linear_chunks` (tiles sized for the cache,
threads, in-place BLAS calls), which gives the same numbers up to rounding.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

from . import _linear_chunks
from ._validation import (
    as_array,
    as_class_indices,
    as_float_array,
    check_bool,
    check_finite,
    check_ignore_index,
    check_reduction,
    check_unit_scalar,
    to_python_scalar,
)

__all__ = ["linear_cross_entropy", "linear_cross_entropy_grad"]


# ------------------------------------------------------------------ the readable path


def _reference_row_stats(h, weight, bias, target=None, scales=None, chunk_size=64, block=1024):
    r"""The algorithm, written to be read: row chunks, class blocks, the online log-sum-exp.

    ``h`` is (n, H), ``weight`` (V, H), ``bias`` (V,) or None, ``target`` (n,) class
    indices. Returns ``(row_max, log_sum, shift_sum)`` (see :mod:`._linear_chunks`), and
    with ``scales = (row_scale, target_scale, offset_scale)`` also the gradients
    ``(d_h, d_weight, d_bias)`` of :math:`\sum_i` of the rows' losses so scaled.
    """
    n_rows, n_classes = h.shape[0], weight.shape[0]
    row_max = np.empty(n_rows, h.dtype)
    log_sum = np.empty(n_rows, h.dtype)
    shift_sum = np.empty(n_rows, h.dtype)
    if scales is not None:
        row_scale, target_scale, offset_scale = scales
        d_h = np.zeros_like(h)
        d_weight = np.zeros_like(weight)
        d_bias = None if bias is None else np.zeros_like(bias)
    for r0 in range(0, n_rows, chunk_size):
        rows = slice(r0, min(r0 + chunk_size, n_rows))
        # Per row: the running max m, the running sum s of exp(z - m), and the running
        # sum u of (m - z) (for label smoothing), over the classes seen so far.
        blocks = []
        for v0 in range(0, n_classes, block):
            classes = slice(v0, min(v0 + block, n_classes))
            z = h[rows] @ weight[classes].T  # one block of logits, (rows, classes)
            if bias is not None:
                z = z + bias[classes]
            z_max = z.max(axis=1)
            block_s = np.exp(z - z_max[:, None]).sum(axis=1)  # the block's sum, under its max
            block_u = (z_max[:, None] - z).sum(axis=1)
            if v0 == 0:
                m, s, u = z_max, block_s, block_u
            else:  # rescale what was summed under the old max, then add this block
                new_m = np.maximum(m, z_max)
                s = s * np.exp(m - new_m) + block_s * np.exp(z_max - new_m)
                u = u + v0 * (new_m - m) + block_u + z.shape[1] * (new_m - z_max)
                m = new_m
            if scales is not None:
                blocks.append((classes, z))  # the backward needs them (or recomputes them)
        row_max[rows], log_sum[rows], shift_sum[rows] = m, np.log(s), u
        if scales is None:
            continue
        lse = m + np.log(s)
        for classes, z in blocks:
            # g = row_scale * softmax - target_scale * onehot - offset_scale
            g = row_scale[rows, None] * np.exp(z - lse[:, None])
            if offset_scale is not None:
                g -= offset_scale[rows, None]
            local = np.flatnonzero((target[rows] >= classes.start) & (target[rows] < classes.stop))
            g[local, target[rows][local] - classes.start] -= target_scale[rows][local]
            d_h[rows] += g @ weight[classes]  # d_h = g W
            d_weight[classes] += g.T @ h[rows]  # d_W = sum over rows of g^T h
            if bias is not None:
                d_bias[classes] += g.sum(axis=0)  # d_b = sum over rows of g
    stats = (row_max, log_sum, shift_sum)
    return stats if scales is None else (stats, (d_h, d_weight, d_bias))


# ------------------------------------------------------------------------ validation


@dataclass
class _Batch:
    """Validated inputs: the rows that count, and how to put the results back in shape."""

    h: np.ndarray  # (n, H) hidden states of the rows that count (target != ignore_index)
    weight: np.ndarray  # (V, H)
    bias: np.ndarray | None  # (V,)
    target: np.ndarray  # (n,) class indices of those rows
    rows: np.ndarray | None  # their positions among all N rows; None when every row counts
    n_rows: int  # N, every row
    batch_shape: tuple  # target's shape: () for one sample, (N,), or (B, T, ...)
    hidden_shape: tuple
    reduction: str
    smoothing: float
    row_weight: np.ndarray | None = None  # (n,) ce_weight[target] of the rows that count
    class_weight: np.ndarray | None = None  # (V,) ce_weight

    @property
    def n_classes(self) -> int:
        return self.weight.shape[0]

    @property
    def per_row(self) -> float:
        """What each row's loss is multiplied by: 1 / (rows that count) for the mean."""
        if self.reduction != "mean":
            return 1.0
        if self.row_weight is not None:  # torch: the mean divides by the rows' weights' sum
            total = float(self.row_weight.sum(dtype=np.float64))
            return 1.0 / total if total else 0.0
        return 1.0 / self.h.shape[0] if self.h.shape[0] else 0.0

    @property
    def mean_denominator(self) -> float:
        if self.row_weight is not None:
            return float(self.row_weight.sum(dtype=np.float64))
        return float(self.h.shape[0])


def _check_finite(x: np.ndarray, name: str) -> None:
    if x.size and not (np.isfinite(x.min()) and np.isfinite(x.max())):
        raise ValueError(f"{name} contains inf; expected finite values")


def _check_chunk_size(chunk_size):
    if chunk_size is None:
        return None
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, numbers.Integral):
        raise TypeError(f"chunk_size must be a positive integer (rows) or None; got {chunk_size!r}")
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive integer (rows) or None; got {chunk_size}")
    return int(chunk_size)


def _batch(hidden, weight, target, bias, ignore_index, reduction, label_smoothing, ce_weight=None):
    reduction = check_reduction(reduction)
    smoothing = check_unit_scalar(label_smoothing, "label_smoothing")
    ignore_index = check_ignore_index(ignore_index)
    w = as_float_array(weight, "weight", allow_empty=True)
    if w.ndim != 2 or w.shape[0] == 0:
        raise ValueError(
            f"weight must have shape (V, H), one row of H numbers per class (V >= 1); got "
            f"{w.ndim} dimension(s) {w.shape}"
        )
    n_classes, n_hidden = w.shape
    h = as_float_array(hidden, "hidden", allow_empty=True)
    if h.ndim == 0 or h.shape[-1] != n_hidden:
        raise ValueError(
            f"hidden must have shape (N, H) (or (H,), or (..., H)) with H = {n_hidden}, the "
            f"length of weight's rows; got {h.shape}"
        )
    b = None
    if bias is not None:
        b = as_float_array(bias, "bias")
        if b.shape != (n_classes,):
            raise ValueError(f"bias must have shape ({n_classes},), one per class; got {b.shape}")
    arrays = [x for x in (h, w, b) if x is not None]
    for x, name in zip(arrays, ("hidden", "weight", "bias"), strict=False):
        _check_finite(x, name)
    # The dtype that hidden @ weight.T + bias has in NumPy (float16 was made float32).
    dtype = np.result_type(*arrays)
    t = as_array(target, "target")  # refuses masked entries and ragged lists
    if t.dtype.kind == "f":
        raise TypeError(
            "target must hold integer class indices; linear_cross_entropy does not take class "
            "probabilities (an (N, V) target is as large as the logits it avoids: use "
            "categorical_cross_entropy(hidden @ weight.T + bias, target) for those)"
        )
    batch_shape = h.shape[:-1]
    if t.shape != batch_shape:
        raise ValueError(
            f"target must have shape {batch_shape}, one class index per row of hidden "
            f"{h.shape}; got {t.shape}"
        )
    n_rows = int(np.prod(batch_shape, dtype=np.int64))
    t = as_class_indices(t.reshape(n_rows), "target", n_rows, n_classes, ignore_index)
    h2 = h.reshape(n_rows, n_hidden)
    valid = t != ignore_index
    rows = None
    if not valid.all():
        rows = np.flatnonzero(valid)
        h2, t = h2[rows], t[rows]
    cw = row_weight = None
    if ce_weight is not None:
        cw = as_float_array(ce_weight, "ce_weight").astype(dtype, copy=False)
        if cw.shape != (n_classes,):
            raise ValueError(
                f"ce_weight must have shape ({n_classes},), one weight per class; got {cw.shape}"
            )
        check_finite(cw, "ce_weight")
        if cw.min() < 0:
            raise ValueError(f"ce_weight must hold weights >= 0; got {float(cw.min())!r}")
        row_weight = cw[t]
    return _Batch(
        h=np.ascontiguousarray(h2, dtype=dtype),
        weight=np.ascontiguousarray(w, dtype=dtype),
        bias=None if b is None else np.ascontiguousarray(b, dtype=dtype),
        target=t,
        rows=rows,
        n_rows=n_rows,
        batch_shape=batch_shape,
        hidden_shape=h.shape,
        reduction=reduction,
        smoothing=smoothing,
        row_weight=row_weight,
        class_weight=cw,
    )


# ------------------------------------------------------------------------- the losses

_TARGET_LOGIT_ROWS = 4096  # rows of weight[target] gathered at once


def _target_logits(batch: _Batch) -> np.ndarray:
    """``z[i, y_i] = h_i . W[y_i] + b[y_i]``: one dot product per row, no logits needed."""
    out = np.empty(batch.h.shape[0], batch.h.dtype)
    for r0 in range(0, out.size, _TARGET_LOGIT_ROWS):
        rows = slice(r0, r0 + _TARGET_LOGIT_ROWS)
        y = batch.target[rows]
        out[rows] = np.einsum("ij,ij->i", batch.h[rows], batch.weight[y])
        if batch.bias is not None:
            out[rows] += batch.bias[y]
    return out


def _loss(batch: _Batch, stats):
    """The reduced loss (or per-row losses) from the row statistics."""
    row_max, log_sum, shift_sum = stats
    # -log softmax(z)[y] = log_sum - (z_y - max): rounded as torch's log_softmax rounds it.
    per_row = log_sum - (_target_logits(batch) - row_max)
    eps = batch.smoothing
    if batch.row_weight is not None:
        per_row = per_row * batch.row_weight
        if eps > 0:
            # torch: the smoothing term weighs each class too, sum_c w_c (lse - z_c) / V
            # = W_tot lse - (h . (w W) + w . b), W_tot = sum_c w_c
            w = batch.class_weight
            weighted_z = batch.h @ (w @ batch.weight)
            if batch.bias is not None:
                weighted_z = weighted_z + w @ batch.bias
            smooth = w.sum() * (row_max + log_sum) - weighted_z
            per_row = (1 - eps) * per_row + (eps / batch.n_classes) * smooth
    elif eps > 0:
        # The loss against the uniform distribution: sum_c (lse - z_c) / V, as
        # V * log_sum + sum_c (max - z_c): two terms >= 0, nothing cancels.
        smooth = batch.n_classes * log_sum + shift_sum
        per_row = (1 - eps) * per_row + (eps / batch.n_classes) * smooth
    return _reduce_rows(batch, per_row.astype(batch.h.dtype, copy=False))


def _scales(batch: _Batch):
    """``(row_scale, target_scale, offset_scale)`` of each row's logit gradient."""
    n = batch.h.shape[0]
    eps = batch.smoothing
    if batch.row_weight is not None:
        # g = s [(1 - eps) w_y (softmax - onehot) + eps / V (W_tot softmax - w)]; the last
        # term, -s eps / V * w per class, is added afterwards (see _weighted_offset)
        wy = batch.row_weight.astype(batch.h.dtype, copy=False)
        target_scale = ((1 - eps) * batch.per_row * wy).astype(batch.h.dtype)
        row_scale = target_scale
        if eps > 0:
            total = float(batch.class_weight.sum(dtype=np.float64))
            row_scale = (target_scale + eps / batch.n_classes * batch.per_row * total).astype(
                batch.h.dtype
            )
        return row_scale, target_scale, None
    target_scale = np.full(n, (1 - eps) * batch.per_row, batch.h.dtype)
    offset_scale = None
    row_scale = target_scale
    if eps > 0:
        offset_scale = np.full(n, eps / batch.n_classes * batch.per_row, batch.h.dtype)
        row_scale = np.full(n, batch.per_row, batch.h.dtype)  # (1 - eps) + V * eps / V
    return row_scale, target_scale, offset_scale


def _stats_without_hidden(batch: _Batch):
    """``H = 0``: every row's logits are the bias (or zeros), so one row's stats serve all."""
    n, dtype = batch.h.shape[0], batch.h.dtype
    b = np.zeros(batch.n_classes, dtype) if batch.bias is None else batch.bias
    m = b.max() if b.size else dtype.type(0)
    return (
        np.full(n, m, dtype),
        np.full(n, np.log(np.exp(b - m).sum()), dtype),
        np.full(n, (m - b).sum(), dtype),
    )


def _grads_without_hidden(batch: _Batch, row_scale, target_scale, offset_scale):
    """``H = 0``: no ``d_hidden`` or ``d_weight`` to speak of; ``d_bias`` in closed form."""
    stats = _stats_without_hidden(batch)
    dtype = batch.h.dtype
    d_h = np.zeros_like(batch.h)
    d_weight = np.zeros_like(batch.weight)
    d_bias = None
    if batch.bias is not None:
        b = batch.bias
        q = np.exp(b - b.max())
        q /= q.sum()
        d_bias = float(np.sum(row_scale, dtype=np.float64)) * q
        d_bias -= np.bincount(batch.target, weights=target_scale, minlength=batch.n_classes)
        if offset_scale is not None:
            d_bias -= float(np.sum(offset_scale, dtype=np.float64))
        d_bias = d_bias.astype(dtype)
    return stats, (d_h, d_weight, d_bias)


def linear_cross_entropy(
    hidden,
    weight,
    target,
    bias=None,
    ignore_index=-100,
    reduction="mean",
    label_smoothing=0.0,
    chunk_size=None,
    ce_weight=None,
    z_loss=0.0,
    softcap=None,
):
    r"""Cross-entropy of ``hidden @ weight.T + bias``, without making those logits.

    The same number as ``categorical_cross_entropy(hidden @ weight.T + bias, target, ...)``
    (and as ``torch.nn.functional.cross_entropy`` of those logits), with memory for a few
    MB of logits at a time whatever N and V are.

    Parameters
    ----------
    hidden : array_like
        Hidden states, shape ``(N, H)``; ``(H,)`` for one sample, or ``(..., H)`` (say
        ``(batch, time, H)``) with ``target`` of shape ``(...)``. Finite.
    weight : array_like
        The output layer's matrix, shape ``(V, H)``: one row per class (torch's
        ``nn.Linear(H, V).weight``). Finite.
    target : array_like of int
        Class indices, ``hidden``'s shape without its last axis (a scalar for one sample).
    bias : array_like, optional
        One number per class, shape ``(V,)``.
    ignore_index : int, optional
        Rows whose target equals it add nothing and do not count in the mean (padding).
    reduction : {"mean", "sum", "none"}
        ``"mean"`` divides the sum by the number of rows that are not ignored; ``"none"``
        returns each row's loss (0 for ignored rows), in ``target``'s shape.
    label_smoothing : float, optional
        In [0, 1]: the target becomes ``(1 - ε) · onehot + ε / V``.
    chunk_size : int, optional
        Rows of logits computed together (default: up to 1024 rows, with the classes in
        blocks of 4 MiB of logits).
    ce_weight : array_like, optional
        One weight >= 0 per class, shape ``(V,)``: torch's ``weight`` of
        ``F.cross_entropy`` (Liger Kernel's ``ce_weight``; ``weight`` here is the layer's
        matrix). Row ``i``'s loss is multiplied by ``ce_weight[target[i]]`` and the mean
        divides by the sum of those weights, as in torch (with label smoothing, the
        smoothing term weighs each class by its weight, as torch's does).
    z_loss : float, optional
        ``λ >= 0``: each row's loss gains ``λ · LSE(z_i)²``, which pulls the log-partition
        ``log Z = LSE(z)`` towards 0 (PaLM's z-loss; Liger Kernel's ``lse_square_scale``).
    softcap : float, optional
        ``c > 0``: the logits are soft-capped to ``c · tanh(z / c)`` (after the bias, before
        everything else: the loss, the label smoothing and the z-loss all see the capped
        logits), as Gemma 2 does with ``c = 30`` (Liger Kernel's ``softcap``).

    Returns
    -------
    float or ndarray
        A Python ``float``, or for ``"none"`` an array in the working dtype (that of
        ``hidden @ weight.T``: float64 if either is, float32 for float32 and float16).
        NaN for a mean over rows that are all ignored (0 / 0), as in PyTorch.

    Notes
    -----
    Per row, with :math:`z_i = W h_i + b`,

    .. math:: \ell_i = \operatorname{LSE}(z_i) - z_{i y_i}, \qquad
              z_{i y_i} = h_i \cdot W_{y_i} + b_{y_i}

    The log-sum-exp is accumulated over blocks of classes: with :math:`m` the running max
    and :math:`s = \sum e^{z_c - m}` over the classes so far, a block with max :math:`m'`
    and sum :math:`s'` (relative to :math:`m'`) gives
    :math:`M = \max(m, m')`, :math:`s \leftarrow s\,e^{m - M} + s'\,e^{m' - M}`; at the end
    :math:`\operatorname{LSE} = m + \log s`. Only one block of logits exists at a time.
    Hidden states with ``-inf`` entries, possible in ``categorical_cross_entropy``'s
    logits, have no meaning here and are rejected like ``+inf``. ``H = 0`` is allowed: the
    logits are then the bias (or all 0, a loss of :math:`\log V`), as in torch. Targets
    must be integers (not bool, not float, no masked entries: fill a masked target with
    ``ignore_index``).

    With ``softcap`` or ``z_loss`` the loss is Liger Kernel's (``liger_cross_entropy_kernel``
    in ``src/liger_kernel/ops/cross_entropy.py``, called on each chunk of logits by
    ``fused_linear_cross_entropy_forward`` in ``ops/fused_linear_cross_entropy.py``): with
    :math:`\tilde z = c \tanh(z / c)` and :math:`\varepsilon` the label smoothing,

    .. math:: \ell_i = (1 - \varepsilon)(\operatorname{LSE}(\tilde z_i) - \tilde z_{i y_i})
              + \varepsilon\,(\operatorname{LSE}(\tilde z_i) - \overline{\tilde z_i})
              + \lambda \operatorname{LSE}(\tilde z_i)^2

    (:math:`\overline{\tilde z_i}` the mean over classes), and ``"mean"`` divides the sum,
    z-loss included, by the rows that count. Those rows are computed ``chunk_size`` rows by
    all V classes at a time (the capped logits are needed twice), still never (N, V).

    Examples
    --------
    >>> hidden = np.array([[1.0, 0.5], [-0.5, 2.0]])
    >>> weight = np.array([[2.0, 0.0], [0.0, 1.0], [-1.0, 1.0]])
    >>> linear_cross_entropy(hidden, weight, [0, 2])
    0.37953352656971573
    >>> from xent_lessons import categorical_cross_entropy
    >>> categorical_cross_entropy(hidden @ weight.T, [0, 2])
    0.37953352656971573
    """
    chunk_size = _check_chunk_size(chunk_size)
    z_loss, softcap = _check_z_loss_softcap(z_loss, softcap)
    batch = _batch(
        hidden, weight, target, bias, ignore_index, reduction, label_smoothing, ce_weight
    )
    if z_loss or softcap is not None:
        _check_no_class_weight(batch)
        return _capped_loss_and_grads(batch, z_loss, softcap, chunk_size, want_grads=False)
    if batch.h.shape[1] == 0:
        return _loss(batch, _stats_without_hidden(batch))
    stats = _linear_chunks.forward_row_stats(
        batch.h, batch.weight, batch.bias, batch.smoothing > 0, chunk_size
    )
    return _loss(batch, stats)


def linear_cross_entropy_grad(
    hidden,
    weight,
    target,
    bias=None,
    ignore_index=-100,
    reduction="mean",
    label_smoothing=0.0,
    chunk_size=None,
    return_loss=False,
    ce_weight=None,
    z_loss=0.0,
    softcap=None,
):
    r"""Gradients of :func:`linear_cross_entropy` for ``hidden``, ``weight`` and ``bias``.

    What ``torch.autograd`` gives for ``F.cross_entropy(hidden @ weight.T + bias, target)``,
    computed chunk by chunk: the logits' gradient ``softmax - y`` exists for
    ``chunk_size`` rows at a time, never for the whole batch.

    Parameters
    ----------
    hidden, weight, target, bias, ignore_index, reduction, label_smoothing, ce_weight, z_loss, softcap
        As in :func:`linear_cross_entropy`.
    chunk_size : int, optional
        Rows whose logits (and gradient) exist at once: the memory beyond the results is
        about ``chunk_size * V`` numbers. Default: 32 MiB of them (at least 8 rows).
    return_loss : bool, optional
        Also return the loss, from the same pass (first in the tuple). ``True`` or
        ``False`` only.

    Returns
    -------
    tuple of ndarray
        ``(d_hidden, d_weight)``, or ``(d_hidden, d_weight, d_bias)`` with a bias; shaped
        like ``hidden``, ``weight`` and ``bias``, in the working dtype. With
        ``return_loss``, ``(loss, d_hidden, d_weight[, d_bias])``. For ``"none"`` these are
        the gradients of the sum of the per-row losses (autograd's ``backward(ones)``).

    Notes
    -----
    With :math:`g_i = s_i\,(\mathrm{softmax}(z_i) - \tilde y_i)` (:math:`\tilde y_i` the
    label-smoothed one-hot target; :math:`s_i = 1/n` for the mean over :math:`n` rows that
    count, 1 otherwise, 0 for ignored rows),

    .. math:: \frac{\partial L}{\partial h_i} = g_i W, \qquad
              \frac{\partial L}{\partial W} = \sum_i g_i^\top h_i, \qquad
              \frac{\partial L}{\partial b} = \sum_i g_i

    Each chunk of rows makes its :math:`g`, writes its rows of :math:`\partial L/\partial h`,
    adds its share of the other two, and reuses the memory for the next chunk.

    The z-loss adds :math:`2 \lambda \operatorname{LSE}(z_i)\,\mathrm{softmax}(z_i)` to
    :math:`g_i / s_i`, and the soft cap multiplies it by
    :math:`1 - \tanh^2(z / c)`, the derivative of :math:`c \tanh(z / c)`.

    Examples
    --------
    >>> hidden = np.array([[1.0, 0.5], [-0.5, 2.0]])
    >>> weight = np.array([[2.0, 0.0], [0.0, 1.0], [-1.0, 1.0]])
    >>> d_hidden, d_weight = linear_cross_entropy_grad(hidden, weight, [0, 2])
    >>> d_hidden.round(4)
    array([[-0.2653,  0.1169],
           [ 0.213 , -0.0092]])
    >>> from xent_lessons import categorical_cross_entropy_grad
    >>> g = categorical_cross_entropy_grad(hidden @ weight.T, [0, 2])  # dL/dz, (N, V)
    >>> bool(np.allclose(d_hidden, g @ weight) and np.allclose(d_weight, g.T @ hidden))
    True
    """
    chunk_size = _check_chunk_size(chunk_size)
    return_loss = check_bool(return_loss, "return_loss")
    z_loss, softcap = _check_z_loss_softcap(z_loss, softcap)
    batch = _batch(
        hidden, weight, target, bias, ignore_index, reduction, label_smoothing, ce_weight
    )
    if z_loss or softcap is not None:
        _check_no_class_weight(batch)
        loss, grads = _capped_loss_and_grads(batch, z_loss, softcap, chunk_size, want_grads=True)
        return (loss, *grads) if return_loss else grads
    row_scale, target_scale, offset_scale = _scales(batch)
    if batch.h.shape[1] == 0:
        stats, (d_h, d_weight, d_bias) = _grads_without_hidden(batch, row_scale, target_scale, offset_scale)
    else:
        stats, (d_h, d_weight, d_bias) = _linear_chunks.fused_row_stats_and_grads(
            batch.h,
            batch.weight,
            batch.bias,
            batch.target,
            row_scale,
            target_scale,
            offset_scale,
            chunk_size,
        )
    if batch.class_weight is not None and batch.smoothing > 0 and batch.h.shape[0]:
        # the smoothing term's -s eps / V * w_c, the same for every row that counts: a
        # rank-one correction of the three gradients
        c = batch.per_row * batch.smoothing / batch.n_classes
        w = batch.class_weight
        d_h -= (c * (w @ batch.weight)).astype(d_h.dtype)
        d_weight -= (c * np.outer(w, batch.h.sum(axis=0))).astype(d_weight.dtype)
        if d_bias is not None:
            d_bias -= (c * batch.h.shape[0] * w).astype(d_bias.dtype)
    if batch.rows is not None:  # ignored rows get no gradient
        full = np.zeros((batch.n_rows, d_h.shape[1]), d_h.dtype)
        full[batch.rows] = d_h
        d_h = full
    grads = (d_h.reshape(batch.hidden_shape), d_weight)
    if d_bias is not None:
        grads += (d_bias,)
    if return_loss:
        return (_loss(batch, stats), *grads)
    return grads


# ------------------------------------------------------- z-loss and soft-capping (lesson 16)


def _check_z_loss_softcap(z_loss, softcap):
    """``z_loss`` a finite real >= 0 and ``softcap`` None or a finite real > 0."""
    if isinstance(z_loss, bool) or not isinstance(z_loss, numbers.Real):
        raise TypeError(f"z_loss must be a real number >= 0 (the z-loss weight λ); got {z_loss!r}")
    if not (math.isfinite(z_loss) and z_loss >= 0):  # math: an int of any size (2**70)
        raise ValueError(f"z_loss must be a finite number >= 0 (the z-loss weight λ); got {z_loss}")
    if softcap is not None:
        if isinstance(softcap, bool) or not isinstance(softcap, numbers.Real):
            raise TypeError(f"softcap must be None or a real number > 0 (the cap c); got {softcap!r}")
        if not (math.isfinite(softcap) and softcap > 0):
            raise ValueError(f"softcap must be None or a finite number > 0 (the cap c); got {softcap}")
        softcap = float(softcap)
    return float(z_loss), softcap


def _check_no_class_weight(batch: _Batch) -> None:
    """The z-loss and soft-cap path has no class weights yet: refuse, never ignore them."""
    if batch.class_weight is not None:
        raise ValueError(
            "ce_weight cannot be combined with z_loss or softcap yet; "
            "use one or the other (or categorical_cross_entropy on the logits)"
        )


def _capped_loss_and_grads(batch: _Batch, z_loss: float, softcap, chunk_size, want_grads: bool):
    r"""Loss (and gradients) with Liger Kernel's ``softcap`` and ``lse_square_scale``.

    One chunk of rows at a time, with all V of its logits: ``z = h W^T + b``; with a cap
    ``t = tanh(z / c)`` and ``z <- c t``; ``lse = LSE(z)``; the row's loss
    ``(1 - eps)(lse - z_y) + eps (lse - mean(z)) + λ lse²``; its logits' gradient
    ``s ((1 + 2 λ lse) softmax(z) - eps / V - (1 - eps) onehot(y))``, times ``1 - t²``
    with a cap. Returns the reduced loss, and with ``want_grads`` ``(loss, grads)``.
    """
    h, w, b, y = batch.h, batch.weight, batch.bias, batch.target
    n, n_classes = h.shape[0], w.shape[0]
    eps = batch.smoothing
    dtype = h.dtype
    per_row = np.empty(n, dtype)
    if want_grads:
        d_h = np.empty_like(h)
        d_w = np.zeros_like(w)
        d_b = None if b is None else np.zeros_like(b)
    chunk = _linear_chunks.rows_per_chunk(n, n_classes, h.itemsize, chunk_size)
    for r0 in range(0, n, chunk):
        rows = slice(r0, min(r0 + chunk, n))
        with np.errstate(over="ignore", invalid="ignore"):
            z = h[rows] @ w.T  # (rows, V): one chunk of logits
            if b is not None:
                z += b
        if not np.isfinite(z).all():
            raise _linear_chunks._overflow_error(dtype)
        if softcap is not None:
            t = np.tanh(z / dtype.type(softcap))
            z = dtype.type(softcap) * t
        m = z.max(axis=1)
        e = np.exp(z - m[:, None])
        total = e.sum(axis=1)
        lse = m + np.log(total)
        local = np.arange(z.shape[0])
        loss = (1 - eps) * (lse - z[local, y[rows]])
        if eps > 0:
            loss += eps * (lse - z.mean(axis=1))
        per_row[rows] = loss + z_loss * lse * lse
        if not want_grads:
            continue
        s = batch.per_row
        g = e * (s * (1 + 2 * z_loss * lse) / total).astype(dtype)[:, None]
        if eps > 0:
            g -= dtype.type(s * eps / n_classes)
        g[local, y[rows]] -= dtype.type(s * (1 - eps))
        if softcap is not None:
            g *= 1 - t * t  # the chain rule through c tanh(z / c)
        d_h[rows] = g @ w
        d_w += g.T @ h[rows]
        if d_b is not None:
            d_b += g.sum(axis=0)
    loss = _reduce_rows(batch, per_row)
    if not want_grads:
        return loss
    if batch.rows is not None:  # ignored rows get no gradient
        full = np.zeros((batch.n_rows, h.shape[1]), dtype)
        full[batch.rows] = d_h
        d_h = full
    grads = (d_h.reshape(batch.hidden_shape), d_w)
    if d_b is not None:
        grads += (d_b,)
    return loss, grads


def _reduce_rows(batch: _Batch, per_row: np.ndarray):
    """The losses of the rows that count, reduced as ``batch.reduction`` says: ``"none"``
    puts them back among all N rows (0 for an ignored one), ``"mean"`` divides the sum by
    the rows that count (or their class weights' sum), 0 / 0 giving NaN as in torch."""
    if batch.reduction == "none":
        full = per_row
        if batch.rows is not None:
            full = np.zeros(batch.n_rows, per_row.dtype)
            full[batch.rows] = per_row
        return to_python_scalar(full.reshape(batch.batch_shape))
    total = float(per_row.sum(dtype=np.float64))
    if batch.reduction == "sum":
        return total
    with np.errstate(invalid="ignore", divide="ignore"):
        return float(np.float64(total) / np.float64(batch.mean_denominator))
