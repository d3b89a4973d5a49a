"""Lesson 15 (preference learning): its checkers, widget and plot functions.

The checkers must accept the reference solutions of the solution notebook and reject the
typical wrong answers (the margin's sign, the reference forgotten or added, beta in the
wrong place, a sum instead of the mean, log(sigmoid) overflowing at large margins) with a
message that names the slip.
"""

import numpy as np
import pytest
from matplotlib.figure import Figure
from notebook_code import solution_function

import xent_lessons as xl
from xent_lessons.plots.preference import MARGIN_GRID

NOTEBOOK = "15_preference_learning"


def assert_fails(result, *words):
    assert result.status == "failed", result.message
    for word in words:
        assert word in result.message, (word, result.message)


def softplus(x):
    return np.logaddexp(0.0, x)


def naive_neg_log_sigmoid(x):
    with np.errstate(over="ignore", divide="ignore"):
        return -np.log(1.0 / (1.0 + np.exp(-x)))


def stub(*args):
    raise NotImplementedError


# ---------------------------------------------------------------- bradley_terry_loss


def test_bradley_terry_checker_accepts_the_reference_solution():
    result = xl.check.bradley_terry_loss(solution_function(NOTEBOOK, "bradley_terry_loss"))
    assert result.status == "passed", result.message


@pytest.mark.parametrize(
    ("wrong", "words"),
    [
        (lambda c, r: np.mean(softplus(c - r)), ["wrong way round"]),
        (lambda c, r: np.sum(softplus(r - c)), ["not the sum"]),
        (lambda c, r: np.mean(naive_neg_log_sigmoid(c - r)), ["logaddexp", "inf"]),
        (lambda c, r: np.mean(xl.sigmoid(-(c - r))), ["1 - sigmoid(margin)"]),
        (lambda c, r: np.mean(softplus(-c) + softplus(r)), ["difference of the scores"]),
        (lambda c, r: float(np.mean(c - r)), ["one pair, margin 1"]),
    ],
)
def test_bradley_terry_checker_names_the_mistake(wrong, words):
    assert_fails(xl.check.bradley_terry_loss(wrong), *words)


def test_bradley_terry_checker_stub():
    assert xl.check.bradley_terry_loss(stub).status == "not attempted"


# -------------------------------------------------------------------------- dpo_loss


def test_dpo_loss_checker_accepts_the_reference_solution():
    result = xl.check.dpo_loss(solution_function(NOTEBOOK, "dpo_loss"))
    assert result.status == "passed", result.message


def margin(pc, pr, rc, rr):
    return (pc - rc) - (pr - rr)


@pytest.mark.parametrize(
    ("wrong", "words"),
    [
        (lambda pc, pr, rc, rr, b: np.mean(softplus(-b * (pc - pr))), ["reference model is forgotten"]),
        (lambda pc, pr, rc, rr, b: np.mean(softplus(b * margin(pc, pr, rc, rr))), ["sign is flipped"]),
        (lambda pc, pr, rc, rr, b: np.mean(softplus(-b * ((pc + rc) - (pr + rr)))), ["subtracted, not added"]),
        (lambda pc, pr, rc, rr, b: b * np.mean(softplus(-margin(pc, pr, rc, rr))), ["beta is in the wrong place"]),
        (lambda pc, pr, rc, rr, b: np.mean(softplus(-margin(pc, pr, rc, rr) / b)), ["dividing"]),
        (lambda pc, pr, rc, rr, b: np.mean(softplus(-margin(pc, pr, rc, rr))), ["beta is missing"]),
        (lambda pc, pr, rc, rr, b: np.mean(softplus(-(pc - rc) + b * (pr - rr))), ["whole margin"]),
        (lambda pc, pr, rc, rr, b: np.sum(softplus(-b * margin(pc, pr, rc, rr))), ["not the sum"]),
        (lambda pc, pr, rc, rr, b: np.mean(naive_neg_log_sigmoid(b * margin(pc, pr, rc, rr))),
         ["thousands of nats", "logaddexp"]),
    ],
)
def test_dpo_loss_checker_names_the_mistake(wrong, words):
    assert_fails(xl.check.dpo_loss(wrong), *words)


def test_dpo_loss_checker_stub():
    assert xl.check.dpo_loss(stub).status == "not attempted"


# ------------------------------------------------------------------ implicit reward


def test_implicit_reward_checker_accepts_the_reference_solution():
    result = xl.check.dpo_implicit_reward(solution_function(NOTEBOOK, "dpo_implicit_reward"))
    assert result.status == "passed", result.message


@pytest.mark.parametrize(
    ("wrong", "words"),
    [
        (lambda p, r, b: p - r, ["beta is missing"]),
        (lambda p, r, b: (p - r) / b, ["Multiply by beta"]),
        (lambda p, r, b: b * (r - p), ["upside down"]),
        (lambda p, r, b: b * p, ["reference is forgotten"]),
        (lambda p, r, b: b * (np.exp(p) - np.exp(r)), ["two answers"]),
    ],
)
def test_implicit_reward_checker_names_the_mistake(wrong, words):
    assert_fails(xl.check.dpo_implicit_reward(wrong), *words)


def test_implicit_reward_checker_stub():
    assert xl.check.dpo_implicit_reward(stub).status == "not attempted"


# ---------------------------------------------------------------------------- widget


def test_dpo_margin_explorer_follows_the_sliders():
    margins = np.array([-10.0, 0.0, 5.0, 30.0])
    w = xl.widgets.dpo_margin_explorer(margins, beta=0.1)
    zeros = np.zeros_like(MARGIN_GRID)
    for beta, eps in [(0.01, 0.0), (0.1, 0.2), (1.0, 0.5), (10.0, 0.05)]:
        w.controls["beta"].value = beta
        w.controls["label_smoothing"].value = eps
        pc, pr = np.minimum(MARGIN_GRID, 0), -np.maximum(MARGIN_GRID, 0)
        expected = xl.dpo_loss(pc, pr, zeros, zeros, beta, eps, reduction="none")
        np.testing.assert_allclose(w.artists["loss"].get_ydata(), expected, rtol=1e-12)
        g, _ = xl.dpo_loss_grad(pc, pr, zeros, zeros, beta, eps, reduction="sum")
        np.testing.assert_allclose(w.artists["weight"].get_ydata(), -g, rtol=1e-12)
        weight_at_zero = w.artists["pairs_weight"].get_ydata()[1]
        assert weight_at_zero == pytest.approx(beta * (0.5 - eps), abs=1e-15)
        assert w.readout_text.startswith(f"β = {beta:.2f}, ε = {eps:.2f}: mean loss of the 4 pairs")
    assert "push the other way" in w.readout_text  # ε > 0: a far-right pair is pushed back


def test_dpo_margin_explorer_defaults_validation_and_grid():
    w = xl.widgets.dpo_margin_explorer()
    assert "200 pairs" in w.readout_text
    with pytest.raises(ValueError, match="beta"):
        xl.widgets.dpo_margin_explorer(beta=20.0)
    with pytest.raises(ValueError, match="label_smoothing"):
        xl.widgets.dpo_margin_explorer(label_smoothing=0.7)
    with pytest.raises(ValueError, match="margins is empty"):
        xl.widgets.dpo_margin_explorer(margins=[])


# ----------------------------------------------------------------------------- plots


def test_strength_recovery_and_sweep_and_log_prob_curves():
    art = xl.plots.strength_recovery(Figure().subplots(), [-1.0, 0.0, 1.0], [-0.8, 0.1, 0.7],
                                     names=["a", "b", "c"])
    np.testing.assert_allclose(art["points"].get_offsets(), [[-1, -0.8], [0, 0.1], [1, 0.7]])
    with pytest.raises(ValueError, match="strengths"):
        xl.plots.strength_recovery(Figure().subplots(), [0.0, 1.0], [0.0])
    fig = Figure()
    art = xl.plots.beta_sweep_curves(*fig.subplots(1, 2), [0.1, 1.0], [3.0, 0.5], [0.9, 0.6],
                                     [2.0, 0.4], [0.95, 0.6])
    assert art["optimum_kl"].get_ydata().tolist() == [2.0, 0.4]
    art = xl.plots.dpo_log_prob_curves(Figure().subplots(), [1, 2, 3], [-5, -6, -7],
                                       [-5, -7, -9], margin=[0, 1, 2])
    assert art["margin"].get_ydata().tolist() == [0, 1, 2]


def test_dpo_loss_panels_without_pairs():
    art = xl.plots.dpo_loss_panels(Figure().subplots(1, 2), beta=1.0, label_smoothing=0.25)
    assert art["pairs_loss"].get_xdata().size == 0
    weight = art["weight"].get_ydata()
    # with ε = 0.25 the weight changes sign at β Δ = log(0.75 / 0.25)
    crossing = MARGIN_GRID[np.argmin(np.abs(weight))]
    assert crossing == pytest.approx(np.log(3), abs=0.2)
