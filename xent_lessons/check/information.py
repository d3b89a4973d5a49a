"""Checkers for lesson 01: surprisal in bits, entropy with 0 log 0 = 0, the most uncertain."""

from __future__ import annotations

import numpy as np

from ..information import entropy, surprisal
from ._runner import Case, CheckResult, check_answer, run_cases

__all__ = ["most_entropy", "safe_entropy", "surprisal_bits"]

# The distributions of the "which has the most entropy?" exercise (lesson 01 shows them).
MOST_ENTROPY_CHOICES = {
    "A": (0.5, 0.5),
    "B": (0.4, 0.3, 0.2, 0.1),
    "C": (0.34, 0.33, 0.33),
    "D": (0.9, 0.025, 0.025, 0.025, 0.025),
    "E": (0.6, 0.1, 0.1, 0.1, 0.1),
}

# What each wrong choice probably overlooked.
_MOST_ENTROPY_HINTS = {
    "A": "A fair coin is as uncertain as a coin can be, but it has only 2 outcomes: "
    "at most log2(2) = 1 bit. Others have more outcomes.",
    "C": "C is the most even, but it has only 3 outcomes: at most log2(3) ≈ 1.58 bits. "
    "More outcomes leave room for more uncertainty.",
    "D": "D has 5 outcomes, but one of them is almost certain (0.9): on average you are "
    "rarely surprised.",
    "E": "Close. E has more outcomes than B, but one of them takes 60 % of the probability. "
    "Compute both entropies and compare.",
}


def surprisal_bits(fn) -> CheckResult:
    """Check ``fn(p)``: the surprisal ``-log2 p`` in bits, elementwise, for any shape.

    Parameters
    ----------
    fn : callable
        The learner's function; ``p`` is a probability or an array of probabilities.

    Returns
    -------
    CheckResult
        Passed, the first failing case with a hint, or "not attempted".

    Examples
    --------
    >>> surprisal_bits(lambda p: -np.log2(p)).status
    'passed'
    >>> surprisal_bits(lambda p: -np.log(p)).status  # nats, not bits
    'failed'
    """
    cases = [
        (
            "a fair coin flip, p = 0.5",
            0.5,
            "A fair coin flip carries exactly 1 bit: use the base-2 log (np.log2; np.log "
            "gives nats), and keep the minus sign so that surprisal is never negative.",
        ),
        (
            "an array, p = [1, 0.25, 0.125]",
            np.array([1.0, 0.25, 0.125]),
            "Work on the whole array at once with NumPy (np.log2): math.log2 takes only "
            "one number.",
        ),
        (
            "a (2, 2) array",
            np.array([[0.5, 0.25], [1.0, 0.0625]]),
            "Surprisal is elementwise: return an array of the same shape as p.",
        ),
        (
            "an impossible event, p = [0, 0.5]",
            np.array([0.0, 0.5]),
            "An event of probability 0 is infinitely surprising: -log2(0) is inf (NumPy "
            "warns, and gives inf). Don't add an epsilon or clip p here.",
        ),
    ]
    return run_cases(
        "surprisal_bits",
        fn,
        [Case(name, (p,), surprisal(p, base=2), hint) for name, p, hint in cases],
    )


def safe_entropy(fn) -> CheckResult:
    """Check ``fn(p)``: the entropy in nats along the last axis, with ``0 log 0 = 0``.

    Parameters
    ----------
    fn : callable
        The learner's function; ``p`` has one distribution along its last axis and any
        number of batch axes in front; the result has one entropy per distribution.

    Returns
    -------
    CheckResult
        Passed, the first failing case with a hint, or "not attempted".

    Examples
    --------
    >>> def right(p):
    ...     p = np.asarray(p, dtype=float)
    ...     terms = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    ...     return -terms.sum(axis=-1)
    >>> safe_entropy(right).status
    'passed'
    >>> safe_entropy(lambda p: -np.sum(p * np.log(p), axis=-1)).status  # 0 * log 0 = nan
    'failed'
    """
    cases = [
        (
            "a fair coin, p = [0.5, 0.5]",
            np.array([0.5, 0.5]),
            "The answer is in nats: use the natural log np.log (np.log2 gives bits), and "
            "keep the minus sign in front of the sum.",
        ),
        (
            "a distribution with a zero, p = [0.5, 0.5, 0]",
            np.array([0.5, 0.5, 0.0]),
            "In NumPy 0 * log(0) is 0 * (-inf) = nan, but in information theory an outcome "
            "that never happens adds nothing: make those terms 0 (a boolean mask, or "
            "np.where).",
        ),
        (
            "a certain outcome, p = [0, 1, 0, 0]",
            np.array([0.0, 1.0, 0.0, 0.0]),
            "A certain outcome has no uncertainty: the entropy is 0. Outcomes with p = 0 "
            "must add 0, not nan.",
        ),
        (
            "a batch of 2 distributions, shape (2, 3)",
            np.array([[0.2, 0.3, 0.5], [0.0, 0.0, 1.0]]),
            "A batch holds one distribution per row: sum along the last axis (axis=-1) to "
            "get one entropy per row, not one number for the whole array.",
        ),
        (
            "a square batch, shape (2, 2)",
            np.array([[0.9, 0.1], [0.5, 0.5]]),
            "Sum along the last axis (axis=-1), across each row; axis=0 adds up columns, "
            "which in a square array gives the right shape and the wrong numbers.",
        ),
        (
            "a batch of shape (2, 2, 3)",
            np.array(
                [[[0.2, 0.3, 0.5], [1.0, 0.0, 0.0]], [[0.5, 0.25, 0.25], [0.1, 0.0, 0.9]]]
            ),
            "Write the sum with axis=-1: it works for any number of batch axes in front, "
            "where axis=1 does not.",
        ),
    ]
    return run_cases(
        "safe_entropy",
        fn,
        [Case(name, (p,), entropy(p), hint) for name, p, hint in cases],
    )


def most_entropy(answer) -> CheckResult:
    """Check a letter: which of the distributions A to E has the most entropy?

    Parameters
    ----------
    answer : str
        One of ``"A"`` to ``"E"`` (case and spaces do not matter); ``...`` while not
        attempted.

    Returns
    -------
    CheckResult
        Passed, or failed with a hint about what the chosen answer overlooked.

    Examples
    --------
    >>> most_entropy("c").status
    'failed'
    >>> most_entropy(...).status
    'not attempted'
    """
    expected = max(MOST_ENTROPY_CHOICES, key=lambda k: entropy(MOST_ENTROPY_CHOICES[k]))
    letters = ", ".join(MOST_ENTROPY_CHOICES)
    if isinstance(answer, str):
        answer = answer.strip().upper()
        hint = _MOST_ENTROPY_HINTS.get(
            answer, f"Answer with one of the letters {letters}, as a string such as \"A\"."
        )
    else:
        hint = f"Answer with one of the letters {letters}, as a string such as \"A\"."
    return check_answer("most_entropy", answer, expected, hint)
