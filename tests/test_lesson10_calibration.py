"""Lesson 10 (calibration): its checkers, widget and plot functions.

The checkers must accept the reference solutions of the solution notebook and reject the
typical wrong answers (unweighted bins, signed gaps, the true class's probability as the
confidence, 1/T instead of T, a search range too small, a forgotten renormalisation, an
inverted prior ratio) with a message that names the slip.
"""

import numpy as np
import pytest
from matplotlib.figure import Figure
from notebook_code import solution_function

import xent_lessons as xl
from xent_lessons.check import _calling

NOTEBOOK = "10_calibration"


def assert_fails(result, *words):
    assert result.status == "failed", result.message
    for word in words:
        assert word in result.message, (word, result.message)


# ------------------------------------------------------- expected_calibration_error


def test_ece_checker_accepts_the_reference_solution():
    fn = solution_function(NOTEBOOK, "expected_calibration_error")
    result = xl.check.expected_calibration_error(fn)
    assert result.status == "passed", result.message


def _ece(probs, y, n_bins, *, weighted=True, absolute=True, true_class=False, last_bin=True,
         skip_empty=True):
    conf = probs[np.arange(len(y)), y] if true_class else probs.max(axis=1)
    hit = (probs.argmax(axis=1) == y).astype(float)
    index = (conf * n_bins).astype(int)
    if last_bin:
        index = np.minimum(index, n_bins - 1)
    terms = []
    for k in range(n_bins):
        mine = index == k
        if not mine.any() and skip_empty:
            continue
        gap = hit[mine].mean() - conf[mine].mean()
        terms.append((mine.mean(), abs(gap) if absolute else gap))
    if weighted:
        return sum(w * g for w, g in terms)
    return float(np.mean([g for _, g in terms]))


@pytest.mark.parametrize(
    ("wrong", "words"),
    [
        (lambda p, y, n: _ece(p, y, n, weighted=False), ["share of the predictions"]),
        (lambda p, y, n: _ece(p, y, n, absolute=False), ["absolute value"]),
        (lambda p, y, n: _ece(p, y, n, true_class=True), ["TOP probability"]),
        (lambda p, y, n: _ece(p, y, n, last_bin=False), ["exactly 1", "LAST bin"]),
        (lambda p, y, n: _ece(p, y, 15), ["do not hard-code 15"]),
    ],
)
def test_ece_checker_names_the_mistake(wrong, words):
    assert_fails(xl.check.expected_calibration_error(wrong), *words)


def test_ece_checker_reports_the_squared_version_and_the_stub():
    def rms(probs, y, n_bins):
        bins = xl.reliability_bins(probs, y, n_bins)
        full = bins.count > 0
        return float(np.sqrt(np.sum(bins.weight[full] * bins.gap[full] ** 2)))

    assert_fails(xl.check.expected_calibration_error(rms), "root-mean-square")

    def stub(probs, y, n_bins):
        raise NotImplementedError

    assert xl.check.expected_calibration_error(stub).status == "not attempted"


# -------------------------------------------------------------------- fit_temperature


def test_fit_temperature_checker_accepts_the_reference_solution():
    result = xl.check.fit_temperature(solution_function(NOTEBOOK, "fit_temperature"))
    assert result.status == "passed", result.message


def _grid_fit(lo, hi, naive=False, n=2000):
    def fit(z, y):
        grid = np.geomspace(lo, hi, n)
        rows = np.arange(len(y))
        if naive:
            nll = [-np.mean(np.log(np.exp(z / T) / np.exp(z / T).sum(axis=1, keepdims=True))[rows, y])
                   for T in grid]
        else:
            nll = [-np.mean(xl.log_softmax(z / T, axis=1)[rows, y]) for T in grid]
        return float(grid[int(np.nanargmin(nll))])

    return fit


@pytest.mark.parametrize(
    ("wrong", "words"),
    [
        (lambda z, y: 1.0 / xl.fit_temperature(z, y), ["1/T", "DIVIDED"]),
        (lambda z, y: 1.0, ["62.21% below the best T", "best T is above 1", "over-confident"]),
        (_grid_fit(1.0, 10.0), ["under-confident", "below 1"]),
        (_grid_fit(0.1, 3.0), ["5 times too confident", "stops at 2 or 3"]),
        (_grid_fit(0.1, 10.0, naive=True), ["+3000", "overflows"]),
    ],
)
def test_fit_temperature_checker_names_the_mistake(wrong, words):
    assert_fails(xl.check.fit_temperature(wrong), *words)


def test_fit_temperature_checker_accepts_a_fine_grid_search():
    assert xl.check.fit_temperature(_grid_fit(0.05, 20.0, n=3000)).status == "passed"


# ---------------------------------------------------------------------- correct_prior


def test_correct_prior_checker_accepts_the_reference_solution():
    result = xl.check.correct_prior(solution_function(NOTEBOOK, "correct_prior"))
    assert result.status == "passed", result.message


@pytest.mark.parametrize(
    ("wrong", "words"),
    [
        (lambda p, a, b: p * (b / a), ["Renormalise"]),
        (lambda p, a, b: p * b / (p * b).sum(axis=1, keepdims=True), ["RATIO", "divided out"]),
        (lambda p, a, b: p * (a / b) / (p * (a / b)).sum(axis=1, keepdims=True), ["upside down"]),
        (lambda p, a, b: p * (b / a) / (p * (b / a)).sum(axis=0, keepdims=True), ["ROW"]),
        (lambda p, a, b: p, ["two classes"]),
    ],
)
def test_correct_prior_checker_names_the_mistake(wrong, words):
    assert_fails(xl.check.correct_prior(wrong), *words)


# ---------------------------------------------------------------------------- widget


def test_temperature_reliability_follows_the_slider():
    mix = xl.mixture.ring_mixture()
    X, y = mix.sample(2000, seed=9)
    z = 4.0 * mix.posterior_logits(X)
    w = xl.widgets.temperature_reliability(z, y, temperature=1.0, n_bins=10, fitted=4.0)
    for T in (1.0, 4.0, 0.5):
        w.controls["temperature"].value = T
        q = xl.softmax(z / T, axis=1)
        bins = xl.reliability_bins(q, y, 10)
        heights = [bar.get_height() for bar in w.artists["bars"]]
        np.testing.assert_allclose(heights, np.nan_to_num(bins.accuracy), atol=1e-12)
        tops = [g.get_y() + g.get_height() for g in w.artists["gaps"]]
        full = bins.count > 0
        np.testing.assert_allclose(np.array(tops)[full], bins.confidence[full], atol=1e-12)
        shares = [bar.get_height() for bar in w.artists["hist"]]
        np.testing.assert_allclose(shares, bins.count / len(y), atol=1e-12)
        ece = xl.expected_calibration_error(q, y, 10)
        nll = xl.categorical_cross_entropy(z / T, y)
        assert w.readout_text.startswith(
            f"T = {T:.2f}: NLL {nll:.3f} nats, ECE {ece:.3f}, Brier {xl.brier_score(q, y):.3f}"
        )
        assert w.artists["text"].get_text() == f"ECE = {ece:.3f}"
        assert "the same at every T" in w.readout_text and "T = 4.00" in w.readout_text
    # at the temperature that undoes the over-confidence, the ECE is smallest
    eces = []
    for T in (1.0, 4.0, 8.0):
        w.controls["temperature"].value = T
        eces.append(float(w.artists["text"].get_text().split("= ")[1]))
    assert eces[1] < eces[0] and eces[1] < eces[2]


def test_temperature_reliability_defaults_and_validation():
    w = xl.widgets.temperature_reliability()
    assert w.readout_text.startswith("T = 1.00")
    assert w.controls["temperature"].layout.width == "420px"
    with pytest.raises(ValueError, match="target"):
        xl.widgets.temperature_reliability(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="range"):
        xl.widgets.temperature_reliability(temperature=20.0)


# ----------------------------------------------------------------------------- plots


def test_reliability_diagram_draws_the_bins():
    ax, hist_ax = Figure().subplots(1, 2)
    probs = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.4, 0.6]])
    art = xl.plots.reliability_diagram(ax, probs, [0, 1, 1, 1], n_bins=4, hist_ax=hist_ax)
    assert [b.get_height() for b in art["bars"]] == [0.0, 0.0, 1.0, 0.5]
    assert [b.get_height() for b in art["hist"]] == [0.0, 0.0, 0.5, 0.5]
    assert art["gaps"][3].get_y() == 0.5 and art["gaps"][3].get_height() == pytest.approx(0.35)
    assert art["text"].get_text() == "ECE = 0.350"
    assert hist_ax.get_yscale() == "log"
    xl.plots.update_reliability_diagram(art, np.array([[0.5, 0.5]] * 4), [0, 0, 1, 1])
    assert art["text"].get_text() == "ECE = 0.000"
    binary = xl.plots.reliability_diagram(Figure().subplots(), [0.1, 0.9], [0, 1], n_bins=2)
    assert "class 1" in binary["bars"][0].axes.get_xlabel()


def test_calibration_curves_and_maps():
    ax = Figure().subplots()
    art = xl.plots.nll_overfitting_curves(ax, [0, 1, 2], [1.0, 0.5, 0.1], [1.0, 0.6, 0.8],
                                          bayes_loss=0.4, marks=(1,))
    assert art["bayes"].get_ydata()[0] == 0.4 and len(art["marks"]) == 1
    art = xl.plots.accuracy_ece_curves(Figure().subplots(), [0, 1, 2], [0.3, 0.9, 0.9], [0.2, 0.01, 0.05])
    assert art["ece_axis"].get_ylim()[1] == pytest.approx(1.15 * 0.05)
    probs = np.zeros((2, 2, 3))
    probs[..., 1] = 1.0
    art = xl.plots.confidence_map(Figure().subplots(), probs, (0, 1, 0, 1), np.zeros((4, 2)), [0, 1, 2, 1])
    image = art["image"].get_array()
    assert image.shape == (2, 2, 3) and len(art["points"]) == 3
    assert np.allclose(image[0, 0], 0.3 + 0.7 * np.array([0xD5, 0x5E, 0x00]) / 255)  # class 1, sure
    art = xl.plots.temperature_nll_curves(Figure().subplots(), [0.5, 1, 2], {"val": [1, 0.5, 0.7]}, 1.0)
    assert art["fitted"].get_xdata()[0] == 1.0


def test_seaborn_plots_draw_distributions_and_bands(rng):
    import pandas as pd

    ax = Figure().subplots()
    art = xl.plots.per_sample_loss_distribution(ax, {"a": rng.random(50), "b": 3 * rng.random(50)})
    assert set(art["means"]) == {"a", "b"} and ax.get_xscale() == "log"
    frame = pd.DataFrame({"N": [10, 10, 10, 100, 100, 100], "bins": [5] * 6,
                          "ECE": [0.1, 0.2, 0.3, 0.01, 0.02, 0.03]})
    ax = xl.plots.ece_bias_curves(Figure().subplots(), frame)
    line = ax.get_lines()[0]
    np.testing.assert_allclose(line.get_ydata(), [0.2, 0.02])  # the medians


# ------------------------------------------------ holes closed and hints made precise (issue 22)


def _ece_binned(index_of):
    def ece(probs, y, n_bins):
        conf, hit = probs.max(axis=1), probs.argmax(axis=1) == y
        index = np.clip(index_of(conf, n_bins), 0, n_bins - 1)
        total = 0.0
        for k in range(n_bins):
            mine = index == k
            if mine.any():
                total += mine.mean() * abs(hit[mine].mean() - conf[mine].mean())
        return total

    return ece


def test_ece_checker_rejects_right_closed_bins_and_accepts_floor():
    right_closed = _ece_binned(lambda c, n: np.ceil(c * n).astype(int) - 1)
    assert_fails(xl.check.expected_calibration_error(right_closed),
                 "inner edges 0.5 and 0.75", "right-closed, (lo, hi]")
    floor = _ece_binned(lambda c, n: np.floor(c * n).astype(int))
    assert xl.check.expected_calibration_error(floor).status == "passed"


def test_fit_temperature_hint_says_how_far_off_a_coarse_grid_is():
    def coarse(logits, y):
        grid = np.arange(0.1, 6.0, 0.1)
        return grid[np.argmin([xl.categorical_cross_entropy(logits / t, y) for t in grid])]

    result = xl.check.fit_temperature(coarse)
    assert_fails(result, "Your T = 2.6 is 1.75% below the best T = 2.646",
                 "the check allows 0.2%", "grid too coarse")
    assert "Return the exact values" not in result.message


def test_fit_temperature_names_the_brier_minimiser(monkeypatch):
    # A slow answer (4,400 softmaxes), not an endless one: on a busy machine it may need more
    # than the checker's 5 s, and the test is about the hint, not the time.
    monkeypatch.setattr(_calling, "TIME_LIMIT", 60.0)

    def brier_t(logits, y):
        def brier(t):
            p = xl.softmax(logits / t, axis=1)
            p[np.arange(len(y)), y] -= 1.0
            return np.mean(np.sum(p**2, axis=1))

        grid = np.geomspace(0.05, 20.0, 4001)  # fine: 0.15 % apart
        best = grid[np.argmin([brier(t) for t in grid])]
        fine = np.linspace(best * 0.998, best * 1.002, 401)
        return float(fine[np.argmin([brier(t) for t in fine])])

    assert_fails(xl.check.fit_temperature(brier_t), "minimises the Brier score")


def test_correct_prior_names_a_missing_keepdims_and_log_probabilities():
    def no_keepdims(p, a, b):
        out = p * b / a
        return out / out.sum(axis=1)

    def log_probs(p, a, b):
        out = np.log(p) + np.log(b) - np.log(a)
        return out - np.log(np.exp(out).sum(axis=1, keepdims=True))

    assert_fails(xl.check.correct_prior(no_keepdims), "keepdims=True", "COLUMNS")
    assert_fails(xl.check.correct_prior(log_probs), "log-probabilities")


def test_reliability_diagram_gaps_look_like_their_legend_on_both_sides():
    ax = Figure().subplots()
    # bin [0.5, 0.75): confidence 0.6, all right (under-confident); bin [0.75, 1]: 0.9, half right
    probs = np.array([[0.6, 0.4], [0.6, 0.4], [0.9, 0.1], [0.9, 0.1]])
    art = xl.plots.reliability_diagram(ax, probs, [0, 0, 0, 1], n_bins=4)
    under, over = art["gaps"][2], art["gaps"][3]
    assert under.get_hatch() == "///" and over.get_hatch() is None
    assert under.get_facecolor()[3] == 1.0  # opaque: the bar under it does not show through
    assert under.get_zorder() > art["bars"][2].get_zorder()
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "gap: accuracy above confidence" in labels and "gap: confidence above accuracy" in labels
    xl.plots.update_reliability_diagram(art, np.array([[0.9, 0.1]] * 4), [0, 0, 0, 0])
    assert art["gaps"][3].get_hatch() == "///"  # now all right at 0.9: under-confident
