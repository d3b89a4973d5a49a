"""Cross-entropy losses with PyTorch's semantics, argument names and defaults.

``torch.nn.functional`` is the reference: ``binary_cross_entropy``,
``binary_cross_entropy_with_logits``, ``cross_entropy`` (here
``categorical_cross_entropy``) and ``nll_loss`` give the same numbers, including the
weighted-mean rule, ``ignore_index``, label smoothing and the clamp of BCE's log at -100.
Where PyTorch returns NaN for a well-defined value (``0 * log 0`` in a probability
target), these return the value; where the input is wrong, they raise a ``ValueError``
or ``TypeError`` that names the argument.

What every loss accepts, as torch does: array-likes and torch tensors (also with
``requires_grad=True``), float16 (computed in float32, ``"none"`` results in float16),
float32 and float64 (kept as they are), and empty batches (a sum of 0, a mean of NaN, an
empty ``"none"``). Weights must be finite. Where these deviate from torch on purpose:
masked arrays with masked entries are refused (fill them, or use ``ignore_index``), a
probability target must sum to 1 (to its dtype's precision), and a ``-inf`` logit with a
BCE target of 0 costs 0 where torch gives NaN.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from . import _middle_axis, _rowwise
from ._validation import (
    as_array,
    as_class_indices,
    as_class_weight,
    as_float_array,
    as_real_array,
    broadcast_to,
    check_distribution,
    check_finite,
    check_ignore_index,
    check_in_unit_interval,
    check_no_pos_inf,
    check_reduction,
    check_same_shape,
    check_unit_scalar,
    to_output,
)
from .activations import log_softmax

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "categorical_cross_entropy",
    "nll_loss",
]

# PyTorch's BCELoss clamps log(p) and log(1 - p) at -100, so that a confident mistake
# (p exactly 0 or 1) costs 100 nats instead of inf.
BCE_LOG_CLAMP = -100.0


def _reduce(per_element: np.ndarray, reduction: str, denominator=None, out_dtype=None):
    """Apply ``reduction``; the mean divides by ``denominator`` (default: the count).

    An empty batch sums to 0 and has a mean of NaN (0 / 0), as in PyTorch. ``"none"``
    returns the array in ``out_dtype`` (float16 in, float16 out).
    """
    if reduction == "none":
        return per_element if out_dtype is None else to_output(per_element, out_dtype)
    count = per_element.size if denominator is None else denominator
    return _reduce_total(per_element.sum(dtype=np.float64), reduction, count)


def _reduce_total(total, reduction: str, count):
    """The ``"sum"`` (``total``) or ``"mean"`` (``total / count``) as a Python float."""
    if reduction == "sum":
        return float(total)
    if count == 0:
        # 0 / 0: an empty batch, every row ignored, or weights that sum to 0 over the
        # targets (where PyTorch's weighted mean is NaN too, label smoothing or not).
        return math.nan
    return float(np.float64(total) / np.float64(count))


# --------------------------------------------------------------------------- binary


def binary_weights(weight, pos_weight, shape, dtype):
    """Finite weights broadcast to ``shape``: an infinite weight would make the loss inf/NaN."""
    w = None
    if weight is not None:
        w = as_float_array(weight, "weight", allow_empty=True)
        check_finite(w, "weight")
        w = broadcast_to(w.astype(dtype), shape, "weight", "input")
    pw = None
    if pos_weight is not None:
        pw = as_float_array(pos_weight, "pos_weight", allow_empty=True)
        check_finite(pw, "pos_weight")
        pw = broadcast_to(pw.astype(dtype), shape, "pos_weight", "logits")
    return w, pw


def binary_inputs(x, target, x_name):
    """``(x, t, out_dtype)``: the input and the target in one compute dtype."""
    x, out_dtype = as_real_array(x, x_name)
    t, _ = as_real_array(target, "target")
    check_same_shape(x, t, x_name, "target")
    check_in_unit_interval(t, "target")
    return x, t.astype(x.dtype, copy=False), out_dtype


def binary_cross_entropy(probs, target, weight=None, reduction="mean"):
    r"""Binary cross-entropy between predicted probabilities and targets in [0, 1].

    Parameters
    ----------
    probs : array_like
        Predicted probabilities of the positive class, in [0, 1]; any shape (empty too).
    target : array_like
        Targets in [0, 1] (usually 0 or 1), same shape as ``probs``.
    weight : array_like, optional
        A finite weight per element, broadcast to ``probs``'s shape (not normalised by
        the mean).
    reduction : {"mean", "sum", "none"}
        ``"mean"`` averages over all elements, ``"sum"`` adds them, ``"none"`` returns them.

    Returns
    -------
    float or ndarray
        A Python ``float`` (NaN for the mean of an empty batch, 0 for its sum), or an
        array of ``probs``'s shape and dtype for ``"none"`` (float16 in, float16 out).

    Notes
    -----
    .. math:: \ell = -w \left[ t \log p + (1 - t) \log (1 - p) \right]

    As in PyTorch's ``BCELoss``, each log is clamped at -100 (``BCE_LOG_CLAMP``), so a
    prediction of exactly 0 or 1 that is wrong costs 100 nats, not ``inf``. Prefer
    :func:`binary_cross_entropy_with_logits`, which needs no clamp.

    Examples
    --------
    >>> t = [0, 1, 1, 0, 0, 1, 1]
    >>> p = [0.07, 0.91, 0.74, 0.23, 0.85, 0.17, 0.94]
    >>> binary_cross_entropy(p, t, reduction="sum")
    4.460303459760249
    >>> binary_cross_entropy([0.0], [1.0])
    100.0
    """
    reduction = check_reduction(reduction)
    p, t, out_dtype = binary_inputs(probs, target, "probs")
    check_in_unit_interval(p, "probs")
    w, _ = binary_weights(weight, None, p.shape, p.dtype)
    clamp = p.dtype.type(BCE_LOG_CLAMP)
    with np.errstate(divide="ignore"):
        log_p = np.maximum(np.log(p), clamp)
        log_1mp = np.maximum(np.log1p(-p), clamp)
    loss = -(t * log_p + (1 - t) * log_1mp)
    if w is not None:
        loss = loss * w
    return _reduce(loss, reduction, out_dtype=out_dtype)


def binary_cross_entropy_with_logits(
    logits, target, weight=None, pos_weight=None, reduction="mean"
):
    r"""Binary cross-entropy from logits: ``sigmoid`` and the log in one exact formula.

    Parameters
    ----------
    logits : array_like
        Logits of the positive class (finite, or ``-inf`` for a certain negative); any
        shape (empty too).
    target : array_like
        Targets in [0, 1], same shape as ``logits``.
    weight : array_like, optional
        A finite weight per element, broadcast to ``logits``'s shape.
    pos_weight : array_like, optional
        A finite weight on the positive term, broadcast along the last axis (one per
        class): ``pos_weight = n_negative / n_positive`` balances an imbalanced class.
    reduction : {"mean", "sum", "none"}
        As in :func:`binary_cross_entropy`.

    Returns
    -------
    float or ndarray
        As in :func:`binary_cross_entropy`.

    Notes
    -----
    With :math:`\operatorname{softplus}(x) = \log(1 + e^{x}) = -\log(1 - \sigma(x))`,

    .. math:: \ell = w \left[ (1 - t)\,\operatorname{softplus}(x)
              + p_w\, t\, \operatorname{softplus}(-x) \right]

    which is :math:`-w\,[p_w t \log \sigma(x) + (1 - t) \log(1 - \sigma(x))]`; without
    ``pos_weight`` it is the familiar :math:`\max(x, 0) - x t + \log(1 + e^{-|x|})`.
    Each softplus is computed as :math:`\max(\pm x, 0) + \log(1 + e^{-|x|})`: ``exp`` only
    sees non-positive arguments, ``log1p`` keeps the digits of tiny terms, and the two terms
    of the loss are never subtracted, so the loss is exact even at :math:`|x| = 10^4`
    (where ``log(sigmoid(x))`` gives ``-inf``) and for a confident right answer like
    ``x = -100, t = 0`` (3.7e-44, where ``max(x, 0) - x t + ...`` cancels to 0).
    A ``-inf`` logit costs 0 with target 0 and ``inf`` with any positive target.

    Examples
    --------
    >>> bool(binary_cross_entropy_with_logits([0.0], [1.0]) == np.log(2))
    True
    >>> binary_cross_entropy_with_logits([-1e4, 1e4], [1.0, 0.0], reduction="none")
    array([10000., 10000.])
    """
    reduction = check_reduction(reduction)
    x, t, out_dtype = binary_inputs(logits, target, "logits")
    check_no_pos_inf(x, "logits")
    w, pw = binary_weights(weight, pos_weight, x.shape, x.dtype)
    log1p_exp = np.log1p(np.exp(-np.abs(x)))
    softplus_x = np.maximum(x, 0) + log1p_exp  # -log(1 - sigmoid(x)); 0 at x = -inf
    softplus_neg_x = np.maximum(-x, 0) + log1p_exp  # -log(sigmoid(x)); inf at x = -inf
    neg_coef = 1 - t
    pos_coef = t if pw is None else pw * t
    with np.errstate(invalid="ignore"):  # 0 * inf at x = -inf: a term whose weight is 0
        loss = np.where(neg_coef == 0, 0, neg_coef * softplus_x) + np.where(
            pos_coef == 0, 0, pos_coef * softplus_neg_x
        )
    if w is not None:
        loss = loss * w
    return _reduce(loss, reduction, out_dtype=out_dtype)


# ----------------------------------------------------------------------- categorical


@dataclass
class ClassLayout:
    """Logits with the classes on dim 1, and the kernels that work on them.

    PyTorch's shapes: ``(C,)`` for one sample, ``(N, C)`` for a batch, and
    ``(N, C, d1, ..., dk)`` for a batch of K-dimensional samples (a sequence model's
    ``(batch, vocab, time)``, an image's ``(N, C, H, W)``), whose class-index targets have
    the shape ``(N, d1, ..., dk)``. There are ``M = N * d1 * ... * dk`` positions, each
    with a distribution over the C classes. The row kernels (:mod:`._rowwise`) see them
    as ``(M, C)`` rows; K-dimensional logits with enough positions per sample are worked
    on where they are, as ``(N, C, D)`` (:mod:`._middle_axis`), without moving the classes.
    """

    z: np.ndarray  # the validated logits, in the caller's shape and the compute dtype
    out_dtype: np.dtype  # the dtype of array results (float16 in, float16 out)

    @property
    def shape(self) -> tuple:
        return self.z.shape

    @property
    def single(self) -> bool:
        return self.z.ndim == 1

    @property
    def class_axis(self) -> int:
        return 0 if self.single else 1

    @property
    def n_classes(self) -> int:
        return self.shape[self.class_axis]

    @property
    def batch_shape(self) -> tuple:
        """The shape of class-index targets, and of the loss for ``reduction="none"``."""
        return () if self.single else (self.shape[0], *self.shape[2:])

    @property
    def n_positions(self) -> int:
        return math.prod(self.batch_shape)

    @property
    def middle_axis(self) -> bool:
        """K-dim logits worked on in place: enough positions per sample to be worth it."""
        return self.z.ndim > 2 and self.n_positions // max(self.shape[0], 1) >= (
            _middle_axis.MIN_COLUMNS
        )

    @cached_property
    def rows(self) -> np.ndarray:
        """The logits as ``(M, C)`` rows, classes last, C-contiguous (K-dim: a copy)."""
        return self.to_rows(self.z)

    @cached_property
    def kernels(self):
        """The index-target kernels for this layout (``_rowwise.RowLogits`` or its twin)."""
        if self.middle_axis:
            n, c = self.shape[:2]
            return _middle_axis.MiddleAxisLogits(np.ascontiguousarray(self.z).reshape(n, c, -1))
        return _rowwise.RowLogits(self.rows)

    def to_rows(self, arr: np.ndarray) -> np.ndarray:
        """An array of the logits' shape as ``(M, C)`` rows (classes last, C-contiguous)."""
        if arr.ndim > 2:
            arr = np.moveaxis(arr, 1, -1)
        return np.ascontiguousarray(arr).reshape(-1, self.n_classes)

    def from_rows(self, rows: np.ndarray) -> np.ndarray:
        """``(M, C)`` rows (a gradient) back in the logits' shape and output dtype."""
        if len(self.shape) > 2:
            rows = np.moveaxis(rows.reshape(*self.batch_shape, self.n_classes), -1, 1)
            rows = np.ascontiguousarray(rows)
        return to_output(rows.reshape(self.shape), self.out_dtype)

    def from_kernels(self, grad: np.ndarray) -> np.ndarray:
        """A gradient made by :attr:`kernels` in the logits' shape and output dtype."""
        if self.middle_axis:
            return to_output(grad.reshape(self.shape), self.out_dtype)
        return self.from_rows(grad)

    def per_position(self, per_row: np.ndarray):
        """Per-row losses as ``reduction="none"`` returns them: the targets' shape."""
        if self.single:
            return float(per_row[0])
        return to_output(per_row.reshape(self.batch_shape), self.out_dtype)


def class_layout(logits, name="logits", *, check_nan=True) -> ClassLayout:
    """Validated logits (or log-probabilities) of any of PyTorch's shapes.

    ``check_nan=False`` leaves the NaN check to the index-target kernels, which raise the
    same error from their pass over the logits.
    """
    z, out_dtype = as_real_array(logits, name, check_nan=check_nan)
    if z.ndim == 0:
        raise ValueError(
            f"{name} must have shape (C,), (N, C) or (N, C, d1, ..., dk) with the classes "
            f"on dim 1; got a scalar ({z.item()!r})"
        )
    layout = ClassLayout(z, out_dtype)
    if layout.n_classes == 0 and layout.n_positions > 0:  # an empty batch is fine
        raise ValueError(
            f"{name} is empty along its class axis (dim {layout.class_axis}) of shape "
            f"{z.shape}: expected at least one class"
        )
    return layout


def logits_as_rows(logits, name="logits"):
    """``(rows, single)``: the ``(M, C)`` rows of :func:`class_layout`, and whether the
    logits were one ``(C,)`` sample (kept for code written against the 2-D version)."""
    layout = class_layout(logits, name)
    return layout.rows, layout.single


def check_logit_rows(z: np.ndarray) -> None:
    """Rows of logits for a dense softmax: no ``+inf``, and a finite logit in every row.

    (The index-target kernels in :mod:`._rowwise` make these checks as they go.)
    """
    check_no_pos_inf(z, "logits")
    if z.size and np.isneginf(z.max(axis=1)).any():
        raise ValueError(
            "logits has a row whose entries are all -inf: no class is possible, "
            "so the loss is undefined"
        )


def is_probability_target(target) -> bool:
    """Float targets are class probabilities; integer targets are class indices (as in torch)."""
    return as_array(target, "target").dtype.kind == "f"


def probability_target(target, layout: ClassLayout, ignore_index: int, smoothing: float):
    """Validated (and label-smoothed) probability targets, as the logits' ``(M, C)`` rows.

    The rows must sum to 1 to the precision the target was given in (a float32 softmax
    as the target of float64 logits sums to 1 only to float32's precision).
    """
    if ignore_index != -100:
        raise ValueError(
            "ignore_index is only for class-index targets; target holds class probabilities, "
            f"so leave ignore_index at its default (-100), got {ignore_index}"
        )
    t, given_dtype = as_real_array(target, "target")
    if t.size == 0 and layout.n_positions > 0:
        raise ValueError(
            f"target is empty; expected class indices of shape {layout.batch_shape} or class "
            f"probabilities of the logits' shape {layout.shape}"
        )
    if t.shape != layout.shape:
        hint = ""
        if t.shape == layout.batch_shape:
            hint = " (class indices must be integers: use target.astype(int))"
        raise ValueError(
            f"target of class probabilities must have the logits' shape {layout.shape}; "
            f"got {t.shape}{hint}"
        )
    check_distribution(t, "target", axis=layout.class_axis, given_dtype=given_dtype)
    t = layout.to_rows(t.astype(layout.z.dtype, copy=False))
    if smoothing > 0:
        t = t * (1 - smoothing) + smoothing / layout.n_classes
    return t


@dataclass
class IndexTarget:
    """Class-index targets with everything the loss and its gradient need per row."""

    index: np.ndarray  # target class, 0 where the row is ignored (a safe gather index)
    valid: np.ndarray  # False for rows whose target is ignore_index
    weight: np.ndarray | None  # class weights, shape (C,)
    dtype: np.dtype  # the logits' compute dtype, that of row_weight
    all_valid: bool  # no row is ignored

    @classmethod
    def build(cls, target, layout: ClassLayout, weight, ignore_index: int):
        n_rows, n_classes = layout.n_positions, layout.n_classes
        if layout.single:
            target = as_array(target, "target")
            target = target.reshape(1) if target.ndim == 0 else target
            t = as_class_indices(target, "target", 1, n_classes, ignore_index)
        elif len(layout.shape) == 2:
            t = as_class_indices(target, "target", n_rows, n_classes, ignore_index)
        else:
            t = as_class_indices(
                target, "target", n_rows, n_classes, ignore_index, shape=layout.batch_shape
            ).reshape(-1)
        valid = t != ignore_index
        all_valid = bool(valid.all())
        index = t if all_valid else np.where(valid, t, 0)  # t is only read
        w = as_class_weight(weight, n_classes, layout.z.dtype)
        return cls(index, valid, w, layout.z.dtype, all_valid)

    @cached_property
    def row_weight(self) -> np.ndarray:
        """The weight of each row's target class, 0 for ignored rows."""
        if self.weight is None:
            return self.valid.astype(self.dtype)
        return np.where(self.valid, self.weight[self.index], 0).astype(self.dtype)

    @cached_property
    def denominator(self) -> float:
        """What "mean" divides by: the sum of the rows' weights (torch's rule)."""
        if self.weight is None:
            return float(np.count_nonzero(self.valid))
        return float(self.row_weight.sum(dtype=np.float64))


# A row's loss log(1 + r) below this is refined (see ``confident_rows``): there the
# rounding of 1 + r would cost relative accuracy (all of it, once r < machine epsilon).
_REFINE_BELOW = 0.1


def confident_rows(kernels, target: IndexTarget, lse_parts):
    """Positions whose loss is small (so their target is the largest logit), with ``r``.

    ``lse_parts`` is ``(shift, log_sum)``: ``logsumexp = shift + log_sum``, with ``shift``
    the row max or 0 (see :mod:`._rowwise`). A loss below 0.1 means ``q_y > 0.9``, so the
    target is the largest logit and the loss is ``log(1 + r)`` with
    ``r = sum_{c != y} exp(z_c - z_y)``, where the rounding of ``1 + r`` loses the digits
    of ``r`` (``log(1 + 3.7e-44)`` is 0). The loss and gradient of these positions are
    recomputed from ``r`` itself, which costs one extra pass over them only. Returns
    ``(rows, r, target_logit)``; ``r`` is None when no position is confident.
    """
    shift, log_sum = lse_parts
    target_logit = kernels.target_logits(target.index)
    with np.errstate(invalid="ignore"):
        loss = log_sum - (target_logit - shift)
    rows = np.flatnonzero(target.valid & (loss < _REFINE_BELOW))
    if rows.size == 0:
        return rows, None, target_logit
    return rows, kernels.others_sum(rows, target.index, target_logit), target_logit


def refine_log_sum(lse_parts, rows, r, target_logit):
    """``lse_parts`` with ``log1p(r)`` in place of ``log(1 + r)`` for ``confident_rows``.

    The refined positions are shifted by their target logit (their max), so that
    ``log_sum - (z[y] - shift)`` is exactly ``log1p(r)``.
    """
    if r is None:
        return lse_parts
    shift, log_sum = lse_parts
    shift, log_sum = shift.astype(np.float64), log_sum.astype(np.float64)  # copies
    shift[rows] = target_logit[rows]
    log_sum[rows] = np.log1p(r)
    return shift, log_sum


def index_target_loss(
    kernels, lse_parts, target_logit, target: IndexTarget, reduction, smoothing, layout
):
    """The loss from each position's logsumexp: ``w[y] * (lse - z[y])``, plus smoothing.

    ``lse_parts`` is ``(shift, log_sum)`` from the layout's kernels, refined by
    :func:`refine_log_sum`. With label smoothing, ``shift`` must be the row max
    (``kernels.logsumexp_parts(with_max=True)``).
    """
    dtype = layout.z.dtype
    n_classes = layout.n_classes
    row_max, log_sum = lse_parts
    with np.errstate(invalid="ignore"):
        # log_sum - (z[y] - max) is -log_softmax(z)[y], rounded as PyTorch rounds it.
        neg_log_q = log_sum - (target_logit - row_max)
        nll = np.where(target.valid, target.row_weight * neg_log_q, 0).astype(dtype)
    per_row = nll
    if smoothing > 0:
        # -sum_c w_c log q_c, the loss against the uniform distribution (ignored rows: 0)
        # = sum_c w_c (lse - z_c), as sum_c w_c (max - z_c) + log_sum * sum_c w_c: two terms
        # >= 0, so nothing cancels, and the shift by the max alone is exact where
        # max + log_sum would round (by 5e-4 at logits of 1e4 in float32).
        total_weight = n_classes if target.weight is None else target.weight.sum(dtype=np.float64)
        smooth = log_sum * total_weight - kernels.weighted_sum_shifted(row_max, target.weight)
        smooth = np.where(target.valid, smooth, 0).astype(dtype)
        per_row = (1 - smoothing) * nll + (smoothing / n_classes) * smooth
    if reduction == "none":
        return layout.per_position(per_row)
    return _reduce(per_row, reduction, target.denominator)


def takes_fused_index_path(layout: ClassLayout, smoothing: float) -> bool:
    """Whether the one-pass middle-axis kernel computes this loss (a speed path only).

    float32 K-dimensional logits with few classes a position (a segmentation model's
    ``(N, C, H, W)``) and no label smoothing: there the steps of the generic path, each a
    pass over the per-position arrays, cost more than the sums themselves.
    """
    return (
        smoothing == 0
        and layout.middle_axis
        and layout.z.dtype == np.float32
        and layout.n_classes <= _middle_axis.FUSED_MAX_CLASSES
    )


def fused_index_loss(layout: ClassLayout, target: IndexTarget, reduction, grad_scale=None):
    """``(loss, grad)`` from ``MiddleAxisLogits.index_loss_and_grad``: what
    ``logsumexp_parts``, ``confident_rows`` and ``index_target_loss`` (and the gradient
    kernel) compute, in one pass over the logits. ``grad`` is None without ``grad_scale``."""
    valid = None if target.all_valid else target.valid
    row_weight = None if target.weight is None else target.row_weight
    per_position = reduction == "none"
    loss, grad = layout.kernels.index_loss_and_grad(
        target.index, valid, row_weight, grad_scale, per_position
    )
    if per_position:
        return layout.per_position(loss), grad
    return _reduce_total(loss, reduction, target.denominator), grad


def categorical_cross_entropy(
    logits, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0
):
    r"""Cross-entropy of softmax(logits) against class indices or class probabilities.

    The same as ``torch.nn.functional.cross_entropy``: it takes logits, not probabilities,
    in any of its shapes, with the classes on dim 1.

    Parameters
    ----------
    logits : array_like
        Shape ``(N, C)``; ``(C,)`` for one sample; or ``(N, C, d1, ..., dk)`` for K
        dimensions per sample, such as a sequence model's ``(batch, vocab, time)``, taken
        as it is. Finite, or ``-inf`` for an impossible class (at least one finite logit
        per position). float16 is computed in float32 and returned as float16. A PyTorch
        tensor is read as its values (``requires_grad`` is fine).
    target : array_like
        Either integer class indices of shape ``(N,)`` (a scalar for one sample;
        ``(N, d1, ..., dk)`` for K-dimensional logits), or float class probabilities of the
        logits' shape, summing to 1 along dim 1 (to the precision of their dtype).
    weight : array_like, optional
        One finite weight per class, shape ``(C,)``.
    ignore_index : int, optional
        Positions whose target index equals it add nothing and do not count in the mean
        (padding). Only for index targets.
    reduction : {"mean", "sum", "none"}
        ``"mean"`` divides the sum by the sum of the targets' weights (the count without
        ``weight``, ignored positions left out) for index targets, and by the number of
        positions for probability targets; ``"none"`` returns the per-position losses.
    label_smoothing : float, optional
        In [0, 1]: the target becomes ``(1 - ε) · onehot + ε / C``.

    Returns
    -------
    float or ndarray
        A Python ``float``; for ``"none"`` an array of the index target's shape (``(N,)``,
        ``(N, d1, ..., dk)``) in the logits' dtype, or a ``float`` for one sample.
        An empty batch (``N = 0``, or a trailing dimension of size 0) sums to 0, has a
        mean of NaN and an empty ``"none"``, as in PyTorch; so does a mean whose
        denominator is 0 (every position ignored, or weights that are 0 at every target).

    Notes
    -----
    With :math:`\log q = \mathrm{log\_softmax}(z)` and :math:`\ell_i` the row loss,

    .. math:: \ell_i = -\sum_c w_c\, y_{ic} \log q_{ic}
              \qquad (\text{index targets: } \ell_i = -w_{y_i} \log q_{i, y_i})

    With label smoothing on index targets, as in PyTorch:
    :math:`\ell_i = (1 - \varepsilon)\,w_{y_i}(-\log q_{i,y_i})
    + \frac{\varepsilon}{C} \sum_c w_c (-\log q_{ic})`, and the weighted mean divides both
    parts by :math:`\sum_i w_{y_i}`.

    K-dimensional logits are the same loss at every position: ``(N, C, T)`` logits with
    ``(N, T)`` targets give what ``(N * T, C)`` rows (the classes moved last) with the
    flattened targets give, with ``"none"`` shaped ``(N, T)``.

    For index targets no one-hot matrix and no (N, C) log-probability array is built: each
    row's loss is :math:`\operatorname{LSE}(z_i) - z_{i, y_i}`, computed in cache-sized chunks
    (:mod:`._rowwise`; K-dimensional logits where they are, :mod:`._middle_axis`). float64
    shifts by the row max as PyTorch's ``log_softmax`` does, and agrees with it to the last
    bit or two; float32 (and float16) sums :math:`e^{z}` unshifted, which saves two passes
    over the logits, redoes with the shift only the rows where that overflows or
    underflows, and takes the log in float64: as accurate, but it may differ from torch's
    float32 result in the last bit. A confident right answer (a loss below 0.1, so the
    target is the largest logit) is recomputed as :math:`\log(1 + r)` with ``log1p``,
    ``r`` the other classes' sum of :math:`e^{z_c - z_y}`: ``[100, 0]`` with target 0
    costs 3.7e-44, not 0. float32 K-dimensional logits with few classes (a segmentation
    model's ``(N, C, H, W)``) and no label smoothing do all these steps in one pass over
    the logits, tile by tile (``_middle_axis.MiddleAxisLogits.index_loss_and_grad``).

    Examples
    --------
    >>> logits = [[9.7785, 0.9195, 2.10], [3.133, -3.05, 1.02], [0.12, 0.432518, 0.470]]
    >>> categorical_cross_entropy(logits, [0, 0, 2])
    0.36594851568931047
    >>> bool(categorical_cross_entropy([[0.0, 0.0]], [[0.5, 0.5]]) == np.log(2))
    True
    >>> categorical_cross_entropy([[0.0, 0.0], [5.0, 0.0]], [1, -100], reduction="none")
    array([0.69314718, 0.        ])

    A batch of 2 sequences of 3 steps over 4 classes, ``(batch, classes, time)``:

    >>> z = np.zeros((2, 4, 3))
    >>> categorical_cross_entropy(z, [[0, 1, 2], [3, 3, -100]], reduction="none").round(4)
    array([[1.3863, 1.3863, 1.3863],
           [1.3863, 1.3863, 0.    ]])
    """
    reduction = check_reduction(reduction)
    smoothing = check_unit_scalar(label_smoothing, "label_smoothing")
    ignore_index = check_ignore_index(ignore_index)
    target = as_array(target, "target")
    index_target = not is_probability_target(target)
    layout = class_layout(logits, check_nan=not index_target)
    if not index_target:
        z = layout.rows
        t = probability_target(target, layout, ignore_index, smoothing)
        w = as_class_weight(weight, layout.n_classes, z.dtype)
        check_logit_rows(z)
        log_q = log_softmax(z, axis=1)
        wt = t if w is None else t * w
        with np.errstate(invalid="ignore"):
            per_row = -np.where(wt == 0, 0, wt * log_q).sum(axis=1)  # 0 * log 0 = 0
        if reduction == "none":
            return layout.per_position(per_row)
        return _reduce(per_row, reduction, z.shape[0])
    target = IndexTarget.build(target, layout, weight, ignore_index)
    if takes_fused_index_path(layout, smoothing):  # the same steps, fused for speed
        return fused_index_loss(layout, target, reduction)[0]
    kernels = layout.kernels
    # The smoothing term sums z_c - max, so it needs each row's max.
    lse_parts = kernels.logsumexp_parts(with_max=smoothing > 0)
    rows, r, target_logit = confident_rows(kernels, target, lse_parts)
    lse_parts = refine_log_sum(lse_parts, rows, r, target_logit)
    return index_target_loss(kernels, lse_parts, target_logit, target, reduction, smoothing, layout)


def nll_loss(log_probs, target, weight=None, ignore_index=-100, reduction="mean"):
    r"""Negative log-likelihood of class indices, given log-probabilities.

    ``categorical_cross_entropy(z, y)`` is ``nll_loss(log_softmax(z, axis=1), y)``; this is
    the second half, as in ``torch.nn.functional.nll_loss``.

    Parameters
    ----------
    log_probs : array_like
        Log-probabilities with the classes on dim 1: shape ``(N, C)``, ``(C,)`` or
        ``(N, C, d1, ..., dk)``; ``-inf`` for probability 0.
    target : array_like of int
        Class indices, shape ``(N,)`` (a scalar for one sample; ``(N, d1, ..., dk)`` for
        K-dimensional input).
    weight : array_like, optional
        One finite weight per class, shape ``(C,)``.
    ignore_index : int, optional
        Positions with this target add nothing and do not count in the mean.
    reduction : {"mean", "sum", "none"}
        The mean divides by the sum of the targets' weights.

    Returns
    -------
    float or ndarray
        As in :func:`categorical_cross_entropy` (empty batches too).

    Notes
    -----
    .. math:: \ell_i = -w_{y_i} \log q_{i, y_i}

    Examples
    --------
    >>> probs = np.array([[0.1, 0.3, 0.6], [0.2, 0.3, 0.5]])
    >>> nll_loss(np.log(probs), [0, 2], reduction="none")
    array([2.30258509, 0.69314718])
    """
    reduction = check_reduction(reduction)
    ignore_index = check_ignore_index(ignore_index)
    layout = class_layout(log_probs, "log_probs")
    if layout.z.size and np.isposinf(layout.z.max()):
        raise ValueError("log_probs contains +inf; expected log-probabilities (<= 0) or -inf")
    target = IndexTarget.build(target, layout, weight, ignore_index)
    picked = layout.kernels.target_logits(target.index)
    with np.errstate(invalid="ignore"):
        per_row = np.where(target.valid, -target.row_weight * picked, 0).astype(layout.z.dtype)
    if reduction == "none":
        return layout.per_position(per_row)
    return _reduce(per_row, reduction, target.denominator)
