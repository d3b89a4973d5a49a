"""Plots of lesson 07: a classifier's decision regions and its training curves."""

from __future__ import annotations

import numpy as np

from .. import style

__all__ = ["decision_regions", "region_image", "training_curves"]

CLASS_MARKERS = ("o", "s", "^", "D", "v", "P")


def _rgb(hex_color: str) -> np.ndarray:
    hex_color = hex_color.lstrip("#")
    return np.array([int(hex_color[i : i + 2], 16) / 255 for i in (0, 2, 4)])


# Pixels along each side of a decision-region image: fine enough that the borders between
# regions look straight (150 showed stair steps), cheap enough (about 15 ms) for a widget.
REGION_RESOLUTION = 300


def region_image(W, b, extent, resolution=REGION_RESOLUTION):
    """The picture behind :func:`decision_regions`: each pixel coloured by its predicted class.

    Parameters
    ----------
    W : array_like, shape (2, C)
        Weights of a softmax-regression model on 2-D inputs (logits ``x @ W + b``).
    b : array_like, shape (C,)
        Its biases.
    extent : tuple of 4 floats
        ``(x_min, x_max, y_min, y_max)`` of the region to colour.
    resolution : int, optional
        Pixels along each side (default 300).

    Returns
    -------
    ndarray, shape (resolution, resolution, 3)
        RGB values in [0, 1], row 0 at ``y_min`` (``imshow(..., origin="lower")``). Each
        pixel has the colour of its most probable class (``style.CLASS_COLORS``), blended
        with white: pale where the model is unsure (the largest probability near 1/C),
        strong where it is confident.

    Examples
    --------
    >>> img = region_image(np.zeros((2, 3)), np.zeros(3), (-1, 1, -1, 1), resolution=4)
    >>> img.shape
    (4, 4, 3)
    >>> bool(img.min() > 0.8)  # all-zero weights: unsure everywhere, so nearly white
    True
    """
    W = np.asarray(W, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if W.ndim != 2 or W.shape[0] != 2:
        raise ValueError(f"W must have shape (2, C) for 2-D inputs; got {W.shape}")
    n_classes = W.shape[1]
    if b.shape != (n_classes,):
        raise ValueError(f"b must have shape ({n_classes},); got {b.shape}")
    if n_classes > len(style.CLASS_COLORS):
        raise ValueError(f"at most {len(style.CLASS_COLORS)} classes can be coloured")
    x0, x1, y0, y1 = (float(v) for v in extent)
    xs = np.linspace(x0, x1, resolution)
    ys = np.linspace(y0, y1, resolution)
    # The logits of every pixel, shape (rows = y, columns = x, C): x W[0] + y W[1] + b.
    z = xs[None, :, None] * W[0] + ys[:, None, None] * W[1] + b
    winner = np.argmax(z, axis=-1)
    # Only the winner's probability is needed: max softmax = 1 / sum_c exp(z_c - z_max).
    z_max = np.take_along_axis(z, winner[..., None], axis=-1)
    q_max = 1.0 / np.exp(z - z_max).sum(axis=-1)
    confidence = (q_max - 1 / n_classes) / (1 - 1 / n_classes)  # 0 unsure .. 1 sure
    strength = (0.1 + 0.45 * confidence)[..., None]
    colors = np.array([_rgb(c) for c in style.CLASS_COLORS[:n_classes]])
    return (1 - strength) + strength * colors[winner]


def decision_regions(ax, W, b, X, y, extent=None, resolution=REGION_RESOLUTION, class_names=None):
    """Colour the plane by the class a softmax-regression model predicts; draw the data on top.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    W, b : array_like
        The model: weights of shape (2, C) and biases of shape (C,).
    X : array_like, shape (N, 2)
        The points.
    y : array_like of int, shape (N,)
        Their classes.
    extent : tuple of 4 floats, optional
        ``(x_min, x_max, y_min, y_max)``; default: the data's range plus a margin of 1.
    resolution : int, optional
        Pixels along each side of the region image (default 300).
    class_names : sequence of str, optional
        Legend labels (default ``"class 0"``, ``"class 1"``, ...).

    Returns
    -------
    dict
        ``"regions"`` (the ``AxesImage``; update it with ``set_data(region_image(...))``),
        ``"points"`` (one ``PathCollection`` per class), ``"extent"`` and ``"resolution"``.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> X = np.array([[0.0, 1.0], [1.0, 0.0]])
    >>> art = decision_regions(ax, np.eye(2), np.zeros(2), X, [0, 1], resolution=10)
    >>> art["regions"].get_array().shape, len(art["points"])
    ((10, 10, 3), 2)
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    W = np.asarray(W, dtype=np.float64)
    n_classes = W.shape[1] if W.ndim == 2 else 0
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"X must have shape (N, 2); got {X.shape}")
    if y.shape != (X.shape[0],):
        raise ValueError(f"y must have shape ({X.shape[0]},); got {y.shape}")
    if extent is None:
        lo, hi = X.min(axis=0) - 1.0, X.max(axis=0) + 1.0
        extent = (lo[0], hi[0], lo[1], hi[1])
    extent = tuple(float(v) for v in extent)
    image = ax.imshow(
        region_image(W, b, extent, resolution),
        origin="lower",
        extent=extent,
        interpolation="bilinear",
        aspect="auto",
        zorder=0,
    )
    names = class_names or [f"class {c}" for c in range(n_classes)]
    points = []
    for c in range(n_classes):
        pts = X[y == c]
        points.append(
            ax.scatter(
                pts[:, 0],
                pts[:, 1],
                s=22,
                color=style.CLASS_COLORS[c],
                marker=CLASS_MARKERS[c % len(CLASS_MARKERS)],
                edgecolors="black",
                linewidths=0.4,
                label=names[c],
                zorder=2,
            )
        )
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    style.label_axes(ax, "feature $x_1$", "feature $x_2$")
    ax.grid(False)
    ax.legend(loc="upper right", fontsize="small", framealpha=0.9)
    return {"regions": image, "points": points, "extent": extent, "resolution": resolution}


def training_curves(ax, loss, accuracy, epoch=None, test_loss=None, test_accuracy=None):
    """Loss (left axis, nats) and accuracy (right axis) against the epoch, train and held-out.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw the loss; a twin axis on the right gets the accuracy.
    loss : array_like, shape (E + 1,)
        Mean cross-entropy on the training data after 0, 1, ..., E updates.
    accuracy : array_like, shape (E + 1,)
        Fraction correct on the training data after each update, in [0, 1].
    epoch : int, optional
        Mark this epoch (a vertical line and a dot on each training curve); default: no mark.
    test_loss, test_accuracy : array_like, shape (E + 1,), optional
        The same on held-out data the model never trained on: drawn in the same colours,
        dotted, with open markers. Give both or neither.

    Returns
    -------
    dict
        ``"loss"``, ``"accuracy"`` (the training curves), ``"test_loss"``,
        ``"test_accuracy"`` (the held-out curves, or None), ``"loss_marker"``,
        ``"accuracy_marker"`` (dots), ``"epoch_line"`` (the vertical line) and
        ``"accuracy_axis"`` (the twin axis). Markers are hidden when ``epoch`` is None; move
        them with ``set_data``.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> art = training_curves(ax, [1.1, 0.5, 0.3], [0.3, 0.9, 0.9], epoch=1)
    >>> art["loss"].get_ydata().tolist(), art["loss_marker"].get_ydata().tolist()
    ([1.1, 0.5, 0.3], [0.5])
    >>> art = training_curves(Figure().subplots(), [1.1, 0.5], [0.3, 0.9], None, [1.1, 0.6], [0.3, 0.8])
    >>> art["test_loss"].get_ydata().tolist()
    [1.1, 0.6]
    """
    loss = np.asarray(loss, dtype=np.float64)
    accuracy = np.asarray(accuracy, dtype=np.float64)
    if loss.ndim != 1 or loss.shape != accuracy.shape:
        raise ValueError(
            f"loss and accuracy must be 1-D of the same length; got {loss.shape} and "
            f"{accuracy.shape}"
        )
    if (test_loss is None) != (test_accuracy is None):
        raise ValueError("give both test_loss and test_accuracy, or neither")
    held_out = test_loss is not None
    if held_out:
        test_loss = np.asarray(test_loss, dtype=np.float64)
        test_accuracy = np.asarray(test_accuracy, dtype=np.float64)
        if test_loss.shape != loss.shape or test_accuracy.shape != loss.shape:
            raise ValueError(
                f"test_loss and test_accuracy must have the training curves' shape {loss.shape}; "
                f"got {test_loss.shape} and {test_accuracy.shape}"
            )
    epochs = np.arange(loss.size)
    loss_color, acc_color = style.EXTRA[3], style.ACCENT
    train = "train " if held_out else ""
    (loss_line,) = ax.plot(epochs, loss, color=loss_color, lw=2, label=f"{train}loss")
    acc_ax = ax.twinx()
    (acc_line,) = acc_ax.plot(
        epochs, accuracy, color=acc_color, lw=2, ls="--", label=f"{train}accuracy"
    )
    handles = [loss_line, acc_line]
    test_loss_line = test_acc_line = None
    if held_out:
        # Open markers every tenth of the run: the held-out curves stay visible even where
        # they lie on the training ones.
        marks = {"mfc": "white", "ms": 5, "markevery": max(loss.size // 10, 1)}
        (test_loss_line,) = ax.plot(
            epochs, test_loss, color=loss_color, lw=1.4, ls=":", marker="o",
            label="held-out loss", **marks,
        )
        (test_acc_line,) = acc_ax.plot(
            epochs, test_accuracy, color=acc_color, lw=1.4, ls=":", marker="s",
            label="held-out accuracy", **marks,
        )
        handles = [loss_line, test_loss_line, acc_line, test_acc_line]
    e = 0 if epoch is None else int(epoch)
    (loss_marker,) = ax.plot([e], [loss[e]], "o", color=loss_color, ms=7, zorder=3)
    (acc_marker,) = acc_ax.plot([e], [accuracy[e]], "o", color=acc_color, ms=7, zorder=3)
    epoch_line = ax.axvline(e, color=style.NEUTRAL, lw=1, ls=":")
    for artist in (loss_marker, acc_marker, epoch_line):
        artist.set_visible(epoch is not None)
    style.label_axes(ax, "epoch (full-batch updates)", "mean cross-entropy (nats)")
    ax.yaxis.label.set_color(loss_color)
    last = max(loss.size - 1, 1)
    ax.set_xlim(-0.02 * last, 1.02 * last)
    top = max(float(loss.max()), float(test_loss.max()) if held_out else 0.0)
    ax.set_ylim(0, 1.05 * top)
    acc_ax.set_ylim(0, 1.02)
    acc_ax.set_ylabel("accuracy (fraction correct)", color=acc_color)
    acc_ax.tick_params(axis="y", colors=acc_color)
    ax.legend(handles, [h.get_label() for h in handles], loc="center right", fontsize="small")
    return {
        "loss": loss_line,
        "accuracy": acc_line,
        "test_loss": test_loss_line,
        "test_accuracy": test_acc_line,
        "loss_marker": loss_marker,
        "accuracy_marker": acc_marker,
        "epoch_line": epoch_line,
        "accuracy_axis": acc_ax,
    }
