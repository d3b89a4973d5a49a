"""Lesson 11 (distillation): its checkers, widget and plot functions.

The checkers must accept the reference solutions of the solution notebook and reject the
typical wrong answers (no T², T instead of T², the KL the wrong way round, torch's 'mean',
a sum, a cross-entropy, one softmax without the temperature, swapped KL directions, a naive
0 log 0) with a message that names the slip.
"""

import numpy as np
import pytest
from matplotlib.figure import Figure
from notebook_code import solution_function

import xent_lessons as xl
from xent_lessons.distillation import fit_gaussian_kl, gaussian_on_grid

NOTEBOOK = "11_distillation"


def assert_fails(result, *words):
    assert result.status == "failed", result.message
    for word in words:
        assert word in result.message, (word, result.message)


def _kl(p_logits, q_logits, T):
    log_p = xl.log_softmax(p_logits, axis=1, temperature=T)
    log_q = xl.log_softmax(q_logits, axis=1, temperature=T)
    return np.sum(np.exp(log_p) * (log_p - log_q), axis=1)


# ---------------------------------------------------------------- distillation_loss


def test_distillation_loss_checker_accepts_the_reference_solution():
    result = xl.check.distillation_loss(solution_function(NOTEBOOK, "distillation_loss"))
    assert result.status == "passed", result.message


def naive(s, t, T):
    def sm(z):
        e = np.exp(z / T)
        return e / e.sum(axis=1, keepdims=True)

    p, q = sm(t), sm(s)
    return T**2 * np.mean(np.sum(p * np.log(p / q), axis=1))


@pytest.mark.parametrize(
    ("wrong", "words"),
    [
        (lambda s, t, T: np.mean(_kl(t, s, T)), ["multiply the KL by T²"]),
        (lambda s, t, T: T * np.mean(_kl(t, s, T)), ["T squared, not T"]),
        (lambda s, t, T: T**2 * np.mean(_kl(s, t, T)), ["wrong way round"]),
        (lambda s, t, T: T**2 * np.sum(_kl(t, s, T)) / s.size, ["N * C", "batchmean"]),
        (lambda s, t, T: T**2 * np.sum(_kl(t, s, T)), ["not the sum"]),
        (lambda s, t, T: T**2 * np.mean(-np.sum(xl.softmax(t, axis=1, temperature=T)
                                                * xl.log_softmax(s, axis=1, temperature=T), axis=1)),
         ["cross-entropy H(p, q)"]),
        (lambda s, t, T: T**2 * np.mean(np.sum(xl.softmax(t, axis=1, temperature=T) * (
            xl.log_softmax(t, axis=1, temperature=T) - xl.log_softmax(s, axis=1)), axis=1)),
         ["student's logits are divided by T"]),
        (naive, ["logits of 1000", "overflows"]),
    ],
)
def test_distillation_loss_checker_names_the_mistake(wrong, words):
    assert_fails(xl.check.distillation_loss(wrong), *words)


def test_distillation_loss_checker_stub():
    def stub(s, t, T):
        raise NotImplementedError

    assert xl.check.distillation_loss(stub).status == "not attempted"


# ------------------------------------------------------------------ fit_gaussian_kl


def test_fit_gaussian_kl_checker_accepts_the_reference_solution():
    result = xl.check.fit_gaussian_kl(solution_function(NOTEBOOK, "fit_gaussian_kl"))
    assert result.status == "passed", result.message


def naive_fit(p, x, means, stds, direction):
    candidates, values = [], []
    for m in means:
        for s in stds:
            q = gaussian_on_grid(x, m, s)
            a, b = (p, q) if direction == "forward" else (q, p)
            with np.errstate(all="ignore"):
                values.append(np.sum(a * np.log(a / b)))
            candidates.append((m, s))
    return candidates[int(np.argmin(values))]


@pytest.mark.parametrize(
    ("wrong", "words"),
    [
        (lambda p, x, m, s, d: fit_gaussian_kl(p, x, m, s, "reverse" if d == "forward" else "forward"),
         ["swapped", "mean-seeking"]),
        (naive_fit, ["exact zeros", "0 log 0 = 0", "nan"]),
        (lambda p, x, m, s, d: (float(np.sum(p * x)), 1.0), ["forward KL on two modes"]),
    ],
)
def test_fit_gaussian_kl_checker_names_the_mistake(wrong, words):
    assert_fails(xl.check.fit_gaussian_kl(wrong), *words)


def test_fit_gaussian_kl_checker_holds_the_first_pair_on_a_tie():
    def last_on_a_tie(p, x, means, stds, direction):  # `<=`: a tie goes to the last pair
        best, best_value = None, np.inf
        for m in means:
            for s in stds:
                q = gaussian_on_grid(x, m, s)
                value = xl.kl_divergence(p, q) if direction == "forward" else xl.kl_divergence(q, p)
                if value <= best_value:
                    best, best_value = (m, s), value
        return best

    assert_fails(xl.check.fit_gaussian_kl(last_on_a_tie), "a tie", "FIRST pair", "(<)")


def test_fit_gaussian_kl_checker_says_nan_kl_where_a_loop_returns_none():
    def nan_kl(p, x, means, stds, direction):  # `return best` is there; every KL is nan
        best, best_value = None, np.inf
        for m in means:
            for s in stds:
                q = gaussian_on_grid(x, m, s)
                a, b = (p, q) if direction == "forward" else (q, p)
                value = np.sum(a * np.log(a / b))
                if value < best_value:
                    best, best_value = (m, s), value
        return best

    result = xl.check.fit_gaussian_kl(nan_kl)
    assert_fails(result, "exact zeros", "nan", "0 log 0 = 0", "xl.kl_divergence")


# ---------------------------------------------------------------------------- widget


def test_distillation_temperature_follows_the_slider():
    mix = xl.mixture.ring_mixture()
    X, _ = mix.sample(20, seed=3)
    teacher = mix.posterior_logits(X)
    student = 0.3 * teacher
    w = xl.widgets.distillation_temperature(student, teacher, temperature=2.0, sample=4)
    for T in (0.5, 2.0, 10.0, 50.0):
        w.controls["temperature"].value = T
        q = xl.softmax(teacher[4], temperature=T)
        np.testing.assert_allclose([b.get_height() for b in w.artists["bars"]], q, atol=1e-12)
        g = np.linalg.norm(xl.distillation_loss_grad(student, teacher, T))
        assert w.artists["scaled_marker"].get_ydata()[0] == pytest.approx(g, rel=1e-12)
        assert w.artists["plain_marker"].get_ydata()[0] == pytest.approx(g / T**2, rel=1e-12)
        assert w.readout_text.startswith(f"T = {T:.1f}: soft target [")
        assert f"{g / T**2:.2e} without T², {g:.2e} with T²" in w.readout_text
    # the precomputed curves: without T² they fall as 1/T² at high T, with it they level off
    hi = w.temperatures > 20
    slope = np.diff(np.log(w.plain[hi])) / np.diff(np.log(w.temperatures[hi]))
    assert np.allclose(slope, -2, atol=0.1)
    assert w.scaled[-1] == pytest.approx(w.scaled[-5], rel=0.02)


def test_distillation_temperature_defaults_and_validation():
    w = xl.widgets.distillation_temperature()
    assert w.readout_text.startswith("T = 4.0")
    with pytest.raises(ValueError, match="both"):
        xl.widgets.distillation_temperature(student_logits=np.zeros((2, 3)))
    with pytest.raises(ValueError, match="sample"):
        xl.widgets.distillation_temperature(np.zeros((2, 3)), np.zeros((2, 3)), sample=5)
    with pytest.raises(ValueError, match="range"):
        xl.widgets.distillation_temperature(temperature=100.0)


# ----------------------------------------------------------------------------- plots


def test_gradient_norm_curves_and_kl_fit_curves():
    T = np.array([1.0, 10.0, 100.0])
    plain, scaled = xl.plots.gradient_norms([[0.0, 0.0, 0.0]], [[2.0, 0.0, -1.0]], T)
    np.testing.assert_allclose(scaled, plain * T**2)
    art = xl.plots.gradient_norm_curves(Figure().subplots(), T, plain, scaled, current=10.0)
    assert art["scaled_marker"].get_ydata()[0] == pytest.approx(scaled[1])
    assert art["plain"].axes.get_xscale() == "log" and art["plain"].axes.get_yscale() == "log"
    hidden = xl.plots.gradient_norm_curves(Figure().subplots(), T, plain, scaled)
    assert not hidden["plain_marker"].get_visible()
    x = np.linspace(-3, 3, 7)
    art = xl.plots.kl_fit_curves(Figure().subplots(), x, gaussian_on_grid(x, 0, 1),
                                 {"forward": gaussian_on_grid(x, 0, 2)})
    np.testing.assert_allclose(art["fits"]["forward"].get_ydata(), gaussian_on_grid(x, 0, 2))


def test_labelled_curves_draws_each_curve_and_reference():
    ax = Figure().subplots()
    art = xl.plots.labelled_curves(ax, [1, 2, 4], {"a": [3.0, 2.0, 1.0], "b": [1.0, 1.5, 2.0]},
                                   {"teacher": 0.5}, xlabel="k", ylabel="bits", log_x=True)
    assert list(art["curves"]) == ["a", "b"]
    np.testing.assert_allclose(art["curves"]["b"].get_ydata(), [1.0, 1.5, 2.0])
    assert art["curves"]["a"].get_color() != art["curves"]["b"].get_color()
    assert list(art["references"]["teacher"].get_ydata()) == [0.5, 0.5]
    assert ax.get_xscale() == "log" and ax.get_xlabel() == "k" and ax.get_ylabel() == "bits"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b", "teacher"]


# ------------------------------------------------------------------ generalized_jsd


def test_generalized_jsd_checker_accepts_the_reference_solution():
    result = xl.check.generalized_jsd(solution_function(NOTEBOOK, "generalized_jsd"))
    assert result.status == "passed", result.message


def test_generalized_jsd_checker_accepts_the_package_function():
    result = xl.check.generalized_jsd(lambda s, t, beta: xl.generalized_jsd(s, t, beta=beta))
    assert result.status == "passed", result.message


def learner_jsd(s, t, beta, *, ends=True, swap_ends=False, kl_to_mixture=True, mix_logs=False,
                total=False, naive=False):
    """A learner's JSD with one slip switched on (all off: a right answer)."""
    if naive:
        with np.errstate(all="ignore"):
            p = np.exp(t) / np.exp(t).sum(axis=1, keepdims=True)
            q = np.exp(s) / np.exp(s).sum(axis=1, keepdims=True)
            log_p, log_q = np.log(p), np.log(q)
    else:
        log_p, log_q = xl.log_softmax(t, axis=1), xl.log_softmax(s, axis=1)
    p, q = np.exp(log_p), np.exp(log_q)

    def kl(log_a, log_b):
        return np.sum(np.exp(log_a) * (log_a - log_b), axis=1)

    if ends and beta in (0.0, 1.0):
        forward = (beta == 0.0) != swap_ends
        rows = kl(log_p, log_q) if forward else kl(log_q, log_p)
    else:
        with np.errstate(divide="ignore"):
            if mix_logs:
                log_m = xl.log_softmax(beta * log_p + (1 - beta) * log_q, axis=1)
            else:
                log_m = np.log(beta * p + (1 - beta) * q)
        if kl_to_mixture:
            rows = beta * kl(log_p, log_m) + (1 - beta) * kl(log_q, log_m)
        else:
            rows = beta * kl(log_m, log_p) + (1 - beta) * kl(log_m, log_q)
    return float(np.sum(rows) if total else np.mean(rows))


def test_the_learner_jsd_without_slips_passes():
    # the test's learner is right when no slip is switched on, so each failure below is its slip
    assert xl.check.generalized_jsd(learner_jsd).status == "passed"


@pytest.mark.parametrize(
    ("slip", "words"),
    [
        ({"ends": False}, ["the mixture formula gives 0", "forward KL(p || q) at beta = 0"]),
        ({"swap_ends": True}, ["ends are swapped"]),
        ({"kl_to_mixture": False}, ["WITH the mixture", "KL(m || p)"]),
        ({"mix_logs": True}, ["mixes probabilities"]),
        ({"total": True}, ["Average over the N rows"]),
        ({"naive": True}, ["logits of 1000", "overflows"]),
    ],
)
def test_generalized_jsd_checker_names_the_mistake(slip, words):
    assert_fails(xl.check.generalized_jsd(lambda s, t, beta: learner_jsd(s, t, beta, **slip)), *words)


@pytest.mark.parametrize("swap", ["beta", "arguments"])
def test_generalized_jsd_checker_names_a_swapped_beta_or_swapped_arguments(swap):
    if swap == "beta":
        def wrong(s, t, beta):
            return learner_jsd(s, t, 1 - beta)
    else:
        def wrong(s, t, beta):
            return learner_jsd(t, s, beta)
    assert_fails(xl.check.generalized_jsd(wrong), "beta and 1 - beta are swapped", "TEACHER's weight")


def test_generalized_jsd_checker_stub():
    def stub(s, t, beta):
        raise NotImplementedError

    assert xl.check.generalized_jsd(stub).status == "not attempted"
