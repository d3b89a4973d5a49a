"""Lesson 14 (choosing a loss): its checkers, widget and plot functions.

The checkers must accept the reference solutions of the solution notebook and reject the
typical wrong answers (naive overflow, swapped alpha, p_t^gamma, the post-hoc sign, a
missing log, weights by q, 0 * inf) with a message that names the mistake.
"""

import math
import sys
from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure

import xent_lessons as xl

sys.path.insert(0, str(Path(__file__).resolve().parent))  # for notebook_code
from notebook_code import solution_function

NOTEBOOK = "14_choosing_a_loss"


def _stub(*args, **kwargs):
    raise NotImplementedError("Exercise: replace this line with your code")


def assert_fails(result, *words):
    assert result.status == "failed", result.message
    for word in words:
        assert word in result.message, (word, result.message)


# ------------------------------------------------------------ focal_loss_with_logits


def test_focal_loss_checker_accepts_the_reference_solution():
    result = xl.check.focal_loss_with_logits(solution_function(NOTEBOOK, "focal_loss_with_logits"))
    assert result.status == "passed", result.message


def test_focal_loss_checker_rejects_one_minus_p_t_by_subtraction():
    # torchvision's formula in NumPy: 1 - p_t by subtraction is 0 where p_t rounds to 1.0,
    # and the answer is 1.9e-53 (issue 22: it passed, under an absolute tolerance of 1e-12).
    def torchvision_style(x, t, alpha=0.25, gamma=2.0):
        p = xl.sigmoid(x)
        ce = xl.binary_cross_entropy_with_logits(x, t, reduction="none")
        p_t = p * t + (1 - p) * (1 - t)
        return (alpha * t + (1 - alpha) * (1 - t)) * ce * (1 - p_t) ** gamma

    result = xl.check.focal_loss_with_logits(torchvision_style)
    assert_fails(result, "logits of ±40", "by subtraction", "sigmoid(-x)", "1.9e-53")
    def log_of_sigmoid(x, t, alpha=0.25, gamma=2.0):  # -log p_t as -log(sigmoid(±x)): 0 at x = 40
        ce = -np.log(np.where(t == 1, xl.sigmoid(x), xl.sigmoid(-x)))
        one_minus = t * xl.sigmoid(-x) + (1 - t) * xl.sigmoid(x)
        return (alpha * t + (1 - alpha) * (1 - t)) * one_minus**gamma * ce

    assert_fails(xl.check.focal_loss_with_logits(log_of_sigmoid), "logits of ±40", "-log(sigmoid(x))")
    exact = xl.sigmoid_focal_loss(np.array([40.0]), np.array([1.0]))[0]
    assert 1e-54 < exact < 1e-52  # the value the hint quotes


def _focal(x, t, alpha=0.25, gamma=2.0, swap=False, power_of_pt=False, no_alpha=False, naive=False):
    x = np.asarray(x, dtype=float)
    if naive:
        p = 1 / (1 + np.exp(-x))
        ce = -np.log(p * t + (1 - p) * (1 - t))
    else:
        ce = xl.binary_cross_entropy_with_logits(x, t, reduction="none")
    one_minus = t * xl.sigmoid(-x) + (1 - t) * xl.sigmoid(x)
    factor = (1 - one_minus) ** gamma if power_of_pt else one_minus**gamma
    a = 1 - alpha if swap else alpha
    alpha_t = 1.0 if no_alpha else a * t + (1 - a) * (1 - t)
    return alpha_t * factor * ce


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"swap": True}, ["five examples", "weights are swapped"]),
        ({"power_of_pt": True}, ["(1 - p_t)^gamma, not p_t^gamma"]),
        ({"no_alpha": True}, ["weight alpha_t is missing"]),
        ({"naive": True}, ["logits of ±40", "inf or NaN", "sigmoid(-x)"]),
    ],
)
def test_focal_loss_checker_rejects_typical_mistakes(options, words):
    wrong = lambda x, t, alpha=0.25, gamma=2.0: _focal(x, t, alpha, gamma, **options)  # noqa: E731
    assert_fails(xl.check.focal_loss_with_logits(wrong), *words)


def test_focal_loss_checker_catches_a_mean_and_ignored_arguments():
    mean = lambda x, t, alpha=0.25, gamma=2.0: float(np.mean(_focal(x, t, alpha, gamma)))  # noqa: E731
    assert_fails(xl.check.focal_loss_with_logits(mean), "wrong shape")
    fixed = lambda x, t, alpha=0.25, gamma=2.0: _focal(x, t)  # noqa: E731
    assert_fails(xl.check.focal_loss_with_logits(fixed), "gamma = 0 and alpha = 0.5")
    assert xl.check.focal_loss_with_logits(_stub).status == "not attempted"


# ------------------------------------------------------ logit_adjusted_cross_entropy


def test_logit_adjusted_checker_accepts_the_reference_solution():
    fn = solution_function(NOTEBOOK, "logit_adjusted_cross_entropy")
    result = xl.check.logit_adjusted_cross_entropy(fn)
    assert result.status == "passed", result.message


@pytest.mark.parametrize(
    ("wrong", "words"),
    [
        (lambda z, y, p, tau=1.0: xl.categorical_cross_entropy(z - tau * np.log(p), y), ["sign is flipped", "post-hoc"]),
        (lambda z, y, p, tau=1.0: xl.categorical_cross_entropy(z + tau * np.asarray(p), y), ["added as they are"]),
        (lambda z, y, p, tau=1.0: xl.categorical_cross_entropy(z + np.log(p), y), ["tau = 2", "tau is ignored"]),
        (lambda z, y, p, tau=1.0: xl.categorical_cross_entropy(z + tau * np.log(p), y, reduction="sum"), ["sum over the examples"]),
        (lambda z, y, p, tau=1.0: xl.categorical_cross_entropy(z + tau * np.log10(p), y), ["log10"]),
        (lambda z, y, p, tau=1.0: xl.categorical_cross_entropy(z, y), ["three classes"]),
    ],
)
def test_logit_adjusted_checker_rejects_typical_mistakes(wrong, words):
    assert_fails(xl.check.logit_adjusted_cross_entropy(wrong), *words)


def test_logit_adjusted_checker_catches_overflow_and_reports_the_stub():
    def naive(z, y, p, tau=1.0):
        e = np.exp(z + tau * np.log(p))
        return -np.mean(np.log(e[np.arange(len(y)), y] / e.sum(axis=1)))

    assert_fails(xl.check.logit_adjusted_cross_entropy(naive), "logits of ±1000", "overflows")
    assert xl.check.logit_adjusted_cross_entropy(_stub).status == "not attempted"


# -------------------------------------------------------------------- expected_score


def test_expected_score_checker_accepts_the_reference_solution():
    result = xl.check.expected_score(solution_function(NOTEBOOK, "expected_score"))
    assert result.status == "passed", result.message


@pytest.mark.parametrize(
    ("wrong", "words"),
    [
        (lambda rule, q, p: np.mean([rule(q, y) for y in range(len(q))]), ["plain mean over the outcomes"]),
        (lambda rule, q, p: sum(q[y] * rule(q, y) for y in range(len(q)) if q[y] > 0), ["weighted by the forecast q"]),
        (lambda rule, q, p: sum(p[y] * rule(q, y) for y in range(len(p))), ["never happens", "NaN"]),
    ],
)
def test_expected_score_checker_rejects_typical_mistakes(wrong, words):
    assert_fails(xl.check.expected_score(wrong), *words)


def test_expected_score_checker_shows_the_rule_not_an_address():
    result = xl.check.expected_score(lambda rule, q, p: 0.0)
    assert "log score: -log q[y]" in result.message and "0x" not in result.message
    assert xl.check.expected_score(_stub).status == "not attempted"


# ---------------------------------------------------------------------------- widget


def test_focal_loss_explorer_moves_its_curves_and_readout():
    from xent_lessons.plots.choosing_a_loss import P_GRID

    w = xl.widgets.focal_loss_explorer(gamma=2.0, alpha=0.25)
    p_t = w.artists["loss_positive"].get_xdata()
    x_t = np.log(p_t) - np.log1p(-p_t)
    ones = np.ones_like(p_t)
    np.testing.assert_allclose(w.artists["loss_positive"].get_ydata(), xl.sigmoid_focal_loss(x_t, ones, 0.25, 2.0))
    np.testing.assert_allclose(w.artists["loss_negative"].get_ydata(), xl.sigmoid_focal_loss(x_t, ones, 0.75, 2.0))
    np.testing.assert_allclose(w.artists["grad_positive"].get_ydata(), -xl.sigmoid_focal_loss_grad(x_t, ones, 0.25, 2.0))
    np.testing.assert_allclose(w.artists["forecast"].get_ydata(), xl.focal_optimal_forecast(P_GRID, 2.0, 0.25))
    assert "q* = 0.227" in w.readout_text

    w.controls["gamma"].value = 0.0
    w.controls["alpha"].value = 0.5
    np.testing.assert_allclose(w.artists["forecast"].get_ydata(), P_GRID, atol=1e-9)  # proper
    np.testing.assert_allclose(w.artists["loss_positive"].get_ydata(), w.artists["loss_negative"].get_ydata())
    assert "γ = 0.0, α = 0.50" in w.readout_text and "2.0× more" in w.readout_text


def test_focal_loss_explorer_rejects_values_outside_its_sliders():
    with pytest.raises(ValueError, match="gamma must be in"):
        xl.widgets.focal_loss_explorer(gamma=6.0)
    with pytest.raises(ValueError, match="alpha must be in"):
        xl.widgets.focal_loss_explorer(alpha=-0.5)


# ----------------------------------------------------------------------------- plots


def test_focal_curves_start_from_cross_entropy():
    ax = Figure().subplots()
    art = xl.plots.focal_curves(ax, gammas=(0.0, 2.0))
    ce_line = art["lines"][0]
    p_t = ce_line.get_xdata()
    np.testing.assert_allclose(ce_line.get_ydata(), -np.log(p_t), rtol=1e-12)
    ax2 = Figure().subplots()
    grad = xl.plots.focal_curves(ax2, gammas=(0.0,), quantity="gradient")["lines"][0]
    np.testing.assert_allclose(grad.get_ydata(), 1 - p_t, rtol=1e-9)
    with pytest.raises(ValueError, match="quantity must be"):
        xl.plots.focal_curves(ax, quantity="curvature")


def test_private_focal_gradient_equals_the_public_one():
    # _focal_grad_float64 (the bisection's gradient, without the checks) must be the public
    # function's numbers, at hard and soft targets, large logits and -inf included.
    from xent_lessons.focal import _focal_grad_float64

    x = np.concatenate([np.linspace(-40, 40, 161), [-1e4, 1e4, -np.inf, 0.0]])
    for t_value in (0.0, 1.0, 0.3):
        t = np.full(x.shape, t_value)
        for alpha, gamma in ((0.25, 2.0), (-1.0, 0.0), (0.7, 0.5), (1.0, 5.0)):
            expected = xl.sigmoid_focal_loss_grad(x, t, alpha=alpha, gamma=gamma)
            np.testing.assert_array_equal(_focal_grad_float64(x, t, alpha, gamma), expected)


def test_focal_optimal_forecast_of_many_points_equals_each_point_alone():
    # The bisection runs on all the points at once; each point's answer is its own.
    p = np.linspace(0.0, 1.0, 21).reshape(3, 7)
    for alpha, gamma in ((0.25, 2.0), (-1.0, 1.0), (0.6, 4.5)):
        together = xl.focal_optimal_forecast(p, gamma=gamma, alpha=alpha)
        alone = [xl.focal_optimal_forecast(float(v), gamma=gamma, alpha=alpha) for v in p.ravel()]
        np.testing.assert_allclose(together.ravel(), alone, rtol=0, atol=1e-15)


def test_focal_loss_explorer_readout_reads_the_forecasts_off_its_curve():
    w = xl.widgets.focal_loss_explorer(gamma=2.0, alpha=0.25)
    for gamma, alpha in ((3.7, 0.6), (0.4, 0.05)):
        w.controls["gamma"].value = gamma
        w.controls["alpha"].value = alpha
        gamma, alpha = w.controls["gamma"].value, w.controls["alpha"].value
        q_01, q_05 = xl.focal_optimal_forecast([0.1, 0.5], gamma=gamma, alpha=alpha)
        assert f"q* = {q_01:.3f};" in w.readout_text and f"q* = {q_05:.3f}" in w.readout_text
        easy, hard = xl.plots.choosing_a_loss.focal_values([0.9, 0.1], gamma, alpha)
        assert f"costs {easy:.2g} nats" in w.readout_text and f"costs {hard:.3g} nats" in w.readout_text


def test_focal_loss_explorer_curves_never_reach_the_legends_drawn_under_them():
    # The widget draws the loss and gradient panels' legends under the curves (a speed
    # trick): the same picture only if no curve ever reaches them. The largest curve of a
    # panel at any alpha is the unweighted one (alpha_t = 1); every slider step of gamma.
    from xent_lessons.plots.choosing_a_loss import focal_values

    w = xl.widgets.focal_loss_explorer()
    renderer = w._canvas.get_renderer()
    p_t = w.artists["p_t"]
    half_line_px = 4.0 * w.figure.dpi / 72 / 2 + 3  # the widest curve, and antialiasing
    for ax, quantity in zip(w.figure.axes[:2], ("loss", "gradient"), strict=True):
        legend = ax.get_legend()
        assert legend.get_zorder() < 2  # drawn under the curves
        box = legend.get_window_extent(renderer).padded(half_line_px)
        for gamma in np.round(np.arange(0.0, 5.01, 0.1), 1):
            xy = ax.transData.transform(np.column_stack([p_t, focal_values(p_t, gamma, 1.0, quantity)]))
            inside = (xy[:, 0] >= box.x0) & (xy[:, 0] <= box.x1)
            assert inside.any()
            assert (xy[inside, 1] < box.y0).all(), (quantity, gamma)


def test_focal_optimal_forecast_curves_and_panels():
    ax = Figure().subplots()
    art = xl.plots.focal_optimal_forecast_curves(ax, gammas=(0.0, 2.0), n_points=11)
    np.testing.assert_allclose(art["lines"][0].get_ydata(), np.linspace(0, 1, 11), atol=1e-12)
    axes = Figure().subplots(1, 3)
    panels = xl.plots.focal_loss_panels(axes, gamma=1.0, alpha=0.5)
    assert set(panels) >= {"loss_positive", "loss_negative", "grad_positive", "grad_negative", "forecast"}


def test_expected_score_curves_find_each_rules_favourite_forecast():
    ax = Figure().subplots()
    art = xl.plots.expected_score_curves(ax, p=0.3)
    best = {name.split()[0]: q for name, q in art["minimisers"].items()}
    assert best["log"] == pytest.approx(0.3, abs=1e-3) and best["Brier"] == pytest.approx(0.3, abs=1e-3)
    assert best["hinge"] < 0.01 and best["absolute"] < 0.01
    assert best["focal"] == pytest.approx(xl.focal_optimal_forecast(0.3, 2.0, -1), abs=2e-3)
    for line in art["lines"].values():
        assert line.get_ydata().min() == 0.0


def test_reliability_comparison_bins_the_forecasts():
    ax = Figure().subplots()
    q = np.array([0.05, 0.06, 0.55, 0.95, 0.96])
    y = np.array([0, 1, 1, 1, 1])
    art = xl.plots.reliability_comparison(ax, {"m": q}, y, n_bins=10)
    mean_q, freq, count = art["bins"]["m"]
    np.testing.assert_allclose(mean_q, [0.055, 0.55, 0.955])
    np.testing.assert_allclose(freq, [0.5, 1.0, 1.0])
    assert count.tolist() == [2, 1, 2]
    with pytest.raises(ValueError, match="must have y's shape"):
        xl.plots.reliability_comparison(ax, {"m": q[:2]}, y)


def test_logit_histograms_and_noisy_label_boundaries():
    ax = Figure().subplots()
    art = xl.plots.logit_histograms(ax, [-3.0, -1.0, 2.0, 1.0], [0, 0, 1, 1], {"q = 0.5": 0.0, "low": -2.0})
    assert art["thresholds"]["low"].get_xdata()[0] == -2.0
    with pytest.raises(ValueError, match="y must have the logits' shape"):
        xl.plots.logit_histograms(ax, [0.0, 1.0], [0])
    ax = Figure().subplots()
    X = np.array([[-1.0, -1.0], [1.0, 1.0], [0.5, -0.5]])
    art = xl.plots.noisy_label_boundaries(ax, X, [0, 1, 0], [False, False, True],
                                          {"steep": ([0.1, 1.0], 0.0), "flat": ([1.0, 0.0], -0.5)})
    steep = art["lines"]["steep"]
    np.testing.assert_allclose(0.1 * steep.get_xdata() + 1.0 * steep.get_ydata(), 0.0, atol=1e-12)
    np.testing.assert_allclose(art["lines"]["flat"].get_xdata(), [0.5, 0.5])


def test_the_lessons_key_numbers_are_printed():
    import nbformat

    path = Path(__file__).resolve().parents[1] / "notebooks" / "solutions" / f"{NOTEBOOK}.ipynb"
    nb = nbformat.read(path, as_version=4)
    outputs = "\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "trained with the adjusted loss (τ = 1)" in outputs and "100.00% of the test set" in outputs
    focal = float(outputs.split("focal model:               ECE ")[1].split()[0])
    recalibrated = float(outputs.split("recalibrated (Platt):      ECE ")[1].split()[0])
    assert recalibrated < focal / 10
    assert math.isclose(float(outputs.split("log w = ")[1].split()[0]), math.log(97.0), abs_tol=0.01)


def test_focal_loss_panels_keep_coinciding_curves_visible():
    # issue 22: at gamma = 0, alpha = 0.5 the positive's and negative's curves (and, on the
    # right, the focal forecast and the diagonal) coincide: a wide solid line under a narrow
    # dashed one keeps both visible.
    art = xl.plots.focal_loss_panels(Figure().subplots(1, 3), gamma=0.0, alpha=0.5)
    for key in ("loss", "grad"):
        wide, narrow = art[f"{key}_positive"], art[f"{key}_negative"]
        np.testing.assert_allclose(wide.get_ydata(), narrow.get_ydata())
        assert wide.get_linewidth() > 1.5 * narrow.get_linewidth()
        assert wide.get_linestyle() == "-" and narrow.get_linestyle() != "-"
    forecast = art["forecast"]
    diagonal = next(line for line in forecast.axes.lines if line is not forecast)
    assert forecast.get_linewidth() > 1.5 * diagonal.get_linewidth()
    assert diagonal.get_linestyle() != "-" and diagonal.get_zorder() > forecast.get_zorder()


# ------------------------------------------------------------------- multi_label_bce


def _multi_label(x, t, pos_weight=None, on_positive=True, on_negative=False):
    x, t = np.asarray(x, dtype=float), np.asarray(t, dtype=float)
    w = 1.0 if pos_weight is None else np.asarray(pos_weight)
    positive = t * np.logaddexp(0, -x)
    negative = (1 - t) * np.logaddexp(0, x)
    return (w * positive if on_positive else positive) + (w * negative if on_negative else negative)


def test_multi_label_bce_checker_accepts_the_reference_solution():
    result = xl.check.multi_label_bce(solution_function(NOTEBOOK, "multi_label_bce"))
    assert result.status == "passed", result.message
    package = lambda x, t, pos_weight=None: xl.binary_cross_entropy_with_logits(x, t, pos_weight=pos_weight)  # noqa: E731
    assert xl.check.multi_label_bce(package).status == "passed"


def _softmax_over_labels(x, t, pos_weight=None):
    # what F.cross_entropy(z, multi_hot) computes
    return float(-np.mean(np.sum(t * xl.log_softmax(np.asarray(x, dtype=float), axis=1), axis=1)))


def _log_of_sigmoid(x, t, pos_weight=None):
    w = 1.0 if pos_weight is None else np.asarray(pos_weight)
    q = 1 / (1 + np.exp(-x))
    return np.mean(-(w * t * np.log(q) + (1 - t) * np.log(1 - q)))


@pytest.mark.parametrize(
    ("wrong", "words"),
    [
        (_softmax_over_labels, ["no pos_weight", "softmax over the labels", "one sigmoid per label"]),
        (lambda x, t, pos_weight=None: np.sum(_multi_label(x, t, pos_weight)), ["sum over all the elements"]),
        (lambda x, t, pos_weight=None: np.mean(np.sum(_multi_label(x, t, pos_weight), axis=1)),
         ["summed over the labels and averaged over the examples", "N * L"]),
        (lambda x, t, pos_weight=None: np.mean(_multi_label(x, t, pos_weight, on_negative=True)),
         ["pos_weight (1, 0.5, 2, 25)", "multiplied both terms", "only the POSITIVE term"]),
        (lambda x, t, pos_weight=None: np.mean(_multi_label(x, t, pos_weight, False, True)),
         ["multiplied the negative term"]),
        (lambda x, t, pos_weight=None: np.mean(_multi_label(x, t)), ["pos_weight was ignored"]),
        (_log_of_sigmoid, ["logits of ±1e4", "inf or NaN", "np.logaddexp(0, x)"]),
    ],
    ids=["softmax", "sum", "sum-over-labels", "pos-weight-both", "pos-weight-negative",
         "pos-weight-ignored", "log-of-sigmoid"],
)
def test_multi_label_bce_checker_rejects_typical_mistakes(wrong, words):
    with np.errstate(all="ignore"):
        assert_fails(xl.check.multi_label_bce(wrong), *words)


def test_multi_label_bce_checker_catches_a_pos_weight_per_example_and_the_stub():
    # pos_weight along the photos (axis 0) instead of the labels: the case with N != L fails
    def per_example(x, t, pos_weight=None):
        w = 1.0 if pos_weight is None else np.asarray(pos_weight)[: len(x), None]
        return np.mean(w * t * np.logaddexp(0, -x) + (1 - t) * np.logaddexp(0, x))

    assert xl.check.multi_label_bce(per_example).status == "failed"
    per_row = lambda x, t, pos_weight=None: np.mean(_multi_label(x, t, pos_weight), axis=1)  # noqa: E731
    assert_fails(xl.check.multi_label_bce(per_row), "shape")
    assert xl.check.multi_label_bce(_stub).status == "not attempted"


def test_multilabel_pair_probabilities_draws_the_softmax_bound():
    ax = Figure().subplots()
    q = np.array([[0.9, 0.8], [0.4, 0.5], [0.2, 0.3]])
    art = xl.plots.multilabel_pair_probabilities(ax, {"sigmoid": q, "softmax": q / 2}, ("sea", "sky"))
    np.testing.assert_allclose(art["points"]["softmax"].get_offsets(), q / 2)
    np.testing.assert_allclose(art["bound"].get_xdata() + art["bound"].get_ydata(), 1.0)
    assert "mean 0.50, 0.53" in art["points"]["sigmoid"].get_label()
    with pytest.raises(ValueError, match=r"must have shape \(N, 2\)"):
        xl.plots.multilabel_pair_probabilities(ax, {"m": np.ones((3, 3))})


def test_per_label_f1_bars_add_the_mean():
    ax = Figure().subplots()
    art = xl.plots.per_label_f1_bars(ax, {"a": [0.2, 0.4, 0.9], "b": [1.0, 0.0, 0.5]}, ["x", "y", "z"])
    np.testing.assert_allclose([bar.get_height() for bar in art["bars"]["a"]], [0.2, 0.4, 0.9, 0.5])
    assert [tick.get_text() for tick in ax.get_xticklabels()] == ["x", "y", "z", "mean"]
    with pytest.raises(ValueError, match="one score per label"):
        xl.plots.per_label_f1_bars(ax, {"a": [0.2, 0.4]}, ["x", "y", "z"])


def test_the_multi_label_numbers_are_printed():
    import nbformat

    path = Path(__file__).resolve().parents[1] / "notebooks" / "solutions" / f"{NOTEBOOK}.ipynb"
    nb = nbformat.read(path, as_version=4)
    outputs = "\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)

    def mean_f1(row):
        return float(outputs.split(row)[1].split("\n")[0].split()[-1])

    sigmoid, softmax = mean_f1("sigmoid per label, 0.5 "), mean_f1("softmax over labels, 0.5 ")
    tuned = mean_f1("sigmoid per label, its thresholds ")
    assert sigmoid > softmax + 0.2 and tuned > sigmoid
    assert "xl      1.549836264657558   (difference 0.0e+00)" in outputs
    assert "xl.categorical_cross_entropy: ValueError: target must sum to 1" in outputs
