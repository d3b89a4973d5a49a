"""Checkers of lesson 02's exercises: cross-entropy, KL divergence, Gibbs' inequality.

Every expected value comes from the package's math (:mod:`xent_lessons.information`).
The cases are ordered so that each typical slip first fails on a case whose hint names it:
the base of the log, p and q swapped, ``0 · log 0``, a zero in ``q``, the wrong axis.
"""

from __future__ import annotations

import numpy as np

from ..information import cross_entropy as _cross_entropy
from ..information import entropy as _entropy
from ..information import kl_divergence as _kl_divergence
from ._runner import Case, CheckResult, Mistake, run_cases

__all__ = ["cross_entropy", "kl_divergence", "smallest_gibbs_gap"]

# Hints shared by both checkers (each names a slip, not the answer).
_NATS = (
    "This course measures in nats: use the natural log np.log (not np.log2 or np.log10). "
    "Also check the sign: the result is never negative."
)
_ZERO_P = (
    "An outcome with p_i = 0 contributes nothing (0 · log 0 counts as 0), but in NumPy "
    "0 * np.log(0) is NaN: leave those terms out, e.g. with np.where."
)
_ZERO_Q = (
    "A model that gives probability 0 to an outcome that happens pays an infinite price, "
    "so the answer is inf: do not clip q or add a small epsilon to it."
)
_BATCH = (
    "One value per row (one distribution per row): sum over the last axis (axis=-1), "
    "not over the whole array and not over axis 0."
)


def _batches():
    """A (2, 3) batch (a whole-array sum gives the wrong shape) and a (3, 3) batch (axis 0
    gives the right shape but the wrong values), each with a zero in ``p``."""
    p2 = np.array([[0.7, 0.2, 0.1], [0.0, 0.5, 0.5]])
    q2 = np.array([[0.2, 0.3, 0.5], [0.1, 0.6, 0.3]])
    p3 = np.array([[0.7, 0.2, 0.1], [0.0, 0.5, 0.5], [1.0, 0.0, 0.0]])
    q3 = np.array([[0.2, 0.3, 0.5], [0.1, 0.6, 0.3], [0.6, 0.3, 0.1]])
    return (p2, q2), (p3, q3)


def cross_entropy(fn) -> CheckResult:
    """Check ``fn(p, q)``: the cross-entropy ``H(p, q)`` in nats along the last axis.

    Parameters
    ----------
    fn : callable
        The learner's function of two arrays of distributions ``p`` (truth) and ``q``
        (model) of the same shape.

    Returns
    -------
    CheckResult
        Passed, or the first failing case with a hint, or "not attempted".

    Examples
    --------
    >>> import xent_lessons as xl
    >>> naive = lambda p, q: -np.sum(p * np.log(q), axis=-1)  # 0 · log 0 is NaN in NumPy
    >>> xl.check.cross_entropy(naive).status
    'failed'
    """
    (p2, q2), (p3, q3) = _batches()
    p_asym, q_asym = np.array([0.7, 0.2, 0.1]), np.array([0.2, 0.3, 0.5])
    p_zero, q_zero = np.array([0.5, 0.5, 0.0]), np.array([0.4, 0.6, 0.0])
    p_hit, q_hit = np.array([0.5, 0.5]), np.array([1.0, 0.0])
    uniform = np.full(4, 0.25)
    cases = [
        Case(
            "p = q = uniform over 4 outcomes",
            (uniform, uniform),
            _cross_entropy(uniform, uniform),
            _NATS,
        ),
        Case(
            "p different from q",
            (p_asym, q_asym),
            _cross_entropy(p_asym, q_asym),
            "Did you swap p and q? The weights are the true p and the log is of the model q: "
            "H(p, q) = −Σ p_i log q_i.",
        ),
        Case("a zero in p (and in q)", (p_zero, q_zero), _cross_entropy(p_zero, q_zero), _ZERO_P),
        Case("q = 0 where p > 0", (p_hit, q_hit), _cross_entropy(p_hit, q_hit), _ZERO_Q),
        Case("a batch of 2 distributions (shape (2, 3))", (p2, q2), _cross_entropy(p2, q2), _BATCH),
        Case("a batch of 3 distributions (shape (3, 3))", (p3, q3), _cross_entropy(p3, q3), _BATCH),
    ]
    mistakes = [
        Mistake(
            lambda p, q: _kl_divergence(p, q),
            "That is the KL divergence Σ p_i log(p_i / q_i), the EXTRA cost; the "
            "cross-entropy is the whole cost, −Σ p_i log q_i (it equals H(p) when q = p).",
        ),
        Mistake(
            lambda p, q: _entropy(p),
            "That is the entropy of p alone: the cross-entropy takes the log of the MODEL's "
            "probabilities q, −Σ p_i log q_i.",
        ),
    ]
    return run_cases("cross_entropy", fn, cases, mistakes)


def kl_divergence(fn) -> CheckResult:
    """Check ``fn(p, q)``: the KL divergence ``D_KL(p ‖ q)`` in nats along the last axis.

    Parameters
    ----------
    fn : callable
        The learner's function of two arrays of distributions ``p`` (truth) and ``q``
        (model) of the same shape.

    Returns
    -------
    CheckResult
        Passed, or the first failing case with a hint, or "not attempted".

    Examples
    --------
    >>> import xent_lessons as xl
    >>> xl.check.kl_divergence(lambda p, q: -np.sum(p * np.log(q), axis=-1)).status  # H(p, q)
    'failed'
    """
    (p2, q2), (p3, q3) = _batches()
    p_same = np.array([0.7, 0.2, 0.1])
    p_mirror, q_mirror = np.array([0.8, 0.2]), np.array([0.2, 0.8])
    p_asym, q_asym = np.array([0.5, 0.5]), np.array([0.9, 0.1])
    p_zero, q_zero = np.array([0.5, 0.5, 0.0, 0.0]), np.array([0.25, 0.25, 0.5, 0.0])
    p_hit, q_hit = np.array([0.5, 0.5]), np.array([1.0, 0.0])
    cases = [
        Case(
            "q equal to p",
            (p_same, p_same.copy()),
            _kl_divergence(p_same, p_same),
            "D_KL(p ‖ p) is 0: KL is the extra cost over the entropy, Σ p_i log(p_i / q_i), "
            "not the cross-entropy −Σ p_i log q_i.",
        ),
        Case(
            "a mirrored pair (here both directions agree)",
            (p_mirror, q_mirror),
            _kl_divergence(p_mirror, q_mirror),
            _NATS,
        ),
        Case(
            "p different from q",
            (p_asym, q_asym),
            _kl_divergence(p_asym, q_asym),
            "Did you swap p and q? D_KL(p ‖ q) weights by the true p: Σ p_i log(p_i / q_i).",
        ),
        Case(
            "zeros in p (one also in q)", (p_zero, q_zero), _kl_divergence(p_zero, q_zero), _ZERO_P
        ),
        Case("q = 0 where p > 0", (p_hit, q_hit), _kl_divergence(p_hit, q_hit), _ZERO_Q),
        Case("a batch of 2 distributions (shape (2, 3))", (p2, q2), _kl_divergence(p2, q2), _BATCH),
        Case("a batch of 3 distributions (shape (3, 3))", (p3, q3), _kl_divergence(p3, q3), _BATCH),
    ]
    mistakes = [
        Mistake(
            lambda p, q: (_kl_divergence(p, q) + _kl_divergence(q, p)) / 2,
            "You averaged both directions: KL is not symmetric, and D_KL(p ‖ q) weights by "
            "the true p only, Σ p_i log(p_i / q_i).",
        ),
        Mistake(
            lambda p, q: _entropy(p) - _cross_entropy(p, q),
            "The sign is flipped: D_KL(p ‖ q) = H(p, q) − H(p), the cross-entropy minus the "
            "entropy, never negative.",
        ),
    ]
    return run_cases("kl_divergence", fn, cases, mistakes)


def _random_pairs(n_pairs, n_outcomes, seed):
    """``n_pairs`` random pairs of distributions (Dirichlet(1) draws, no zeros), one a row."""
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.ones(n_outcomes), size=n_pairs)
    q = rng.dirichlet(np.ones(n_outcomes), size=n_pairs)
    return p, q


def _gap_min(p, q):
    """The smallest gap ``H(p, q) − H(p)`` over the rows, from the package's math."""
    return float(np.min(_cross_entropy(p, q) - _entropy(p)))


def smallest_gibbs_gap(fn) -> CheckResult:
    """Check ``fn(p, q)``: the smallest ``H(p, q) − H(p)`` in nats over the rows of ``p, q``.

    Each row of ``p`` and ``q`` (shape ``(N, C)``) is one pair of distributions without
    zeros; the answer is one number, the smallest of the ``N`` gaps.

    Parameters
    ----------
    fn : callable
        The learner's function of two arrays of shape ``(N, C)``.

    Returns
    -------
    CheckResult
        Passed, or the first failing case with a hint, or "not attempted".

    Examples
    --------
    >>> import xent_lessons as xl
    >>> def my_smallest_gibbs_gap(p, q):
    ...     raise NotImplementedError("Exercise: replace this line with your code")
    >>> xl.check.smallest_gibbs_gap(my_smallest_gibbs_gap).status
    'not attempted'
    """
    one_pair = (
        "For a single pair the answer is its gap H(p, q) − H(p): cross-entropy minus entropy "
        "(never negative), in nats (natural log), with p the truth (the first argument)."
    )
    many = (
        "The smallest gap over all pairs (np.min), not the largest or the mean; compute one "
        "gap per pair first, summing each row along axis=-1."
    )
    single = (np.array([[0.7, 0.2, 0.1]]), np.array([[0.2, 0.3, 0.5]]))
    with_equal = (
        np.array([[0.7, 0.2, 0.1], [0.5, 0.3, 0.2], [0.1, 0.1, 0.8]]),
        np.array([[0.2, 0.3, 0.5], [0.5, 0.3, 0.2], [0.3, 0.3, 0.4]]),
    )
    cases = [
        Case("1 pair of 3-outcome distributions", single, _gap_min(*single), one_pair),
        Case("3 pairs, one of them with q = p", with_equal, _gap_min(*with_equal), many),
    ]
    for n_pairs, n_outcomes, seed in ((1000, 3, 0), (500, 10, 1)):
        pairs = _random_pairs(n_pairs, n_outcomes, seed)
        name = f"{n_pairs} random pairs of {n_outcomes}-outcome distributions"
        cases.append(Case(name, pairs, _gap_min(*pairs), many))
    mistakes = [
        Mistake(
            lambda p, q: float(np.argmin(_cross_entropy(p, q) - _entropy(p))),
            "That is np.argmin, the POSITION of the smallest gap: return the gap itself, "
            "np.min of the gaps.",
        ),
        Mistake(
            lambda p, q: float(np.min(_cross_entropy(p, q)) - np.min(_entropy(p))),
            "The smallest cross-entropy and the smallest entropy come from different pairs: "
            "compute one gap H(p, q) − H(p) per pair (per row) first, then take the smallest.",
        ),
        Mistake(
            lambda p, q: float(np.min(_cross_entropy(p, q) - _entropy(q))),
            "You subtracted the entropy of q: the gap is H(p, q) − H(p), the cross-entropy "
            "minus the entropy of the TRUTH p (the first argument).",
        ),
    ]
    return run_cases("smallest_gibbs_gap", fn, cases, mistakes)
