r"""Distillation: a student learns from a teacher's soft targets.

A **teacher** model's probabilities ``softmax(t / T)`` carry more than its top answer:
how sure it is, and which wrong classes are plausible. A **student** is trained to match
them by minimising the KL divergence of lesson 02, at a temperature :math:`T` that
softens both distributions (Hinton, Vinyals and Dean, 2015):

.. math:: L = T^2 \cdot \frac{1}{N}\sum_{i=1}^{N}
          D_{KL}\bigl(\mathrm{softmax}(t_i / T) \,\big\|\, \mathrm{softmax}(s_i / T)\bigr)

with :math:`s_i` the student's logits and :math:`t_i` the teacher's. :func:`kl_div` is
``torch.nn.functional.kl_div``, with its argument order (the *student's log-probabilities*
first, the teacher's probabilities second) and its reductions.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ._validation import (
    as_float_array,
    check_bool,
    check_in_unit_interval,
    check_no_pos_inf,
    check_positive_scalar,
    check_same_shape,
    check_unit_scalar,
)
from .activations import log_softmax, softmax
from .information import kl_divergence
from .losses import logits_as_rows

__all__ = [
    "distillation_loss",
    "distillation_loss_grad",
    "fit_gaussian_kl",
    "gaussian_on_grid",
    "generalized_jsd",
    "kl_div",
]

KL_REDUCTIONS = ("none", "batchmean", "sum", "mean")


def _check_kl_reduction(reduction) -> str:
    if not isinstance(reduction, str) or reduction not in KL_REDUCTIONS:
        raise ValueError(f"reduction must be one of {KL_REDUCTIONS}; got {reduction!r}")
    return reduction


def _reduce_kl(pointwise: np.ndarray, reduction: str):
    if reduction == "none":
        return pointwise
    total = float(pointwise.sum(dtype=np.float64))
    if reduction == "sum":
        return total
    n = (pointwise.shape[0] if pointwise.ndim else 1) if reduction == "batchmean" else pointwise.size
    # "mean": over every element, N * C of them (not the KL); an empty batch gives NaN (0 / 0)
    return total / n if n else float("nan")


def kl_div(input, target, reduction="mean", log_target=False):
    r"""``torch.nn.functional.kl_div``: KL divergence with the model's log-probabilities first.

    Parameters
    ----------
    input : array_like
        **Log**-probabilities of the model (the student), e.g. ``log_softmax(s)``; each <= 0.
    target : array_like
        Probabilities of the reference (the teacher), the same shape; log-probabilities if
        ``log_target``.
    reduction : {"mean", "batchmean", "sum", "none"}, optional
        torch's default ``"mean"`` divides the sum by the number of **elements** (N * C),
        which is not the KL divergence; ``"batchmean"`` divides by the batch size N (the
        first axis) and gives the mean KL per sample, the one to use.
    log_target : bool, optional
        ``target`` holds log-probabilities.

    Returns
    -------
    float or ndarray
        ``"none"``: the pointwise terms, ``input``'s shape.

    Notes
    -----
    Pointwise, with :math:`p` the target and :math:`\log q` the input,

    .. math:: \ell = p\,(\log p - \log q), \qquad \sum_c \ell_c = D_{KL}(p \,\|\, q)

    so ``kl_div(log q, p)`` is :math:`D_{KL}(p \| q)`: the order is the reverse of the
    notation. A term with :math:`p = 0` is 0 (where torch gives NaN if also
    :math:`\log q = -\infty`).

    Examples
    --------
    >>> p, q = np.array([[0.5, 0.5]]), np.array([[0.9, 0.1]])
    >>> round(kl_div(np.log(q), p, reduction="batchmean"), 6)   # D_KL(p || q)
    0.510826
    >>> round(kl_div(np.log(q), p), 6)   # "mean" divides by N * C = 2 as well
    0.255413
    """
    reduction = _check_kl_reduction(reduction)
    log_target = check_bool(log_target, "log_target")
    log_q = as_float_array(input, "input", allow_empty=True)
    if log_q.size and (np.isposinf(log_q).any() or log_q.max() > 0):
        raise ValueError(
            "input must hold log-probabilities (<= 0), e.g. log_softmax(student_logits); got "
            f"a value of {log_q.max():.4g} (probabilities or logits instead of log-probabilities?)"
        )
    tgt = as_float_array(target, "target", allow_empty=True)
    check_same_shape(log_q, tgt, "input", "target")
    dtype = np.result_type(log_q, tgt)
    log_q, tgt = log_q.astype(dtype, copy=False), tgt.astype(dtype, copy=False)
    with np.errstate(divide="ignore", invalid="ignore"):
        if log_target:
            if tgt.size and tgt.max() > 0:
                raise ValueError("with log_target=True, target must hold log-probabilities (<= 0)")
            p = np.exp(tgt)
            pointwise = np.where(p == 0, 0.0, p * (tgt - log_q))
        else:
            check_in_unit_interval(tgt, "target")
            pointwise = np.where(tgt == 0, 0.0, tgt * (np.log(tgt) - log_q))
    return _reduce_kl(pointwise.astype(dtype, copy=False), reduction)


def _student_teacher(student_logits, teacher_logits):
    s, single_s = logits_as_rows(student_logits, "student_logits")
    t, single_t = logits_as_rows(teacher_logits, "teacher_logits")
    if single_s or single_t:
        raise ValueError(
            "student_logits and teacher_logits must have shape (N, C), one row per sample "
            "(for one sample, use shape (1, C))"
        )
    check_same_shape(s, t, "student_logits", "teacher_logits")
    for arr, name in ((s, "student_logits"), (t, "teacher_logits")):
        if not np.isfinite(arr).all():
            raise ValueError(f"{name} must be finite")
    dtype = np.result_type(s, t)
    return s.astype(dtype, copy=False), t.astype(dtype, copy=False)


# T**2 multiplies the loss: above this it would overflow even a loss of 1
_MAX_TEMPERATURE = 1e150


def _check_temperature(temperature) -> float:
    T = check_positive_scalar(temperature, "temperature")
    if T > _MAX_TEMPERATURE:
        raise ValueError(
            f"temperature must be at most {_MAX_TEMPERATURE:g} (the loss is multiplied by "
            f"T**2); got {T!r}"
        )
    return T


def distillation_loss(student_logits, teacher_logits, temperature=1.0, reduction="batchmean"):
    r"""Hinton's soft-target loss: :math:`T^2\, D_{KL}(\mathrm{softmax}(t/T) \,\|\, \mathrm{softmax}(s/T))`.

    Parameters
    ----------
    student_logits, teacher_logits : array_like, shape (N, C)
        Finite logits, one row per sample.
    temperature : float, optional
        :math:`T > 0`; above 1 it softens both distributions.
    reduction : {"batchmean", "sum", "mean", "none"}, optional
        As in :func:`kl_div` (here the default is ``"batchmean"``, the mean KL per sample).

    Returns
    -------
    float or ndarray

    Notes
    -----
    The same as ``T**2 * F.kl_div(F.log_softmax(s / T, dim=1), F.softmax(t / T, dim=1),
    reduction=reduction)``. The factor :math:`T^2` keeps the gradient's size independent of
    :math:`T` (see :func:`distillation_loss_grad`). The teacher is a constant: the loss
    differs from the cross-entropy against the soft targets only by :math:`T^2 H(\text{teacher})`.

    Examples
    --------
    >>> s, t = np.array([[1.0, 0.0, -1.0]]), np.array([[3.0, 0.0, 0.0]])
    >>> round(distillation_loss(s, t, temperature=1.0), 6)
    0.176848
    >>> distillation_loss(t, t, temperature=4.0)   # the student equals the teacher
    0.0
    """
    T = _check_temperature(temperature)
    reduction = _check_kl_reduction(reduction)
    s, t = _student_teacher(student_logits, teacher_logits)
    # The teacher's log-probabilities come straight from log_softmax (log_target=True), so a
    # tiny teacher probability keeps its digits instead of being logged after rounding.
    log_p = log_softmax(t, axis=1, temperature=T)
    kl = kl_div(log_softmax(s, axis=1, temperature=T), log_p, reduction, log_target=True)
    if reduction == "none":
        return kl * T**2
    if np.isnan(kl):
        return kl  # an empty batch's mean
    return float(max(kl, 0.0) * T**2)  # a sum of KLs is >= 0; rounding can dip a hair below


def distillation_loss_grad(
    student_logits, teacher_logits, temperature=1.0, reduction="batchmean", return_loss=False
):
    r"""Gradient of :func:`distillation_loss` with respect to the student's logits.

    Parameters
    ----------
    student_logits, teacher_logits, temperature, reduction
        As in :func:`distillation_loss`.
    return_loss : bool, optional
        Also return the loss (``(loss, grad)``).

    Returns
    -------
    ndarray or (float, ndarray)
        Shape (N, C). For ``"none"``, the gradient of the sum of the pointwise terms.

    Notes
    -----
    Lesson 06's :math:`q - y` at temperature :math:`T`: with :math:`q^T = \mathrm{softmax}(s/T)`
    and :math:`p^T = \mathrm{softmax}(t/T)`, the chain rule through :math:`s / T` adds a
    factor :math:`1/T`, so

    .. math:: \frac{\partial}{\partial s}\, D_{KL}(p^T \| q^T) = \frac{q^T - p^T}{T},
              \qquad \frac{\partial}{\partial s}\, T^2 D_{KL}(p^T \| q^T) = T\,(q^T - p^T)

    (per sample; ``"batchmean"`` divides by N). For large :math:`T`,
    :math:`q^T - p^T \approx ((s - \bar s) - (t - \bar t)) / (C T)`: without the
    :math:`T^2` the gradient shrinks like :math:`1/T^2`, with it it tends to
    :math:`((s - \bar s) - (t - \bar t)) / C`, the gradient of logit matching.

    Examples
    --------
    >>> s, t = np.array([[0.0, 0.0]]), np.array([[2.0, 0.0]])
    >>> distillation_loss_grad(s, t, temperature=1.0).round(4)
    array([[-0.3808,  0.3808]])
    """
    T = _check_temperature(temperature)
    reduction = _check_kl_reduction(reduction)
    return_loss = check_bool(return_loss, "return_loss")
    s, t = _student_teacher(student_logits, teacher_logits)
    grad = T * (softmax(s, axis=1, temperature=T) - softmax(t, axis=1, temperature=T))
    if reduction == "batchmean" and s.shape[0]:
        grad = grad / s.shape[0]
    elif reduction == "mean" and s.size:
        grad = grad / s.size
    grad = grad.astype(s.dtype, copy=False)
    if return_loss:
        return distillation_loss(s, t, T, reduction), grad
    return grad


# ------------------------------------------------------ generalised Jensen-Shannon

JSD_REDUCTIONS = ("batchmean", "sum", "none")


def _log_prob_rows(logits, name: str, T: float) -> np.ndarray:
    """``log_softmax(logits / T)`` of (N, C) rows; ``-inf`` allowed (probability 0)."""
    z, single = logits_as_rows(logits, name)
    if single:
        raise ValueError(
            f"{name} must have shape (N, C), one row per token (for one token, use shape (1, C))"
        )
    check_no_pos_inf(z, name)
    if z.size and np.isneginf(z.max(axis=1)).any():
        raise ValueError(f"{name} has a row whose entries are all -inf: no token is possible")
    return log_softmax(z, axis=1, temperature=T) if z.size else z


def _kl_rows_from_logs(log_a: np.ndarray, log_b: np.ndarray) -> np.ndarray:
    """Per-row :math:`D_{KL}(a \\| b)` from log-probabilities; a term with a = 0 is 0."""
    with np.errstate(invalid="ignore"):  # -inf - -inf where a = 0: the term is 0 anyway
        terms = np.where(np.isneginf(log_a), 0.0, np.exp(log_a) * (log_a - log_b))
    return terms.sum(axis=1)


def generalized_jsd(student_logits, teacher_logits, beta=0.5, temperature=1.0, reduction="batchmean"):
    r"""The generalised Jensen-Shannon divergence of Liger Kernel's ``LigerJSD`` and GKD.

    With :math:`p = \mathrm{softmax}(t / T)` the teacher's distribution,
    :math:`q = \mathrm{softmax}(s / T)` the student's and the mixture
    :math:`m = \beta p + (1 - \beta) q`,

    .. math:: \mathrm{JSD}_\beta = \beta\, D_{KL}(p \,\|\, m) + (1 - \beta)\, D_{KL}(q \,\|\, m)

    for :math:`0 < \beta < 1`, and by definition (as Liger and TRL's ``GKDTrainer``) the
    forward KL :math:`D_{KL}(p \| q)` at ``beta=0`` and the reverse KL
    :math:`D_{KL}(q \| p)` at ``beta=1``.

    Parameters
    ----------
    student_logits, teacher_logits : array_like, shape (N, C)
        One row per token. Logits or log-probabilities alike (``log_softmax`` leaves
        log-probabilities unchanged), the student's first, as ``LigerJSD(log_q, log_p)``
        takes them. ``-inf`` is a probability of 0 (a finite value in every row); ``+inf``
        and NaN are refused.
    beta : float, optional
        :math:`\beta \in [0, 1]`, the teacher's weight in the mixture (Liger's ``beta``,
        ``jsd_beta`` of ``LigerFusedLinearJSD``, TRL's ``beta``). Default 0.5.
    temperature : float, optional
        :math:`T > 0` divides both logits, as in ``LigerFusedLinearJSD``; the loss is
        **not** multiplied by :math:`T^2` (unlike :func:`distillation_loss`).
    reduction : {"batchmean", "sum", "none"}, optional
        ``"batchmean"`` (Liger's): the sum over rows divided by N (NaN for N = 0);
        ``"none"``: one value per row.

    Returns
    -------
    float or ndarray
        In nats; ``inf`` where a KL end meets a probability of 0 on the other side.

    Notes
    -----
    For :math:`0 < \beta < 1` the value is at most :math:`h(\beta)`, the entropy of a coin of
    bias :math:`\beta` (:math:`\ln 2` at 0.5), and finite even where one side is 0. Near the
    ends it vanishes: :math:`\mathrm{JSD}_\beta / \beta \to D_{KL}(p \| q)` as
    :math:`\beta \to 0` and :math:`\mathrm{JSD}_\beta / (1 - \beta) \to D_{KL}(q \| p)` as
    :math:`\beta \to 1`, so the ends are the two KLs up to a scale, and the definition at
    exactly 0 and 1 jumps to them.

    Examples
    --------
    >>> s, t = np.array([[1.0, 0.0, -1.0]]), np.array([[3.0, 0.0, 0.0]])
    >>> round(generalized_jsd(s, t, beta=0.0), 6)   # forward KL(p || q), = distillation_loss
    0.176848
    >>> round(generalized_jsd(s, t, beta=1.0), 6)   # reverse KL(q || p)
    0.266805
    >>> round(generalized_jsd(s, t, beta=0.5), 6)   # the symmetric JSD, at most ln 2
    0.050971
    """
    beta = check_unit_scalar(beta, "beta")
    T = _check_temperature(temperature)
    if not isinstance(reduction, str) or reduction not in JSD_REDUCTIONS:
        raise ValueError(f"reduction must be one of {JSD_REDUCTIONS}; got {reduction!r}")
    log_q = _log_prob_rows(student_logits, "student_logits", T)
    log_p = _log_prob_rows(teacher_logits, "teacher_logits", T)
    check_same_shape(log_q, log_p, "student_logits", "teacher_logits")
    dtype = np.result_type(log_q, log_p)
    log_q, log_p = log_q.astype(dtype, copy=False), log_p.astype(dtype, copy=False)
    if beta == 0.0:
        rows = _kl_rows_from_logs(log_p, log_q)
    elif beta == 1.0:
        rows = _kl_rows_from_logs(log_q, log_p)
    else:
        log_m = np.logaddexp(log_p + np.log(beta), log_q + np.log1p(-beta))
        rows = beta * _kl_rows_from_logs(log_p, log_m) + (1 - beta) * _kl_rows_from_logs(log_q, log_m)
    rows = np.maximum(rows, 0.0).astype(dtype, copy=False)  # rounding can dip a hair below 0
    if reduction == "none":
        return rows
    total = float(rows.sum(dtype=np.float64))
    if reduction == "sum":
        return total
    return total / rows.shape[0] if rows.shape[0] else float("nan")


# ----------------------------------------------------- forward and reverse KL fits


def gaussian_on_grid(x, mean, std):
    r"""A Gaussian bump on the points ``x``, normalised to sum to 1 (a discrete distribution).

    .. math:: q_j = \frac{e^{-(x_j - \mu)^2 / (2\sigma^2)}}{\sum_k e^{-(x_k - \mu)^2 / (2\sigma^2)}}

    Far tails that round to 0 stay exactly 0 (no ``nan``).

    Examples
    --------
    >>> gaussian_on_grid([-1.0, 0.0, 1.0], 0.0, 1.0).round(4)
    array([0.2741, 0.4519, 0.2741])
    """
    x = as_float_array(x, "x").astype(np.float64)
    if x.ndim != 1:
        raise ValueError(f"x must be a 1-D grid of points; got shape {x.shape}")
    std = check_positive_scalar(std, "std")
    if isinstance(mean, bool) or not isinstance(mean, numbers.Real) or not math.isfinite(float(mean)):
        raise TypeError(f"mean must be a finite real number; got {mean!r}")
    log_w = -((x - float(mean)) ** 2) / (2 * std**2)
    return softmax(log_w)


def fit_gaussian_kl(p, x, means, stds, direction="forward"):
    r"""The Gaussian on the grid, among all ``(mean, std)`` pairs, closest to ``p`` in KL.

    Parameters
    ----------
    p : array_like, shape (M,)
        The target distribution on the points ``x`` (sums to 1).
    x : array_like, shape (M,)
        The grid.
    means, stds : array_like
        The candidates: every pair ``(means[a], stds[b])`` is tried.
    direction : {"forward", "reverse"}
        ``"forward"`` minimises :math:`D_{KL}(p \| q)` (what cross-entropy training does:
        mean-seeking, ``q`` spreads to cover all of ``p``); ``"reverse"`` minimises
        :math:`D_{KL}(q \| p)` (mode-seeking: ``q`` sits on one mode of ``p``).

    Returns
    -------
    (float, float)
        The best ``(mean, std)``; ties go to the first pair in the order of the grids.

    Examples
    --------
    >>> x = np.linspace(-5, 5, 201)
    >>> p = 0.5 * gaussian_on_grid(x, -2, 0.5) + 0.5 * gaussian_on_grid(x, 2, 0.5)
    >>> grid_m, grid_s = np.linspace(-3, 3, 13), np.linspace(0.25, 3, 12)
    >>> fit_gaussian_kl(p, x, grid_m, grid_s, "forward")   # in the middle, wide
    (0.0, 2.25)
    >>> fit_gaussian_kl(p, x, grid_m, grid_s, "reverse")   # on one mode, narrow
    (-2.0, 0.5)
    """
    if not isinstance(direction, str) or direction not in ("forward", "reverse"):
        raise ValueError(f"direction must be 'forward' or 'reverse'; got {direction!r}")
    p = as_float_array(p, "p").astype(np.float64)
    x = as_float_array(x, "x").astype(np.float64)
    if p.shape != x.shape or p.ndim != 1:
        raise ValueError(f"p and x must be 1-D of the same length; got {p.shape} and {x.shape}")
    means = as_float_array(means, "means").astype(np.float64).ravel()
    stds = as_float_array(stds, "stds").astype(np.float64).ravel()
    best, best_value = None, np.inf
    for m in means:
        for sd in stds:
            q = gaussian_on_grid(x, m, sd)
            value = kl_divergence(p, q) if direction == "forward" else kl_divergence(q, p)
            if best is None or value < best_value:
                best, best_value = (float(m), float(sd)), value
    return best
