"""Checkers of lesson 04, binary cross-entropy.

Expected values come from :func:`xent_lessons.binary_cross_entropy` and
:func:`xent_lessons.binary_cross_entropy_with_logits`, never from the learner's code.
"""

from __future__ import annotations

import numpy as np

from ..losses import binary_cross_entropy, binary_cross_entropy_with_logits
from ._runner import Case, CheckResult, Mistake, run_cases

__all__ = ["bce_from_probabilities", "bce_with_logits"]

# The worked example of the lesson.
WORKED_Y = np.array([0, 1, 1, 0, 0, 1, 1], dtype=float)
WORKED_Q = np.array([0.07, 0.91, 0.74, 0.23, 0.85, 0.17, 0.94])


_PICKED_BY_LABEL = (
    "You picked log q or log(1 − q) by the label (np.where, or an if on y): right for labels "
    "that are exactly 0 or 1, wrong for a soft target such as y = 0.3 (a smoothed label, or "
    "the fraction of annotators who said yes). Use the whole formula, "
    "−[y·log q + (1 − y)·log(1 − q)]: it holds for any y between 0 and 1."
)


def _label_pickers(per_element):
    """The ways to pick one term by the label: ``per_element(positive, q_or_z)``."""

    def picker(is_positive):
        return lambda a, y: per_element(is_positive(np.asarray(y)), a)

    tests = (lambda y: y == 1, lambda y: y > 0.5, lambda y: y >= 0.5, lambda y: y > 0)
    return [picker(test) for test in tests]


def _bce_picked(positive, q):
    return -np.where(positive, np.log(q), np.log(1 - q))


def _bce_case(name, q, y, hint) -> Case:
    q, y = np.array(q, dtype=float), np.array(y, dtype=float)
    return Case(name, (q, y), binary_cross_entropy(q, y), hint)


def bce_from_probabilities(fn) -> CheckResult:
    """Check ``fn(q, y)``: the mean binary cross-entropy of probabilities ``q``, targets ``y``.

    Parameters
    ----------
    fn : callable
        The learner's function: arrays ``q`` (probabilities in (0, 1)) and ``y`` (0/1
        targets) of the same shape in, one number (the mean over all elements, in nats) out.

    Returns
    -------
    CheckResult
        Passed, the first failing case with a hint, or "not attempted".

    Examples
    --------
    >>> import xent_lessons as xl
    >>> def my_bce(q, y):
    ...     raise NotImplementedError("Exercise: replace this line with your code")
    >>> xl.check.bce_from_probabilities(my_bce).status
    'not attempted'
    >>> xl.check.bce_from_probabilities(lambda q, y: -np.log(q).mean()).status  # y ignored
    'failed'
    """
    cases = [
        _bce_case(
            "an unsure guess, q = 0.5 for a positive",
            [0.5], [1.0],
            "at q = 0.5 the loss is ln 2 ≈ 0.693 nats. Getting 1.0 means log base 2 (use "
            "np.log, natural log, for nats); a negative value means the minus sign is "
            "missing; an array means the mean is missing (return one number).",
        ),
        _bce_case(
            "a confident, correct positive (q = 0.9, y = 1)",
            [0.9], [1.0],
            "with y = 1 only the y·log q term should count, and a confident correct answer "
            "costs little. Did you swap log q and log(1 − q)?",
        ),
        _bce_case(
            "a confident, correct negative (q = 0.2, y = 0)",
            [0.2], [0.0],
            "with y = 0 only the (1 − y)·log(1 − q) term should count. Did you swap the two "
            "terms, or write log(q − 1)?",
        ),
        _bce_case(
            "the seven samples of the worked example",
            WORKED_Q, WORKED_Y,
            "average the per-sample losses over the N samples (the mean), not their sum.",
        ),
        _bce_case(
            "soft targets (y = 0.3, 0.9, 0.5: labels that are not just 0 or 1)",
            [0.6, 0.2, 0.85], [0.3, 0.9, 0.5],
            "the formula −[y·log q + (1 − y)·log(1 − q)] holds for any target y in [0, 1]; "
            "both terms count when y is neither 0 nor 1.",
        ),
        _bce_case(
            "a batch of shape (2, 3)",
            [[0.3, 0.8, 0.6], [0.1, 0.45, 0.99]], [[0, 1, 1], [1, 0, 1]],
            "take the mean over every element, whatever the shape (np.mean with no axis).",
        ),
    ]
    mistakes = [
        Mistake(lambda q, y, pick=pick: np.mean(pick(q, y)), _PICKED_BY_LABEL)
        for pick in _label_pickers(_bce_picked)
    ] + [
        Mistake(
            lambda q, y: np.mean(-y * np.log(q)),
            "Only the y·log q term is there: the (1 − y)·log(1 − q) term, which charges the "
            "negatives (y = 0) for a high q, is missing.",
        ),
        Mistake(
            lambda q, y: np.sum(-(y * np.log(q) + (1 - y) * np.log(1 - q))) / len(q),
            "You divided by len(q), the number of ROWS: for a batch of shape (2, 3) the mean "
            "is over all 6 elements (np.mean, or divide by q.size).",
        ),
    ]
    return run_cases("bce_from_probabilities", fn, cases, mistakes)


def _logit_case(name, z, y, hint, **tolerance) -> Case:
    z, y = np.array(z, dtype=float), np.array(y, dtype=float)
    expected = binary_cross_entropy_with_logits(z, y, reduction="none")
    return Case(name, (z, y), expected, hint, **tolerance)


def bce_with_logits(fn) -> CheckResult:
    r"""Check ``fn(z, y)``: the per-element binary cross-entropy from logits, computed stably.

    Parameters
    ----------
    fn : callable
        The learner's function: arrays ``z`` (logits) and ``y`` (0/1 targets) of the same
        shape in, an array of that shape out (one loss per element, in nats).

    Returns
    -------
    CheckResult
        Passed, the first failing case with a hint, or "not attempted".

    Notes
    -----
    The cases include logits of magnitude :math:`10^4`, where the naive
    ``-log(sigmoid(z))`` gives ``inf`` or ``nan``, and a confident correct prediction
    (``z = 40``) whose loss, :math:`4.2 \times 10^{-18}`, is lost by ``log(1 + ...)``
    but kept by ``log1p``.

    Examples
    --------
    >>> import xent_lessons as xl
    >>> def naive(z, y):
    ...     q = 1 / (1 + np.exp(-z))
    ...     return -(y * np.log(q) + (1 - y) * np.log(1 - q))
    >>> xl.check.bce_with_logits(naive).status
    'failed'
    """
    cases = [
        _logit_case(
            "z = 0 (q = 0.5), y = 1",
            [0.0], [1.0],
            "at z = 0 the model says q = 0.5, so the loss is ln 2 ≈ 0.693 nats for either "
            "target; check the signs of your terms, and return one loss per element.",
        ),
        _logit_case(
            "moderate logits, both targets",
            [2.0, -1.0, 0.5, -3.0], [1.0, 0.0, 0.0, 1.0],
            "compare with the derived formula term by term: the max(z, 0) term, the z·y "
            "term and the log(1 + e^(−|z|)) term (is the absolute value there?).",
        ),
        _logit_case(
            "logits of magnitude 1e4",
            [1e4, -1e4, 1e4, -1e4], [1.0, 1.0, 0.0, 0.0],
            "at |z| = 1e4 the sigmoid rounds to exactly 0 or 1, so log(sigmoid(z)) gives "
            "-inf and 0·log 0 gives nan; use the stable form, in which exp only ever sees "
            "−|z|.",
        ),
        _logit_case(
            "a confident, correct prediction (z = 40, y = 1; loss ≈ 4.2e-18)",
            [40.0], [1.0],
            "log(1 + e^(−40)) rounds 1 + 4.2e-18 to 1 and returns 0: np.log1p(x) computes "
            "log(1 + x) without that rounding.",
            atol=0.0,
        ),
        _logit_case(
            "soft targets (y = 0.3, 0.8, 0.5)",
            [1.5, -0.5, 3.0], [0.3, 0.8, 0.5],
            "the loss max(z, 0) − z·y + log(1 + e^(−|z|)) holds for any target y in [0, 1]: "
            "keep y in the formula rather than choosing a branch by it.",
        ),
        _logit_case(
            "a batch of shape (2, 2)",
            [[3.0, -2.0], [-0.5, 7.0]], [[1.0, 1.0], [0.0, 0.0]],
            "return one loss per element with the shape of z: no mean, no sum.",
        ),
    ]

    def softplus_picked(positive, z):  # -log sigmoid(z) for a positive, -log sigmoid(-z) else
        return np.where(positive, np.logaddexp(0, -z), np.logaddexp(0, z))

    mistakes = [
        Mistake(lambda z, y, pick=pick: pick(z, y), _PICKED_BY_LABEL)
        for pick in _label_pickers(softplus_picked)
    ] + [
        Mistake(
            lambda z, y: np.maximum(z, 0) - z * y + np.log1p(np.exp(-z)),
            "The absolute value is missing: log(1 + e^(−|z|)). With −z instead of −|z|, a "
            "large negative logit makes exp overflow.",
        ),
    ]
    return run_cases("bce_with_logits", fn, cases, mistakes)
