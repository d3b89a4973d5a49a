"""Activations that turn logits into probabilities: sigmoid, softmax and their logs.

Each is exact for any finite input: nothing overflows, even at logits of 1e4 in float32.
A logit of ``-inf`` means "impossible": it gets probability 0 (log-probability ``-inf``),
as in SciPy. ``+inf`` and NaN are rejected with a ``ValueError``, and so is a softmax row
whose logits are all ``-inf`` (no class is possible, so there is no distribution).
"""

from __future__ import annotations

import numpy as np

from ._validation import (
    as_float_array,
    check_axis,
    check_no_pos_inf,
    check_positive_scalar,
    to_python_scalar,
)

__all__ = ["log_sigmoid", "log_softmax", "logsumexp", "sigmoid", "softmax"]


def _logits(z, name="z"):
    z = as_float_array(z, name)
    check_no_pos_inf(z, name)
    return z


def sigmoid(z):
    r"""The logistic sigmoid, probability of the positive class from a logit.

    Parameters
    ----------
    z : array_like
        Logits, finite or ``-inf``.

    Returns
    -------
    float or ndarray
        Values in [0, 1]; same shape and float dtype as ``z``.

    Notes
    -----
    .. math:: \sigma(z) = \frac{1}{1 + e^{-z}} = \frac{e^{z}}{1 + e^{z}}

    The first form is used for ``z >= 0`` and the second for ``z < 0``, so ``exp`` only
    ever sees a non-positive argument and cannot overflow. It is the two-class softmax:
    :math:`\sigma(z) = \mathrm{softmax}([0, z])_1`.

    Examples
    --------
    >>> sigmoid(0.0)
    0.5
    >>> sigmoid([-1e4, 0.0, 1e4])
    array([0. , 0.5, 1. ])
    """
    z = _logits(z)
    e = np.exp(-np.abs(z))
    return to_python_scalar(np.where(z >= 0, 1 / (1 + e), e / (1 + e)))


def log_sigmoid(z):
    r"""``log(sigmoid(z))``, exact where the naive form gives ``-inf`` or loses digits.

    Parameters
    ----------
    z : array_like
        Logits, finite or ``-inf``.

    Returns
    -------
    float or ndarray
        Values in ``[-inf, 0]``.

    Notes
    -----
    .. math:: \log \sigma(z) = \min(z, 0) - \log\left(1 + e^{-|z|}\right)

    Examples
    --------
    >>> bool(log_sigmoid(0.0) == -np.log(2))
    True
    >>> log_sigmoid([-1e4, 1e4])
    array([-10000.,     -0.])
    """
    z = _logits(z)
    return to_python_scalar(np.minimum(z, 0) - np.log1p(np.exp(-np.abs(z))))


def _scaled(z, temperature):
    temperature = check_positive_scalar(temperature, "temperature")
    return z if temperature == 1.0 else z / z.dtype.type(temperature)


def _shifted(z, axis):
    """``z - max(z)`` along ``axis``; the max is a finite number whenever a row has one."""
    m = np.max(z, axis=axis, keepdims=True)
    if np.isneginf(m).any():
        raise ValueError(
            "z has a row whose logits are all -inf along axis "
            f"{axis}: no class is possible, so softmax is undefined"
        )
    return z - m


def _log_sum_exp_shifted(shifted, axis):
    """``log(sum(exp(shifted)))`` along ``axis``, for rows whose max is 0 (or all -inf).

    The largest term is ``exp(0) = 1``; the sum ``1 + r`` of a confident row rounds ``r``
    away (``log(1 + 3.7e-44)`` is 0), so this takes ``log1p(r)`` of the other terms' sum,
    which keeps every digit of a tiny log-probability. The result keeps ``axis``.
    """
    e = np.exp(shifted)
    np.put_along_axis(e, np.argmax(shifted, axis=axis, keepdims=True), 0, axis=axis)
    return np.log1p(np.sum(e, axis=axis, keepdims=True))


def logsumexp(z, axis=-1):
    r"""``log(sum(exp(z)))`` along ``axis``, without overflow.

    Parameters
    ----------
    z : array_like
        Logits, finite or ``-inf``.
    axis : int, optional
        The axis to reduce (default: the last).

    Returns
    -------
    float or ndarray
        ``-inf`` for a row that is all ``-inf`` (the log of an empty sum), as in SciPy.

    Notes
    -----
    .. math:: \operatorname{LSE}(z) = m + \log \sum_i e^{z_i - m}, \qquad m = \max_i z_i

    After the shift the largest term is :math:`e^0 = 1`, so the sum lies in
    :math:`[1, C]`: it cannot overflow. Its log is taken as ``log1p`` of the other terms'
    sum, so a row dominated by one logit keeps the digits of its tiny excess over ``m``.

    Examples
    --------
    >>> bool(logsumexp([1000.0, 1000.0]) == 1000 + np.log(2))
    True
    >>> logsumexp([0.0, -np.inf])
    0.0
    """
    z = _logits(z)
    axis = check_axis(axis, z.ndim)
    m = np.max(z, axis=axis, keepdims=True)
    empty_row = np.isneginf(m)  # all -inf: the log of an empty sum
    m = np.where(empty_row, z.dtype.type(0), m)
    out = np.where(empty_row, z.dtype.type(-np.inf), m + _log_sum_exp_shifted(z - m, axis))
    return to_python_scalar(np.squeeze(out, axis=axis))


def softmax(z, axis=-1, temperature=1.0):
    r"""Turn logits into probabilities along ``axis``.

    Parameters
    ----------
    z : array_like
        Logits, finite or ``-inf`` (probability 0); at least one finite logit per row.
    axis : int, optional
        The axis that holds the classes (default: the last).
    temperature : float, optional
        Divides the logits first: above 1 flattens the distribution, below 1 sharpens it.

    Returns
    -------
    ndarray
        Probabilities in [0, 1] summing to 1 along ``axis``; same shape and float dtype as ``z``.

    Notes
    -----
    .. math:: \mathrm{softmax}(z)_i = \frac{e^{z_i/T}}{\sum_j e^{z_j/T}}
              = \frac{e^{z_i/T - m}}{\sum_j e^{z_j/T - m}}, \qquad m = \max_j z_j/T

    Subtracting the max changes nothing mathematically (shift invariance) but keeps every
    ``exp`` in (0, 1], so logits of 1e4 do not overflow.

    Examples
    --------
    >>> softmax([1.0, 2.0, 3.0]).round(4)
    array([0.09  , 0.2447, 0.6652])
    >>> softmax([1000.0, 1000.0])
    array([0.5, 0.5])
    >>> softmax([0.0, -np.inf])
    array([1., 0.])
    """
    z = _logits(z)
    axis = check_axis(axis, z.ndim)
    e = np.exp(_shifted(_scaled(z, temperature), axis))
    return e / np.sum(e, axis=axis, keepdims=True)


def log_softmax(z, axis=-1, temperature=1.0):
    r"""``log(softmax(z))``, computed without ever taking the log of a rounded-off 0.

    Parameters
    ----------
    z : array_like
        Logits, finite or ``-inf``; at least one finite logit per row.
    axis : int, optional
        The axis that holds the classes (default: the last).
    temperature : float, optional
        Divides the logits first (see :func:`softmax`).

    Returns
    -------
    ndarray
        Log-probabilities, ``<= 0``; ``-inf`` exactly where ``z`` is ``-inf``.

    Notes
    -----
    .. math:: \log \mathrm{softmax}(z)_i = z_i - \operatorname{LSE}(z)

    Losses use this form: ``log(softmax(z))`` rounds tiny probabilities to 0 and returns
    ``-inf``, where the true value is a perfectly ordinary number like -1000. The log of
    the sum is a ``log1p`` (see :func:`logsumexp`), so the log-probability of a near-certain
    class, like -3.7e-44 for ``[100, 0]``, comes out exact rather than 0.

    Examples
    --------
    >>> log_softmax([0.0, 1000.0])
    array([-1000.,     0.])
    >>> log_softmax([0.0, 0.0, -np.inf]).round(4)
    array([-0.6931, -0.6931,    -inf])
    """
    z = _logits(z)
    axis = check_axis(axis, z.ndim)
    shifted = _shifted(_scaled(z, temperature), axis)
    return shifted - _log_sum_exp_shifted(shifted, axis)
