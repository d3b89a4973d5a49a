"""Checkers of lesson 14's exercises: a stable focal loss, the logit-adjusted cross-entropy,
the expected score of a forecast, and the multi-label BCE with a ``pos_weight`` per label.

Expected values come from the package (:func:`~xent_lessons.sigmoid_focal_loss`,
:func:`~xent_lessons.categorical_cross_entropy`, :func:`~xent_lessons.expected_score`).
The focal cases include logits of ±40 and ±1e4, where ``log(sigmoid(x))`` gives ``-inf``
and ``1 - sigmoid(x)`` rounds to 0; the logit-adjustment cases use rare classes (priors of
0.01) and logits of 1000; the expected-score cases include an outcome of probability 0 to
which the forecast also gives probability 0; the multi-label cases have N != L (so that a
``pos_weight`` per example cannot pass for one per label), photos with no label and with
several, and logits of ±1e4.
"""

from __future__ import annotations

import math

import numpy as np

from ..activations import log_softmax, sigmoid
from ..focal import sigmoid_focal_loss
from ..losses import binary_cross_entropy_with_logits, categorical_cross_entropy
from ..scoring_rules import expected_score as _expected_score
from ._runner import Case, CheckResult, Mistake, run_cases

__all__ = [
    "expected_score",
    "focal_loss_with_logits",
    "logit_adjusted_cross_entropy",
    "multi_label_bce",
]


# ------------------------------------------------------------------------ focal loss


def _focal_naive(x, t, alpha=0.25, gamma=2.0):
    """Probabilities first, logs second: what overflows."""
    p = 1 / (1 + np.exp(-np.asarray(x, dtype=float)))
    p_t = p * t + (1 - p) * (1 - t)
    alpha_t = alpha * t + (1 - alpha) * (1 - t)
    return -alpha_t * (1 - p_t) ** gamma * np.log(p_t)


def _focal_subtracted(x, t, alpha=0.25, gamma=2.0):
    """-log p_t stable from the logits, but 1 - p_t by subtraction: 0 where p_t rounds to 1."""
    ce = sigmoid_focal_loss(x, t, -1, 0.0)  # plain BCE, stable
    p = sigmoid(x)
    p_t = p * t + (1 - p) * (1 - t)
    alpha_t = alpha * t + (1 - alpha) * (1 - t)
    return alpha_t * (1 - p_t) ** gamma * ce


_FOCAL_MISTAKES = (
    Mistake(
        lambda x, t, alpha=0.25, gamma=2.0: sigmoid_focal_loss(x, t, 1 - alpha, gamma),
        "The weights are swapped: alpha weighs the POSITIVES (t = 1) and 1 - alpha the "
        "negatives, alpha_t = alpha * t + (1 - alpha) * (1 - t).",
    ),
    Mistake(
        lambda x, t, alpha=0.25, gamma=2.0: sigmoid_focal_loss(x, t, -1, gamma),
        "The weight alpha_t is missing: multiply by alpha for a positive, 1 - alpha for a "
        "negative.",
    ),
    Mistake(
        lambda x, t, alpha=0.25, gamma=2.0: _focal_with_pt_power(x, t, alpha, gamma),
        "The modulating factor is (1 - p_t)^gamma, not p_t^gamma: it is small for the "
        "EASY examples (p_t near 1).",
    ),
    Mistake(
        _focal_subtracted,
        "A loss of exactly 0 for a confident right answer, where the exact value is tiny "
        "but not 0 (about 1.9e-53 at x = 40, t = 1): p_t = sigmoid(40) rounds to exactly 1.0. "
        "Most likely 1 - p_t was computed by subtraction, 1 - 1.0 = 0, where it is "
        "sigmoid(-40) = 4.2e-18; or -log p_t was computed as -log(sigmoid(x)) = -log(1.0) = 0. "
        "Compute 1 - p_t directly, sigmoid(-x) for a positive and sigmoid(x) for a negative, "
        "and -log p_t with the stable BCE from logits.",
    ),
    Mistake(
        _focal_naive,
        "The loss went to inf or NaN: sigmoid(x) rounds to exactly 0 or 1 for large |x|, and "
        "log(0) = -inf. Compute -log p_t as the stable BCE from logits (lesson 04), and "
        "1 - p_t as sigmoid(-x) for a positive, sigmoid(x) for a negative.",
    ),
    Mistake(
        lambda x, t, alpha=0.25, gamma=2.0: np.full(np.shape(x), sigmoid_focal_loss(x, t, alpha, gamma).mean()),
        "Return the loss of every element (no mean), the shape of the logits.",
    ),
)


def _focal_with_pt_power(x, t, alpha, gamma):
    ce = sigmoid_focal_loss(x, t, -1, 0.0)  # plain BCE
    p = sigmoid(x)
    p_t = p * t + (1 - p) * (1 - t)
    alpha_t = alpha * t + (1 - alpha) * (1 - t)
    return alpha_t * ce * p_t**gamma


def focal_loss_with_logits(fn) -> CheckResult:
    """Check ``fn(logits, targets, alpha=0.25, gamma=2.0)``: the focal loss of every element.

    ``targets`` hold 0 or 1; the result has the logits' shape, in nats, and must be exact
    for any logit (no ``inf`` or ``nan``).

    Parameters
    ----------
    fn : callable
        The learner's function.

    Returns
    -------
    CheckResult

    Examples
    --------
    >>> import numpy as np
    >>> def naive(x, t, alpha=0.25, gamma=2.0):
    ...     p = 1 / (1 + np.exp(-x))
    ...     p_t = p * t + (1 - p) * (1 - t)
    ...     return -(alpha * t + (1 - alpha) * (1 - t)) * (1 - p_t) ** gamma * np.log(p_t)
    >>> print(focal_loss_with_logits(naive).message.splitlines()[0])
    ❌ focal_loss_with_logits: failed on logits of ±40.
    """
    x1 = np.array([2.0, -1.0, 0.0, 3.0, -2.5])
    t1 = np.array([1.0, 0.0, 1.0, 0.0, 1.0])
    x40 = np.array([40.0, -40.0, 40.0, -40.0])
    t40 = np.array([0.0, 1.0, 1.0, 0.0])
    x_big = np.array([[1e4, -1e4], [-1e4, 1e4]])
    t_big = np.array([[0.0, 1.0], [0.0, 1.0]])
    cases = [
        Case(
            "five examples, alpha 0.25, gamma 2",
            (x1, t1),
            sigmoid_focal_loss(x1, t1),
            "FL = -alpha_t (1 - p_t)^gamma log p_t, element by element, with p_t = sigmoid(x) "
            "for a positive and 1 - sigmoid(x) for a negative.",
        ),
        Case(
            "gamma = 0 and alpha = 0.5: half the binary cross-entropy",
            (x1, t1),
            sigmoid_focal_loss(x1, t1, alpha=0.5, gamma=0.0),
            "With gamma = 0 the factor (1 - p_t)^0 is 1: the loss is alpha_t times BCE.",
            kwargs={"alpha": 0.5, "gamma": 0.0},
        ),
        Case(
            "gamma = 5 and alpha = 0.9",
            (x1, t1),
            sigmoid_focal_loss(x1, t1, alpha=0.9, gamma=5.0),
            "Use the gamma and alpha you are given.",
            kwargs={"alpha": 0.9, "gamma": 5.0},
        ),
        Case(
            "logits of ±40",
            (x40, t40),
            sigmoid_focal_loss(x40, t40),
            "sigmoid(40) rounds to exactly 1.0 in float64, so log(1 - sigmoid(40)) is -inf: "
            "compute -log p_t from the logit (the stable BCE of lesson 04), and 1 - p_t as a "
            "sigmoid of ±x, not as 1 minus something. Exact means exact here: a right answer "
            "at ±40 costs about 1e-53, and 0 is not that (relative tolerance, no absolute one).",
            atol=0.0,
        ),
        Case(
            "logits of ±1e4 in a (2, 2) batch",
            (x_big, t_big),
            sigmoid_focal_loss(x_big, t_big),
            "np.exp(1e4) overflows. A certain mistake costs |x| nats of cross-entropy, times "
            "alpha_t (its (1 - p_t)^gamma is 1); a certain right answer costs 0.",
        ),
    ]
    return run_cases("focal_loss_with_logits", fn, cases, _FOCAL_MISTAKES)


# ---------------------------------------------------------------- logit adjustment


def _adjusted(logits, target, class_priors, tau=1.0, sign=1.0, use_log=True, reduction="mean"):
    shift = np.log(class_priors) if use_log else np.asarray(class_priors, dtype=float)
    z = np.asarray(logits, dtype=float) + sign * tau * shift
    return categorical_cross_entropy(z, target, reduction=reduction)


_ADJUST_MISTAKES = (
    Mistake(
        lambda z, y, p, tau=1.0: _adjusted(z, y, p, tau, sign=-1.0),
        "The sign is flipped: during training ADD tau * log(prior) to the logits (the rare "
        "classes' logits go down, so the model must push them up). Subtracting is the "
        "post-hoc correction, applied at prediction time.",
    ),
    Mistake(
        lambda z, y, p, tau=1.0: _adjusted(z, y, p, tau, use_log=False),
        "The priors were added as they are: add their log, tau * log(prior).",
    ),
    Mistake(
        lambda z, y, p, tau=1.0: _adjusted(z, y, p, 1.0),
        "tau is ignored: the shift is tau * log(prior).",
    ),
    Mistake(
        lambda z, y, p, tau=1.0: _adjusted(z, y, p, tau, reduction="sum"),
        "That is the sum over the examples: return the mean.",
    ),
    Mistake(
        lambda z, y, p, tau=1.0: categorical_cross_entropy(
            np.asarray(z, dtype=float) + tau * np.log10(p), y
        ),
        "np.log10 is the base-10 log: the adjustment uses the natural log.",
    ),
)


def logit_adjusted_cross_entropy(fn) -> CheckResult:
    """Check ``fn(logits, target, class_priors, tau=1.0)``: the mean logit-adjusted
    cross-entropy, a float in nats.

    ``logits`` is (N, C), ``target`` holds N class indices and ``class_priors`` the C
    classes' frequencies in the training set (they sum to 1).

    Parameters
    ----------
    fn : callable
        The learner's function.

    Returns
    -------
    CheckResult

    Examples
    --------
    >>> import xent_lessons as xl
    >>> plain = lambda z, y, priors, tau=1.0: xl.categorical_cross_entropy(z, y)
    >>> logit_adjusted_cross_entropy(plain).status
    'failed'
    """
    priors = np.array([0.9, 0.09, 0.01])
    z = np.array([[2.0, 0.5, -1.0], [0.0, 1.0, 0.5], [1.0, 0.0, 2.0], [0.3, -0.2, 0.1]])
    y = np.array([0, 1, 2, 2])
    z_big = np.array([[1000.0, 0.0, -1000.0], [0.0, 1000.0, 990.0]])
    y_big = np.array([2, 1])
    four = np.array([0.4, 0.3, 0.2, 0.1])
    z4 = np.array([[0.5, 0.2, -0.3, 1.0], [1.5, -1.0, 0.0, 0.2]])
    y4 = np.array([3, 0])
    cases = [
        Case(
            "three classes with priors (0.9, 0.09, 0.01), tau 1",
            (z, y, priors),
            _adjusted(z, y, priors),
            "Add tau * log(prior) to each class's logit, then take the usual mean "
            "cross-entropy.",
        ),
        Case(
            "tau = 2",
            (z, y, priors),
            _adjusted(z, y, priors, 2.0),
            "Scale the shift by tau.",
            kwargs={"tau": 2.0},
        ),
        Case(
            "tau = 0: plain cross-entropy",
            (z, y, priors),
            categorical_cross_entropy(z, y),
            "With tau = 0 nothing is added: the plain mean cross-entropy.",
            kwargs={"tau": 0.0},
        ),
        Case(
            "four classes, priors (0.4, 0.3, 0.2, 0.1)",
            (z4, y4, four),
            _adjusted(z4, y4, four),
            "Each class gets its own shift, log of its own prior.",
        ),
        Case(
            "logits of ±1000",
            (z_big, y_big, priors),
            _adjusted(z_big, y_big, priors),
            "np.exp(1000) overflows: use a stable cross-entropy (xl.categorical_cross_entropy, "
            "or log-softmax with the max shift).",
        ),
    ]
    return run_cases("logit_adjusted_cross_entropy", fn, cases, _ADJUST_MISTAKES)


# ------------------------------------------------------------------ expected score


class _Rule:
    """A scoring rule that shows its formula in a checker's report (not an address)."""

    def __init__(self, formula, fn):
        self.formula, self.fn = formula, fn

    def __call__(self, q, y):
        return self.fn(q, y)

    def __repr__(self):
        return self.formula


def _brier_value(q, y):
    onehot = np.zeros(len(q))
    onehot[y] = 1.0
    return float(((np.asarray(q) - onehot) ** 2).sum())


_log_score = _Rule("log score: -log q[y]", lambda q, y: -math.log(q[y]) if q[y] > 0 else math.inf)
_brier = _Rule("Brier score: sum_c (q[c] - [c == y])^2", _brier_value)
_absolute = _Rule("absolute error: 1 - q[y]", lambda q, y: 1.0 - float(q[y]))


def _unweighted(rule, q, p):
    return float(np.mean([rule(np.asarray(q, dtype=float), y) for y in range(len(q))]))


def _weighted_by_q(rule, q, p):
    q = np.asarray(q, dtype=float)
    return float(sum(q[y] * rule(q, y) for y in range(len(q)) if q[y] > 0))


def _every_outcome(rule, q, p):
    return float(sum(pi * rule(np.asarray(q, dtype=float), y) for y, pi in enumerate(p)))


_SCORE_MISTAKES = (
    Mistake(
        _unweighted,
        "That is the plain mean over the outcomes: weight each outcome's score by how often "
        "it happens, its TRUE probability p[y].",
    ),
    Mistake(
        _weighted_by_q,
        "The outcomes were weighted by the forecast q: they happen with the TRUE "
        "probabilities p, so weight by p[y] (the forecast only goes into the rule).",
    ),
    Mistake(
        _every_outcome,
        "An outcome with p[y] = 0 never happens and adds nothing, even where the rule says "
        "inf (0 * inf is NaN in floating point): skip the outcomes whose p[y] is 0.",
    ),
)


def expected_score(fn) -> CheckResult:
    """Check ``fn(rule, q, p)``: the expected score of the forecast ``q`` when the truth is
    ``p``, a float.

    ``rule(q, y)`` is the score of forecast ``q`` when outcome ``y`` happens; ``q`` and ``p``
    are probability vectors over the same outcomes.

    Parameters
    ----------
    fn : callable
        The learner's function.

    Returns
    -------
    CheckResult

    Examples
    --------
    >>> mean_only = lambda rule, q, p: sum(rule(q, y) for y in range(len(q))) / len(q)
    >>> expected_score(mean_only).status
    'failed'
    """
    p2, q2 = np.array([0.7, 0.3]), np.array([0.5, 0.5])
    p3, q3 = np.array([0.2, 0.5, 0.3]), np.array([0.1, 0.6, 0.3])
    p0, q0 = np.array([0.6, 0.4, 0.0]), np.array([0.5, 0.5, 0.0])
    cases = [
        Case(
            "the log score, p = (0.7, 0.3), q = (0.5, 0.5)",
            (_log_score, q2, p2),
            _expected_score(_log_score, q2, p2),
            "Sum over the outcomes y: p[y] times rule(q, y).",
        ),
        Case(
            "the Brier score on 3 outcomes",
            (_brier, q3, p3),
            _expected_score(_brier, q3, p3),
            "Weight each outcome's score by its true probability p[y].",
        ),
        Case(
            "the absolute error on 3 outcomes",
            (_absolute, q3, p3),
            _expected_score(_absolute, q3, p3),
            "Weight each outcome's score by its true probability p[y].",
        ),
        Case(
            "an outcome that never happens, forecast 0",
            (_log_score, q0, p0),
            _expected_score(_log_score, q0, p0),
            "Outcome 2 has p = 0: it never happens, so it adds nothing, although -log q[2] "
            "is inf.",
        ),
    ]
    return run_cases("expected_score", fn, cases, _SCORE_MISTAKES)


# ------------------------------------------------------------------ multi-label BCE


def _multi_label_terms(logits, targets, pos_weight=None, on_positive=True, on_negative=False):
    """The positive and negative terms of the multi-label BCE, ``pos_weight`` where asked."""
    x = np.asarray(logits, dtype=float)
    t = np.asarray(targets, dtype=float)
    w = 1.0 if pos_weight is None else np.asarray(pos_weight, dtype=float)
    positive = t * np.logaddexp(0.0, -x)  # -t log sigmoid(x)
    negative = (1 - t) * np.logaddexp(0.0, x)  # -(1 - t) log(1 - sigmoid(x))
    return (w * positive if on_positive else positive) + (w * negative if on_negative else negative)


def _softmax_over_labels(logits, targets, pos_weight=None):
    """torch's F.cross_entropy(logits, multi_hot): a softmax over the labels, mean over rows."""
    z = np.asarray(logits, dtype=float)
    return float(-np.mean(np.sum(np.asarray(targets) * log_softmax(z, axis=1), axis=1)))


def _log_of_sigmoid(logits, targets, pos_weight=None):
    x = np.asarray(logits, dtype=float)
    t = np.asarray(targets, dtype=float)
    w = 1.0 if pos_weight is None else np.asarray(pos_weight, dtype=float)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        q = 1 / (1 + np.exp(-x))
        return float(np.mean(-(w * t * np.log(q) + (1 - t) * np.log(1 - q))))


_MULTI_LABEL_MISTAKES = (
    Mistake(
        _softmax_over_labels,
        "That is a softmax over the labels (cross-entropy with a multi-hot target, what "
        "F.cross_entropy computes): its probabilities sum to 1, so the labels compete. "
        "Multi-label needs one sigmoid per label: a binary cross-entropy for every element.",
    ),
    Mistake(
        lambda x, t, pos_weight=None: float(np.sum(_multi_label_terms(x, t, pos_weight))),
        "That is the sum over all the elements: return the mean over all N * L of them "
        "(what reduction='mean' does).",
    ),
    Mistake(
        lambda x, t, pos_weight=None: float(
            np.mean(np.sum(_multi_label_terms(x, t, pos_weight), axis=1))
        ),
        "That is summed over the labels and averaged over the examples, L times the "
        "answer: torch's reduction='mean' averages over all N * L elements.",
    ),
    Mistake(
        lambda x, t, pos_weight=None: float(
            np.mean(_multi_label_terms(x, t, pos_weight, on_negative=True))
        ),
        "pos_weight multiplied both terms: it weighs only the POSITIVE term of each label, "
        "pos_weight[l] * t * softplus(-x); the negative term (1 - t) * softplus(x) keeps "
        "weight 1.",
    ),
    Mistake(
        lambda x, t, pos_weight=None: float(
            np.mean(_multi_label_terms(x, t, pos_weight, on_positive=False, on_negative=True))
        ),
        "pos_weight multiplied the negative term: it weighs the POSITIVE term, "
        "pos_weight[l] * t * softplus(-x).",
    ),
    Mistake(
        lambda x, t, pos_weight=None: float(np.mean(_multi_label_terms(x, t))),
        "pos_weight was ignored: multiply the positive term of label l by pos_weight[l].",
    ),
    Mistake(
        _log_of_sigmoid,
        "The loss went to inf or NaN: sigmoid(x) rounds to exactly 0 or 1 for large |x|, and "
        "log(0) = -inf. Work from the logits: -log sigmoid(x) = softplus(-x) and "
        "-log(1 - sigmoid(x)) = softplus(x), with softplus(x) = np.logaddexp(0, x).",
    ),
)


def multi_label_bce(fn) -> CheckResult:
    """Check ``fn(logits, targets, pos_weight=None)``: the mean multi-label binary
    cross-entropy, a float in nats.

    ``logits`` and ``targets`` are (N, L), the targets 0/1 (multi-hot rows); ``pos_weight``
    holds one weight per label (shape (L,)) that multiplies the positive term of that
    label's loss, or is None (every weight 1). The mean is over all N * L elements, as in
    torch's ``F.binary_cross_entropy_with_logits(..., pos_weight=...)``.

    Parameters
    ----------
    fn : callable
        The learner's function.

    Returns
    -------
    CheckResult

    Examples
    --------
    >>> import numpy as np
    >>> def summed(x, t, pos_weight=None):
    ...     return np.sum(np.logaddexp(0, -x) * t + np.logaddexp(0, x) * (1 - t))
    >>> print(multi_label_bce(summed).message.splitlines()[-1])
       hint: That is the sum over all the elements: return the mean over all N * L of them (what reduction='mean' does).
    """
    x1 = np.array([[2.0, -1.0, 0.5, -3.0], [0.0, 1.5, -0.5, 1.0], [-2.0, 0.3, 3.0, -1.0]])
    t1 = np.array([[1.0, 1.0, 0.0, 0.0], [0.0, 1.0, 1.0, 1.0], [0.0, 0.0, 0.0, 0.0]])
    pw1 = np.array([1.0, 0.5, 2.0, 25.0])
    x2 = np.array([[0.4, -1.2, 2.2], [1.0, 0.0, -0.7]])
    t2 = np.array([[1.0, 0.0, 1.0], [1.0, 1.0, 0.0]])
    pw2 = np.array([3.0, 0.25, 1.0])
    x_big = np.array([[1e4, -1e4, 40.0], [-1e4, 1e4, -40.0]])
    t_big = np.array([[0.0, 1.0, 1.0], [0.0, 1.0, 0.0]])
    pw_big = np.array([2.0, 4.0, 0.5])

    def expected(x, t, pw=None):
        return binary_cross_entropy_with_logits(x, t, pos_weight=pw)

    cases = [
        Case(
            "3 photos, 4 labels, no pos_weight",
            (x1, t1),
            expected(x1, t1),
            "One sigmoid per label: -[t log sigmoid(x) + (1 - t) log(1 - sigmoid(x))] for every "
            "element, then the mean over all N * L elements.",
        ),
        Case(
            "3 photos, 4 labels, pos_weight (1, 0.5, 2, 25)",
            (x1, t1),
            expected(x1, t1, pw1),
            "pos_weight[l] multiplies the positive term of label l (the column l), "
            "pos_weight[l] * t * softplus(-x); the negative term keeps weight 1.",
            kwargs={"pos_weight": pw1},
        ),
        Case(
            "2 photos, 3 labels, pos_weight (3, 0.25, 1)",
            (x2, t2),
            expected(x2, t2, pw2),
            "pos_weight has one weight per LABEL (shape (L,)): it broadcasts along the last "
            "axis, the columns, whatever the number of photos.",
            kwargs={"pos_weight": pw2},
        ),
        Case(
            "logits of ±1e4 and ±40, pos_weight (2, 4, 0.5)",
            (x_big, t_big),
            expected(x_big, t_big, pw_big),
            "np.exp(1e4) overflows and sigmoid(40) rounds to 1.0: use softplus(x) = "
            "np.logaddexp(0, x), a certain mistake costs |x| nats (times pos_weight for a "
            "positive), a certain right answer almost 0.",
            kwargs={"pos_weight": pw_big},
        ),
    ]
    return run_cases("multi_label_bce", fn, cases, _MULTI_LABEL_MISTAKES)
