"""Activations that turn logits into probabilities: sigmoid, softmax and their logs.

Each is exact for any finite input: nothing overflows, even at logits of 1e4 in float32,
or at a temperature of 1e-40. A logit of ``-inf`` means "impossible": it gets probability
0 (log-probability ``-inf``), as in SciPy. ``+inf`` and NaN are rejected with a
``ValueError``, and so is a softmax row whose logits are all ``-inf`` (no class is
possible, so there is no distribution).

What each function accepts: array-likes and torch tensors (also with
``requires_grad=True``), in float16 (computed in float32 and returned as float16, as
torch does on the CPU), float32 or float64 (kept as they are); integers become float64.
Empty arrays give empty results, and ``logsumexp`` of an empty axis is ``-inf`` (the log
of an empty sum), as in torch and SciPy. ``softmax``, ``log_softmax`` and ``logsumexp``
need an axis: a scalar is an error (torch treats it as one class; here it is more likely
a mistake).
"""

from __future__ import annotations

import numpy as np

from ._validation import (
    as_real_array,
    check_axis,
    check_no_pos_inf,
    check_not_scalar,
    check_positive_scalar,
    to_output,
    to_python_scalar,
)

__all__ = ["log_sigmoid", "log_softmax", "logsumexp", "sigmoid", "softmax"]


def _logits(z, name="z"):
    """``(z, out_dtype)``: logits in their compute dtype (float16 runs in float32)."""
    z, out_dtype = as_real_array(z, name)
    check_no_pos_inf(z, name)
    return z, out_dtype


def _class_axis(z, axis, name="z"):
    check_not_scalar(z, name, "the classes")
    return check_axis(axis, z.ndim)


def sigmoid(z):
    r"""The logistic sigmoid, probability of the positive class from a logit.

    Parameters
    ----------
    z : array_like
        Logits, finite or ``-inf``; any shape (a scalar, or empty).

    Returns
    -------
    float or ndarray
        Values in [0, 1]; same shape and float dtype as ``z`` (float16 in, float16 out,
        computed in float32).

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
    z, out_dtype = _logits(z)
    e = np.exp(-np.abs(z))
    return to_python_scalar(to_output(np.where(z >= 0, 1 / (1 + e), e / (1 + e)), out_dtype))


def log_sigmoid(z):
    r"""``log(sigmoid(z))``, exact where the naive form gives ``-inf`` or loses digits.

    Parameters
    ----------
    z : array_like
        Logits, finite or ``-inf``; any shape.

    Returns
    -------
    float or ndarray
        Values in ``[-inf, 0]``; ``z``'s shape and float dtype.

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
    z, out_dtype = _logits(z)
    return to_python_scalar(to_output(np.minimum(z, 0) - np.log1p(np.exp(-np.abs(z))), out_dtype))


def _shifted_scaled(z, axis, temperature):
    """``z / T - max(z / T)`` along ``axis``, computed so that nothing overflows.

    The division is done on the side where it cannot overflow: for ``T < 1`` after the
    shift (``(z - max) / T`` is ``<= 0``, and an overflow to ``-inf`` there is the right
    rounding of a log-probability below the type's range), for ``T > 1`` before it
    (``z / T`` is smaller than ``z``). A temperature that the logits' type cannot hold
    (below float32's smallest normal number, 1.2e-38, or above its largest) is applied
    in float64, where every temperature a Python float can be is exact; the result is
    then rounded back to the logits' type, which gives the exact limit for ``T -> 0``
    (all the mass on the largest logits) wherever the logits' type can tell it apart.
    """
    temperature = check_positive_scalar(temperature, "temperature")
    if temperature != 1.0:
        info = np.finfo(z.dtype)
        if not float(info.tiny) <= temperature <= float(info.max):
            z = z.astype(np.float64)
    if temperature > 1.0:
        z = z / z.dtype.type(temperature)
    m = np.max(z, axis=axis, keepdims=True)
    if np.isneginf(m).any():
        raise ValueError(
            "z has a row whose logits are all -inf along axis "
            f"{axis}: no class is possible, so softmax is undefined"
        )
    shifted = z - m
    if temperature < 1.0:
        with np.errstate(over="ignore"):  # -inf is the right answer there (see above)
            shifted /= shifted.dtype.type(temperature)
    return shifted


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
        Logits, finite or ``-inf``; at least one dimension (a scalar is an error).
    axis : int, optional
        The axis to reduce (default: the last).

    Returns
    -------
    float or ndarray
        ``z``'s shape without ``axis``, in its float dtype (float16 in, float16 out).
        ``-inf`` for a row that is all ``-inf`` or empty (the log of an empty sum), as in
        SciPy and PyTorch.

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
    z, out_dtype = _logits(z)
    axis = _class_axis(z, axis)
    if z.shape[axis] == 0:  # every row is an empty sum
        out = np.full(z.shape[:axis] + z.shape[axis + 1 :], -np.inf, dtype=out_dtype)
        return to_python_scalar(out)
    m = np.max(z, axis=axis, keepdims=True)
    empty_row = np.isneginf(m)  # all -inf: the log of an empty sum
    m = np.where(empty_row, z.dtype.type(0), m)
    out = np.where(empty_row, z.dtype.type(-np.inf), m + _log_sum_exp_shifted(z - m, axis))
    return to_python_scalar(to_output(np.squeeze(out, axis=axis), out_dtype))


def softmax(z, axis=-1, temperature=1.0):
    r"""Turn logits into probabilities along ``axis``.

    Parameters
    ----------
    z : array_like
        Logits, finite or ``-inf`` (probability 0); at least one finite logit per row,
        and at least one dimension (a scalar is an error). Empty arrays give empty results.
    axis : int, optional
        The axis that holds the classes (default: the last).
    temperature : float, optional
        Divides the logits first: above 1 flattens the distribution, below 1 sharpens it.
        Any finite ``T > 0``: a tiny one gives the limit, all the mass on the largest logit.

    Returns
    -------
    ndarray
        Probabilities in [0, 1] summing to 1 along ``axis``; same shape and float dtype as
        ``z`` (float16 in, float16 out, computed in float32).

    Notes
    -----
    .. math:: \mathrm{softmax}(z)_i = \frac{e^{z_i/T}}{\sum_j e^{z_j/T}}
              = \frac{e^{z_i/T - m}}{\sum_j e^{z_j/T - m}}, \qquad m = \max_j z_j/T

    Subtracting the max changes nothing mathematically (shift invariance) but keeps every
    ``exp`` in (0, 1], so logits of 1e4 do not overflow. With a temperature below 1 the
    shift comes before the division, so ``z / T`` never overflows either (float32
    ``[1, 2]`` at ``T = 1e-40`` is ``[0, 1]``).

    Examples
    --------
    >>> softmax([1.0, 2.0, 3.0]).round(4)
    array([0.09  , 0.2447, 0.6652])
    >>> softmax([1000.0, 1000.0])
    array([0.5, 0.5])
    >>> softmax([0.0, -np.inf])
    array([1., 0.])
    """
    z, out_dtype = _logits(z)
    axis = _class_axis(z, axis)
    if z.size == 0:
        check_positive_scalar(temperature, "temperature")
        return np.empty(z.shape, dtype=out_dtype)
    e = np.exp(_shifted_scaled(z, axis, temperature))
    return to_output(e / np.sum(e, axis=axis, keepdims=True), out_dtype)


def log_softmax(z, axis=-1, temperature=1.0):
    r"""``log(softmax(z))``, computed without ever taking the log of a rounded-off 0.

    Parameters
    ----------
    z : array_like
        Logits, finite or ``-inf``; at least one finite logit per row, and at least one
        dimension. Empty arrays give empty results.
    axis : int, optional
        The axis that holds the classes (default: the last).
    temperature : float, optional
        Divides the logits first (see :func:`softmax`).

    Returns
    -------
    ndarray
        Log-probabilities, ``<= 0``; ``-inf`` exactly where ``z`` is ``-inf``. Same shape
        and float dtype as ``z`` (float16 in, float16 out).

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
    z, out_dtype = _logits(z)
    axis = _class_axis(z, axis)
    if z.size == 0:
        check_positive_scalar(temperature, "temperature")
        return np.empty(z.shape, dtype=out_dtype)
    shifted = _shifted_scaled(z, axis, temperature)
    return to_output(shifted - _log_sum_exp_shifted(shifted, axis), out_dtype)
