"""Lesson 04, binary cross-entropy: its checkers, widget, plots and published figures."""

from __future__ import annotations

from pathlib import Path

import nbformat
import numpy as np
import pytest
from matplotlib.figure import Figure
from notebook_code import solution_function

import xent_lessons as xl
from xent_lessons.plots.binary import naive_bce_with_logits

NOTEBOOK = "04_binary_cross_entropy"


def _stub(*args):
    raise NotImplementedError("Exercise: replace this line with your code")


# ------------------------------------------------------------------ bce_from_probabilities


def _bce_sum(q, y):
    return np.sum(-(y * np.log(q) + (1 - y) * np.log(1 - q)))


def _bce_swapped(q, y):
    return np.mean(-(y * np.log(1 - q) + (1 - y) * np.log(q)))


def _bce_bits(q, y):
    return np.mean(-(y * np.log2(q) + (1 - y) * np.log2(1 - q)))


def _bce_no_minus(q, y):
    return np.mean(y * np.log(q) + (1 - y) * np.log(1 - q))


def _bce_mean_over_axis_0(q, y):
    return np.mean(-(y * np.log(q) + (1 - y) * np.log(1 - q)), axis=0)


def test_bce_from_probabilities_accepts_the_reference_solution():
    fn = solution_function(NOTEBOOK, "bce_from_probabilities")
    result = xl.check.bce_from_probabilities(fn)
    assert result.status == "passed", result.message


@pytest.mark.parametrize(
    ("wrong", "case_words", "hint_words"),
    [
        (_bce_sum, "worked example", "not their sum"),
        (_bce_swapped, "confident, correct positive", "swap"),
        (_bce_bits, "unsure guess", "log base 2"),
        (_bce_no_minus, "unsure guess", "minus sign"),
        (_bce_mean_over_axis_0, "shape (2, 3)", "every element"),
    ],
)
def test_bce_from_probabilities_rejects_typical_mistakes(wrong, case_words, hint_words):
    result = xl.check.bce_from_probabilities(wrong)
    assert result.status == "failed"
    assert case_words in result.message
    assert hint_words in result.message


def test_bce_from_probabilities_without_the_mean_reports_the_shape():
    def per_sample(q, y):
        return -(y * np.log(q) + (1 - y) * np.log(1 - q))

    result = xl.check.bce_from_probabilities(per_sample)
    assert result.status == "failed"
    assert "wrong shape" in result.message and "every element is missing" in result.message


def test_bce_from_probabilities_stub_is_not_attempted():
    assert xl.check.bce_from_probabilities(_stub).status == "not attempted"


# ------------------------------------------------------------------------- bce_with_logits


def _naive_logits(z, y):
    q = 1 / (1 + np.exp(-z))
    return -(y * np.log(q) + (1 - y) * np.log(1 - q))


def _plain_log(z, y):
    return np.maximum(z, 0) - z * y + np.log(1 + np.exp(-np.abs(z)))


def _no_abs(z, y):
    return np.maximum(z, 0) - z * y + np.log1p(np.exp(-z))


def _mean_not_elements(z, y):
    return np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))))


def test_bce_with_logits_accepts_the_reference_solution():
    fn = solution_function(NOTEBOOK, "bce_with_logits")
    result = xl.check.bce_with_logits(fn)
    assert result.status == "passed", result.message


def test_bce_with_logits_accepts_logaddexp():
    result = xl.check.bce_with_logits(lambda z, y: np.logaddexp(0, -z) + (1 - y) * z)
    assert result.status == "passed", result.message


@pytest.mark.parametrize(
    ("wrong", "case_words", "hint_words"),
    [
        (_naive_logits, "magnitude 1e4", "stable form"),
        (_plain_log, "z = 40", "log1p"),
        (_no_abs, "moderate logits", "absolute value"),
        (_mean_not_elements, "z = 0", "one value per element"),
    ],
)
def test_bce_with_logits_rejects_typical_mistakes(wrong, case_words, hint_words):
    result = xl.check.bce_with_logits(wrong)
    assert result.status == "failed"
    assert case_words in result.message
    assert hint_words in result.message


def test_bce_with_logits_stub_is_not_attempted():
    assert xl.check.bce_with_logits(_stub).status == "not attempted"


# ---------------------------------------------------------------------------------- widget


def test_bce_explorer_moves_the_points_and_reports_naive_failures():
    w = xl.widgets.bce_explorer(target=1, logit=0.0)
    assert w.artists["point_1"].get_ydata()[0] == pytest.approx(np.log(2))
    w.controls["logit"].value = 3.0
    q = xl.sigmoid(3.0)
    assert w.artists["point_1"].get_xdata()[0] == pytest.approx(q)
    assert w.artists["point_1"].get_ydata()[0] == pytest.approx(-np.log(q))
    assert w.artists["point_0"].get_ydata()[0] == pytest.approx(-np.log1p(-q))
    assert w.artists["point_1"].get_markerfacecolor() != "white"  # filled: the target's curve
    assert w.artists["point"].get_ydata()[0] == pytest.approx(-np.log(q))
    w.controls["logit"].value = 20.0
    lines = w.readout_text.splitlines()
    assert lines[2] == "naive, float32:  nan"
    assert lines[4].startswith("stable formula:  2.06115e-09")


def test_bce_explorer_target_toggle_swaps_the_curves():
    w = xl.widgets.bce_explorer(target=1, logit=20.0)
    grid = w.artists["stable"].get_xdata()
    w.controls["target"].value = 0
    expected = xl.binary_cross_entropy_with_logits(grid, np.zeros_like(grid), reduction="none")
    np.testing.assert_allclose(w.artists["stable"].get_ydata(), expected)
    assert w.artists["point"].get_ydata()[0] == pytest.approx(20.0)
    assert w.artists["point_0"].get_markerfacecolor() != "white"
    assert w.artists["point_1"].get_markerfacecolor() == "white"
    assert "naive, float32:  inf" in w.readout_text
    # float32 sigmoid rounds to 1 beyond z = 16.6: the naive loss fails there
    failures = w.artists["failures"].get_xdata()
    assert failures.size and (np.abs(failures) > 16).all()


def test_bce_explorer_marks_a_loss_above_the_axes_at_the_top():
    w = xl.widgets.bce_explorer(target=1, logit=-50.0)
    point = w.artists["point_1"]
    assert point.get_marker() == "^"
    assert point.get_ydata()[0] < 7.0


def test_bce_explorer_rejects_a_label_other_than_0_or_1():
    with pytest.raises(ValueError, match="label 0 or 1"):
        xl.widgets.bce_explorer(target=2)


# ----------------------------------------------------------------------------------- plots


def _ax():
    return Figure().subplots()


def test_bce_loss_curves_draws_both_losses_and_the_points():
    artists = xl.plots.bce_loss_curves(_ax(), q=0.25, y=0, annotate=True)
    q1, l1 = artists["curve_1"].get_data()
    q0, l0 = artists["curve_0"].get_data()
    np.testing.assert_allclose(l1, -np.log(q1))
    np.testing.assert_allclose(l0, -np.log1p(-q0))
    assert q1[-1] == 1.0 and q0[0] == 0.0
    assert artists["point_0"].get_ydata()[0] == pytest.approx(-np.log(0.75))
    assert artists["point_1"].get_ydata()[0] == pytest.approx(-np.log(0.25))
    assert len(artists["annotations"]) == 3


def test_bce_logit_loss_matches_the_package_and_marks_float32_failures():
    artists = xl.plots.bce_logit_loss(_ax(), y=1, z_range=(-100, 100), n_points=201, z=-3.0)
    grid = artists["grid"]
    expected = xl.binary_cross_entropy_with_logits(grid, np.ones_like(grid), reduction="none")
    np.testing.assert_allclose(artists["stable"].get_ydata(), expected)
    failures = artists["failures"].get_xdata()
    assert failures.min() < -88 and failures.max() > 16
    assert not ((failures > -88) & (failures < 16)).any()
    assert artists["point"].get_ydata()[0] == pytest.approx(3.0 + np.log1p(np.exp(-3.0)))


def test_naive_bce_with_logits_fails_where_the_sigmoid_rounds():
    with np.errstate(all="ignore"):
        naive = naive_bce_with_logits([20.0, -20.0], 0)
    assert np.isinf(naive[0]) and naive[1] == pytest.approx(0.0, abs=1e-6)
    assert np.isnan(naive_bce_with_logits([20.0], 1)[0])


def test_sigmoid_probability_draws_the_sigmoid():
    artists = xl.plots.sigmoid_probability(_ax(), z_range=(-4, 4), z=1.0, n_points=9)
    x, q = artists["curve"].get_data()
    np.testing.assert_allclose(q, 1 / (1 + np.exp(-x)))
    assert artists["point"].get_ydata()[0] == pytest.approx(xl.sigmoid(1.0))


def test_bce_pos_weight_curves_minima_move_to_one_half():
    y = np.array([1, 0, 0, 0, 0, 0, 0, 0, 0, 1])  # 2 positives, 8 negatives
    artists = xl.plots.bce_pos_weight_curves(_ax(), y, pos_weights=(1.0, 4.0))
    np.testing.assert_allclose(artists["best_q"], [0.2, 0.5])
    for line, dot in zip(artists["curves"], artists["minima"], strict=True):
        _, loss = line.get_data()
        assert dot.get_ydata()[0] <= loss.min() + 1e-12  # the marked point is the minimum


def test_plot_functions_reject_bad_input():
    with pytest.raises(ValueError, match="0/1 labels"):
        xl.plots.bce_pos_weight_curves(_ax(), [0.5, 1.0])
    with pytest.raises(ValueError, match="probability"):
        xl.plots.bce_loss_curves(_ax(), q=1.5)
    with pytest.raises(ValueError, match="z_range"):
        xl.plots.bce_logit_loss(_ax(), z_range=(5, -5))


# ------------------------------------------------------------------- the published figures


def test_the_worked_example_sum_is_printed_in_the_solution_notebook():
    root = Path(__file__).resolve().parents[1]
    nb = nbformat.read(root / "notebooks" / "solutions" / f"{NOTEBOOK}.ipynb", as_version=4)
    printed = "".join(
        o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
    )
    assert "4.460303459760249" in printed
    assert "100.0" in printed  # torch's and the package's clamp at -100
    assert "BCELoss's dl/dq at q = 0, y = 1: -1e+12" in printed  # not 0: torch's backward
    assert "z = ln(1e-12) = -27.6" in printed  # where the gradient to the logit fades
    assert "      -30      30.00      -0.0936       30.00       -1" in printed
    assert "      -40      40.00    -4.25e-06       40.00       -1" in printed


def test_bceloss_backward_divides_by_a_floored_q_one_minus_q():
    """What lesson 04 says about torch: dl/dq = (q - y) / max(q (1 - q), 1e-12)."""
    import torch
    import torch.nn.functional as F

    q = torch.tensor([0.0, 1e-13, 1e-6, 0.3], dtype=torch.float64, requires_grad=True)
    y = torch.ones(4, dtype=torch.float64)
    F.binary_cross_entropy(q, y, reduction="sum").backward()
    qd = q.detach()
    expected = (qd - y) / torch.clamp(qd * (1 - qd), min=1e-12)
    np.testing.assert_allclose(q.grad.numpy(), expected.numpy(), rtol=1e-8)  # 1e-12 as a float32
    z = torch.tensor([-30.0, -40.0], dtype=torch.float64, requires_grad=True)
    F.binary_cross_entropy(torch.sigmoid(z), torch.ones(2, dtype=torch.float64), reduction="sum").backward()
    np.testing.assert_allclose(z.grad.numpy(), -np.exp([-30.0, -40.0]) * 1e12, rtol=1e-6)


def test_bce_explorer_legend_follows_the_target_colour():
    w = xl.widgets.bce_explorer(target=1)
    w.controls["target"].value = 0
    stable = w.artists["stable"]
    legend_line = stable.axes.get_legend().get_lines()[0]
    assert legend_line.get_color() == stable.get_color()


# -------------------------------------------- wrong answers that used to pass, or were misnamed


def _picked(positive, q):
    return -np.where(positive, np.log(q), np.log(1 - q))


@pytest.mark.parametrize(
    ("checker", "wrong", "words"),
    [
        # picking log q or log(1 - q) by the label passed every 0/1 case
        ("bce_from_probabilities", lambda q, y: np.mean(_picked(y == 1, q)),
         ["soft targets", "You picked log q or log(1 − q) by the label", "any y between 0 and 1"]),
        ("bce_from_probabilities", lambda q, y: np.mean(_picked(y > 0.5, q)), ["soft targets", "by the label"]),
        ("bce_from_probabilities", lambda q, y: np.mean(-y * np.log(q)),
         ["confident, correct negative", "Only the y·log q term"]),
        ("bce_from_probabilities", lambda q, y: np.sum(-(y * np.log(q) + (1 - y) * np.log(1 - q))) / len(q),
         ["shape (2, 3)", "exactly 3 times the answer", "len(q), the number of ROWS"]),
        ("bce_from_probabilities", lambda q, y: np.mean(-(y * np.log(q) + (1 - y) * np.log(1 - q))) / q.size,
         ["worked example", "exactly 1/7 of the answer", "np.mean already divides by it"]),
        ("bce_with_logits", lambda z, y: np.where(y == 1, np.logaddexp(0, -z), np.logaddexp(0, z)),
         ["soft targets", "by the label"]),
        ("bce_with_logits", _no_abs, ["The absolute value is missing"]),
    ],
)
def test_wrong_answers_are_caught_and_named(checker, wrong, words):
    result = getattr(xl.check, checker)(wrong)
    assert result.status == "failed", result.message
    for word in words:
        assert word in result.message, (word, result.message)
