"""Checkers of lesson 15: the Bradley-Terry loss, the DPO loss and DPO's implicit reward.

Expected values come from :mod:`xent_lessons.preference` (TRL's sigmoid DPO loss). The cases
include margins of thousands of nats (where ``log(sigmoid(x))`` gives ``-inf``), batches of
different sizes (the mean, not the sum), references that differ between the two answers (so
that a forgotten reference shows), and ``beta`` far from 1 (so that a misplaced one shows).
"""

from __future__ import annotations

import numpy as np

from ..preference import bradley_terry_loss as _bradley_terry_loss
from ..preference import dpo_implicit_rewards
from ..preference import dpo_loss as _dpo_loss
from ._runner import Case, CheckResult, Mistake, run_cases

__all__ = ["bradley_terry_loss", "dpo_implicit_reward", "dpo_loss"]


def _softplus(x):
    return np.logaddexp(0.0, x)


def _naive_log_sigmoid(x):
    with np.errstate(over="ignore", divide="ignore"):
        return np.log(1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float))))


_OVERFLOW = ("log(sigmoid(x)) rounds sigmoid(x) to 0 for a margin below about -745 and gives "
             "inf: write -log sigmoid(x) as softplus(-x) = np.logaddexp(0, -x), exact at any x.")

_BT_MISTAKES = (
    Mistake(lambda c, r: np.mean(_softplus(c - r)),
            "The margin is the wrong way round: the loss is -log sigmoid(chosen - rejected), "
            "small when the chosen answer scores higher."),
    Mistake(lambda c, r: np.sum(_softplus(r - c)),
            "Average over the pairs (np.mean), not the sum: the loss of a batch should not "
            "grow with its size."),
    Mistake(lambda c, r: np.mean(-_naive_log_sigmoid(c - r)), _OVERFLOW),
    Mistake(lambda c, r: np.mean(1.0 / (1.0 + np.exp(np.clip(c - r, -700, 700)))),
            "That is 1 - sigmoid(margin), the probability of the other outcome: the loss is "
            "its negative log-likelihood, -log sigmoid(margin)."),
    Mistake(lambda c, r: np.mean(_softplus(-c) + _softplus(r)),
            "Bradley-Terry uses one sigmoid of the difference of the scores, sigmoid(chosen - "
            "rejected), not a sigmoid of each score on its own."),
)


def bradley_terry_loss(fn) -> CheckResult:
    """Check ``fn(chosen, rejected)``: the mean of ``-log sigmoid(chosen - rejected)``.

    ``chosen`` and ``rejected`` are 1-D arrays of scores of the same length; one number.

    Examples
    --------
    >>> bradley_terry_loss(lambda c, r: 0.0).status
    'failed'
    """
    rng = np.random.default_rng(15)

    def case(name, c, r, hint):
        c, r = np.asarray(c, dtype=float), np.asarray(r, dtype=float)
        return Case(name, (c, r), _bradley_terry_loss(c, r), hint, rtol=1e-9, atol=1e-12)

    cases = [
        case("one pair, margin 1", [1.0], [0.0],
             "-log sigmoid(1 - 0) = log(1 + e^-1) = 0.3133."),
        case("five pairs, some ranked the wrong way", rng.normal(0, 2, 5), rng.normal(0, 2, 5),
             "Take the margin chosen - rejected of every pair, -log sigmoid of each, and their "
             "mean."),
        case("three pairs, shifted by 1000 (only differences count)",
             [1000.5, 1002.0, 999.0], [1000.0, 1000.0, 1001.0],
             "Only chosen - rejected matters; compute it first."),
        case("margins of -2000 and +2000", [0.0, 2000.0], [2000.0, 0.0], _OVERFLOW),
    ]
    return run_cases("bradley_terry_loss", fn, cases, _BT_MISTAKES)


# ------------------------------------------------------------------------------ DPO


def _margin(pc, pr, rc, rr):
    return (pc - rc) - (pr - rr)


_DPO_MISTAKES = (
    Mistake(lambda pc, pr, rc, rr, b: np.mean(_softplus(-b * (pc - pr))),
            "The reference model is forgotten: the margin is (log pi_c - log ref_c) - (log pi_r "
            "- log ref_r), the log-ratios to the reference, not the policy's log-probabilities "
            "alone."),
    Mistake(lambda pc, pr, rc, rr, b: np.mean(_softplus(b * _margin(pc, pr, rc, rr))),
            "The margin's sign is flipped: chosen minus rejected, and the loss is "
            "-log sigmoid(beta * margin), small when the chosen answer gained more."),
    Mistake(lambda pc, pr, rc, rr, b: np.mean(_softplus(-b * ((pc + rc) - (pr + rr)))),
            "The reference's log-probabilities are subtracted, not added: log(pi / pi_ref) = "
            "log pi - log pi_ref."),
    Mistake(lambda pc, pr, rc, rr, b: np.mean(_softplus(-(pc - rc) + b * (pr - rr))),
            "beta multiplies the whole margin, chosen and rejected log-ratios alike."),
    Mistake(lambda pc, pr, rc, rr, b: b * np.mean(_softplus(-_margin(pc, pr, rc, rr))),
            "beta is in the wrong place: it multiplies the margin inside the sigmoid, "
            "-log sigmoid(beta * margin), not the loss outside it."),
    Mistake(lambda pc, pr, rc, rr, b: np.mean(_softplus(-_margin(pc, pr, rc, rr) / b)),
            "beta multiplies the margin; dividing by it is what a temperature does."),
    Mistake(lambda pc, pr, rc, rr, b: np.mean(_softplus(-_margin(pc, pr, rc, rr))),
            "beta is missing: the loss is -log sigmoid(beta * margin)."),
    Mistake(lambda pc, pr, rc, rr, b: np.sum(_softplus(-b * _margin(pc, pr, rc, rr))),
            "Average over the pairs (np.mean), not the sum."),
    Mistake(lambda pc, pr, rc, rr, b: np.mean(-_naive_log_sigmoid(b * _margin(pc, pr, rc, rr))),
            _OVERFLOW),
)


def dpo_loss(fn) -> CheckResult:
    """Check ``fn(policy_chosen, policy_rejected, reference_chosen, reference_rejected, beta)``.

    Four 1-D arrays of sequence log-probabilities (one per pair) and ``beta > 0``; the
    answer is the mean over the pairs of ``-log sigmoid(beta * margin)``, with
    ``margin = (policy_chosen - reference_chosen) - (policy_rejected - reference_rejected)``.

    Examples
    --------
    >>> dpo_loss(lambda pc, pr, rc, rr, beta: 0.0).status
    'failed'
    """
    rng = np.random.default_rng(16)

    def case(name, pc, pr, rc, rr, beta, hint):
        args = tuple(np.asarray(a, dtype=float) for a in (pc, pr, rc, rr))
        return Case(name, (*args, beta), _dpo_loss(*args, beta=beta), hint, rtol=1e-9, atol=1e-12)

    def logps(n, scale):
        return -np.abs(rng.normal(0, scale, n)) - 1.0

    cases = [
        case("the policy equals the reference", [-12.0, -7.0], [-9.0, -15.0], [-12.0, -7.0],
             [-9.0, -15.0], 0.1,
             "When the policy is the reference every log-ratio is 0, and the loss is log 2."),
        case("one pair, beta = 0.5", [-10.0], [-12.0], [-11.0], [-11.0], 0.5,
             "margin = (-10 + 11) - (-12 + 11) = 2, so the loss is -log sigmoid(0.5 * 2)."),
        case("six pairs, beta = 2", logps(6, 10), logps(6, 10), logps(6, 10), logps(6, 10), 2.0,
             "Per pair: the log-ratios to the reference, chosen minus rejected, times beta; "
             "then -log sigmoid, and the mean over the pairs."),
        case("four pairs, beta = 0.05", logps(4, 30), logps(4, 30), logps(4, 30), logps(4, 30),
             0.05, "beta multiplies the margin inside the sigmoid."),
        case("margins of thousands of nats", [-1.0, -9000.0], [-9000.0, -1.0], [-5.0, -5.0],
             [-5.0, -5.0], 1.0, _OVERFLOW),
    ]
    return run_cases("dpo_loss", fn, cases, _DPO_MISTAKES)


# ------------------------------------------------------------------- implicit reward

_REWARD_MISTAKES = (
    Mistake(lambda p, r, b: p - r,
            "beta is missing: the implicit reward is beta * (log pi - log pi_ref)."),
    Mistake(lambda p, r, b: (p - r) / b,
            "Multiply by beta, do not divide: pi* is proportional to pi_ref exp(r / beta), so "
            "r = beta * log(pi* / pi_ref) + a constant."),
    Mistake(lambda p, r, b: b * (r - p),
            "The ratio is upside down: the reward is beta * log(pi / pi_ref), positive where "
            "the policy gives an answer more probability than the reference does."),
    Mistake(lambda p, r, b: b * p,
            "The reference is forgotten: the reward is the log-ratio to the reference, "
            "beta * (log pi - log pi_ref)."),
)


def dpo_implicit_reward(fn) -> CheckResult:
    """Check ``fn(policy_logps, reference_logps, beta)``: ``beta * (policy - reference)``.

    Two arrays of sequence log-probabilities of the same shape; an array back.

    Examples
    --------
    >>> dpo_implicit_reward(lambda p, r, beta: p).status
    'failed'
    """

    def case(name, p, r, beta, hint):
        p, r = np.asarray(p, dtype=float), np.asarray(r, dtype=float)
        return Case(name, (p, r, beta), dpo_implicit_rewards(p, r, beta), hint,
                    rtol=1e-12, atol=1e-12)

    cases = [
        case("two answers, beta = 0.5", [-4.0, -9.0], [-5.0, -8.0], 0.5,
             "0.5 * (-4 - (-5)) = 0.5 for the first answer."),
        case("three answers, beta = 2", [-20.0, -3.5, -7.0], [-18.0, -4.0, -7.0], 2.0,
             "Positive where the policy gives the answer more probability than the reference."),
        case("an answer of -3000 nats, beta = 0.1", [-3000.0], [-3100.0], 0.1,
             "Work with log-probabilities: exp(-3000) is 0 in float64."),
    ]
    return run_cases("dpo_implicit_reward", fn, cases, _REWARD_MISTAKES)
