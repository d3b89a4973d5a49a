r"""Focal loss (Lin et al. 2017): binary cross-entropy that turns down the easy examples.

With :math:`p = \sigma(x)` the predicted probability of the positive class and
:math:`p_t` the probability given to the true class (:math:`p` for a positive, :math:`1 - p`
for a negative), the focal loss multiplies cross-entropy by :math:`(1 - p_t)^\gamma`:

.. math:: \mathrm{FL}(x, t) = -\alpha_t\, (1 - p_t)^{\gamma} \log p_t

An example the model already gets right (:math:`p_t` near 1) then costs almost nothing, so
the rare hard ones dominate the gradient. The functions here follow
``torchvision.ops.sigmoid_focal_loss`` (argument names, defaults ``alpha=0.25``,
``gamma=2``, ``reduction="none"``, ``alpha < 0`` for no weighting, soft targets) and compute
it without ever forming :math:`\log \sigma(x)` or :math:`1 - p_t` by subtraction, so they
are exact for any logit.
"""

from __future__ import annotations

import numbers

import numpy as np

from ._validation import as_float_array, check_in_unit_interval, check_reduction, check_same_shape
from .losses import binary_cross_entropy_with_logits

__all__ = ["focal_optimal_forecast", "sigmoid_focal_loss", "sigmoid_focal_loss_grad"]


def _check_alpha_gamma(alpha, gamma):
    for value, name in ((alpha, "alpha"), (gamma, "gamma")):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"{name} must be a real number; got {value!r}")
    alpha, gamma = float(alpha), float(gamma)
    if not np.isfinite(alpha) or alpha > 1:
        raise ValueError(
            f"alpha must be in [0, 1] (the weight of the positives), or negative for no "
            f"weighting; got {alpha!r}"
        )
    if not np.isfinite(gamma) or gamma < 0:
        raise ValueError(f"gamma must be a finite number >= 0; got {gamma!r}")
    return alpha, gamma


def _inputs(inputs, targets):
    x = as_float_array(inputs, "inputs", allow_empty=True)
    t = as_float_array(targets, "targets", allow_empty=True)
    check_same_shape(x, t, "inputs", "targets")
    check_in_unit_interval(t, "targets")
    if x.size and np.isposinf(x).any():
        raise ValueError("inputs contains +inf; expected finite logits or -inf")
    return x, t.astype(x.dtype, copy=False)


def _sigmoids(x):
    """``sigmoid(x)`` and ``sigmoid(-x)``, each exact (no ``1 - sigmoid``)."""
    e = np.exp(-np.abs(x))
    sig = np.where(x >= 0, 1 / (1 + e), e / (1 + e))
    sig_neg = np.where(x >= 0, e / (1 + e), 1 / (1 + e))
    return sig, sig_neg


def _alpha_t(alpha, t):
    return 1.0 if alpha < 0 else alpha * t + (1 - alpha) * (1 - t)


def _reduce(values, reduction):
    if reduction == "none":
        return values
    total = float(values.sum(dtype=np.float64))
    if reduction == "sum":
        return total
    return total / values.size if values.size else float("nan")  # empty batch: NaN, as torch


def sigmoid_focal_loss(inputs, targets, alpha=0.25, gamma=2.0, reduction="none"):
    r"""The focal loss of logits ``inputs`` against binary targets, as in torchvision.

    Parameters
    ----------
    inputs : array_like
        Logits :math:`x` (any shape), finite or ``-inf``.
    targets : array_like
        Targets :math:`t` in [0, 1] (usually 0 or 1), same shape as ``inputs``.
    alpha : float, optional
        Weight of the positives in [0, 1] (negatives get ``1 - alpha``); a negative value
        turns the weighting off (``alpha_t = 1``). torchvision's default is 0.25.
    gamma : float, optional
        The focusing exponent :math:`\gamma \ge 0`; ``gamma=0`` gives (weighted) BCE.
    reduction : {"none", "mean", "sum"}
        torchvision's default is ``"none"``: the loss of every element.

    Returns
    -------
    float or ndarray
        In nats; the inputs' shape for ``"none"``.

    Notes
    -----
    torchvision computes ``ce = BCE_with_logits(x, t)``, ``p_t = p t + (1 - p)(1 - t)`` and

    .. math:: \ell = \alpha_t\, \mathrm{ce}(x, t)\, (1 - p_t)^{\gamma},
              \qquad \alpha_t = \alpha t + (1 - \alpha)(1 - t)

    For hard targets ``ce`` is :math:`-\log p_t`. Here ``ce`` is the exact BCE from logits of
    lesson 04, and :math:`1 - p_t = t\,\sigma(-x) + (1 - t)\,\sigma(x)` is a sum of two
    non-negative terms, so nothing cancels: at ``x = 40``, ``t = 1`` torchvision's
    ``1 - p_t`` is ``1 - 1.0 = 0`` where the true value is ``4.2e-18``.

    Examples
    --------
    >>> sigmoid_focal_loss([0.0, 0.0], [1.0, 0.0]).round(6)  # p_t = 0.5: 0.5^2 * log 2 * alpha_t
    array([0.043322, 0.129965])
    >>> sigmoid_focal_loss([-1e4, 1e4], [1.0, 0.0], alpha=-1)  # confident mistakes: |x|
    array([10000., 10000.])
    """
    reduction = check_reduction(reduction)
    alpha, gamma = _check_alpha_gamma(alpha, gamma)
    x, t = _inputs(inputs, targets)
    ce = binary_cross_entropy_with_logits(x, t, reduction="none")
    sig, sig_neg = _sigmoids(x)
    one_minus_pt = t * sig_neg + (1 - t) * sig
    with np.errstate(invalid="ignore"):  # inf * 0 where a certain mistake has weight 0
        loss = np.where(ce == 0, 0, ce * one_minus_pt**gamma)
    loss = (_alpha_t(alpha, t) * loss).astype(x.dtype, copy=False)
    return _reduce(loss, reduction)


def sigmoid_focal_loss_grad(inputs, targets, alpha=0.25, gamma=2.0, reduction="none"):
    r"""The gradient of :func:`sigmoid_focal_loss` with respect to the logits.

    Parameters
    ----------
    inputs, targets, alpha, gamma, reduction
        As in :func:`sigmoid_focal_loss`.

    Returns
    -------
    ndarray
        ``dL/dinputs``, the inputs' shape; for ``"none"`` and ``"sum"`` the gradient of the
        summed losses, for ``"mean"`` divided by the number of elements.

    Notes
    -----
    With :math:`w = 1 - p_t = t\,\sigma(-x) + (1 - t)\,\sigma(x)`, whose derivative is
    :math:`(1 - 2t)\,\sigma(x)\sigma(-x)`, and :math:`\partial\,\mathrm{ce}/\partial x = \sigma(x) - t`,

    .. math:: \frac{\partial \ell}{\partial x} = \alpha_t \Big[ (\sigma(x) - t)\, w^{\gamma}
              + \gamma\, \mathrm{ce}\, w^{\gamma - 1} (1 - 2t)\, \sigma(x)\sigma(-x) \Big]

    For a positive (:math:`t = 1`) this is
    :math:`\alpha (1 - p_t)^{\gamma} \big[\gamma\, p_t \log p_t - (1 - p_t)\big]`: cross-entropy's
    :math:`-(1 - p_t)` scaled down by :math:`(1 - p_t)^\gamma`, plus a term from the
    modulating factor. The factor :math:`w^{\gamma-1} \sigma(x)\sigma(-x)` is computed as
    :math:`w^{\gamma} \cdot \sigma(x)\sigma(-x)/w`, which stays finite as :math:`w \to 0`
    (its limit for a hard target is :math:`w^\gamma p_t`).

    Examples
    --------
    >>> sigmoid_focal_loss_grad([0.0], [1.0], alpha=-1, gamma=0.0)  # BCE: sigmoid(x) - t
    array([-0.5])
    >>> sigmoid_focal_loss_grad([0.0], [1.0], alpha=-1, gamma=2.0).round(6)
    array([-0.298287])
    """
    reduction = check_reduction(reduction)
    alpha, gamma = _check_alpha_gamma(alpha, gamma)
    x, t = _inputs(inputs, targets)
    ce = binary_cross_entropy_with_logits(x, t, reduction="none")
    grad = np.asarray(_focal_grad_given_ce(x, t, ce, alpha, gamma), dtype=x.dtype)
    if reduction == "mean":
        grad = grad / x.dtype.type(x.size)
    return grad


def _focal_grad_float64(x, t, alpha, gamma):
    """:func:`sigmoid_focal_loss_grad` (``reduction="none"``) of float64 arrays that are
    already checked: the same formulas, without the checks.

    A speed trick: :func:`focal_optimal_forecast`'s bisection takes 60 gradients, and on
    the few points of a curve the checks of the public functions took most of the time.
    ``ce`` is :func:`~xent_lessons.losses.binary_cross_entropy_with_logits`'s formula with
    no weights. The tests check that this equals the public function.
    """
    log1p_exp = np.log1p(np.exp(-np.abs(x)))
    softplus_x = np.maximum(x, 0) + log1p_exp  # -log(1 - sigmoid(x))
    softplus_neg_x = np.maximum(-x, 0) + log1p_exp  # -log(sigmoid(x))
    neg_coef = 1 - t
    with np.errstate(invalid="ignore"):  # 0 * inf at x = -inf: a term whose weight is 0
        ce = np.where(neg_coef == 0, 0, neg_coef * softplus_x) + np.where(
            t == 0, 0, t * softplus_neg_x
        )
    return _focal_grad_given_ce(x, t, ce, alpha, gamma)


def _focal_grad_given_ce(x, t, ce, alpha, gamma):
    """The gradient's formula (see :func:`sigmoid_focal_loss_grad`'s notes), given the
    elementwise cross-entropy ``ce`` of the logits ``x`` and targets ``t``."""
    sig, sig_neg = _sigmoids(x)
    w = t * sig_neg + (1 - t) * sig
    w_gamma = w**gamma
    with np.errstate(invalid="ignore", divide="ignore"):
        # sigma(x) sigma(-x) / w: p_t for a hard target; 1 in its limit w -> 0
        ratio = np.where(w > 0, sig * sig_neg / np.where(w > 0, w, 1), 1.0)
        # ratio == 0 only at x = -inf (or +inf): there ce grows like |x| while ratio
        # shrinks like exp(-|x|), so the product's limit is 0 (the gradient at -inf, t = 1,
        # is -alpha, the limit of what finite logits give)
        modulating = np.where(
            (ce == 0) | (w_gamma == 0) | (ratio == 0),
            0,
            gamma * ce * w_gamma * ratio * (1 - 2 * t),
        )
    return _alpha_t(alpha, t) * ((sig - t) * w_gamma + modulating)


def focal_optimal_forecast(p, gamma=2.0, alpha=0.25):
    r"""The forecast :math:`q` that minimises the expected focal loss when the truth is ``p``.

    A loss is a *proper scoring rule* when the best forecast is the true probability
    (:math:`q^* = p`); log loss and the Brier score are. The focal loss is not: this returns
    the forecast it rewards instead.

    Parameters
    ----------
    p : array_like
        True probabilities of the positive class, in [0, 1].
    gamma : float, optional
        :math:`\gamma \ge 0`.
    alpha : float, optional
        As in :func:`sigmoid_focal_loss` (negative: no weighting).

    Returns
    -------
    float or ndarray
        :math:`q^*(p) = \arg\min_q\; p\,\mathrm{FL}(q \mid t{=}1) + (1 - p)\,\mathrm{FL}(q \mid t{=}0)`,
        the shape of ``p``.

    Notes
    -----
    The expected loss's derivative with respect to the logit :math:`x` of :math:`q` is
    :math:`p\, g_1(x) + (1 - p)\, g_0(x)` with :math:`g_t` from
    :func:`sigmoid_focal_loss_grad`; it is negative for small :math:`x` and positive for large,
    and its root is found by bisection on :math:`x \in [-40, 40]` (60 halvings). With
    ``gamma=0`` and no weighting it returns :math:`p` itself (BCE is proper).

    Examples
    --------
    >>> focal_optimal_forecast([0.1, 0.5, 0.9], gamma=0.0, alpha=-1).round(6)
    array([0.1, 0.5, 0.9])
    >>> focal_optimal_forecast([0.1, 0.9], gamma=2.0, alpha=-1).round(3)  # pulled to 0.5
    array([0.306, 0.694])
    """
    alpha, gamma = _check_alpha_gamma(alpha, gamma)
    p_arr = as_float_array(p, "p").astype(np.float64)
    check_in_unit_interval(p_arr, "p")
    lo = np.full(p_arr.shape, -40.0)
    hi = np.full(p_arr.shape, 40.0)
    # Both targets' gradients in one call: the first half of each batch is t = 1, the second t = 0.
    both_targets = np.concatenate([np.ones(p_arr.size), np.zeros(p_arr.size)])
    for _ in range(60):
        mid = (lo + hi) / 2
        grad = _focal_grad_float64(np.concatenate([mid.ravel(), mid.ravel()]), both_targets,
                                   alpha, gamma)
        grad_positive = grad[: p_arr.size].reshape(p_arr.shape)
        grad_negative = grad[p_arr.size :].reshape(p_arr.shape)
        slope = p_arr * grad_positive + (1 - p_arr) * grad_negative
        lo, hi = np.where(slope < 0, mid, lo), np.where(slope < 0, hi, mid)
    x = (lo + hi) / 2
    q = np.where(p_arr == 0, 0.0, np.where(p_arr == 1, 1.0, 1 / (1 + np.exp(-x))))
    return float(q) if q.ndim == 0 else q
