"""Checkers of lesson 10: the expected calibration error, a fitted temperature, a prior shift.

Expected values come from the package (:mod:`xent_lessons.calibration`), never from the
learner's code. The cases include empty bins, a confidence of exactly 1, logits far from 0,
temperatures above and below 1, and priors that make a class impossible.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from ..activations import softmax
from ..calibration import correct_prior as _correct_prior
from ..calibration import expected_calibration_error as _ece
from ..calibration import fit_temperature as _fit_temperature
from ._runner import Case, CheckResult, Mistake, run_cases

__all__ = ["correct_prior", "expected_calibration_error", "fit_temperature"]


# -------------------------------------------------------------------- ECE


def _ece_variant(probs, target, n_bins, *, weighted=True, absolute=True, confidence="top",
                 squared=False, last_bin=True, side="right"):
    """ECE with knobs for the typical mistakes (all defaults: the right answer)."""
    conf = probs.max(axis=1) if confidence == "top" else probs[np.arange(len(target)), target]
    hit = (probs.argmax(axis=1) == target).astype(float)
    index = np.searchsorted(np.linspace(0, 1, n_bins + 1), conf, side=side) - 1
    if side == "left":  # right-closed bins (lo, hi]: a confidence of 0 would get index -1
        index = np.maximum(index, 0)
    if last_bin:
        index = np.clip(index, 0, n_bins - 1)
    terms = []
    for k in range(n_bins):
        mine = index == k
        if not mine.any():
            continue
        gap = hit[mine].mean() - conf[mine].mean()
        gap = gap**2 if squared else (abs(gap) if absolute else gap)
        terms.append((mine.mean() if weighted else 1.0, gap))
    w = np.array([t[0] for t in terms])
    g = np.array([t[1] for t in terms])
    value = float(np.sum(w * g)) if weighted else float(np.mean(g))
    return np.sqrt(value) if squared else value


_ECE_MISTAKES = (
    Mistake(
        lambda p, y, n: _ece_variant(p, y, n, side="left"),
        "A confidence exactly on an edge k / n_bins went to the bin BELOW it: your bins are "
        "right-closed, (lo, hi]. The bins here are [lo, hi): the edge k / n_bins starts bin k "
        "(bin index floor(conf * n_bins), or np.searchsorted(edges, conf, side='right') - 1; "
        "np.digitize(conf, edges) - 1 does the same).",
    ),
    Mistake(
        lambda p, y, n: _ece_variant(p, y, n, last_bin=False),
        "A confidence of exactly 1.0 fell in no bin: it belongs to the LAST bin (clip the "
        "bin index to n_bins - 1), or a confident mistake at 1.0 goes unseen.",
    ),
    Mistake(
        lambda p, y, n: _ece_variant(p, y, 15),
        "n_bins is an argument: do not hard-code 15 bins.",
    ),
    Mistake(
        lambda p, y, n: _ece_variant(p, y, n, weighted=False),
        "Each bin's gap must be weighted by its share of the predictions, |B_k| / N: a plain "
        "mean over the bins lets a bin of 3 predictions count as much as one of 3000.",
    ),
    Mistake(
        lambda p, y, n: _ece_variant(p, y, n, absolute=False),
        "Take the absolute value of each bin's gap, |acc - conf|: signed gaps of "
        "over-confident and under-confident bins cancel out.",
    ),
    Mistake(
        lambda p, y, n: _ece_variant(p, y, n, confidence="true"),
        "The confidence is the model's TOP probability, max_c q_c (what it bets on its own "
        "answer), not the probability of the true class.",
    ),
    Mistake(
        lambda p, y, n: _ece_variant(p, y, n, squared=True),
        "That is the root-mean-square calibration error (squared gaps): ECE weights the "
        "absolute gaps |acc - conf|.",
    ),
)


def _peaked(rng, n, c, scale):
    return softmax(scale * rng.standard_normal((n, c)), axis=1)


def expected_calibration_error(fn) -> CheckResult:
    """Check ``fn(probs, y, n_bins)``: the ECE of probabilities ``(N, C)`` with equal-width bins.

    Bin ``k`` of ``n_bins`` holds the confidences in ``[k / n_bins, (k + 1) / n_bins)``, the
    last one also a confidence of exactly 1; a confidence exactly on an inner edge
    ``k / n_bins`` belongs to bin ``k`` (the bin above the edge); empty bins add nothing.

    Examples
    --------
    >>> expected_calibration_error(lambda probs, y, n_bins: 0.0).status
    'failed'
    """
    rng = np.random.default_rng(10)
    small = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.4, 0.6]])
    certain = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.2, 0.72, 0.08], [0.04, 0.03, 0.93]])
    p_mixed = _peaked(rng, 400, 3, 2.5)
    y_mixed = rng.integers(0, 3, 400)
    p_sure = _peaked(rng, 300, 4, 6.0)
    y_sure = np.where(rng.random(300) < 0.8, p_sure.argmax(axis=1), rng.integers(0, 4, 300))
    # Confidences 0.5 and 0.75 sit exactly on inner edges (exact in binary, as are the edges).
    on_edges = np.array([[0.5, 0.3, 0.2], [0.75, 0.125, 0.125], [0.25, 0.5, 0.25],
                         [0.5, 0.25, 0.25], [0.625, 0.25, 0.125], [0.125, 0.125, 0.75]])

    def case(name, p, y, n, hint):
        return Case(name, (p, np.asarray(y), n), _ece(p, y, n), hint, rtol=1e-9, atol=1e-12)

    cases = [
        case("4 predictions, 4 bins", small, [0, 1, 1, 1], 4,
             "Per bin: the mean confidence (top probability) and the fraction right; ECE adds "
             "|accuracy - confidence| weighted by the bin's share of the predictions."),
        case("confidences of exactly 1, and empty bins", certain, [2, 1, 1, 2], 10,
             "A confidence of exactly 1.0 belongs to the LAST bin (an index of n_bins is out of "
             "range: clip it to n_bins - 1); and skip empty bins (their mean is 0 / 0)."),
        case("400 predictions, 3 classes, 15 bins", p_mixed, y_mixed, 15,
             "Weight each bin by its share |B_k| / N, and keep the absolute value of each gap."),
        case("300 confident predictions, 4 classes, 10 bins", p_sure, y_sure, 10,
             "n_bins is an argument: do not hard-code 15 bins."),
        case("confidences exactly on the inner edges 0.5 and 0.75 (4 bins)", on_edges,
             [0, 1, 1, 2, 0, 0], 4,
             "Bins are [lo, hi): a confidence of exactly 0.5 belongs to the bin [0.5, 0.75), "
             "not to [0.25, 0.5)."),
    ]
    return run_cases("expected_calibration_error", fn, cases, _ECE_MISTAKES)


# ----------------------------------------------------------- fit_temperature


@cache
def _temperature_data():
    """Held-out logits from the ring mixture: Bayes logits made over- or under-confident."""
    from ..mixture import ring_mixture

    mix = ring_mixture()
    X, y = mix.sample(800, seed=21)
    return mix.posterior_logits(X), y


def _nll(z, y, T):
    from ..losses import categorical_cross_entropy

    return categorical_cross_entropy(z / T, y)


def _brier_temperature(z, y):
    """The T that minimises the Brier score instead of the NLL (a typical mix-up)."""
    rows = np.arange(len(y))

    def brier(log_t):
        p = softmax(z / np.exp(log_t), axis=1)
        p[rows, y] -= 1.0
        return float(np.mean(np.sum(p**2, axis=1)))

    lo, hi = np.log(0.01), np.log(100.0)  # golden-section search on log T
    ratio = (np.sqrt(5.0) - 1.0) / 2.0
    a, b = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
    fa, fb = brier(a), brier(b)
    while hi - lo > 1e-9:
        if fa < fb:
            hi, b, fb = b, a, fa
            a = hi - ratio * (hi - lo)
            fa = brier(a)
        else:
            lo, a, fa = a, b, fb
            b = lo + ratio * (hi - lo)
            fb = brier(b)
    return float(np.exp((lo + hi) / 2.0))


_T_MISTAKES = (
    Mistake(
        lambda z, y: 1.0 / _fit_temperature(z, y),
        "That is 1/T: the logits are DIVIDED by T (softmax(z / T)). If you searched over a "
        "factor β that multiplies the logits, return T = 1 / β.",
    ),
    Mistake(
        _brier_temperature,
        "That T minimises the Brier score: fit the NLL (the mean cross-entropy of "
        "softmax(logits / T)), which has its minimum at another T.",
    ),
)

_T_RTOL = 2e-3


class _TemperatureHint:
    """The hint for a fitted temperature that misses: how far off it is, and the likely why."""

    def __init__(self, best: float, why: str):
        self.best, self.why = best, why

    def __call__(self, got) -> str:
        if isinstance(got, np.ndarray) and got.ndim == 0:
            got = got[()]
        if isinstance(got, bool | np.bool_) or not isinstance(got, int | float | np.integer
                                                               | np.floating):
            return None  # an array, text, a complex number: the generic diagnosis says what
        t = float(got)
        if not np.isfinite(t) or t <= 0:
            return f"A temperature is a positive number; you returned {t}. {self.why}"
        off = t / self.best - 1.0
        text = (f"Your T = {t:.4g} is {abs(off):.2%} {'above' if off > 0 else 'below'} the best "
                f"T = {self.best:.4g}; the check allows {_T_RTOL:.1%}. ")
        if abs(off) < 0.1:
            return text + ("Close, so the search is right in spirit: a grid too coarse (with a "
                           "step of 0.1 the nearest grid point can be 0.05 away, 2 % at T = 2.5: "
                           "refine around the best point, or use a minimiser) or another criterion (the ECE or the Brier "
                           "score have their minimum at a nearby but different T).")
        return text + self.why

    def __str__(self) -> str:
        return f"The best T is {self.best:.4g} (within {_T_RTOL:.1%}). {self.why}"


def fit_temperature(fn) -> CheckResult:
    """Check ``fn(logits, y)``: the temperature ``T`` minimising the mean NLL of ``softmax(logits / T)``.

    The answer must be within 0.2 % of the exact minimiser; the cases need temperatures from
    about 0.3 to 5.

    Examples
    --------
    >>> fit_temperature(lambda logits, y: 1.0).status
    'failed'
    """
    z, y = _temperature_data()
    half = len(y) // 2
    cases = []
    for name, scale, hint in [
        ("an over-confident model (logits 3 times too large)", 3.0,
         "The model is over-confident, so the best T is above 1 (its logits are shrunk, "
         "divided by T > 1): search a range that holds it, finely enough."),
        ("an under-confident model (logits 3 times too small)", 1 / 3,
         "Here the best T is below 1 (about 0.3): a search range that starts at T = 0.5 or 1 "
         "misses it."),
        ("a model 5 times too confident", 5.0,
         "The best T is about 5: a search range that stops at 2 or 3 misses it."),
    ]:
        zs = scale * z[:half]
        best = _fit_temperature(zs, y[:half])
        cases.append(Case(name, (zs, y[:half]), best, _TemperatureHint(best, hint),
                          rtol=_T_RTOL, atol=0.0))
    big = 2.0 * z[half:] + 3000.0  # shift invariance: softmax ignores the +3000
    best = _fit_temperature(big, y[half:])
    cases.append(Case(
        "logits shifted by +3000 (softmax ignores a shift)", (big, y[half:]), best,
        _TemperatureHint(best, "exp(3000 / T) overflows: compute the NLL with a stable "
                         "log_softmax (xl.log_softmax, or z - logsumexp(z)), not "
                         "log(exp(z) / sum(exp(z)))."),
        rtol=_T_RTOL, atol=0.0,
    ))
    return run_cases("fit_temperature", fn, cases, _T_MISTAKES)


# ------------------------------------------------------------- correct_prior


def _prior_variant(p, train, new, *, divide=True, normalise=True, invert=False, axis=1):
    ratio = (train / new) if invert else (new / train if divide else new)
    out = p * ratio
    if normalise:
        out = out / out.sum(axis=axis, keepdims=True)
    return out


_PRIOR_MISTAKES = (
    Mistake(
        lambda p, a, b: _prior_variant(p, a, b, normalise=False),
        "Renormalise each row: after multiplying by the prior ratio, divide by the row's sum "
        "so that the probabilities add up to 1 again.",
    ),
    Mistake(
        lambda p, a, b: _prior_variant(p, a, b, divide=False),
        "Multiply by the RATIO new_prior / train_prior: the model's probabilities already "
        "contain the training prior, which has to be divided out.",
    ),
    Mistake(
        lambda p, a, b: _prior_variant(p, a, b, invert=True),
        "The ratio is upside down: a class that becomes MORE frequent (new > train) must gain "
        "probability, so multiply by new_prior / train_prior.",
    ),
    Mistake(
        lambda p, a, b: (lambda out: out / out.sum(axis=1))(p * (b / a)),
        "out.sum(axis=1) has shape (N,): dividing the (N, C) array by it lines the sums up "
        "with the COLUMNS (NumPy matches the last axes), so column j was divided by row j's "
        "sum. Keep the axis: out / out.sum(axis=1, keepdims=True).",
    ),
    Mistake(
        lambda p, a, b: np.log(_prior_variant(p, a, b)),
        "Those are log-probabilities (all <= 0): return the probabilities themselves "
        "(np.exp of your log-space result, which is already normalised).",
    ),
    Mistake(
        lambda p, a, b: _prior_variant(p, a, b, axis=0),
        "Normalise each ROW (one sample's distribution over the classes, axis=1), not each "
        "column.",
    ),
)


def correct_prior(fn) -> CheckResult:
    """Check ``fn(probs, train_prior, new_prior)``: probabilities ``(N, C)`` moved to new class priors.

    The answer is probabilities (not their logs), each row multiplied by
    ``new_prior / train_prior`` and renormalised to sum to 1.

    Examples
    --------
    >>> correct_prior(lambda probs, train_prior, new_prior: probs).status
    'failed'
    """
    rng = np.random.default_rng(12)
    p3 = softmax(rng.standard_normal((5, 3)), axis=1)

    def case(name, p, a, b, hint):
        p, a, b = (np.asarray(v, dtype=float) for v in (p, a, b))
        return Case(name, (p, a, b), _correct_prior(p, a, b), hint, rtol=1e-9, atol=1e-12)

    cases = [
        case("two classes, balanced training, 90/10 deployment", [[0.5, 0.5], [0.8, 0.2]],
             [0.5, 0.5], [0.9, 0.1],
             "Bayes' rule: q'(c|x) is proportional to q(c|x) * new_prior[c] / train_prior[c], "
             "normalised over the classes of the row."),
        case("three classes, unbalanced training and deployment", p3, [0.5, 0.3, 0.2],
             [0.2, 0.3, 0.5],
             "Divide out the training prior and multiply in the new one, then renormalise each row."),
        case("a class that becomes impossible (new prior 0)", p3, [1 / 3, 1 / 3, 1 / 3],
             [0.6, 0.4, 0.0],
             "A class with new prior 0 gets probability 0; the others share the row's mass."),
        case("5 samples, 4 classes, train prior 0.1/0.2/0.3/0.4",
             softmax(rng.standard_normal((5, 4)), axis=1), [0.1, 0.2, 0.3, 0.4],
             [0.25, 0.25, 0.25, 0.25],
             "C comes from the shape of probs: do not hard-code 3 classes."),
    ]
    return run_cases("correct_prior", fn, cases, _PRIOR_MISTAKES)
