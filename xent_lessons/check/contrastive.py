"""Checkers of lesson 13's exercises: CLIP's symmetric loss, the InfoNCE bound, and the
smallest batch whose ceiling log N reaches a given mutual information.

Expected values come from the package (:mod:`xent_lessons.contrastive`). The score matrices
are not symmetric, so a loss over the rows alone (or the columns alone) gives a different
number from the symmetric one; some hold scores of 1000 (a naive ``exp`` overflows), and
some are 4 x 4 and 5 x 5, so ``log N`` is not a constant.
"""

from __future__ import annotations

import math

import numpy as np

from ..contrastive import clip_loss as _clip_loss
from ..contrastive import info_nce_bound as _info_nce_bound
from ..contrastive import info_nce_loss as _info_nce_loss
from ._runner import Case, CheckResult, Mistake, run_cases

__all__ = ["clip_loss", "infonce_bound", "smallest_batch_size"]


def _scores():
    """Fresh score matrices for every check (a function may change its input in place)."""
    rng = np.random.default_rng(13)
    return {
        "3x3": np.array([[2.0, 0.5, -1.0], [1.5, 1.0, 0.0], [-0.5, 2.5, 3.0]]),
        "4x4": rng.normal(0.0, 2.0, (4, 4)) + 3.0 * np.eye(4),
        "cosines": np.clip(rng.normal(0.2, 0.4, (5, 5)) + 0.6 * np.eye(5), -1.0, 1.0),
        "huge": np.array([[1000.0, 0.0, 990.0], [0.0, 1000.0, 0.0], [995.0, 0.0, 1000.0]]),
    }


def _rows_loss(s, temperature=1.0):
    return _info_nce_loss(s, temperature)


def _columns_loss(s, temperature=1.0):
    return _info_nce_loss(np.asarray(s).T, temperature)


_CLIP_MISTAKES = (
    Mistake(
        _rows_loss,
        "That is InfoNCE over the rows only (each image picks its text). CLIP also asks each "
        "text to pick its image: the same cross-entropy on the transposed matrix S.T, and "
        "the loss is the mean of the two.",
    ),
    Mistake(
        _columns_loss,
        "That is the loss over the columns only (each text picks its image). Add the rows' "
        "loss (each image picks its text) and take the mean of the two.",
    ),
    Mistake(
        lambda s, temperature=1.0: _rows_loss(s, temperature) + _columns_loss(s, temperature),
        "Both directions are there, but added: CLIP's loss is their mean, (rows + columns) / 2.",
    ),
    Mistake(
        lambda s, temperature=1.0: _clip_loss(np.asarray(s) * temperature),
        "The scores were multiplied by the temperature: divide them by it, S / τ (a small τ "
        "sharpens the softmax).",
    ),
    Mistake(
        lambda s, temperature=1.0: len(s) * _clip_loss(s, temperature),
        "That is N times too big: take the mean over the N pairs, not the sum.",
    ),
    Mistake(
        lambda s, temperature=1.0: _clip_loss(s, temperature) / math.log(2),
        "That is in bits: the course uses the natural log (nats).",
    ),
)


def clip_loss(fn) -> CheckResult:
    """Check ``fn(similarities, temperature)``: CLIP's symmetric loss, a float in nats.

    ``similarities[i, j]`` scores image ``i`` against text ``j``; the true pairs are on the
    diagonal.

    Parameters
    ----------
    fn : callable
        The learner's function.

    Returns
    -------
    CheckResult
        Passed, or the first failing case with a hint, or "not attempted".

    Examples
    --------
    >>> import xent_lessons as xl
    >>> rows_only = lambda s, temperature: xl.categorical_cross_entropy(
    ...     s / temperature, np.arange(len(s)))
    >>> print(clip_loss(rows_only).message.splitlines()[0])
    ❌ clip_loss: failed on a 3 x 3 batch, temperature 1.
    """
    s = _scores()
    cases = [
        Case(
            "a 3 x 3 batch, temperature 1",
            (s["3x3"], 1.0),
            _clip_loss(s["3x3"]),
            "Row i of S is image i against every text; its target is i (the diagonal). "
            "CLIP averages the cross-entropy of the rows and of the columns.",
        ),
        Case(
            "cosine similarities of 5 pairs, temperature 0.07",
            (s["cosines"], 0.07),
            _clip_loss(s["cosines"], 0.07),
            "Divide the similarities by the temperature before the softmax.",
        ),
        Case(
            "a 4 x 4 batch, temperature 2",
            (s["4x4"], 2.0),
            _clip_loss(s["4x4"], 2.0),
            "Divide by the temperature, then take the mean of the two directions' losses.",
        ),
        Case(
            "scores of 1000",
            (s["huge"], 1.0),
            _clip_loss(s["huge"]),
            "np.exp(1000) overflows to inf. Use a stable log-softmax "
            "(xl.categorical_cross_entropy, or subtract each row's max first).",
        ),
    ]
    return run_cases("clip_loss", fn, cases, _CLIP_MISTAKES)


_BOUND_MISTAKES = (
    Mistake(
        lambda s: -_info_nce_loss(s),
        "The bound is log N minus the loss: the log N is missing.",
    ),
    Mistake(
        lambda s: _info_nce_loss(s) - math.log(len(s)),
        "The sign is flipped: the bound is log N − L (it is at most log N, and 0 for a "
        "critic that knows nothing).",
    ),
    Mistake(
        lambda s: math.log2(len(s)) - _info_nce_loss(s),
        "log2(N) is in bits while the loss is in nats: use np.log(N).",
    ),
    Mistake(
        lambda s: math.log(len(s)) - len(s) * _info_nce_loss(s),
        "The loss must be the mean over the N rows, not their sum.",
    ),
    Mistake(
        lambda s: _info_nce_bound(np.asarray(s).T),
        "That is the columns' bound (each y_j picking its x). InfoNCE here is over the rows: "
        "row i is x_i scored against every y_j, and its target is column i.",
    ),
)


def infonce_bound(fn) -> CheckResult:
    """Check ``fn(scores)``: the InfoNCE lower bound ``log N - L`` in nats, a float.

    ``scores`` is an (N, N) matrix of a critic's scores, true pairs on the diagonal; L is the
    mean cross-entropy of its rows against the diagonal.

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
    >>> loss_only = lambda s: xl.categorical_cross_entropy(s, np.arange(len(s)))
    >>> infonce_bound(loss_only).status
    'failed'
    """
    s = _scores()
    cases = [
        Case(
            "a 4 x 4 batch",
            (s["4x4"],),
            _info_nce_bound(s["4x4"]),
            "Compute L = the mean cross-entropy of the rows against the targets 0..N-1, "
            "then return log N − L.",
        ),
        Case(
            "a critic that scores every pair 0",
            (np.zeros((5, 5)),),
            0.0,
            "Every row's softmax is uniform, so L = log N and the bound is 0: the critic "
            "has learned nothing.",
        ),
        Case(
            "a 3 x 3 batch",
            (s["3x3"],),
            _info_nce_bound(s["3x3"]),
            "Rows are x_i; the target of row i is column i.",
        ),
        Case(
            "scores of 1000",
            (s["huge"],),
            _info_nce_bound(s["huge"]),
            "np.exp(1000) overflows: compute the loss with a stable log-softmax.",
        ),
    ]
    return run_cases("infonce_bound", fn, cases, _BOUND_MISTAKES)


def _smallest_n(mi):
    n = max(1, math.ceil(math.exp(mi)))
    while math.log(n) < mi:  # guard against exp's last-digit rounding
        n += 1
    while n > 1 and math.log(n - 1) >= mi:
        n -= 1
    return n


_BATCH_MISTAKES = (
    Mistake(
        lambda mi: max(1, math.ceil(2.0**mi)),
        "That is 2 to the power of the MI: the MI is in nats, so the ceiling is the natural "
        "log, log N ≥ I, N ≥ e^I.",
    ),
    Mistake(
        lambda mi: math.floor(math.exp(mi)),
        "Rounded down: int(), floor() and round() can all round e^I down, and a batch of "
        "floor(e^I) has a ceiling log N just below I. Round up (np.ceil).",
    ),
    Mistake(
        lambda mi: math.exp(mi),
        "A batch size is a whole number of pairs: round e^I up to the next integer.",
    ),
)


def smallest_batch_size(fn) -> CheckResult:
    """Check ``fn(mi)``: the smallest batch size N (an int) whose ceiling log N reaches ``mi``
    nats.

    Parameters
    ----------
    fn : callable
        The learner's function of a mutual information in nats (a float >= 0).

    Returns
    -------
    CheckResult

    Examples
    --------
    >>> smallest_batch_size(lambda mi: 2 ** mi).status
    'failed'
    """
    mis = [(7.834, "the Gaussians of this lesson, 7.834 nats"), (2.0, "2 nats"),
           (0.5, "half a nat"), (10.0, "10 nats"), (0.0, "no information at all")]
    cases = [
        Case(
            name,
            (mi,),
            _smallest_n(mi),
            "The InfoNCE bound can never exceed log N, so N must satisfy log N ≥ I: the "
            "smallest whole N at or above e^I.",
            rtol=0.0,
            atol=1e-9,
        )
        for mi, name in mis
    ]
    return run_cases("smallest_batch_size", fn, cases, _BATCH_MISTAKES)

