"""Checkers of lesson 03's exercises: a stable softmax, logsumexp and log_softmax.

Every expected value comes from the package's math (:mod:`xent_lessons.activations`). The
cases feed logits of ±1e4 (a naive ``exp`` overflows or underflows), batches of shape
(2, 3) and (3, 3) (the wrong axis or a missing ``keepdims`` fails one or the other), and
rows with ``-inf`` (an impossible class).
"""

from __future__ import annotations

import numpy as np

from ..activations import log_softmax as _log_softmax
from ..activations import logsumexp as _logsumexp
from ..activations import softmax as _softmax
from ._runner import Case, CheckResult, Mistake, run_cases

__all__ = ["log_softmax", "logsumexp", "stable_softmax"]


def _logits():
    """Fresh input arrays for every check, so a function that edits its input in place
    cannot change the cases (or their expected values) of a later check."""
    return {
        "small": np.array([1.0, 2.0, 3.0]),
        "huge": np.array([1e4, 0.0, -1e4]),
        "tiny": np.array([-1e4, -1e4 - 1.0]),
        "batch_2x3": np.array([[1.0, 2.0, 3.0], [1e4, 0.0, -1e4]]),
        "batch_3x3": np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0], [-1.0, 5.0, 2.0]]),
        "neg_inf": np.array([[0.0, -np.inf, 1.0], [5.0, -np.inf, -np.inf]]),
    }


_OVERFLOW = (
    "np.exp(1e4) overflows to inf, and inf / inf is NaN. Subtract the largest logit of the "
    "row first: shifting all logits by the same amount changes nothing, and then every "
    "exponent is <= 0."
)
_UNDERFLOW = (
    "np.exp(-1e4) underflows to 0, so the sum is 0 (and 0 / 0 is NaN, log 0 is -inf). "
    "Shift by the largest logit of the row: then the largest term is exp(0) = 1."
)
_AXIS = (
    "Each row is one example: take the max and the sum along the last axis (axis=-1), "
    "with keepdims=True so that they broadcast back over the row. A max over the whole "
    "array, or over axis 0, mixes the rows."
)
_GLOBAL_MAX = (
    "You shifted by the largest logit of the WHOLE array (np.max(z) without an axis): a row "
    "whose logits are all far below it underflows to 0. Shift each row by its own max, "
    "np.max(z, axis=-1, keepdims=True)."
)
_COLUMN_MAX = (
    "You shifted by the max of each COLUMN (axis=0): softmax is unchanged only when the whole "
    "row moves by the same amount, so shift each row by its own max (axis=-1, keepdims=True)."
)


def _shift_variant(z, kind):
    z = np.asarray(z, dtype=float)
    if kind == "global":
        return z - np.max(z)
    if kind == "columns":
        return z - np.max(z, axis=0, keepdims=True)
    return np.clip(z, -500.0, 500.0)


def _softmax_of(shifted):
    e = np.exp(shifted)
    return e / np.sum(e, axis=-1, keepdims=True)


def _lse_of(z, shifted):
    m = np.asarray(z, dtype=float) - shifted  # what was subtracted, broadcast to z's shape
    return np.log(np.sum(np.exp(shifted), axis=-1)) + m[..., 0]


_NEG_INF_HINT = (
    "A logit of -inf means an impossible class: np.exp(-np.inf) is exactly 0, so the max "
    "shift handles it as it is. Do not replace -inf or average over it."
)


def stable_softmax(fn) -> CheckResult:
    """Check ``fn(z)``: the softmax of the logits ``z`` along the last axis, without overflow.

    Parameters
    ----------
    fn : callable
        The learner's function of an array of logits (1-D, or 2-D with one example a row).

    Returns
    -------
    CheckResult
        Passed, or the first failing case with a hint, or "not attempted".

    Examples
    --------
    >>> import xent_lessons as xl
    >>> naive = lambda z: np.exp(z) / np.sum(np.exp(z), axis=-1, keepdims=True)
    >>> print(xl.check.stable_softmax(naive).message.splitlines()[0])
    ❌ stable_softmax: failed on logits of ±1e4.
    """
    z = _logits()
    cases = [
        Case(
            "small logits",
            (z["small"],),
            _softmax(z["small"]),
            "Softmax is exp(z) divided by the sum of exp(z) over the row: positive numbers that sum to 1.",
        ),
        Case("logits of ±1e4", (z["huge"],), _softmax(z["huge"]), _OVERFLOW),
        Case("very negative logits", (z["tiny"],), _softmax(z["tiny"]), _UNDERFLOW),
        Case(
            "a batch of shape (2, 3), one example per row",
            (z["batch_2x3"],),
            _softmax(z["batch_2x3"]),
            _AXIS,
        ),
        Case("a batch of shape (3, 3)", (z["batch_3x3"],), _softmax(z["batch_3x3"]), _AXIS),
        Case("rows with -inf logits", (z["neg_inf"],), _softmax(z["neg_inf"]), _NEG_INF_HINT),
    ]
    mistakes = [
        Mistake(lambda z: _softmax_of(_shift_variant(z, "global")), _GLOBAL_MAX),
        Mistake(lambda z: _softmax_of(_shift_variant(z, "columns")), _COLUMN_MAX),
        Mistake(
            lambda z: _softmax_of(_shift_variant(z, "clip")),
            "You clipped the logits: that changes the answer whenever a logit is beyond the "
            "clip. Subtract each row's largest logit instead; it changes nothing and keeps "
            "every exponent <= 0.",
        ),
    ]
    return run_cases("stable_softmax", fn, cases, mistakes)


def logsumexp(fn) -> CheckResult:
    """Check ``fn(z)``: ``log(sum(exp(z)))`` along the last axis, without overflow.

    The result has one value per row: shape ``z.shape[:-1]`` (a float for 1-D ``z``).

    Parameters
    ----------
    fn : callable
        The learner's function of an array of logits (1-D, or 2-D with one example a row).

    Returns
    -------
    CheckResult
        Passed, or the first failing case with a hint, or "not attempted".

    Examples
    --------
    >>> import xent_lessons as xl
    >>> def my_logsumexp(z):
    ...     raise NotImplementedError("Exercise: replace this line with your code")
    >>> xl.check.logsumexp(my_logsumexp).status
    'not attempted'
    >>> xl.check.logsumexp(lambda z: np.log(np.sum(np.exp(z), axis=-1))).status  # overflows
    'failed'
    """
    z = _logits()
    cases = [
        Case(
            "small logits",
            (z["small"],),
            _logsumexp(z["small"]),
            "logsumexp is the log of the sum of exp(z), one number per row (a single number "
            "for 1-D logits). If you shifted the logits by their max m, add m back at the end: "
            "log Σ exp(z) = m + log Σ exp(z − m).",
        ),
        Case(
            "logits of 1e4",
            (np.array([1e4, 1e4]),),
            _logsumexp(np.array([1e4, 1e4])),
            "np.exp(1e4) overflows to inf. Use log Σ exp(z) = m + log Σ exp(z − m), with m the "
            "largest logit of the row.",
        ),
        Case(
            "logits of -1e4",
            (np.array([-1e4, -1e4]),),
            _logsumexp(np.array([-1e4, -1e4])),
            _UNDERFLOW,
        ),
        Case(
            "a batch of shape (2, 3), one example per row",
            (z["batch_2x3"],),
            _logsumexp(z["batch_2x3"]),
            _AXIS + " The result has one value per row: shape (2,), not (2, 1).",
        ),
        Case("a batch of shape (3, 3)", (z["batch_3x3"],), _logsumexp(z["batch_3x3"]), _AXIS),
        Case("rows with -inf logits", (z["neg_inf"],), _logsumexp(z["neg_inf"]), _NEG_INF_HINT),
    ]
    mistakes = [
        Mistake(lambda z: _lse_of(z, _shift_variant(z, "global")), _GLOBAL_MAX),
        Mistake(
            lambda z: np.max(np.asarray(z, dtype=float), axis=-1),
            "That is the largest logit alone, an approximation: logsumexp is "
            "m + log Σ exp(z − m), and the log Σ term (at least log 1 = 0) must be added.",
        ),
        Mistake(
            lambda z: np.log(np.sum(np.exp(z - np.max(z, axis=-1, keepdims=True)), axis=-1)),
            "You shifted by the max m but did not add it back: log Σ exp(z) = m + log Σ "
            "exp(z − m).",
        ),
    ]
    return run_cases("logsumexp", fn, cases, mistakes)


def log_softmax(fn) -> CheckResult:
    """Check ``fn(z)``: ``log(softmax(z))`` along the last axis, exact for any logits.

    Parameters
    ----------
    fn : callable
        The learner's function of an array of logits (1-D, or 2-D with one example a row).

    Returns
    -------
    CheckResult
        Passed, or the first failing case with a hint, or "not attempted".

    Examples
    --------
    >>> import xent_lessons as xl
    >>> print(xl.check.log_softmax(lambda z: np.log(xl.softmax(z))).message.splitlines()[0])
    ❌ log_softmax: failed on a probability that rounds to 0.
    """
    far = np.array([0.0, -1000.0])
    z = _logits()
    cases = [
        Case(
            "small logits",
            (z["small"],),
            _log_softmax(z["small"]),
            "log_softmax(z) is z minus the logsumexp of its row.",
        ),
        Case(
            "a probability that rounds to 0",
            (far,),
            _log_softmax(far),
            "softmax gives exp(-1000), which rounds to 0, and log(0) = -inf: do not take the log "
            "of the softmax, compute z − logsumexp(z) directly. (If an exp overflowed instead: "
            "shift by the largest logit of the row, not by another value.)",
        ),
        Case("logits of ±1e4", (z["huge"],), _log_softmax(z["huge"]), _OVERFLOW),
        Case("very negative logits", (z["tiny"],), _log_softmax(z["tiny"]), _UNDERFLOW),
        Case(
            "a batch of shape (2, 3), one example per row",
            (z["batch_2x3"],),
            _log_softmax(z["batch_2x3"]),
            _AXIS,
        ),
        Case("a batch of shape (3, 3)", (z["batch_3x3"],), _log_softmax(z["batch_3x3"]), _AXIS),
        Case("rows with -inf logits", (z["neg_inf"],), _log_softmax(z["neg_inf"]), _NEG_INF_HINT),
    ]
    mistakes = [
        Mistake(lambda z: np.log(_softmax(z)),
            "You took the log of the softmax: where a probability rounds to 0, log gives -inf. "
            "Compute z − logsumexp(z) directly, without forming the probabilities.",
        ),
        Mistake(
            lambda z: _shift_variant(z, "global")
            - np.log(np.sum(np.exp(_shift_variant(z, "global")), axis=-1, keepdims=True)),
            _GLOBAL_MAX,
        ),
    ]
    return run_cases("log_softmax", fn, cases, mistakes)
