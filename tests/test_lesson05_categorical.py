"""Lesson 05, categorical cross-entropy: its checkers, widget, plots and published figures."""

from __future__ import annotations

from pathlib import Path

import nbformat
import numpy as np
import pytest
from matplotlib.figure import Figure
from notebook_code import solution_function

import xent_lessons as xl

NOTEBOOK = "05_categorical_cross_entropy"


def _stub(*args):
    raise NotImplementedError("Exercise: replace this line with your code")


def _stable_log_q(z):
    m = np.max(z, axis=1, keepdims=True)
    return z - m - np.log(np.sum(np.exp(z - m), axis=1, keepdims=True))


def _rows(y):
    return np.arange(len(y))


# -------------------------------------------------------------- categorical_ce_from_logits


def _naive_softmax(z, y):
    q = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    return -np.mean(np.log(q[_rows(y), y]))


def _log_of_stable_softmax(z, y):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    q = e / e.sum(axis=1, keepdims=True)
    return -np.mean(np.log(q[_rows(y), y]))


def _wrong_axis(z, y):
    m = np.max(z, axis=0, keepdims=True)
    log_q = z - m - np.log(np.sum(np.exp(z - m), axis=0, keepdims=True))
    return -np.mean(log_q[_rows(y), y])


def _sum_not_mean(z, y):
    return -np.sum(_stable_log_q(z)[_rows(y), y])


def _column_pick(z, y):
    return -np.mean(_stable_log_q(z)[:, y])


def test_categorical_ce_accepts_the_reference_solution():
    fn = solution_function(NOTEBOOK, "categorical_ce_from_logits")
    result = xl.check.categorical_ce_from_logits(fn)
    assert result.status == "passed", result.message


@pytest.mark.parametrize(
    ("wrong", "case_words", "hint_words"),
    [
        (_naive_softmax, "logits of 1e4", "overflows"),
        (_log_of_stable_softmax, "very confident mistake", "logsumexp"),
        (_wrong_axis, "one sample", "axis=1"),
        (_sum_not_mean, "2 samples, 4 classes", "not the sum"),
        (_column_pick, "2 samples, 4 classes", "[np.arange(N), y]"),
    ],
)
def test_categorical_ce_rejects_typical_mistakes(wrong, case_words, hint_words):
    result = xl.check.categorical_ce_from_logits(wrong)
    assert result.status == "failed"
    assert case_words in result.message
    assert hint_words in result.message


def test_categorical_ce_stub_is_not_attempted():
    assert xl.check.categorical_ce_from_logits(_stub).status == "not attempted"


# ------------------------------------------------------------------------ weighted_mean_ce


def _divided_by_n(z, y, weight):
    return np.sum(weight[y] * -_stable_log_q(z)[_rows(y), y]) / len(y)


def _weights_ignored(z, y, weight):
    return -np.mean(_stable_log_q(z)[_rows(y), y])


def _weight_by_row(z, y, weight):
    w = weight[_rows(y) % len(weight)]
    return np.sum(w * -_stable_log_q(z)[_rows(y), y]) / np.sum(w)


def _weighted_naive(z, y, weight):
    q = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    return np.sum(weight[y] * -np.log(q[_rows(y), y])) / np.sum(weight[y])


def test_weighted_mean_accepts_the_reference_solution():
    fn = solution_function(NOTEBOOK, "weighted_mean_ce")
    result = xl.check.weighted_mean_ce(fn)
    assert result.status == "passed", result.message


@pytest.mark.parametrize(
    ("wrong", "case_words", "hint_words"),
    [
        (_divided_by_n, "class weights [1, 2, 0.5]", "divided the weighted sum by N"),
        (_weights_ignored, "class weights [1, 2, 0.5]", "Σ w[y_i]"),
        (_weight_by_row, "class weights [1, 2, 0.5]", "w[y_i]"),
        (_weighted_naive, "logits of 1e4", "overflows"),
    ],
)
def test_weighted_mean_rejects_typical_mistakes(wrong, case_words, hint_words):
    result = xl.check.weighted_mean_ce(wrong)
    assert result.status == "failed"
    assert case_words in result.message
    assert hint_words in result.message


def test_weighted_mean_stub_is_not_attempted():
    assert xl.check.weighted_mean_ce(_stub).status == "not attempted"


# ---------------------------------------------------------------------- label_smoothing_ce


def _smoothing_over_others(z, y, eps):
    n, c = z.shape
    target = np.full((n, c), eps / (c - 1))
    target[_rows(y), y] = 1 - eps
    return -np.mean(np.sum(target * _stable_log_q(z), axis=1))


def _smoothing_three_classes(z, y, eps):
    n, c = z.shape
    target = np.full((n, c), eps / 3)
    target[_rows(y), y] += 1 - eps
    return -np.mean(np.sum(target * _stable_log_q(z), axis=1))


def _smoothing_log_of_softmax(z, y, eps):
    n, c = z.shape
    target = np.full((n, c), eps / c)
    target[_rows(y), y] += 1 - eps
    e = np.exp(z - z.max(axis=1, keepdims=True))
    q = e / e.sum(axis=1, keepdims=True)
    return -np.mean(np.sum(target * np.log(q), axis=1))


def test_label_smoothing_accepts_the_reference_solution():
    fn = solution_function(NOTEBOOK, "label_smoothing_ce")
    result = xl.check.label_smoothing_ce(fn)
    assert result.status == "passed", result.message


@pytest.mark.parametrize(
    ("wrong", "case_words", "hint_words"),
    [
        (_smoothing_over_others, "ε = 0.1, three classes", "ε/C"),
        (_smoothing_three_classes, "four classes", "hard-code"),
        (_smoothing_log_of_softmax, "1e4 apart", "logsumexp"),
    ],
)
def test_label_smoothing_rejects_typical_mistakes(wrong, case_words, hint_words):
    result = xl.check.label_smoothing_ce(wrong)
    assert result.status == "failed"
    assert case_words in result.message
    assert hint_words in result.message


def test_label_smoothing_stub_is_not_attempted():
    assert xl.check.label_smoothing_ce(_stub).status == "not attempted"


# ---------------------------------------------------------------------------------- widget


def _heights(bars):
    return np.array([bar.get_height() for bar in bars])


def test_categorical_explorer_moves_the_model_bars_with_the_logits():
    w = xl.widgets.categorical_ce_explorer(logits=(2.0, 0.5, -1.0), target=0)
    w.controls["z1"].value = 3.0
    q = xl.softmax(np.array([2.0, 3.0, -1.0]))
    np.testing.assert_allclose(_heights(w.artists["model"]), q)
    np.testing.assert_allclose(_heights(w.artists["truth"]), [1, 0, 0])
    np.testing.assert_allclose(_heights(w.artists["shares"]), [-np.log(q[0]), 0, 0])
    loss = xl.categorical_cross_entropy([2.0, 3.0, -1.0], 0)
    assert w.artists["title"].get_text() == f"loss H(y, q) = {loss:.4f} nats"
    assert w.readout_text.splitlines()[-1].startswith(f"loss = -sum_c y_c log q_c = {loss:.4f}")


def test_categorical_explorer_target_and_smoothing_change_the_truth_bars():
    w = xl.widgets.categorical_ce_explorer(logits=(0.0, 1.0, 2.0), target=0)
    w.controls["target"].value = 2
    w.controls["label_smoothing"].value = 0.3
    np.testing.assert_allclose(_heights(w.artists["truth"]), [0.1, 0.1, 0.8])
    expected = xl.categorical_cross_entropy([0.0, 1.0, 2.0], 2, label_smoothing=0.3)
    assert _heights(w.artists["shares"]).sum() == pytest.approx(expected)
    assert f"xl.categorical_cross_entropy: {expected:.4f}" in w.readout_text


def test_categorical_explorer_rescales_the_loss_axis_for_a_big_loss():
    w = xl.widgets.categorical_ce_explorer(logits=(2.0, 0.5, -1.0), target=0)
    ax = w.artists["shares"][0].axes
    assert ax.get_ylim()[1] == 1.0
    w.controls["z0"].value = -8.0
    w.controls["z1"].value = 8.0
    assert _heights(w.artists["shares"]).max() > 10
    assert ax.get_ylim()[1] == 20.0


def test_categorical_explorer_rejects_too_many_classes():
    with pytest.raises(ValueError, match="2 to 6"):
        xl.widgets.categorical_ce_explorer(logits=tuple(range(7)))


# ----------------------------------------------------------------------------------- plots


def _ax():
    return Figure().subplots()


def test_ce_target_model_bars_draw_both_distributions():
    bars = xl.plots.ce_target_model_bars(_ax(), [0.0, 0.0, 1.0], [0.2, 0.3, 0.5])
    np.testing.assert_allclose(_heights(bars["truth"]), [0, 0, 1])
    np.testing.assert_allclose(_heights(bars["model"]), [0.2, 0.3, 0.5])


def test_ce_contribution_bars_sum_to_the_cross_entropy():
    y, q = [0.1, 0.1, 0.8], [0.2, 0.3, 0.5]
    artists = xl.plots.ce_contribution_bars(_ax(), y, q)
    np.testing.assert_allclose(_heights(artists["bars"]), -np.array(y) * np.log(q))
    assert artists["title"].get_text() == f"loss H(y, q) = {xl.cross_entropy(y, q):.4f} nats"


def test_ce_clipped_loss_caps_at_minus_log_eps():
    artists = xl.plots.ce_clipped_loss(_ax(), gaps=[0.0, 10.0, 30.0], eps=1e-7)
    exact = [np.log(3), np.log(2 + np.exp(10.0)), np.log(2 + np.exp(30.0))]  # [0, g, 0], target 0
    np.testing.assert_allclose(artists["exact"].get_ydata(), exact)
    np.testing.assert_allclose(artists["clipped"].get_ydata()[2], -np.log(1e-7))
    assert artists["clipped"].get_ydata()[1] == pytest.approx(artists["exact"].get_ydata()[1])


def test_plot_functions_reject_bad_input():
    with pytest.raises(ValueError, match="sum to 1"):
        xl.plots.ce_target_model_bars(_ax(), [1.0, 1.0, 0.0], [0.2, 0.3, 0.5])
    with pytest.raises(ValueError, match="one value per class"):
        xl.plots.ce_contribution_bars(_ax(), [1.0, 0.0], [0.2, 0.3, 0.5])
    with pytest.raises(ValueError, match=r"below 0\.5"):
        xl.plots.ce_clipped_loss(_ax(), eps=0.7)


# ------------------------------------------------------------------- the published figures


@pytest.mark.parametrize(
    "figure",
    [
        "0.36594846844673157",  # torch, float32
        "0.36594851568931036",  # float64, as published
        "0.36594851568931047",  # torch float64 on this machine
        "1.4412",  # torch.manual_seed(0); torch.randn(4, 3), targets [0, 1, 2, 1]
        "2.214574215671332",  # the one-hot example, summed
        "[0.09431068 0.22314355 0.51082562 1.38629436]",  # and per row
        "[2.30258509 0.69314718]",  # nll_loss of [[0.1, 0.3, 0.6], [0.2, 0.3, 0.5]], [0, 2]
        "significant digits that agree: 6 (0.365948)",  # float32 vs float64
        "rounded to 7 significant digits: 0.3659485 and 0.3659485",
        "0.741887556629",  # weight and label_smoothing, index targets: / sum of w[t_i]
        "0.618239630524",  # the smoothed target as probabilities with weight: / N
        "0.576576447888",  # each row's H(y~, q) weighted by w[t_i]: neither
        "torch: nan",  # a batch of nothing but padding
    ],
)
def test_published_figures_are_printed_in_the_solution_notebook(figure):
    root = Path(__file__).resolve().parents[1]
    nb = nbformat.read(root / "notebooks" / "solutions" / f"{NOTEBOOK}.ipynb", as_version=4)
    printed = "".join(
        o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
    )
    assert figure in printed


def test_ce_clipped_loss_draws_the_lessons_three_classes_or_two():
    gaps = [0.0, 1.0]
    three = xl.plots.ce_clipped_loss(_ax(), gaps=gaps)
    np.testing.assert_allclose(three["exact"].get_ydata(), np.log(2 + np.exp(gaps)))
    # the lesson's table, z = [0, gap, 0], target 0
    table = [xl.categorical_cross_entropy(np.array([[0.0, g, 0.0]]), [0]) for g in gaps]
    np.testing.assert_allclose(three["exact"].get_ydata(), table)
    two = xl.plots.ce_clipped_loss(_ax(), gaps=gaps, n_classes=2)
    np.testing.assert_allclose(two["exact"].get_ydata(), np.log1p(np.exp(gaps)))
    with pytest.raises(ValueError, match="n_classes"):
        xl.plots.ce_clipped_loss(_ax(), n_classes=1)


# -------------------------------------------- wrong answers that used to pass, or were misnamed


def _log_q(z):
    return xl.log_softmax(z, axis=1)


def _batch_max_shift(z, y):
    m = np.max(z)  # one shift for the whole batch
    log_q = z - m - np.log(np.sum(np.exp(z - m), axis=1, keepdims=True))
    return -np.mean(log_q[np.arange(len(y)), y])


def _forgot_m(z, y):
    m = np.max(z, axis=1, keepdims=True)
    log_q = z - np.log(np.sum(np.exp(z - m), axis=1, keepdims=True))  # z - m - ...
    return -np.mean(log_q[np.arange(len(y)), y])


def _smoothed(z, y, eps, on_target):
    n, c = z.shape
    target = np.full((n, c), eps / c)
    target[np.arange(n), y] = on_target(eps, c)
    return -np.mean(np.sum(target * _log_q(z), axis=1))


@pytest.mark.parametrize(
    ("checker", "wrong", "words"),
    [
        # the max of the whole batch passed: both rows of the 1e4 case had the same max
        ("categorical_ce_from_logits", _batch_max_shift,
         ["rows of very different scales", "the largest logit of the whole BATCH"]),
        ("categorical_ce_from_logits", _forgot_m, ["The shift m is missing"]),
        ("categorical_ce_from_logits", lambda z, y: -np.mean(np.eye(z.shape[1])[y] * _log_q(z)),
         ["exactly 1/3 of the answer", "np.mean over the one-hot product"]),
        ("weighted_mean_ce", lambda z, y, w: -np.mean(_log_q(z)[np.arange(len(y)), y]),
         ["class weights [1, 2, 0.5]", "That is the UNWEIGHTED mean"]),
        ("weighted_mean_ce", lambda z, y, w: -np.sum(w[y] * _log_q(z)[np.arange(len(y)), y]) / np.sum(w),
         ["the sum of ALL the class weights"]),
        ("weighted_mean_ce", lambda z, y, w: -np.sum(w[y] * _log_q(z)[np.arange(len(y)), y]),
         ["exactly 4 times the answer", "That is the weighted SUM"]),
        ("label_smoothing_ce", lambda z, y, eps: _smoothed(z, y, eps, lambda e, c: 1 - e),
         ["ε = 0.1, three classes", "1 − ε + ε/C"]),
        ("label_smoothing_ce", lambda z, y, eps: -np.mean(_log_q(z)[np.arange(len(y)), y]),
         ["ε is not used"]),
        ("label_smoothing_ce",
         lambda z, y, eps: (1 - eps) * -np.mean(_log_q(z)[np.arange(len(y)), y])
         + eps * -np.mean(np.sum(_log_q(z), axis=1)),
         ["its 1/C is missing"]),
    ],
)
def test_wrong_answers_are_caught_and_named(checker, wrong, words):
    result = getattr(xl.check, checker)(wrong)
    assert result.status == "failed", result.message
    for word in words:
        assert word in result.message, (word, result.message)


# ------------------------------------------------- a class index out of range (issue 28)


@pytest.mark.parametrize(
    ("target", "words"),
    [
        ([1, 2, 3, 1, 3], ["class index 3", "expected 0 to 2", "2 of 5 out of range",
                           "target[2] = 3, target[4] = 3", "labels numbered 1 to 3 instead of 0 to 2",
                           "one output too few"]),
        ([0, 2, 3, 1, 5], ["target[2] = 3, target[4] = 5", "label 5 needs at least 6",
                           "the logits have 3"]),
        ([0, -1, 2, -1, 1], ["class index -1", "target[1] = -1, target[3] = -1",
                             "pass it as ignore_index=-1"]),
    ],
)
def test_out_of_range_target_message_names_values_positions_range_and_cause(target, words):
    with pytest.raises(ValueError) as info:
        xl.categorical_cross_entropy(np.zeros((5, 3)), np.array(target))
    for word in words:
        assert word in str(info.value), (word, str(info.value))


def test_out_of_range_message_does_not_blame_numbering_from_1_when_a_label_is_0():
    with pytest.raises(ValueError) as info:
        xl.categorical_cross_entropy(np.zeros((5, 3)), np.array([0, 2, 3, 1, 5]))
    assert "numbered from 1" not in str(info.value)


def test_out_of_range_message_gives_kdim_positions_and_counts_the_rest():
    with pytest.raises(ValueError) as info:
        xl.categorical_cross_entropy(np.zeros((2, 3, 4)), np.full((2, 4), 3))
    assert "target[0, 0] = 3, target[0, 1] = 3, target[0, 2] = 3 and 5 more" in str(info.value)


def test_categorical_explorer_moves_are_blitted_with_matplotlibs_pixels():
    """A logit's move (which may rescale the loss axis) redraws only what moved; the picture
    is matplotlib's own full draw, made without the widgets' text caches."""
    w = xl.widgets.categorical_ce_explorer()
    renderer = w._renderer
    for z in (-8.0, 8.0):
        w.controls["z0"].value = z
    for z in (-6.0, 7.5):
        w.controls["z0"].value = z
        assert renderer.last_draw == "blit"
        shown = np.asarray(w._canvas.buffer_rgba()).copy()
        assert np.array_equal(shown, renderer.full_picture())
