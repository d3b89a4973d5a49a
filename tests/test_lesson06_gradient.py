"""Lesson 06: the checkers, the widget and the plots of the gradient lesson."""

import io

import numpy as np
import pytest
from matplotlib.figure import Figure
from notebook_code import solution_function

import xent_lessons as xl

NOTEBOOK = "06_gradient_derivation"


def onehot(y, n_classes):
    return np.eye(n_classes)[y]


# --------------------------------------------------------------- softmax_ce_grad


def test_softmax_ce_grad_accepts_the_reference_solution():
    result = xl.check.softmax_ce_grad(solution_function(NOTEBOOK, "softmax_ce_grad"))
    assert result.status == "passed", result.message


def grad_no_mean(logits, y):
    return xl.softmax(logits, axis=1) - onehot(y, logits.shape[1])


def grad_flipped_sign(logits, y):
    return (onehot(y, logits.shape[1]) - xl.softmax(logits, axis=1)) / len(y)


def grad_naive_softmax(logits, y):
    e = np.exp(logits)
    return (e / e.sum(axis=1, keepdims=True) - onehot(y, logits.shape[1])) / len(y)


def grad_probabilities_only(logits, y):
    return xl.softmax(logits, axis=1) / len(y)


def grad_wrong_axis(logits, y):
    return (xl.softmax(logits, axis=0) - onehot(y, logits.shape[1])) / len(y)


@pytest.mark.parametrize(
    ("wrong", "words"),
    [
        (grad_no_mean, ["a batch", "N times too large"]),
        (grad_flipped_sign, ["one sample", "sign is flipped"]),
        (grad_naive_softmax, ["large logits", "overflow"]),
        (grad_probabilities_only, ["one sample", "target has not been subtracted"]),
        (grad_wrong_axis, ["axis=1"]),
    ],
)
def test_softmax_ce_grad_names_the_mistake(wrong, words):
    result = xl.check.softmax_ce_grad(wrong)
    assert result.status == "failed"
    for word in words:
        assert word in result.message, result.message


def test_softmax_ce_grad_stub_is_not_attempted():
    def stub(logits, y):
        raise NotImplementedError

    assert xl.check.softmax_ce_grad(stub).status == "not attempted"


def test_softmax_ce_grad_reports_an_exception_without_raising():
    def broken(logits, y):
        return logits[:, 10]

    result = xl.check.softmax_ce_grad(broken)
    assert result.status == "failed"
    assert "IndexError" in result.message


# ------------------------------------------------------------ central_difference


def test_central_difference_accepts_the_reference_solution():
    result = xl.check.central_difference(solution_function(NOTEBOOK, "central_difference"))
    assert result.status == "passed", result.message


def forward_difference(f, x, eps=1e-5):
    x = np.array(x, dtype=float)
    g = np.zeros_like(x)
    for k in range(x.size):
        step = np.zeros_like(x)
        step.flat[k] = eps
        g.flat[k] = (f(x + step) - f(x)) / eps
    return g


def central_over_h(f, x, eps=1e-5):
    x = np.array(x, dtype=float)
    g = np.zeros_like(x)
    for k in range(x.size):
        step = np.zeros_like(x)
        step.flat[k] = eps
        g.flat[k] = (f(x + step) - f(x - step)) / eps  # forgot the 2
    return g


def central_fixed_step(f, x, eps=1e-5):
    return xl.numerical_gradient(f, x, 1e-6)  # ignores eps


def central_1d_only(f, x, eps=1e-5):
    g = np.zeros(len(x))
    for k in range(len(x)):
        xp, xm = x.copy(), x.copy()
        xp[k] += eps
        xm[k] -= eps
        g[k] = (f(xp) - f(xm)) / (2 * eps)
    return g


def central_in_place(f, x, eps=1e-5):
    g = np.zeros_like(x)
    for k in range(x.size):
        x.flat[k] += eps
        f_plus = f(x)
        x.flat[k] -= 2 * eps  # never put back
        g.flat[k] = (f_plus - f(x)) / (2 * eps)
    return g


@pytest.mark.parametrize(
    ("wrong", "words"),
    [
        (forward_difference, ["big step", "FORWARD difference"]),
        (central_over_h, ["twice the derivative", "2h"]),
        (central_fixed_step, ["eps=1e-3", "not with the eps you were given"]),
        (central_1d_only, ["2-D x", "wrong shape"]),
        (central_in_place, ["changed its argument `x` in place", "the caller still needs them"]),
    ],
)
def test_central_difference_names_the_mistake(wrong, words):
    result = xl.check.central_difference(wrong)
    assert result.status == "failed"
    for word in words:
        assert word in result.message, result.message


def test_central_difference_stub_is_not_attempted():
    def stub(f, x, eps=1e-5):
        raise NotImplementedError

    assert xl.check.central_difference(stub).status == "not attempted"


# ------------------------------------------------------------------------- widget


def test_gradient_explorer_bars_follow_the_controls():
    w = xl.widgets.gradient_explorer(logits=(2.0, 0.5, -1.0), target=1)
    assert set(w.controls) == {"z0", "z1", "z2", "target", "label_smoothing"}

    w.controls["z1"].value = 3.0
    z = np.array([2.0, 3.0, -1.0])
    expected = xl.softmax(z) - onehot(1, 3)
    heights = [bar.get_height() for bar in w.artists["grad"]]
    np.testing.assert_allclose(heights, expected, atol=1e-12)
    np.testing.assert_allclose([b.get_height() for b in w.artists["q"]], xl.softmax(z))
    assert w.artists["grad_texts"][1].get_text() == f"{expected[1]:+.2f}"
    loss = xl.categorical_cross_entropy(z, 1)
    assert f"loss = {loss:.3f} nats" in w.readout_text

    w.controls["target"].value = 2
    heights = [bar.get_height() for bar in w.artists["grad"]]
    np.testing.assert_allclose(heights, xl.softmax(z) - onehot(2, 3), atol=1e-12)
    assert [b.get_height() for b in w.artists["y"]] == [0.0, 0.0, 1.0]


def test_gradient_explorer_label_smoothing_moves_the_target():
    w = xl.widgets.gradient_explorer(logits=(0.0, 6.0, 0.0, 0.0), target=1)
    before = w.artists["grad"][1].get_height()
    assert before < 0  # a confident correct answer is still pushed up, a little
    w.controls["label_smoothing"].value = 0.2
    smooth = 0.8 * onehot(1, 4) + 0.2 / 4
    np.testing.assert_allclose([b.get_height() for b in w.artists["y"]], smooth)
    after = w.artists["grad"][1].get_height()
    assert after > 0  # ... and pulled back once the target is smoothed
    np.testing.assert_allclose(after, xl.softmax([0.0, 6.0, 0.0, 0.0])[1] - smooth[1])


def test_gradient_explorer_blitted_frame_matches_a_full_drawing():
    from PIL import Image

    w = xl.widgets.gradient_explorer(class_names=["cat", "dog", "fox"])
    assert w.controls["z0"].description == "z cat"
    w.controls["z2"].value = 4.0  # a blitted update
    blitted = np.asarray(Image.open(io.BytesIO(w.image.value)).convert("RGB"), dtype=float)
    buffer = io.BytesIO()
    w.figure.savefig(buffer, format="png", dpi=w.figure.dpi)  # draws everything
    full = np.asarray(Image.open(buffer).convert("RGB"), dtype=float)
    assert blitted.shape == full.shape
    assert np.abs(blitted - full).mean() < 0.5


def test_gradient_explorer_rejects_bad_arguments():
    with pytest.raises(ValueError, match="2 to 6"):
        xl.widgets.gradient_explorer(logits=(1.0,))
    with pytest.raises(ValueError, match="target"):
        xl.widgets.gradient_explorer(target=3)


# -------------------------------------------------------------------------- plots


def test_gradient_heatmap_returns_its_data_and_target_frames():
    ax = Figure().subplots()
    values = np.array([[-0.5, 0.3, 0.2], [0.1, 0.1, -0.2]])
    art = xl.plots.gradient_heatmap(ax, values, target=[0, 2])
    np.testing.assert_array_equal(art["image"].get_array(), values)
    assert art["image"].get_clim() == (-0.5, 0.5)  # symmetric around 0
    assert [r.get_xy() for r in art["targets"]] == [(-0.5, -0.5), (1.5, 0.5)]
    assert [t.get_text() for t in art["texts"]][:3] == ["-0.50", "0.30", "0.20"]


def test_ce_vs_mse_curves_gradient_and_loss():
    z = np.array([-10.0, 0.0, 3.0])
    s = 1 / (1 + np.exp(-z))
    ax = Figure().subplots()
    art = xl.plots.ce_vs_mse_curves(ax, z)
    np.testing.assert_allclose(art["ce"].get_ydata(), 1 - s)
    np.testing.assert_allclose(art["mse"].get_ydata(), 2 * (1 - s) * s * (1 - s))
    art = xl.plots.ce_vs_mse_curves(Figure().subplots(), z, quantity="loss")
    np.testing.assert_allclose(art["ce"].get_ydata(), -np.log(s))
    np.testing.assert_allclose(art["mse"].get_ydata(), (1 - s) ** 2)


def test_probability_and_gradient_bars():
    ax = Figure().subplots()
    art = xl.plots.target_probability_bars(ax, [0.6, 0.3, 0.1], [0.0, 1.0, 0.0])
    assert [b.get_height() for b in art["q"]] == [0.6, 0.3, 0.1]
    assert [b.get_height() for b in art["y"]] == [0.0, 1.0, 0.0]
    art = xl.plots.logit_gradient_bars(Figure().subplots(), [0.6, -0.7, 0.1])
    assert [b.get_height() for b in art["bars"]] == [0.6, -0.7, 0.1]
    assert [t.get_text() for t in art["texts"]] == ["+0.60", "-0.70", "+0.10"]


def test_finite_difference_errors_draws_each_method():
    ax = Figure().subplots()
    eps = np.array([1e-2, 1e-4, 1e-6])
    art = xl.plots.finite_difference_errors(
        ax, eps, {"forward": [1e-3, 1e-5, 0.0], "central": [1e-5, 1e-9, 1e-10]}
    )
    np.testing.assert_allclose(art["forward"].get_ydata(), [1e-3, 1e-5, 1e-17])  # 0 drawn low
    np.testing.assert_allclose(art["central"].get_xdata(), eps)
    assert ax.get_xscale() == "log"


def test_finite_difference_errors_draws_float32_curves_in_the_same_colours():
    ax = Figure().subplots()
    eps = np.array([1e-2, 1e-4])
    art = xl.plots.finite_difference_errors(
        ax, eps, {"forward": [1e-3, 1e-5], "central": [1e-5, 1e-9]},
        errors_float32={"forward": [1e-2, 1e-1], "central": [1e-4, 1e-2]},
    )
    assert set(art) == {"forward, float64", "central, float64", "forward, float32", "central, float32"}
    assert art["forward, float32"].get_color() == art["forward, float64"].get_color()
    assert art["central, float32"].get_linestyle() == ":"
    np.testing.assert_allclose(art["central, float32"].get_ydata(), [1e-4, 1e-2])
    with pytest.raises(ValueError, match="errors_float32"):
        xl.plots.finite_difference_errors(Figure().subplots(), eps, {}, {"forward": [1.0]})


@pytest.mark.parametrize(
    ("grad", "limit"),
    [
        ([0.79, -0.82, 0.04], 1.15),  # the cat/dog/fox example
        ([1.0, -1.0], 1.15),  # the largest one sample can have
        ([0.3, -0.2], 0.5),
        ([-0.015, 0.048, -0.033], 0.1),  # a smoothed, confident, correct target
        ([0.001, -0.001], 0.02),
    ],
)
def test_gradient_axis_limit_fits_the_longest_bar(grad, limit):
    assert xl.plots.gradient_axis_limit(grad) == limit
    art = xl.plots.logit_gradient_bars(Figure().subplots(), grad)
    assert art["bars"][0].axes.get_ylim() == (-limit, limit)
    assert max(abs(g) for g in grad) <= 0.8 * limit or limit == 1.15


def test_gradient_explorer_zooms_in_on_a_smoothed_gradient():
    w = xl.widgets.gradient_explorer(logits=(2.0, 0.5, -1.0), target=1)
    ax = w.artists["grad"][0].axes
    assert ax.get_ylim() == (-1.15, 1.15)
    w.controls["label_smoothing"].value = 0.1
    w.controls["z1"].value = 6.0  # confident and correct: a push of +0.048 on the target
    grad = [bar.get_height() for bar in w.artists["grad"]]
    assert grad[1] == pytest.approx(0.048, abs=5e-4)
    assert ax.get_ylim() == (-0.1, 0.1)  # the bar fills half the axis instead of 4%
    assert w.artists["grad_texts"][1].get_text() == f"{grad[1]:+.3f}"
    assert ax.get_yticklabels()[0].get_text() == "−0.10"
    w.controls["z1"].value = 0.5  # back to a large gradient: the axis zooms out
    assert ax.get_ylim() == (-1.15, 1.15)


def test_gradient_explorer_zoomed_frame_matches_a_full_drawing():
    from PIL import Image

    w = xl.widgets.gradient_explorer(logits=(2.0, 6.0, -1.0), target=1, label_smoothing=0.1)
    w.controls["z0"].value = 2.5  # blitted on the zoomed axis's own background
    blitted = np.asarray(Image.open(io.BytesIO(w.image.value)).convert("RGB"), dtype=float)
    buffer = io.BytesIO()
    w.figure.savefig(buffer, format="png", dpi=w.figure.dpi)
    full = np.asarray(Image.open(buffer).convert("RGB"), dtype=float)
    assert np.abs(blitted - full).mean() < 0.5


# -------------------------------------------- wrong answers that used to pass, or were misnamed


def central_default(eps_default):
    def central_difference(f, x, eps=eps_default):
        x = np.array(x, dtype=float)
        g = np.zeros_like(x)
        for k in range(x.size):
            step = np.zeros_like(x)
            step.flat[k] = eps
            g.flat[k] = (f(x + step) - f(x - step)) / (2 * eps)
        return g

    return central_difference


def central_steps_back(f, x, eps=1e-5):
    g = np.zeros_like(x)
    for k in range(x.size):  # steps the caller's x and back: the last digits change
        x.flat[k] += eps
        f_plus = f(x)
        x.flat[k] -= 2 * eps
        f_minus = f(x)
        x.flat[k] += eps
        g.flat[k] = (f_plus - f_minus) / (2 * eps)
    return g


def grad_reference(logits, y):
    return (xl.softmax(logits, axis=1) - onehot(y, logits.shape[1])) / len(y)


@pytest.mark.parametrize(
    ("checker", "wrong", "words"),
    [
        # another default step used to pass: 1e-4 and 1e-6 agree with cos(x) to 1e-8 as well
        ("central_difference", central_default(1e-4),
         ["the default step, measured", "Your function's default is eps=0.0001"]),
        ("central_difference", central_default(1e-6), ["Your function's default is eps=1e-06"]),
        ("central_difference", central_default(1e-3), ["Your function's default is eps=0.001"]),
        ("central_difference", central_steps_back,
         ["changed its argument `x` in place", "last digits only", "x[k] = old"]),
        ("softmax_ce_grad", lambda z, y: grad_reference(z, y) / len(y),
         ["a batch (N = 4", "exactly 1/4 of the answer"]),
        ("softmax_ce_grad", lambda z, y: grad_reference(z, y).T, ["transposed"]),
    ],
)
def test_wrong_answers_are_caught_and_named(checker, wrong, words):
    result = getattr(xl.check, checker)(wrong)
    assert result.status == "failed", result.message
    for word in words:
        assert word in result.message, (word, result.message)
