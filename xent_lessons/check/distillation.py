"""Checkers of lesson 11: the distillation loss, a Gaussian fitted by forward or reverse KL,
and the generalised Jensen-Shannon divergence of Liger Kernel and GKD.

Expected values come from :mod:`xent_lessons.distillation` (``F.kl_div``'s semantics). The
cases include temperatures far from 1, logits of 1000 (a naive softmax overflows), batches
of different sizes (the mean per sample, not per element) and targets with exact zeros.
"""

from __future__ import annotations

import numpy as np

from ..activations import log_softmax, softmax
from ..distillation import distillation_loss as _distillation_loss
from ..distillation import fit_gaussian_kl as _fit_gaussian_kl
from ..distillation import gaussian_on_grid
from ..distillation import generalized_jsd as _generalized_jsd
from ._runner import Case, CheckResult, Mistake, run_cases

__all__ = ["distillation_loss", "fit_gaussian_kl", "generalized_jsd"]


def _kl_rows(p_logits, q_logits, T):
    """Per-row KL(softmax(p / T) || softmax(q / T))."""
    log_p = log_softmax(p_logits, axis=1, temperature=T)
    log_q = log_softmax(q_logits, axis=1, temperature=T)
    return np.sum(np.exp(log_p) * (log_p - log_q), axis=1)


_LOSS_MISTAKES = (
    Mistake(
        lambda s, t, T: np.mean(_kl_rows(t, s, T)),
        "The gradient at temperature T is (q_s - q_t) / T, so the soft-target loss shrinks "
        "like 1/T²: multiply the KL by T² (Hinton et al.), or a high temperature switches "
        "the teacher off.",
    ),
    Mistake(
        lambda s, t, T: T * np.mean(_kl_rows(t, s, T)),
        "The factor is T squared, not T: the temperature divides the logits once in each "
        "softmax's gradient and once more through the chain rule.",
    ),
    Mistake(
        lambda s, t, T: T**2 * np.mean(_kl_rows(s, t, T)),
        "The KL is the wrong way round: the teacher's distribution p comes first, "
        "KL(p_teacher || q_student) = sum p log(p / q). (F.kl_div(log q_student, p_teacher) "
        "computes exactly that, with the student's log-probabilities first.)",
    ),
    Mistake(
        lambda s, t, T: T**2 * np.sum(_kl_rows(t, s, T)) / s.size,
        "That divides by N * C, the number of elements (F.kl_div's reduction='mean'): the "
        "mean KL per sample divides by the batch size N only ('batchmean').",
    ),
    Mistake(
        lambda s, t, T: T**2 * np.sum(_kl_rows(t, s, T)),
        "Average over the samples (divide the sum by N, 'batchmean'), not the sum.",
    ),
    Mistake(
        lambda s, t, T: T**2 * np.mean(-np.sum(softmax(t, axis=1, temperature=T)
                                              * log_softmax(s, axis=1, temperature=T), axis=1)),
        "That is the cross-entropy H(p, q): it has the same gradient, but the loss asked for "
        "is the KL = H(p, q) - H(p), which is 0 when the student matches the teacher.",
    ),
    Mistake(
        lambda s, t, T: T**2 * np.mean(np.sum(
            softmax(t, axis=1, temperature=T)
            * (log_softmax(t, axis=1, temperature=T) - log_softmax(s, axis=1)), axis=1)),
        "Both softmaxes take the temperature: the student's logits are divided by T too.",
    ),
    Mistake(
        lambda s, t, T: T**2 * np.mean(np.sum(
            softmax(t, axis=1) * (log_softmax(t, axis=1) - log_softmax(s, axis=1, temperature=T)),
            axis=1)),
        "Both softmaxes take the temperature: the teacher's logits are divided by T too.",
    ),
)


def distillation_loss(fn) -> CheckResult:
    """Check ``fn(student_logits, teacher_logits, T)``: Hinton's soft-target loss, one number.

    ``student_logits`` and ``teacher_logits`` have shape (N, C); the answer is averaged over
    the N samples.

    Examples
    --------
    >>> distillation_loss(lambda s, t, T: 0.0).status
    'failed'
    """
    rng = np.random.default_rng(11)

    def case(name, s, t, T, hint):
        s, t = np.asarray(s, dtype=float), np.asarray(t, dtype=float)
        return Case(name, (s, t, T), _distillation_loss(s, t, T), hint, rtol=1e-8, atol=1e-12)

    cases = [
        case("one sample, T = 1", [[1.0, 0.0, -1.0]], [[3.0, 0.0, 0.0]], 1.0,
             "At T = 1: KL(p || q) = sum_c p_c (log p_c - log q_c), p = softmax(teacher), "
             "q = softmax(student)."),
        case("4 samples, 3 classes, T = 4", rng.normal(0, 2, (4, 3)), rng.normal(0, 3, (4, 3)),
             4.0, "Divide both logits by T, take the KL per sample, average over the samples, "
             "and multiply by T²."),
        case("2 samples, 5 classes, T = 2", rng.normal(0, 2, (2, 5)), rng.normal(0, 2, (2, 5)),
             2.0, "Average over the N samples, not over the N * C elements."),
        case("a student equal to its teacher", [[2.0, -1.0, 0.5]], [[2.0, -1.0, 0.5]], 3.0,
             "The loss is 0 when the student matches the teacher (a KL, not a cross-entropy)."),
        case("logits of 1000, T = 0.5", [[1000.0, 0.0, -1000.0]], [[0.0, 1000.0, 990.0]], 0.5,
             "exp(2000) overflows: use a stable log_softmax (xl.log_softmax(z, axis=1, "
             "temperature=T)), never log(softmax(...))."),
    ]
    return run_cases("distillation_loss", fn, cases, _LOSS_MISTAKES)


# ---------------------------------------------------------------- KL fits


def _naive_fit(p, x, means, stds, direction):
    """A fit whose KL is computed without the 0 log 0 = 0 rule (nan wins np.argmin)."""
    best, values = [], []
    for m in means:
        for sd in stds:
            q = gaussian_on_grid(x, m, sd)
            a, b = (p, q) if direction == "forward" else (q, p)
            with np.errstate(all="ignore"):
                values.append(np.sum(a * np.log(a / b)))
            best.append((float(m), float(sd)))
    return best[int(np.argmin(values))]


def _naive_fit_skipping_nan(p, x, means, stds, direction):
    """The same naive KL in a loop that keeps a pair only when ``value < best_value``: a nan
    never wins, so where every KL is nan no pair is kept and the loop returns None."""
    best, best_value = None, np.inf
    for m in means:
        for sd in stds:
            q = gaussian_on_grid(x, m, sd)
            a, b = (p, q) if direction == "forward" else (q, p)
            with np.errstate(all="ignore"):
                value = np.sum(a * np.log(a / b))
            if value < best_value:
                best, best_value = (float(m), float(sd)), value
    return best


def _last_on_a_tie(p, x, means, stds, direction):
    """``<=`` instead of ``<``: the LAST of equally good pairs (the grids read backwards)."""
    return _fit_gaussian_kl(p, x, np.asarray(means)[::-1], np.asarray(stds)[::-1], direction)


_NAN_KL = (
    "If `return best` is there, the likely cause on this case (a target with exact zeros) "
    "is that every KL came out nan, so no pair ever won and `best` stayed None (nan < "
    "best_value is always False). Where p = 0 the term p * log(p / q) is 0 * log(0) = 0 * (-inf) = nan in "
    "floating point, but it must count 0 (0 log 0 = 0): use xl.kl_divergence, which knows "
    "the rule, or add up only the terms where p > 0."
)

_FIT_MISTAKES = (
    Mistake(_naive_fit_skipping_nan, _NAN_KL),
    Mistake(
        _last_on_a_tie,
        "On a tie the FIRST pair must win (in the order of the loops: means outer, stds "
        "inner): keep a new pair only if its KL is strictly smaller (<), not smaller or "
        "equal (<=), which hands the tie to the last pair.",
    ),
    Mistake(
        _naive_fit,
        "A term with probability 0 must count 0 (0 log 0 = 0), but 0 * log(0 / 0) is nan, and "
        "np.argmin picks the first nan. Use xl.kl_divergence, which knows the rule.",
    ),
    Mistake(
        lambda p, x, m, s, d: _fit_gaussian_kl(p, x, m, s, "reverse" if d == "forward" else "forward"),
        "The directions are swapped: 'forward' is KL(p || q), the target p first (what "
        "cross-entropy training minimises, mean-seeking); 'reverse' is KL(q || p).",
    ),
)


def fit_gaussian_kl(fn) -> CheckResult:
    """Check ``fn(p, x, means, stds, direction)``: the best ``(mean, std)`` pair by KL.

    Each candidate is ``q = xl.distillation.gaussian_on_grid(x, mean, std)``; ``direction``
    is ``"forward"`` for :math:`D_{KL}(p \\| q)` or ``"reverse"`` for :math:`D_{KL}(q \\| p)`.
    Return the pair (two numbers) with the smallest divergence; on a tie, the first pair in
    the loops' order (means outer, stds inner).

    Examples
    --------
    >>> fit_gaussian_kl(lambda p, x, means, stds, direction: (0.0, 1.0)).status
    'failed'
    """
    x = np.linspace(-6.0, 6.0, 241)
    bimodal = 0.6 * gaussian_on_grid(x, -2.0, 0.6) + 0.4 * gaussian_on_grid(x, 2.5, 0.6)
    means = np.linspace(-3.0, 3.0, 25)
    stds = np.linspace(0.3, 3.0, 28)
    # A target with exact zeros: nothing outside [-3, 3].
    cut = np.where(np.abs(x) <= 3.0, bimodal, 0.0)
    cut = cut / cut.sum()
    # An exact tie: a std of 1e12 makes every Gaussian flat on the grid (each exp rounds to
    # 1.0), whatever its mean, and a flat target is fitted best by any of them.
    flat = np.full(x.shape, 1.0 / len(x))
    tie_means, tie_stds = np.array([-0.4, 0.3, 1.1]), np.array([0.5, 1e12])

    def case(name, p, direction, hint):
        return Case(name, (p, x, means, stds, direction),
                    _fit_gaussian_kl(p, x, means, stds, direction), hint, rtol=0, atol=1e-12)

    cases = [
        case("forward KL on two modes", bimodal, "forward",
             "Forward KL(p || q) punishes q for missing any part of p: the best Gaussian is "
             "wide and sits between the modes. Try every (mean, std) pair, keep the smallest."),
        case("reverse KL on two modes", bimodal, "reverse",
             "Reverse KL(q || p) punishes q for putting mass where p has little: the best "
             "Gaussian is narrow and sits on one mode (the larger one)."),
        case("forward KL, a target with exact zeros", cut, "forward",
             "Where p = 0 the term p log(p / q) is 0, not nan."),
        Case("a tie: a flat target, and Gaussians so wide (std 1e12) that they are flat "
             "whatever their mean",
             (flat, x, tie_means, tie_stds, "forward"),
             _fit_gaussian_kl(flat, x, tie_means, tie_stds, "forward"),
             "Every std-1e12 Gaussian is exactly flat on the grid, so the pairs (-0.4, 1e12), "
             "(0.3, 1e12) and (1.1, 1e12) have the same KL: the first pair in the loops' order "
             "(means outer, stds inner) wins a tie.", rtol=0, atol=1e-12),
    ]
    return run_cases("fit_gaussian_kl", fn, cases, _FIT_MISTAKES, part_names=("mean", "std"))


# ------------------------------------------------------- generalised JSD


def _kl_log(log_a, log_b):
    """Per-row KL(a || b) from log-probabilities (a term with a = 0 counts 0)."""
    with np.errstate(invalid="ignore"):
        return np.sum(np.where(np.isneginf(log_a), 0.0, np.exp(log_a) * (log_a - log_b)), axis=1)


def _mixture_jsd(log_q, log_p, beta):
    """beta KL(p || m) + (1 - beta) KL(q || m), m = beta p + (1 - beta) q, per row, for any beta."""
    with np.errstate(divide="ignore"):
        log_m = np.logaddexp(log_p + np.log(beta), log_q + np.log(1 - beta))
    first = beta * _kl_log(log_p, log_m) if beta > 0 else 0.0
    second = (1 - beta) * _kl_log(log_q, log_m) if beta < 1 else 0.0
    return first + second


def _jsd_variant(s, t, beta, *, ends=True, swap_ends=False, kl_reversed=False,
                 log_mixture=False, reduce=np.mean):
    """A wrong (or, with the defaults, the right) JSD, for the checker's mistakes."""
    log_q, log_p = log_softmax(s, axis=1), log_softmax(t, axis=1)
    if ends and beta in (0.0, 1.0):
        forward = (beta == 0.0) != swap_ends
        return float(reduce(_kl_log(log_p, log_q) if forward else _kl_log(log_q, log_p)))
    b = beta
    if log_mixture:
        log_m = log_softmax(b * log_p + (1 - b) * log_q, axis=1)
        rows = b * _kl_log(log_p, log_m) + (1 - b) * _kl_log(log_q, log_m)
    elif kl_reversed:
        log_m = np.logaddexp(log_p + np.log(b), log_q + np.log1p(-b))
        rows = b * _kl_log(log_m, log_p) + (1 - b) * _kl_log(log_m, log_q)
    else:
        rows = _mixture_jsd(log_q, log_p, b)
    return float(reduce(rows))


_JSD_MISTAKES = (
    Mistake(
        lambda s, t, beta: _jsd_variant(s, t, beta, ends=False),
        "At beta = 0 and beta = 1 the mixture formula gives 0 (one KL has weight 0, the other "
        "compares a distribution with itself). By definition (Liger Kernel, TRL's GKD) the ends "
        "are the KLs themselves: forward KL(p || q) at beta = 0, reverse KL(q || p) at beta = 1.",
    ),
    Mistake(
        lambda s, t, beta: _jsd_variant(s, t, beta, swap_ends=True),
        "The ends are swapped: beta = 0 is the forward KL(p_teacher || q_student) "
        "(mode-covering, the usual distillation loss) and beta = 1 the reverse KL(q || p).",
    ),
    Mistake(
        lambda s, t, beta: _jsd_variant(s, t, 1 - beta),
        "beta and 1 - beta are swapped, or the student and the teacher: beta is the TEACHER's "
        "weight, m = beta p + (1 - beta) q with p = softmax(teacher_logits), and beta = 0 "
        "gives the forward KL(p || q).",
    ),
    Mistake(
        lambda s, t, beta: _jsd_variant(s, t, beta, kl_reversed=True),
        "Each KL compares a distribution WITH the mixture: KL(p || m) = sum p log(p / m), p "
        "first; you computed KL(m || p) and KL(m || q).",
    ),
    Mistake(
        lambda s, t, beta: _jsd_variant(s, t, beta, log_mixture=True),
        "The mixture mixes probabilities, m = beta p + (1 - beta) q, not log-probabilities or "
        "logits (in log space: np.logaddexp(log p + log beta, log q + log(1 - beta))).",
    ),
    Mistake(
        lambda s, t, beta: _jsd_variant(s, t, beta, reduce=np.sum),
        "Average over the N rows (the tokens), as Liger's loss does ('batchmean'), not the sum.",
    ),
)


def generalized_jsd(fn) -> CheckResult:
    """Check ``fn(student_logits, teacher_logits, beta)``: the mean generalised JSD over rows.

    With ``p = softmax(teacher_logits)``, ``q = softmax(student_logits)`` (rows of shape
    (N, C)) and ``m = beta p + (1 - beta) q``: ``beta KL(p || m) + (1 - beta) KL(q || m)``
    per row, averaged over the N rows; ``KL(p || q)`` at ``beta = 0`` and ``KL(q || p)`` at
    ``beta = 1``. One number, in nats.

    Examples
    --------
    >>> generalized_jsd(lambda s, t, beta: 0.0).status
    'failed'
    """
    rng = np.random.default_rng(28)

    def case(name, s, t, beta, hint):
        s, t = np.asarray(s, dtype=float), np.asarray(t, dtype=float)
        return Case(name, (s, t, beta), _generalized_jsd(s, t, beta), hint, rtol=1e-8, atol=1e-12)

    s4, t4 = rng.normal(0, 2, (4, 5)), rng.normal(0, 2, (4, 5))
    cases = [
        case("one row, beta = 0.5", [[1.0, 0.0, -1.0]], [[3.0, 0.0, 0.0]], 0.5,
             "m = 0.5 p + 0.5 q; the result is 0.5 KL(p || m) + 0.5 KL(q || m), with "
             "p = softmax(teacher_logits) and q = softmax(student_logits)."),
        case("4 rows, 5 classes, beta = 0.2", s4, t4, 0.2,
             "beta weighs the teacher: m = beta p + (1 - beta) q, and the result is "
             "beta KL(p || m) + (1 - beta) KL(q || m), averaged over the rows."),
        case("4 rows, beta = 0: the forward KL", s4, t4, 0.0,
             "At beta = 0 the answer is the forward KL(p || q) = sum p (log p - log q)."),
        case("4 rows, beta = 1: the reverse KL", s4, t4, 1.0,
             "At beta = 1 the answer is the reverse KL(q || p) = sum q (log q - log p)."),
        case("2 rows, 3 classes, beta = 0.9", rng.normal(0, 3, (2, 3)), rng.normal(0, 3, (2, 3)), 0.9,
             "Average over the N rows, not the sum; beta = 0.9 is close to the reverse KL, "
             "divided by about 10."),
        case("a student equal to its teacher, beta = 0.3", [[2.0, -1.0, 0.5]], [[2.0, -1.0, 0.5]], 0.3,
             "The divergence is 0 when the student matches the teacher."),
        case("logits of 1000, beta = 0.5", [[1000.0, 0.0, -1000.0]], [[0.0, 1000.0, 990.0]], 0.5,
             "exp(1000) overflows: take the log-probabilities with a stable log_softmax "
             "(xl.log_softmax(z, axis=1)) and mix in log space with np.logaddexp, never "
             "log(softmax(...))."),
    ]
    return run_cases("generalized_jsd", fn, cases, _JSD_MISTAKES)
