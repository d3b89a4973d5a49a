"""Checkers for lesson 00: a warm-up and a self-check of the NumPy the course assumes."""

from __future__ import annotations

import numpy as np

from ._runner import Case, CheckResult, Mistake, run_cases

__all__ = ["normalize_rows", "normalize_weights", "pick_log_probs"]

_ROUNDED = (
    "Your probabilities are rounded: return the exact quotients, and round only where you "
    "print them."
)


def normalize_weights(fn) -> CheckResult:
    """Check ``fn(weights)``: non-negative weights (1-D) divided by their total.

    Parameters
    ----------
    fn : callable
        The learner's function; it takes array-like weights and returns probabilities.

    Returns
    -------
    CheckResult
        Passed, the first failing case with a hint, or "not attempted".

    Examples
    --------
    >>> import xent_lessons as xl
    >>> def my_normalize_weights(weights):
    ...     raise NotImplementedError("Exercise: replace this line with your code")
    >>> xl.check.normalize_weights(my_normalize_weights)
    ⏳ normalize_weights: not attempted yet. Replace the `raise NotImplementedError(...)`
    line with your code, run that cell, then run this check again.
    >>> xl.check.normalize_weights(lambda w: np.asarray(w) / np.max(w)).status  # by the max
    'failed'
    """
    mistakes = [
        Mistake(
            lambda w: np.asarray(w, dtype=float) / np.max(w),
            "You divided by the largest weight: divide by the total of all the weights "
            "(np.sum), so that the probabilities sum to 1.",
        ),
        Mistake(
            lambda w: np.asarray(w, dtype=float) / len(w),
            "You divided by the number of weights: divide by their total (np.sum), so that "
            "the probabilities sum to 1.",
        ),
        Mistake(
            lambda w: np.exp(w) / np.sum(np.exp(w)),
            "That is a softmax of the weights (lesson 03): here the weights are already "
            "non-negative, so divide each one by their total, without exp.",
        ),
    ]
    return run_cases(
        "normalize_weights",
        fn,
        [
            Case("three weights", (np.array([1.0, 1.0, 2.0]),), np.array([0.25, 0.25, 0.5]),
                 "Divide every weight by the total of all the weights, so they sum to 1."),
            Case("weights that already sum to 1", (np.array([0.2, 0.8]),), np.array([0.2, 0.8]),
                 "Probabilities should come back unchanged: divide by the total."),
            Case("a Python list of whole numbers", ([3, 1],), np.array([0.75, 0.25]),
                 "A Python list has no .sum() and cannot be divided: make an array first "
                 "with np.asarray(weights)."),
            Case("a single weight", (np.array([5.0]),), np.array([1.0]),
                 "One weight alone is certain: it becomes probability 1."),
            Case("weights 1 and 2 (thirds)", (np.array([1.0, 2.0]),), np.array([1 / 3, 2 / 3]),
                 _ROUNDED),
        ],
        mistakes,
    )


def normalize_rows(fn) -> CheckResult:
    """Check ``fn(w)``: each row (the last axis) of ``w`` divided by that row's sum.

    Parameters
    ----------
    fn : callable
        The learner's function; it takes an ``(N, C)`` array (or a single row of shape
        ``(C,)``) and returns an array of the same shape whose rows sum to 1.

    Returns
    -------
    CheckResult
        Passed, the first failing case with a hint, or "not attempted".

    Examples
    --------
    >>> import xent_lessons as xl
    >>> def my_normalize_rows(w):
    ...     raise NotImplementedError("Exercise: replace this line with your code")
    >>> xl.check.normalize_rows(my_normalize_rows).status
    'not attempted'
    >>> xl.check.normalize_rows(lambda w: w / w.sum()).status  # by the whole array's total
    'failed'
    """
    one_row = np.array([[1.0, 1.0, 2.0]])
    two_by_three = np.array([[1.0, 1.0, 2.0], [3.0, 0.0, 1.0]])
    square = np.array([[1.0, 1.0, 2.0], [3.0, 0.0, 1.0], [1.0, 1.0, 8.0]])
    row = np.array([2.0, 6.0])
    thirds = np.array([[1.0, 2.0], [2.0, 1.0], [1.0, 1.0]])

    def rows(w):
        return w / w.sum(axis=-1, keepdims=True)

    mistakes = [
        Mistake(
            lambda w: w / w.sum(),
            "You divided by the total of the whole array: each row is its own distribution, "
            "so divide it by its own sum, w.sum(axis=-1, keepdims=True).",
        ),
        Mistake(
            lambda w: w / w.sum(axis=0, keepdims=True),
            "You divided by the column sums (axis=0): each ROW is a distribution, so sum "
            "along the last axis, axis=-1, across the columns of the row.",
        ),
        Mistake(
            lambda w: w / w.max(axis=-1, keepdims=True),
            "You divided each row by its largest entry: divide by the row's sum, so that it "
            "sums to 1.",
        ),
    ]
    return run_cases(
        "normalize_rows",
        fn,
        [
            Case("one row, shape (1, 3)", (one_row,), rows(one_row),
                 "Each row is one distribution: sum along the last axis (axis=-1), "
                 "across the columns of the row."),
            Case("two rows of three, shape (2, 3)", (two_by_three,), rows(two_by_three),
                 "Divide each row by its own sum (not by the total), and keep that sum's "
                 "shape (N, 1) with keepdims=True so that it broadcasts along the row."),
            Case("a square array, shape (3, 3)", (square,), rows(square),
                 "Sums without keepdims=True have shape (N,), and broadcasting lines them up "
                 "with the columns: in a square array that silently divides the wrong "
                 "numbers. Keep the dimension."),
            Case("a single row, shape (2,)", (row,), rows(row),
                 "Use axis=-1 (the last axis) rather than axis=1, so that the same code also "
                 "works on a single row."),
            Case("rows that give thirds, shape (3, 2)", (thirds,), rows(thirds), _ROUNDED),
        ],
        mistakes,
    )


def pick_log_probs(fn) -> CheckResult:
    """Check ``fn(probs, y)``: ``log(probs[n, y[n]])`` for every row ``n``, shape ``(N,)``.

    Parameters
    ----------
    fn : callable
        The learner's function; ``probs`` is an ``(N, C)`` array of probabilities (one row
        per sample), ``y`` an integer array of ``N`` class indices.

    Returns
    -------
    CheckResult
        Passed, the first failing case with a hint, or "not attempted".

    Examples
    --------
    >>> import xent_lessons as xl
    >>> result = xl.check.pick_log_probs(lambda probs, y: np.log(probs[:, y]))  # columns
    >>> print(result.message.splitlines()[0])
    ❌ pick_log_probs: failed on N = 3 samples, C = 4 classes.
    """
    probs_a = np.array([[0.1, 0.2, 0.3, 0.4], [0.7, 0.1, 0.1, 0.1], [0.25, 0.25, 0.5, 0.0]])
    y_a = np.array([3, 0, 2])
    # Row 2's target (0.4) is not its largest entry: the model's guess and the truth differ.
    probs_b = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.5, 0.5]])
    y_b = np.array([0, 1, 1, 0])
    probs_c = np.array([[0.2, 0.5, 0.3]])
    y_c = np.array([1])

    def picked(probs, y):
        return np.log(probs[np.arange(len(y)), y])

    mistakes = [
        Mistake(
            lambda probs, y: np.log(probs.max(axis=1)),
            "You took each row's LARGEST probability (the model's guess): the exercise wants "
            "the probability of the TRUE class y[i], probs[i, y[i]], even where the model "
            "guessed another class.",
        ),
        Mistake(
            lambda probs, y: np.mean(np.log(probs[np.arange(len(y)), y])),
            "You averaged the picked log-probabilities into one number: return one value per "
            "sample, shape (N,) (the mean comes later, in the loss).",
        ),
        Mistake(
            lambda probs, y: -np.log(probs[np.arange(len(y)), y]),
            "The sign is flipped: the log of a probability is <= 0. This exercise wants "
            "log(probs[i, y[i]]) itself; the minus sign comes with the loss.",
        ),
    ]
    return run_cases(
        "pick_log_probs",
        fn,
        [
            Case("N = 3 samples, C = 4 classes", (probs_a, y_a), picked(probs_a, y_a),
                 "One number per sample: the log of row n's entry in column y[n]. "
                 "probs[:, y] picks whole columns (an N x N array) and probs[y] whole rows; "
                 "index the rows and the columns together, then take np.log."),
            Case("N = 4 samples, C = 2 classes", (probs_b, y_b), picked(probs_b, y_b),
                 "The row numbers go from 0 to N - 1, one per sample: take N from the input "
                 "(len(y) or probs.shape[0]); don't hard-code it or use the number of classes."),
            Case("a single sample, N = 1", (probs_c, y_c), picked(probs_c, y_c),
                 "Return an array of shape (N,), here (1,): keep one value per sample."),
        ],
        mistakes,
    )
