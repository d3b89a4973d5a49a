"""Checkers of lesson 05, categorical cross-entropy.

Expected values come from :func:`xent_lessons.categorical_cross_entropy` (PyTorch's
semantics), never from the learner's code.
"""

from __future__ import annotations

import numpy as np

from ..losses import categorical_cross_entropy
from ._runner import Case, CheckResult, Mistake, run_cases

__all__ = ["categorical_ce_from_logits", "label_smoothing_ce", "weighted_mean_ce"]

# The worked example of the lesson.
WORKED_Z = np.array([[9.7785, 0.9195, 2.10], [3.133, -3.05, 1.02], [0.12, 0.432518, 0.470]])
WORKED_Y = np.array([0, 0, 2])

OVERFLOW_HINT = (
    "exp(1e4) overflows to inf and inf / inf is nan: subtract each row's max logit before "
    "exp (softmax does not change when every logit moves by the same amount)."
)
UNDERFLOW_HINT = (
    "softmax rounds a tiny probability to exactly 0 and log(0) = -inf: compute "
    "log q = z − logsumexp(z) directly instead of log(softmax(z))."
)


GLOBAL_MAX_HINT = (
    "You shifted by the largest logit of the whole BATCH (np.max(z) without an axis): a row "
    "whose logits are all far below it underflows (exp gives 0, and log 0 = -inf). Shift "
    "each row by its own max, np.max(z, axis=1, keepdims=True)."
)


def _log_q(z, shift="row"):
    """log-softmax along axis 1, shifted by each row's max or (a mistake) the batch's."""
    z = np.asarray(z, dtype=float)
    m = np.max(z) if shift == "batch" else np.max(z, axis=1, keepdims=True)
    return z - m - np.log(np.sum(np.exp(z - m), axis=1, keepdims=True))


def _rows(y):
    return np.arange(len(y)), np.asarray(y)


def _case(name, z, y, hint, **kwargs) -> Case:
    """A case whose arguments are ``(z, y, *kwargs.values())``, positional as in the stubs."""
    z, y = np.array(z, dtype=float), np.array(y, dtype=np.int64)
    expected = categorical_cross_entropy(z, y, **kwargs)
    return Case(name, (z, y, *kwargs.values()), expected, hint)


def categorical_ce_from_logits(fn) -> CheckResult:
    """Check ``fn(z, y)``: mean cross-entropy of logits ``z`` (N, C) and class indices ``y`` (N,).

    Parameters
    ----------
    fn : callable
        The learner's function: logits of shape ``(N, C)`` and integer targets of shape
        ``(N,)`` in, one number (the mean over the N samples, in nats) out.

    Returns
    -------
    CheckResult
        Passed, the first failing case with a hint, or "not attempted".

    Examples
    --------
    >>> import xent_lessons as xl
    >>> def naive(z, y):
    ...     q = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    ...     return -np.mean(np.log(q[np.arange(len(y)), y]))
    >>> xl.check.categorical_ce_from_logits(naive).status
    'failed'
    """
    cases = [
        _case(
            "one sample, three classes",
            [[1.0, 2.0, 3.0]], [2],
            "each row is one sample: softmax goes along the classes (axis=1, with "
            "keepdims=True), the loss is −log q of the target class, and the result is one "
            "number (the mean), not an array.",
        ),
        _case(
            "2 samples, 4 classes",
            [[0.5, -1.0, 2.0, 0.0], [1.5, 0.2, -0.3, 0.9]], [3, 1],
            "pick one entry per row, the target's: q[np.arange(N), y] (q[:, y] picks N "
            "entries from every row); and average over the N samples (the mean), not the sum.",
        ),
        _case(
            "the worked example (3 samples)",
            WORKED_Z, WORKED_Y,
            "normalise each row over its classes (axis=1), not each column, and average "
            "over the N samples (the mean), not the sum.",
        ),
        _case("logits of 1e4", [[1e4, 0.0, -1e4], [0.0, 1e4, 1e4]], [0, 2], OVERFLOW_HINT),
        _case(
            "a very confident mistake (the target's logit is 1e4 below another)",
            [[0.0, 1e4, 0.0]], [0], UNDERFLOW_HINT,
        ),
        _case(
            "rows of very different scales (logits near 1e4 in one row, near 1 in the other)",
            [[1e4, 0.0, -1e4], [1.0, 2.0, 3.0]], [0, 1],
            "each row is shifted by its OWN largest logit (axis=1, keepdims=True); one shift "
            "for the whole batch leaves the other rows far below 0.",
        ),
    ]
    mistakes = [
        Mistake(lambda z, y: -np.mean(_log_q(z, "batch")[_rows(y)]), GLOBAL_MAX_HINT),
        Mistake(
            lambda z, y: -np.mean(_log_q(z)[:, y]),
            "q[:, y] (or log_q[:, y]) picks whole columns, N entries from every row, and the "
            "mean then averages N x N numbers: pick one entry per row, [np.arange(N), y].",
        ),
        Mistake(
            lambda z, y: -np.mean(
                (z - np.log(np.sum(np.exp(z - np.max(z, axis=1, keepdims=True)), axis=1, keepdims=True)))[_rows(y)]
            ),
            "The shift m is missing from the first term: log q = z − m − log Σ exp(z − m) "
            "(subtract the row max from z too, or add it back to the log-sum).",
        ),
        Mistake(
            lambda z, y: -np.mean(np.eye(z.shape[1])[y] * _log_q(z)),
            "np.mean over the one-hot product averages all N·C entries: sum over the classes "
            "first (only the target's term is non-zero), then average over the N rows.",
        ),
    ]
    return run_cases("categorical_ce_from_logits", fn, cases, mistakes)


def weighted_mean_ce(fn) -> CheckResult:
    r"""Check ``fn(z, y, weight)``: cross-entropy with class weights, PyTorch's weighted mean.

    Parameters
    ----------
    fn : callable
        The learner's function: logits ``(N, C)``, integer targets ``(N,)`` and one weight
        per class ``(C,)`` in; out
        :math:`\sum_i w_{y_i} \ell_i / \sum_i w_{y_i}` (one number, in nats).

    Returns
    -------
    CheckResult
        Passed, the first failing case with a hint, or "not attempted".

    Examples
    --------
    >>> import xent_lessons as xl
    >>> def my_weighted_mean_ce(z, y, weight):
    ...     raise NotImplementedError("Exercise: replace this line with your code")
    >>> xl.check.weighted_mean_ce(my_weighted_mean_ce).status
    'not attempted'
    """
    z4 = [[2.0, 0.5, -1.0], [0.1, 1.2, 0.3], [-0.5, 2.2, 0.0], [1.0, 1.0, 3.0]]
    cases = [
        _case(
            "all weights 1",
            z4, [0, 1, 1, 2],
            "with every weight 1 this is the plain mean cross-entropy: check the loss of "
            "each row (−log q of its target class) before weighting.",
            weight=np.ones(3),
        ),
        _case(
            "class weights [1, 2, 0.5]",
            z4, [0, 1, 1, 2],
            "the weighted mean divides by the sum of the targets' weights, Σ w[y_i], not by "
            "N; and each row takes the weight of its target class, w[y_i].",
            weight=np.array([1.0, 2.0, 0.5]),
        ),
        _case(
            "a class with weight 0 (its rows count for nothing)",
            z4, [0, 1, 2, 2],
            "a row whose target class has weight 0 adds nothing to the sum and nothing to "
            "the denominator Σ w[y_i].",
            weight=np.array([3.0, 1.0, 0.0]),
        ),
        _case(
            "logits of 1e4",
            [[1e4, 0.0, -1e4], [0.0, 1e4, 1e4]], [0, 2],
            OVERFLOW_HINT,
            weight=np.array([1.0, 2.0, 4.0]),
        ),
    ]
    def per_row(z):
        return -_log_q(z)

    mistakes = [
        Mistake(
            lambda z, y, w: np.mean(per_row(z)[_rows(y)]),
            "That is the UNWEIGHTED mean: the class weights are not used. Multiply each "
            "row's loss by the weight of its target class, w[y_i], and divide by Σ w[y_i].",
        ),
        Mistake(
            lambda z, y, w: np.mean(w[y] * per_row(z)[_rows(y)]),
            "You divided the weighted sum by N, the number of rows: PyTorch's weighted mean "
            "divides by the sum of the targets' weights, Σ w[y_i].",
        ),
        Mistake(
            lambda z, y, w: np.sum(w[y] * per_row(z)[_rows(y)]) / np.sum(w),
            "You divided by the sum of ALL the class weights, Σ_c w_c: divide by the weights "
            "of the rows' targets, Σ_i w[y_i] (a class can be the target of many rows, or "
            "of none).",
        ),
        Mistake(
            lambda z, y, w: np.sum(w[y] * per_row(z)[_rows(y)]),
            "That is the weighted SUM: divide it by Σ w[y_i] to get the weighted mean.",
        ),
    ]
    return run_cases("weighted_mean_ce", fn, cases, mistakes)


def label_smoothing_ce(fn) -> CheckResult:
    r"""Check ``fn(z, y, eps)``: mean cross-entropy with PyTorch's label smoothing.

    Parameters
    ----------
    fn : callable
        The learner's function: logits ``(N, C)``, integer targets ``(N,)`` and
        :math:`\varepsilon` in [0, 1] in; out the mean over the N samples of
        :math:`-\sum_c \tilde y_c \log q_c` with
        :math:`\tilde y = (1 - \varepsilon)\,\mathrm{onehot}(y) + \varepsilon / C`.

    Returns
    -------
    CheckResult
        Passed, the first failing case with a hint, or "not attempted".

    Examples
    --------
    >>> import xent_lessons as xl
    >>> def my_label_smoothing_ce(z, y, eps):
    ...     raise NotImplementedError("Exercise: replace this line with your code")
    >>> xl.check.label_smoothing_ce(my_label_smoothing_ce).status
    'not attempted'
    """
    z = [[2.0, 0.5, -1.0], [0.1, 1.2, 0.3]]
    cases = [
        _case(
            "ε = 0 (no smoothing)",
            z, [0, 2],
            "with ε = 0 this is the plain mean cross-entropy: −log q of each row's target "
            "class, averaged over the rows.",
            label_smoothing=0.0,
        ),
        _case(
            "ε = 0.1, three classes",
            z, [0, 2],
            "PyTorch spreads ε over all C classes, the target included: the target class "
            "gets 1 − ε + ε/C and every other class ε/C (not ε/(C − 1)).",
            label_smoothing=0.1,
        ),
        _case(
            "ε = 0.2, four classes",
            [[0.3, -1.0, 2.0, 0.5], [1.0, 1.0, -2.0, 0.0], [0.0, 0.0, 0.0, 3.0]], [2, 0, 1],
            "C is the number of columns of z (z.shape[1]); do not hard-code 3.",
            label_smoothing=0.2,
        ),
        _case(
            "ε = 1 (the target is uniform)",
            z, [0, 2],
            "with ε = 1 the target is uniform, 1/C for every class, whatever y says.",
            label_smoothing=1.0,
        ),
        _case(
            "ε = 0.1 with logits 1e4 apart",
            [[1e4, 0.0, 0.0], [0.0, -1e4, 1e4]], [0, 2],
            "with smoothing every class's log q counts, even the hopeless ones: "
            + UNDERFLOW_HINT,
            label_smoothing=0.1,
        ),
    ]
    def smoothed(z, y, eps, on_target, elsewhere):
        n, c = np.shape(z)
        target = np.full((n, c), elsewhere(eps, c))
        target[_rows(y)] = on_target(eps, c)
        return -np.mean(np.sum(target * _log_q(z), axis=1))

    mistakes = [
        Mistake(
            lambda z, y, eps: smoothed(z, y, eps, lambda e, c: 1 - e, lambda e, c: e / c),
            "The target class gets 1 − ε + ε/C: it receives its own share ε/C of the spread "
            "too. With 1 − ε there, your target does not sum to 1.",
        ),
        Mistake(
            lambda z, y, eps: smoothed(z, y, eps, lambda e, c: 1 - e, lambda e, c: e / (c - 1)),
            "PyTorch spreads ε over all C classes, the target included (ε/C each, the target "
            "1 − ε + ε/C), not over the C − 1 others.",
        ),
        Mistake(
            lambda z, y, eps: smoothed(z, y, 0.0, lambda e, c: 1.0, lambda e, c: 0.0),
            "ε is not used: this is the plain cross-entropy. Mix the one-hot target with the "
            "uniform one, (1 − ε)·onehot(y) + ε/C.",
        ),
        Mistake(
            lambda z, y, eps: (1 - eps) * -np.mean(_log_q(z)[_rows(y)])
            + eps * -np.mean(np.sum(_log_q(z), axis=1)),
            "The uniform part is ε · (1/C) · Σ_c −log q_c: its 1/C is missing (it is the "
            "AVERAGE over the classes of −log q_c).",
        ),
    ]
    return run_cases("label_smoothing_ce", fn, cases, mistakes)
