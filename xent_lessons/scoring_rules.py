r"""Scoring rules: what a loss rewards a forecaster for, and the Gaussian's cross-entropy.

A *scoring rule* :math:`S(q, y)` is the loss of the forecast :math:`q` (a probability
distribution over outcomes) when outcome :math:`y` happens. Its *expected score* under the
true distribution :math:`p` is :math:`\sum_y p_y\, S(q, y)`; the rule is *proper* when no
forecast has a lower expected score than the truth itself, :math:`q = p`. The log score
:math:`-\log q_y` (cross-entropy) and the Brier score :math:`\sum_c (q_c - [c = y])^2` are
proper; the hinge loss and the focal loss are not.

For a real-valued target, the log score of a Gaussian forecast
:math:`\mathcal{N}(\mu, \sigma^2)` is :func:`gaussian_nll_loss`; with :math:`\sigma` fixed
it is the mean squared error, halved, plus a constant.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ._validation import (
    as_float_array,
    check_bool,
    check_distribution,
    check_finite,
    check_reduction,
    is_finite_real,
)

__all__ = ["expected_score", "gaussian_nll_loss"]


def expected_score(rule, q, p):
    r"""The expected score :math:`\sum_y p_y\, S(q, y)` of forecast ``q`` when the truth is ``p``.

    Parameters
    ----------
    rule : callable
        ``rule(q, y)``: the score (a loss, lower is better) of forecast ``q`` when outcome
        ``y`` (an index ``0 .. C-1``) happens.
    q : array_like, shape (C,)
        The forecast: probabilities that sum to 1.
    p : array_like, shape (C,)
        The true distribution of the outcome.

    Returns
    -------
    float
        The expected score. An outcome with :math:`p_y = 0` never happens and adds nothing,
        even where ``rule`` gives ``inf`` (the convention :math:`0 \cdot \infty = 0`, as
        :math:`0 \log 0 = 0` in lesson 01).

    Notes
    -----
    For the log score the expected score is the cross-entropy :math:`H(p, q)`, which is
    smallest at :math:`q = p` (Gibbs' inequality, lesson 02): the log score is proper.

    Examples
    --------
    >>> log_score = lambda q, y: -np.log(q[y])
    >>> round(expected_score(log_score, [0.5, 0.5], [0.9, 0.1]), 6)  # H(p, q) = log 2
    0.693147
    >>> expected_score(log_score, [1.0, 0.0], [1.0, 0.0])  # -log 0 never happens
    0.0
    """
    if not callable(rule):
        raise TypeError(f"rule must be a function rule(q, y); got {type(rule).__name__}")
    q = as_float_array(q, "q").astype(np.float64)
    p = as_float_array(p, "p").astype(np.float64)
    if q.ndim != 1 or p.shape != q.shape:
        raise ValueError(
            f"q and p must be 1-D distributions over the same C outcomes; got q {q.shape} "
            f"and p {p.shape}"
        )
    check_distribution(q, "q", axis=0)
    check_distribution(p, "p", axis=0)
    total = 0.0
    for y in np.flatnonzero(p > 0):
        total += float(p[y]) * float(rule(q.copy(), int(y)))
    return total


def _check_var(var, shape):
    """torch's rules: a number for every element, or an array of the input's shape, or one
    dimension short of it, or with a single dimension of size 1 where the input's is not."""
    if isinstance(var, numbers.Real) and not isinstance(var, bool | np.bool_):
        if not (is_finite_real(var) and var >= 0):
            raise ValueError(f"var must be >= 0 and finite (a variance); got {var!r}")
        return np.full(shape, float(var))
    v = as_float_array(var, "var", allow_empty=True)
    check_finite(v, "var")
    if v.size and v.min() < 0:
        raise ValueError(f"var must hold variances >= 0; got a minimum of {v.min():.6g}")
    if v.shape == shape:
        return v
    if v.shape == shape[:-1]:
        return v[..., None]
    if v.ndim == len(shape) and sum(1 for a, b in zip(shape, v.shape, strict=True) if a != b) == 1:
        mismatch = [b for a, b in zip(shape, v.shape, strict=True) if a != b]
        if mismatch == [1]:
            return v
    raise ValueError(
        f"var of shape {v.shape} does not fit input of shape {shape}: give one variance per "
        f"element {shape}, one per row {shape[:-1]}, or a shape with one dimension of size 1"
    )


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    r"""The negative log-likelihood of ``target`` under :math:`\mathcal{N}(\text{input}, \text{var})`.

    The same as ``torch.nn.functional.gaussian_nll_loss`` (``nn.GaussianNLLLoss``).

    Parameters
    ----------
    input : array_like
        The predicted means :math:`\mu`.
    target : array_like
        The observed values :math:`y`, broadcastable with ``input``.
    var : float or array_like
        The predicted variances :math:`\sigma^2 \ge 0`: a number for every element, an array
        of ``input``'s shape (one per element), of its shape without the last dimension, or
        with one dimension of size 1 (shared along it).
    full : bool, optional
        Add the constant :math:`\tfrac12 \log 2\pi`, which makes it the exact negative log
        density. torch leaves it out by default.
    eps : float, optional
        Variances below ``eps`` are raised to it (a variance of 0 would divide by 0).
    reduction : {"mean", "sum", "none"}

    Returns
    -------
    float or ndarray
        In nats.

    Notes
    -----
    .. math:: \ell = \frac12 \left( \log \max(\sigma^2, \varepsilon)
              + \frac{(\mu - y)^2}{\max(\sigma^2, \varepsilon)} \right)
              \;\Big[ + \frac12 \log 2\pi \Big]

    Every input must be finite (NaN or inf is refused, where torch would return NaN or
    inf); an empty batch gives NaN for the mean and 0 for the sum, as in torch.

    With :math:`\sigma^2 = 1` this is :math:`\tfrac12 (\mu - y)^2`: minimising the mean
    squared error is maximising a Gaussian likelihood, the cross-entropy of a Gaussian model.

    Examples
    --------
    >>> gaussian_nll_loss([1.0, 2.0], [1.5, 0.0], var=1.0)  # half the MSE: (0.25 + 4) / 4
    1.0625
    >>> round(gaussian_nll_loss([0.0], [0.0], var=1.0, full=True), 6)  # -log of N(0; 0, 1)
    0.918939
    """
    reduction = check_reduction(reduction)
    full = check_bool(full, "full")
    mu = as_float_array(input, "input", allow_empty=True)
    y = as_float_array(target, "target", allow_empty=True)
    check_finite(mu, "input")
    check_finite(y, "target")
    try:
        shape = np.broadcast_shapes(mu.shape, y.shape)
    except ValueError:
        raise ValueError(
            f"target of shape {y.shape} cannot be broadcast with input of shape {mu.shape}"
        ) from None
    if isinstance(eps, bool | np.bool_) or not isinstance(eps, numbers.Real):
        raise TypeError(f"eps must be a number > 0; got {eps!r}")
    if not (is_finite_real(eps) and eps > 0):
        raise ValueError(f"eps must be a number > 0 and finite; got {eps!r}")
    v = np.maximum(_check_var(var, mu.shape), eps)
    loss = 0.5 * (np.log(v) + (mu - y) ** 2 / v)
    if full:
        loss = loss + 0.5 * np.log(2 * np.pi)
    loss = np.broadcast_to(loss, np.broadcast_shapes(loss.shape, shape))
    if reduction == "none":
        return np.array(loss, dtype=np.result_type(mu.dtype, y.dtype))
    total = float(loss.sum(dtype=np.float64))
    if reduction == "sum":
        return total
    return total / loss.size if loss.size else math.nan  # an empty batch: NaN, as torch
