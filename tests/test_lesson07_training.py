"""Lesson 07: the data set and trainer, the checkers, the widget and the plots."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from matplotlib.figure import Figure
from notebook_code import solution_function

import xent_lessons as xl

NOTEBOOK = "07_training_a_classifier"


# ------------------------------------------------------------- data and trainer


def test_make_three_blobs_is_seeded_and_shaped():
    X, y = xl.training.make_three_blobs(n_per_class=40, seed=3)
    assert X.shape == (120, 2) and X.dtype == np.float64
    assert y.dtype == np.int64 and np.bincount(y).tolist() == [40, 40, 40]
    X2, _ = xl.training.make_three_blobs(n_per_class=40, seed=3)
    X3, _ = xl.training.make_three_blobs(n_per_class=40, seed=4)
    np.testing.assert_array_equal(X, X2)
    assert not np.array_equal(X, X3)
    centres = np.array([X[y == c].mean(axis=0) for c in range(3)])
    np.testing.assert_allclose(centres, xl.training.BLOB_CENTERS, atol=0.4)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"n_per_class": 0}, ValueError),
        ({"n_per_class": 2.5}, TypeError),
        ({"seed": -1}, ValueError),
        ({"spread": 0.0}, ValueError),
    ],
)
def test_make_three_blobs_validates(kwargs, error):
    with pytest.raises(error):
        xl.training.make_three_blobs(**kwargs)


def torch_trajectory(X, y, W0, b0, lr, epochs):
    model = torch.nn.Linear(X.shape[1], W0.shape[1], dtype=torch.float64)
    with torch.no_grad():
        model.weight.copy_(torch.from_numpy(W0.T.copy()))
        model.bias.copy_(torch.from_numpy(b0.copy()))
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    X_t, y_t = torch.from_numpy(X), torch.from_numpy(y)
    losses = []
    for k in range(epochs + 1):
        opt.zero_grad()
        loss = F.cross_entropy(model(X_t), y_t)
        losses.append(loss.item())
        if k < epochs:
            loss.backward()
            opt.step()
    return np.array(losses), model.weight.detach().numpy().T, model.bias.detach().numpy()


def test_train_softmax_regression_follows_torch_exactly():
    X, y = xl.training.make_three_blobs(30, seed=1)
    rng = np.random.default_rng(5)
    W0, b0 = rng.normal(0, 0.3, size=(2, 3)), rng.normal(0, 0.3, size=3)
    W0_copy = W0.copy()
    h = xl.training.train_softmax_regression(X, y, lr=0.5, epochs=60, W0=W0, b0=b0)
    losses, W, b = torch_trajectory(X, y, W0, b0, 0.5, 60)
    np.testing.assert_allclose(h.loss, losses, rtol=0, atol=1e-12)
    np.testing.assert_allclose(h.weights[-1], W, rtol=0, atol=1e-12)
    np.testing.assert_allclose(h.biases[-1], b, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(W0, W0_copy)  # the caller's weights are left alone
    np.testing.assert_array_equal(h.weights[0], W0)


def test_train_softmax_regression_history():
    X, y = xl.training.make_three_blobs(20, seed=0)
    h = xl.training.train_softmax_regression(X, y, lr=1.0, epochs=25)
    assert h.epochs == 25 and h.lr == 1.0
    assert h.weights.shape == (26, 2, 3) and h.biases.shape == (26, 3)
    assert h.loss[0] == pytest.approx(np.log(3))  # zero weights: uniform q
    assert h.accuracy[0] == pytest.approx(1 / 3)  # ties go to class 0
    assert np.all(np.diff(h.loss) < 0)  # a good learning rate: the loss falls every step
    k = 7
    Z = X @ h.weights[k] + h.biases[k]
    assert h.loss[k] == pytest.approx(xl.categorical_cross_entropy(Z, y), abs=1e-15)
    assert h.accuracy[k] == np.mean(Z.argmax(axis=1) == y)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"X": np.zeros(5)}, ValueError, "shape"),
        ({"lr": -0.1}, ValueError, "lr"),
        ({"epochs": 1.5}, TypeError, "epochs"),
        ({"y": np.array([0, 1, 2, 5])}, ValueError, "out of range"),
        ({"y": np.array([0.0, 1.0, 2.0, 1.0])}, TypeError, "integer"),
        ({"W0": np.zeros((3, 3))}, ValueError, "W0"),
        ({"b0": np.zeros(2)}, ValueError, "b0"),
    ],
)
def test_train_softmax_regression_validates(kwargs, error, match):
    args = {
        "X": np.ones((4, 2)),
        "y": np.array([0, 1, 2, 1]),
        "lr": 0.1,
        "epochs": 3,
        "W0": np.zeros((2, 3)),
        "b0": None,
    }
    if "y" in kwargs and kwargs["y"].dtype.kind == "f":
        args["W0"] = None  # the class count comes from y
    args.update(kwargs)
    with pytest.raises(error, match=match):
        xl.training.train_softmax_regression(**args)


# ------------------------------------------------------------------ training_step


def test_training_step_accepts_the_reference_solution():
    result = xl.check.training_step(solution_function(NOTEBOOK, "training_step"))
    assert result.status == "passed", result.message


def _grad(X, y, W, b):
    Q = xl.softmax(X @ W + b, axis=1)
    return (Q - np.eye(W.shape[1])[y]) / len(y)


def step_uphill(X, y, W, b, lr):
    G = _grad(X, y, W, b)
    return W + lr * X.T @ G, b + lr * G.sum(axis=0)


def step_no_mean(X, y, W, b, lr):
    G = _grad(X, y, W, b) * len(y)
    return W - lr * X.T @ G, b - lr * G.sum(axis=0)


def step_no_bias(X, y, W, b, lr):
    G = _grad(X, y, W, b)
    return W - lr * X.T @ G, b


def step_bias_wrong_axis(X, y, W, b, lr):
    G = _grad(X, y, W, b)
    return W - lr * X.T @ G, b - lr * G.sum(axis=1)


@pytest.mark.parametrize(
    ("wrong", "words"),
    [
        (step_uphill, ["one sample", "uphill"]),
        (step_no_mean, ["a batch", "N times too big"]),
        (step_no_bias, ["new b", "b did not move"]),
        (step_bias_wrong_axis, ["new b", "did not move", "axis=0"]),  # rows of G sum to 0
    ],
)
def test_training_step_names_the_mistake(wrong, words):
    result = xl.check.training_step(wrong)
    assert result.status == "failed"
    for word in words:
        assert word in result.message, result.message


def test_training_step_stub_is_not_attempted():
    def stub(X, y, W, b, lr):
        raise NotImplementedError

    assert xl.check.training_step(stub).status == "not attempted"


# ------------------------------------------------------------------ learning_rate


def test_learning_rate_accepts_the_reference_solution():
    fn = solution_function(NOTEBOOK, "choose_learning_rate")
    result = xl.check.learning_rate(fn)
    assert result.status == "passed", result.message
    # The checker really trains: the reported loss is the trainer's.
    X, y = xl.training.make_three_blobs(50, seed=0)
    final = xl.training.train_softmax_regression(X, y, fn(), 10).loss[-1]
    assert final < 0.19
    assert f"{final:.3f} nats after 10 steps" in result.message


@pytest.mark.parametrize(
    ("lr", "words"),
    [
        (0.01, ["Too small"]),
        (1.0, ["Too small", "0.197"]),  # close, but not in time
        (10.0, ["Too large", "over-confident"]),
        (100.0, ["Too large", "went UP at step 1"]),
    ],
)
def test_learning_rate_says_which_way_to_go(lr, words):
    result = xl.check.learning_rate(lambda: lr)
    assert result.status == "failed"
    for word in words:
        assert word in result.message, result.message


@pytest.mark.parametrize("answer", [-1.0, 0.0, float("nan"), "fast", [0.5]])
def test_learning_rate_rejects_non_rates(answer):
    result = xl.check.learning_rate(lambda: answer)
    assert result.status == "failed"
    assert "positive" in result.message


def test_learning_rate_stub_is_not_attempted():
    def stub():
        raise NotImplementedError

    assert xl.check.learning_rate(stub).status == "not attempted"


# ------------------------------------------------------------------------- widget


def test_training_explorer_follows_epoch_and_learning_rate():
    w = xl.widgets.training_explorer(epoch=0, lr=0.1, learning_rates=(0.1, 100.0), epochs=30)
    slow, wild = w.histories[0.1], w.histories[100.0]
    image_0 = np.array(w.artists["regions"].get_array())

    w.controls["epoch"].value = 30
    assert w.artists["loss_marker"].get_xdata()[0] == 30
    assert w.artists["loss_marker"].get_ydata()[0] == slow.loss[30]
    assert w.artists["accuracy_marker"].get_ydata()[0] == slow.accuracy[30]
    assert list(w.artists["epoch_line"].get_xdata()) == [30, 30]
    image_30 = np.array(w.artists["regions"].get_array())
    assert not np.allclose(image_0, image_30)  # the regions took colour
    assert w.readout_text == (
        f"lr = 0.1, epoch 30: loss {slow.loss[30]:.3f} nats, "
        f"accuracy {100 * slow.accuracy[30]:.1f}%"
    )

    w.controls["lr"].value = 100.0
    np.testing.assert_array_equal(w.artists["loss"].get_ydata(), wild.loss)
    np.testing.assert_array_equal(w.artists["accuracy"].get_ydata(), wild.accuracy)
    assert w.artists["loss_marker"].get_ydata()[0] == wild.loss[30]
    assert w.artists["loss"].axes.get_ylim()[1] == pytest.approx(1.05 * wild.loss.max())
    assert w.readout_text.startswith("lr = 100, epoch 30")


def test_training_explorer_rejects_an_unknown_learning_rate():
    with pytest.raises(ValueError, match="learning_rates"):
        xl.widgets.training_explorer(lr=0.5, learning_rates=(0.1, 1.0), epochs=5)


# -------------------------------------------------------------------------- plots


def test_decision_regions_colours_the_predicted_class():
    ax = Figure().subplots()
    X = np.array([[-2.0, 0.0], [2.0, 0.0], [0.0, 3.0]])
    y = np.array([0, 1, 2])
    W = 10 * np.array([[-1.0, 1.0, 0.0], [0.0, 0.0, 1.0]])  # very confident
    b = np.zeros(3)
    art = xl.plots.decision_regions(ax, W, b, X, y, extent=(-3, 3, -3, 3), resolution=21)
    image = art["regions"].get_array()
    assert image.shape == (21, 21, 3)
    np.testing.assert_allclose(art["points"][1].get_offsets(), [[2.0, 0.0]])
    # Far left (row 10 = y 0, column 0 = x -3) is confidently class 0: close to its colour.
    blue = np.array([int(xl.style.CLASS_COLORS[0][i : i + 2], 16) / 255 for i in (1, 3, 5)])
    expected = 1 - 0.55 + 0.55 * blue  # the strongest tint
    np.testing.assert_allclose(image[10, 0], expected, atol=0.02)
    # Far right is class 1, top is class 2.
    assert np.argmin(image[10, 20]) != np.argmin(image[10, 0])
    np.testing.assert_array_equal(image, xl.plots.region_image(W, b, (-3, 3, -3, 3), resolution=21))


def test_training_curves_returns_lines_and_markers():
    ax = Figure().subplots()
    loss, acc = [1.1, 0.6, 0.4, 0.35], [0.3, 0.9, 0.95, 0.95]
    art = xl.plots.training_curves(ax, loss, acc, epoch=2)
    assert list(art["loss"].get_ydata()) == loss
    assert list(art["accuracy"].get_ydata()) == acc
    assert art["loss_marker"].get_ydata()[0] == 0.4
    assert art["accuracy_marker"].get_ydata()[0] == 0.95
    assert art["accuracy"].axes is art["accuracy_axis"]
    hidden = xl.plots.training_curves(Figure().subplots(), loss, acc)
    assert not hidden["loss_marker"].get_visible()


def test_training_explorer_blitted_frame_matches_a_full_drawing():
    import io

    from PIL import Image

    w = xl.widgets.training_explorer(epoch=3, lr=0.1, learning_rates=(0.1, 10.0), epochs=12)
    w.controls["lr"].value = 10.0  # a cached background of another run
    w.controls["epoch"].value = 9  # then a blitted move
    blitted = np.asarray(Image.open(io.BytesIO(w.image.value)).convert("RGB"), dtype=float)
    buffer = io.BytesIO()
    w.figure.savefig(buffer, format="png", dpi=w.figure.dpi)  # draws everything afresh
    full = np.asarray(Image.open(buffer).convert("RGB"), dtype=float)
    assert blitted.shape == full.shape
    assert np.abs(blitted - full).mean() < 0.5


def test_training_curves_draw_held_out_curves_beside_the_training_ones():
    ax = Figure().subplots()
    loss, acc = [1.1, 0.6, 0.4], [0.3, 0.9, 0.95]
    test_loss, test_acc = [1.1, 0.7, 1.3], [0.3, 0.85, 0.9]
    art = xl.plots.training_curves(ax, loss, acc, test_loss=test_loss, test_accuracy=test_acc)
    assert list(art["test_loss"].get_ydata()) == test_loss
    assert list(art["test_accuracy"].get_ydata()) == test_acc
    assert art["test_loss"].get_color() == art["loss"].get_color()
    assert art["test_accuracy"].axes is art["accuracy_axis"]
    assert ax.get_ylim()[1] == pytest.approx(1.05 * 1.3)  # room for the held-out curve too
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["train loss", "held-out loss", "train accuracy", "held-out accuracy"]
    plain = xl.plots.training_curves(Figure().subplots(), loss, acc)
    assert plain["test_loss"] is None
    with pytest.raises(ValueError, match="both test_loss and test_accuracy"):
        xl.plots.training_curves(Figure().subplots(), loss, acc, test_loss=test_loss)
    with pytest.raises(ValueError, match="shape"):
        xl.plots.training_curves(Figure().subplots(), loss, acc, test_loss=[1.0], test_accuracy=[1.0])


def test_region_image_is_fine_enough_and_matches_softmax():
    W = np.array([[1.0, -2.0, 0.5], [0.3, 0.2, -1.0]])
    b = np.array([0.1, -0.2, 0.0])
    image = xl.plots.region_image(W, b, (-3, 3, -2, 2))
    assert image.shape == (300, 300, 3)  # 150 showed stair steps along the borders
    small = xl.plots.region_image(W, b, (-3, 3, -2, 2), resolution=7)
    xs, ys = np.linspace(-3, 3, 7), np.linspace(-2, 2, 7)
    q = xl.softmax(np.array([[x, y] for y in ys for x in xs]) @ W + b, axis=1)
    strength = 0.1 + 0.45 * (q.max(axis=1) - 1 / 3) / (2 / 3)
    colors = np.array([[int(c[i : i + 2], 16) / 255 for i in (1, 3, 5)] for c in xl.style.CLASS_COLORS[:3]])
    expected = (1 - strength)[:, None] + strength[:, None] * colors[q.argmax(axis=1)]
    np.testing.assert_allclose(small.reshape(-1, 3), expected, atol=1e-12)


def test_training_explorer_says_one_update_not_one_updates():
    w = xl.widgets.training_explorer(epoch=0, lr=0.1, learning_rates=(0.1,), epochs=3)
    w.controls["epoch"].value = 1
    assert w.figure.axes[0].get_title() == "decision regions after 1 update"
    w.controls["epoch"].value = 2
    assert w.figure.axes[0].get_title() == "decision regions after 2 updates"


@pytest.mark.parametrize(
    "figure",
    [
        "ln 3 = 1.0986 nats",  # the first loss of uniform predictions
        "all-zero weights:  loss 1.0986 nats",
        "  200      0.1833     0.1983     94.0%     94.0%",  # train and held out, side by side
        "after 1000 steps: size of W  3.42",  # overlapping clouds: the weights settle
        "after 1000 steps: size of W  5.15",  # separable clouds: they keep growing
    ],
)
def test_published_figures_are_printed_in_the_solution_notebook(figure):
    from pathlib import Path

    import nbformat

    root = Path(__file__).resolve().parents[1]
    nb = nbformat.read(root / "notebooks" / "solutions" / f"{NOTEBOOK}.ipynb", as_version=4)
    printed = "".join(
        o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
    )
    assert figure in printed


# -------------------------------------------- wrong answers that used to pass, or were misnamed


def _G(X, y, W, b):
    return (xl.softmax(X @ W + b, axis=1) - np.eye(W.shape[1])[y]) / len(y)


def step_in_place(X, y, W, b, lr):
    G = _G(X, y, W, b)
    W -= lr * X.T @ G  # the caller's W
    b -= lr * G.sum(axis=0)
    return W, b


@pytest.mark.parametrize(
    ("wrong", "words"),
    [
        (step_in_place, ["changed its argument `W` in place", "(and also `b`)", "next training step"]),
        (lambda X, y, W, b, lr: (W - X.T @ _G(X, y, W, b), b - _G(X, y, W, b).sum(axis=0)),
         ["divided by 0.5, and 0.5 is one of the inputs", "not scaled by the learning rate"]),
        (lambda X, y, W, b, lr: (W - lr * X.T @ _G(X, y, W, b), b - lr * _G(X, y, W, b).mean(axis=0)),
         ["a batch", "G.mean(axis=0)", "divides by N twice"]),
        (lambda X, y, W, b, lr: (W - lr * X.T @ _G(X, y, W, 0 * b), b - lr * _G(X, y, W, 0 * b).sum(axis=0)),
         ["a batch", "The logits left out the bias"]),
        (lambda X, y, W, b, lr: (b - lr * _G(X, y, W, b).sum(axis=0), W - lr * X.T @ _G(X, y, W, b)),
         ["the results are in the wrong order", "`return new W, new b`"]),
        (lambda X, y, W, b, lr: (W - lr * _G(X, y, W, b).T @ X, b - lr * _G(X, y, W, b).sum(axis=0)),
         ["ValueError", "the transpose of the other"]),
    ],
)
def test_training_step_catches_and_names_more_mistakes(wrong, words):
    result = xl.check.training_step(wrong)
    assert result.status == "failed", result.message
    for word in words:
        assert word in result.message, (word, result.message)


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        (6e307, ["lr = 6e+307", "the weights overflow", "Far too large"]),
        (1e308, ["the weights overflow"]),
        (1e300, ["Too large", "4.65e+298"]),  # huge losses in a readable form
        ("2.0", ["got text, '2.0'", "one positive number"]),
    ],
)
def test_learning_rate_reports_absurd_rates_without_a_crash(answer, words):
    result = xl.check.learning_rate(lambda: answer)
    assert result.status == "failed", result.message
    for word in words:
        assert word in result.message, (word, result.message)


def test_learning_rate_accepts_a_number_in_any_numeric_type():
    torch = pytest.importorskip("torch")
    for answer in (np.float32(2.0), np.array(2.0), torch.tensor(2.0, requires_grad=True)):
        assert xl.check.learning_rate(lambda answer=answer: answer).passed
    assert xl.check.learning_rate(lambda: True).status == "failed"


def test_training_explorer_paints_the_regions_as_region_image_does():
    """The widget's faster painter (RGBA, a colour table) shows region_image's picture."""
    from xent_lessons.widgets.training import _RegionPainter

    W = np.array([[1.0, -2.0, 0.5], [0.3, 0.2, -1.0]])
    b = np.array([0.1, -0.2, 0.0])
    extent = (-3.0, 3.0, -2.0, 2.0)
    painted = _RegionPainter(extent, 300, 3)(W, b)
    assert painted.dtype == np.float32 and painted.shape == (300, 300, 4)
    exact = xl.plots.region_image(W, b, extent)
    assert np.abs(painted[..., :3] - exact).max() <= 0.25 / 255  # a quarter of an 8-bit step
    assert np.all(painted[..., 3] == 1)
