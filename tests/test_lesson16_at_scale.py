"""Lesson 16: the checkers (reference solutions accepted, typical mistakes named), the
widget, the plots; the z-loss and cap semantics the notebook relies on."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure
from notebook_code import solution_function

import xent_lessons as xl
from xent_lessons.widgets import at_scale as widget_module

NOTEBOOK = "16_cross_entropy_at_scale"


def _lse(z):
    m = z.max(axis=1)
    return m + np.log(np.exp(z - m[:, None]).sum(axis=1))


# ---------------------------------------------------------------- merge_shard_stats


def test_merge_shard_stats_accepts_the_reference_solution():
    result = xl.check.merge_shard_stats(solution_function(NOTEBOOK, "merge_shard_stats"))
    assert result.status == "passed", result.message


def merge_no_rescale(maxes, sums):
    return maxes.max(axis=0) + np.log(sums.sum(axis=0))


def merge_overflow(maxes, sums):
    return np.log((sums * np.exp(maxes)).sum(axis=0))


def merge_first_shard_max(maxes, sums):
    return maxes[0] + np.log((sums * np.exp(maxes - maxes[0])).sum(axis=0))


def merge_sum_of_logs(maxes, sums):
    return (maxes + np.log(sums)).sum(axis=0)


def merge_largest_shard(maxes, sums):
    return (maxes + np.log(sums)).max(axis=0)


def merge_wrong_axis(maxes, sums):
    top = maxes.max(axis=1, keepdims=True)
    return (top + np.log((sums * np.exp(maxes - top)).sum(axis=1, keepdims=True)))[:, 0]


def merge_without_log(maxes, sums):
    top = maxes.max(axis=0)
    return top + (sums * np.exp(maxes - top)).sum(axis=0)


@pytest.mark.parametrize(
    "wrong, words",
    [
        (merge_no_rescale, "OWN max"),
        (merge_overflow, "overflows"),
        (merge_first_shard_max, "first shard's max"),
        (merge_sum_of_logs, "multiplies the sums"),
        (merge_largest_shard, "largest shard's"),
        (merge_wrong_axis, "axis"),
        (merge_without_log, "log"),
    ],
)
def test_merge_shard_stats_rejects_typical_mistakes(wrong, words):
    result = xl.check.merge_shard_stats(wrong)
    assert result.status == "failed"
    assert words in result.message, result.message


def test_merge_shard_stats_stub_is_not_attempted():
    def stub(maxes, sums):
        raise NotImplementedError("Exercise: replace this line with your code")

    assert xl.check.merge_shard_stats(stub).status == "not attempted"


# ------------------------------------------------------------------ z_loss_and_grad


def test_z_loss_and_grad_accepts_the_reference_solution():
    result = xl.check.z_loss_and_grad(solution_function(NOTEBOOK, "z_loss_and_grad"))
    assert result.status == "passed", result.message


def _softmax(z):
    return np.exp(z - _lse(z)[:, None])


@pytest.mark.parametrize(
    "wrong, words",
    [
        (lambda z, lam: (lam * _lse(z) ** 2, lam * _lse(z)[:, None] * _softmax(z)), "factor 2"),
        (lambda z, lam: (lam * z.max(1) ** 2, 2 * lam * z.max(1)[:, None] * _softmax(z)),
         "not its max"),
        (lambda z, lam: (lam * _lse(z) ** 2, 2 * lam * _lse(z)[:, None] * np.ones_like(z)),
         "softmax(z), not 1"),
        (lambda z, lam: (lam * _lse(z), lam * _softmax(z)), "squared"),
        (lambda z, lam: (lam * np.log(np.exp(z).sum(1)) ** 2,
                         2 * lam * np.log(np.exp(z).sum(1))[:, None] * _softmax(z)), "overflows"),
        (lambda z, lam: (np.full(len(z), lam * np.mean(_lse(z) ** 2)),
                         2 * lam * _lse(z)[:, None] * _softmax(z)), "one z-loss term per row"),
        (lambda z, lam: (lam * _lse(z) ** 2, -2 * lam * _lse(z)[:, None] * _softmax(z)), "gradient"),
    ],
)  # fmt: skip
def test_z_loss_and_grad_rejects_typical_mistakes(wrong, words):
    with np.errstate(all="ignore"):
        result = xl.check.z_loss_and_grad(wrong)
    assert result.status == "failed"
    assert words in result.message, result.message


# --------------------------------------------------------- softcapped_cross_entropy


def test_softcapped_cross_entropy_accepts_the_reference_solution():
    fn = solution_function(NOTEBOOK, "softcapped_cross_entropy")
    result = xl.check.softcapped_cross_entropy(fn)
    assert result.status == "passed", result.message


def _ce(z, y):
    return float(np.mean(_lse(z) - z[np.arange(len(y)), y]))


@pytest.mark.parametrize(
    "wrong, words",
    [
        (lambda z, y, c: _ce(np.clip(z, -c, c), y), "np.clip"),
        (lambda z, y, c: _ce(c * np.tanh(z), y), "Divide by c"),
        (lambda z, y, c: _ce(np.tanh(z / c), y), "Multiply by c"),
        (lambda z, y, c: _ce(z, y), "uncapped"),
        (lambda z, y, c: _ce(c * np.tanh(z / c), y) * len(y), "sum"),
        (lambda z, y, c: float(np.mean(-(c * np.tanh((z - _lse(z)[:, None]) / c))[np.arange(len(y)), y])),
         "before the log-softmax"),
    ],
)  # fmt: skip
def test_softcapped_cross_entropy_rejects_typical_mistakes(wrong, words):
    result = xl.check.softcapped_cross_entropy(wrong)
    assert result.status == "failed"
    assert words in result.message, result.message


def test_capped_loss_checker_separates_the_clip_even_below_the_cap():
    # The clip equals the soft cap nowhere but 0, so a case with all logits inside (-c, c)
    # still tells them apart (the check has such a case: rows of 3, 2, 1 with c = 10).
    z, y = np.array([[3.0, 2.0, 1.0]]), np.array([2])
    assert abs(_ce(np.clip(z, -10, 10), y) - _ce(10 * np.tanh(z / 10), y)) > 1e-3


# ----------------------------------------------------------------------- the widget


def test_widget_controls_move_the_figure_and_readout():
    w = xl.widgets.z_loss_and_softcap()
    first = w.artists["bars"].get_data().values.copy()
    assert "no cap" in w.readout_text
    w.controls["shift"].value = 40.0
    moved = w.artists["bars"].get_data().values
    assert not np.allclose(first, moved)
    ce_shifted = float(w.readout_text.split("cross-entropy ")[1].split()[0])
    w.controls["shift"].value = 0.0
    ce_plain = float(w.readout_text.split("cross-entropy ")[1].split()[0])
    assert ce_shifted == ce_plain  # a shift does not change the cross-entropy
    assert w.artists["log_z"].get_xdata()[0] == pytest.approx(
        _lse(xl.plots.confident_logits()[0]).mean()
    )
    w.controls["softcap"].value = 5.0
    assert w.artists["cap_high"].get_visible() and w.artists["cap_high"].get_xdata()[0] == 5.0
    w.controls["z_loss"].value = 1e-2
    z_term = float(w.readout_text.split("z-loss term ")[1].split()[0])
    assert z_term == pytest.approx(w.artists["loss_bars"][1].get_height(), rel=1e-3)


def test_widget_with_a_cap_a_shift_costs_loss():
    w = xl.widgets.z_loss_and_softcap(softcap=30.0)
    before = float(w.readout_text.split("cross-entropy ")[1].split()[0])
    w.controls["shift"].value = 40.0
    after = float(w.readout_text.split("cross-entropy ")[1].split()[0])
    assert after > before + 1.0


def test_widget_refuses_values_off_its_sliders():
    with pytest.raises(ValueError, match="shift"):
        xl.widgets.z_loss_and_softcap(shift=3.0)
    with pytest.raises(ValueError, match="softcap"):
        xl.widgets.z_loss_and_softcap(softcap=7.0)
    with pytest.raises(ValueError, match="z_loss"):
        xl.widgets.z_loss_and_softcap(z_loss=0.5)


def test_widget_static_grid_lists_only_values_of_its_controls():
    w = xl.widgets.z_loss_and_softcap()
    for name, values in widget_module.STATIC_GRID.items():
        options = [value for _, value in w.controls[name].options]
        assert set(values) <= set(options), name


# ------------------------------------------------------------------------ the plots


def test_plots_return_their_artists():
    ax = Figure().subplots()
    lines = xl.plots.log_partition_over_steps(ax, {"a": [1.0, 2.0], "a held-out": [1.0, 1.5]})
    assert lines["a held-out"].get_linestyle() == "--"
    curves = xl.plots.softcap_curves(Figure().subplots(), caps=(10.0,))
    assert np.abs(curves[10.0].get_ydata()).max() < 10.0
    bins = np.linspace(-5, 5, 11)
    hist = xl.plots.logit_histogram(Figure().subplots(), np.array([[-100.0, 0.2, 100.0]]), bins, cap=3.0)
    values = hist["bars"].get_data().values
    assert values.sum() == pytest.approx(1.0) and values[0] > 0 and values[-1] > 0  # outliers kept
    parts = xl.plots.loss_parts_bars(Figure().subplots(), [1.0, 20.0, 21.0], limit=8.0)
    assert parts["texts"][1].get_text().endswith("↑")
    bytes_lines = xl.plots.communication_bytes(Figure().subplots(), 10, [100, 1000], world_size=4)
    np.testing.assert_allclose(bytes_lines["gathered"].get_ydata(), [10 * 100 * 3, 10 * 1000 * 3])
    np.testing.assert_allclose(bytes_lines["split"].get_ydata(), [120, 120])
