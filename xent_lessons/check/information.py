"""Checkers for lesson 01: surprisal in bits, entropy with 0 log 0 = 0, the most uncertain."""

from __future__ import annotations

import numpy as np

from ..information import entropy, surprisal
from ._runner import Case, CheckResult, Mistake, answer_of, check_answer, run_cases

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
    >>> import xent_lessons as xl
    >>> def my_surprisal_bits(p):
    ...     raise NotImplementedError("Exercise: replace this line with your code")
    >>> xl.check.surprisal_bits(my_surprisal_bits).status
    'not attempted'
    >>> xl.check.surprisal_bits(lambda p: -np.log(p)).status  # nats, not bits
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
        (
            "probabilities that are not powers of 2, p = [0.3, 0.9]",
            np.array([0.3, 0.9]),
            "Return the exact surprisal (1.737 bits for p = 0.3): round only where you "
            "print it.",
        ),
    ]
    mistakes = [
        Mistake(
            lambda p: np.where(np.asarray(p) > 0, -np.log2(np.where(np.asarray(p) > 0, p, 1.0)), 0.0),
            "You made the surprisal of an impossible event 0. That rule, 0 · log 0 = 0, is "
            "for the TERMS of an entropy (p times its surprisal); the surprisal of p = 0 "
            "itself is infinite: -log2(0) = inf.",
        ),
        Mistake(
            lambda p: 1 / np.asarray(p, dtype=float),
            "That is 1/p, the 'one in how many' odds: the surprisal is its log in base 2, "
            "log2(1/p) = -log2(p).",
        ),
    ]
    return run_cases(
        "surprisal_bits",
        fn,
        [Case(name, (p,), surprisal(p, base=2), hint) for name, p, hint in cases],
        mistakes,
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
    >>> import xent_lessons as xl
    >>> naive = lambda p: -np.sum(p * np.log(p), axis=-1)  # 0 * log 0 is nan in NumPy
    >>> print(xl.check.safe_entropy(naive).message.splitlines()[0])
    ❌ safe_entropy: failed on a distribution with a zero, p = [0.5, 0.5, 0].
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
    mistakes = [
        Mistake(
            lambda p: -np.mean(np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0), axis=-1),
            "You averaged the terms p·log p over the outcomes (np.mean): the entropy is their "
            "SUM, -Σ p_i log p_i (np.sum along axis=-1).",
        ),
        Mistake(
            lambda p: -np.sum(np.log(np.where(p > 0, p, 1.0)), axis=-1),
            "The weights p_i are missing: the entropy is the AVERAGE surprisal, each "
            "-log p_i weighted by its probability p_i: -Σ p_i log p_i.",
        ),
    ]
    return run_cases(
        "safe_entropy",
        fn,
        [Case(name, (p,), entropy(p), hint) for name, p, hint in cases],
        mistakes,
    )


def most_entropy(answer) -> CheckResult:
    """Check a letter: which of the distributions A to E has the most entropy?

    Parameters
    ----------
    answer : callable or str
        A function of no arguments that returns one of the letters ``"A"`` to ``"E"``
        (case and spaces do not matter); its stub raises ``NotImplementedError`` while
        the exercise is not attempted. The letter itself is accepted too.

    Returns
    -------
    CheckResult
        Passed, or failed with a hint about what the chosen answer overlooked.

    Examples
    --------
    >>> import xent_lessons as xl
    >>> def most_entropy_answer():
    ...     raise NotImplementedError("Exercise: replace this line with your code")
    >>> xl.check.most_entropy(most_entropy_answer).status
    'not attempted'
    >>> xl.check.most_entropy(lambda: "c").status  # the most even, but only 3 outcomes
    'failed'
    """
    exercise = "most_entropy"
    value, early = answer_of(exercise, answer)
    if early is not None:
        return early
    expected = max(MOST_ENTROPY_CHOICES, key=lambda k: entropy(MOST_ENTROPY_CHOICES[k]))
    letters = ", ".join(MOST_ENTROPY_CHOICES)
    hint = f"Answer with one of the letters {letters}, as a string such as \"A\"."
    if isinstance(value, str):
        value = value.strip().strip("\"'.)").strip().upper()
        hint = _MOST_ENTROPY_HINTS.get(value, hint)
    else:
        for letter, dist in MOST_ENTROPY_CHOICES.items():
            try:
                same = np.shape(value) == (len(dist),) and np.allclose(value, dist)
            except Exception:
                same = False
            if same:
                hint = (
                    f"Those are the probabilities of distribution {letter}: answer with its "
                    f"letter, \"{letter}\", as a string."
                )
    return check_answer(exercise, value, expected, hint)
