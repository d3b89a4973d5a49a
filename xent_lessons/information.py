"""Information theory: surprisal, entropy, cross-entropy and KL divergence.

All quantities are in nats (natural log) unless ``base`` is given; ``base=2`` gives bits.
The conventions are the ones of information theory: ``0 · log 0 = 0``, and a model that
gives probability 0 to something that happens pays an infinite price (``inf``, no warning).

What each function accepts: array-likes and torch tensors (also with
``requires_grad=True``), in float16 (computed in float32, returned as float16), float32 or
float64 (kept). A distribution sums to 1 to the precision it was given in: within 1e-6
for float64, 1e-4 for float32 and 5e-3 for float16 (see ``_validation.sum_tolerance``).
An empty batch of distributions (shape ``(0, C)``) gives an empty result; a distribution
with no outcomes, or a scalar where a distribution is expected, is an error.
"""

from __future__ import annotations

import numpy as np

from ._validation import (
    as_real_array,
    check_axis,
    check_base,
    check_distribution,
    check_in_unit_interval,
    check_not_scalar,
    to_output,
    to_python_scalar,
)

__all__ = ["cross_entropy", "entropy", "kl_divergence", "surprisal"]


def _in_base(values, base):
    if base is None:
        return values
    return values / values.dtype.type(np.log(base))


def _xlogy(x, y):
    """``x * log(y)`` with ``0 * log(anything) = 0`` and ``x * log 0 = -inf`` for ``x > 0``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x == 0, x.dtype.type(0), x * np.log(y))


def _pair(p, q, axis):
    p, p_out = as_real_array(p, "p")
    q, q_out = as_real_array(q, "q")
    check_not_scalar(p, "p", "the probabilities of one distribution")
    check_not_scalar(q, "q", "the probabilities of one distribution")
    if p.shape != q.shape:
        raise ValueError(f"p and q must have the same shape; got p {p.shape} and q {q.shape}")
    axis = check_axis(axis, p.ndim)
    # Each is checked to its own precision, then both computed in the wider type.
    check_distribution(p, "p", axis, given_dtype=p_out)
    check_distribution(q, "q", axis, given_dtype=q_out)
    dtype = np.result_type(p, q)
    out_dtype = np.result_type(p_out, q_out)
    return p.astype(dtype, copy=False), q.astype(dtype, copy=False), axis, out_dtype


def surprisal(p, base=None):
    r"""Surprisal (self-information) of events with probability ``p``.

    Parameters
    ----------
    p : array_like
        Probabilities in [0, 1]; any shape (a scalar, or empty).
    base : float, optional
        Log base; ``None`` (default) gives nats, ``2`` gives bits.

    Returns
    -------
    float or ndarray
        :math:`-\log p`, elementwise; ``inf`` where ``p == 0``. A Python ``float`` for a
        scalar input.

    Notes
    -----
    .. math:: I(p) = -\log_b p

    The log makes the surprisal of independent events add up:
    :math:`I(p_1 p_2) = I(p_1) + I(p_2)`.

    Examples
    --------
    >>> surprisal(0.5, base=2)
    1.0
    >>> surprisal([1.0, 0.25, 0.0], base=2)
    array([ 0.,  2., inf])
    """
    base = check_base(base)
    p, out_dtype = as_real_array(p, "p")
    check_in_unit_interval(p, "p")
    with np.errstate(divide="ignore"):
        out = -np.log(p)
    out = _in_base(out + 0.0, base)  # + 0.0 turns -0.0 into 0.0
    return to_python_scalar(to_output(out, out_dtype))


def entropy(p, base=None, axis=-1):
    r"""Entropy of the distribution(s) ``p`` along ``axis``.

    Parameters
    ----------
    p : array_like
        Probabilities in [0, 1] summing to 1 along ``axis`` (to the precision of their
        dtype); at least one dimension.
    base : float, optional
        Log base; ``None`` (default) gives nats, ``2`` gives bits.
    axis : int, optional
        The axis that holds one distribution (default: the last).

    Returns
    -------
    float or ndarray
        One entropy per distribution; a Python ``float`` for a single distribution.

    Notes
    -----
    .. math:: H(p) = -\sum_i p_i \log p_i \quad\text{with}\quad 0 \log 0 = 0

    Entropy is the average surprisal, and the length in bits of the shortest average code.

    Examples
    --------
    >>> entropy([0.5, 0.5], base=2)
    1.0
    >>> entropy([1.0, 0.0])
    0.0
    >>> entropy([[0.25, 0.25, 0.25, 0.25], [0.5, 0.5, 0.0, 0.0]], base=2)
    array([2., 1.])
    """
    base = check_base(base)
    p, out_dtype = as_real_array(p, "p")
    check_not_scalar(p, "p", "the probabilities of one distribution")
    axis = check_axis(axis, p.ndim)
    check_distribution(p, "p", axis, given_dtype=out_dtype)
    out = -_xlogy(p, p).sum(axis=axis) + 0.0
    return to_python_scalar(to_output(_in_base(np.asarray(out), base), out_dtype))


def cross_entropy(p, q, base=None, axis=-1):
    r"""Cross-entropy :math:`H(p, q)` of a model ``q`` against the true distribution ``p``.

    Parameters
    ----------
    p : array_like
        True distribution(s), probabilities summing to 1 along ``axis`` (to the precision
        of their dtype); at least one dimension.
    q : array_like
        Model distribution(s), same shape as ``p``.
    base : float, optional
        Log base; ``None`` (default) gives nats, ``2`` gives bits.
    axis : int, optional
        The axis that holds one distribution (default: the last).

    Returns
    -------
    float or ndarray
        ``inf`` where ``q`` gives 0 to an outcome that ``p`` gives more than 0.

    Notes
    -----
    .. math:: H(p, q) = -\sum_i p_i \log q_i = H(p) + D_{KL}(p \,\|\, q)

    The average code length when data from ``p`` is coded with the code built for ``q``.

    Examples
    --------
    >>> cross_entropy([0.5, 0.5], [0.5, 0.5], base=2)
    1.0
    >>> round(cross_entropy([1.0, 0.0], [0.8, 0.2]), 6)
    0.223144
    >>> cross_entropy([0.5, 0.5], [1.0, 0.0])
    inf
    """
    base = check_base(base)
    p, q, axis, out_dtype = _pair(p, q, axis)
    out = -_xlogy(p, q).sum(axis=axis) + 0.0
    return to_python_scalar(to_output(_in_base(np.asarray(out), base), out_dtype))


def kl_divergence(p, q, base=None, axis=-1):
    r"""Kullback-Leibler divergence :math:`D_{KL}(p \| q)`: the extra cost of using ``q``.

    Parameters
    ----------
    p : array_like
        True distribution(s), probabilities summing to 1 along ``axis`` (to the precision
        of their dtype); at least one dimension.
    q : array_like
        Model distribution(s), same shape as ``p``.
    base : float, optional
        Log base; ``None`` (default) gives nats, ``2`` gives bits.
    axis : int, optional
        The axis that holds one distribution (default: the last).

    Returns
    -------
    float or ndarray
        Always ``>= 0``; 0 exactly when ``p == q``; ``inf`` where ``q = 0 < p``.

    Notes
    -----
    .. math:: D_{KL}(p \,\|\, q) = \sum_i p_i \log \frac{p_i}{q_i} = H(p, q) - H(p)

    Not symmetric: :math:`D_{KL}(p \| q) \ne D_{KL}(q \| p)` in general. Terms with
    :math:`p_i = 0` contribute 0. Rounding can make a sum of tiny terms come out a hair
    below 0; the result is clipped at 0, where Gibbs' inequality puts it.

    Examples
    --------
    >>> kl_divergence([0.5, 0.5], [0.5, 0.5])
    0.0
    >>> round(kl_divergence([0.5, 0.5], [0.9, 0.1], base=2), 6)
    0.736966
    >>> round(kl_divergence([0.9, 0.1], [0.5, 0.5], base=2), 6)
    0.531004
    """
    base = check_base(base)
    p, q, axis, out_dtype = _pair(p, q, axis)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p == 0, p.dtype.type(0), p * (np.log(p) - np.log(q)))
    out = np.maximum(terms.sum(axis=axis), 0.0)
    return to_python_scalar(to_output(_in_base(np.asarray(out), base), out_dtype))
