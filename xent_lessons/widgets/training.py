"""Widget of lesson 07: scrub through training and watch the decision regions and the loss."""

from __future__ import annotations

import numpy as np

from ._figure_widget import FigureWidget, new_figure
from ._frames import Every, Values, site_grid

# The epoch on the site: each of the first few, when most happens, then further apart.
_EPOCH_GRID = (0, 1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 30, 40, 50, 60, 80, 100, 125, 150, 175, 200)

__all__ = ["training_explorer"]

LEARNING_RATES = (0.01, 0.1, 1.0, 10.0, 100.0)

# Confidence levels in the colour table of ``_RegionPainter``: a colour is at most
# 0.45 / 2046 of full scale from the exact one, a quarter of a step of 8-bit colour.
_CONFIDENCE_LEVELS = 1024


class _RegionPainter:
    """:func:`~xent_lessons.plots.region_image` as an RGBA image, several times faster.

    A speed trick for the slider; the picture is the same to the eye (each colour within
    a quarter of a step of 8-bit colour). matplotlib scales an RGB image to the screen
    after adding an alpha channel in double precision; a float32 RGBA image is scaled as it
    is, in about 60 % of the time. And the colour of a pixel comes from a table (class,
    confidence level) instead of being blended for each pixel.
    """

    def __init__(self, extent, resolution, n_classes):
        from .. import style
        from ..plots.training import _rgb

        x0, x1, y0, y1 = extent
        self._xs = np.linspace(x0, x1, resolution)[None, :]  # as in region_image
        self._ys = np.linspace(y0, y1, resolution)[:, None]
        self._n_classes = n_classes
        strength = (0.1 + 0.45 * np.linspace(0.0, 1.0, _CONFIDENCE_LEVELS))[None, :, None]
        colors = np.array([_rgb(c) for c in style.CLASS_COLORS[:n_classes]])[:, None, :]
        blended = (1 - strength) + strength * colors  # (class, level, RGB), as in region_image
        opaque = np.ones((*blended.shape[:2], 1))
        rgba = np.concatenate([blended, opaque], axis=-1).astype(np.float32)
        # One 16-byte item per colour, so that a pixel's colour is one ``take``.
        self._table = rgba.reshape(-1, 4).view(np.complex128).ravel()

    def __call__(self, W, b):
        c = self._n_classes
        # The logits of every pixel, one plane per class (numpy is faster along planes).
        z = np.stack([self._xs * W[0, k] + self._ys * W[1, k] + b[k] for k in range(c)])
        winner = z.argmax(axis=0)
        z -= z.max(axis=0)
        q_max = 1.0 / np.exp(z, out=z).sum(axis=0)  # the winner's probability
        confidence = (q_max - 1 / c) / (1 - 1 / c)
        level = np.rint(confidence * (_CONFIDENCE_LEVELS - 1)).astype(np.intp)
        np.clip(level, 0, _CONFIDENCE_LEVELS - 1, out=level)
        pixels = self._table.take(winner * _CONFIDENCE_LEVELS + level)
        return pixels.view(np.float32).reshape(*winner.shape, 4)


def _marks_on_the_accuracy_axis(loss_ax, art_c) -> None:
    """Move the epoch's marks (and the legend over them) to the twin accuracy axis.

    A speed trick: the accuracy axis lies on top of the loss axis, so while marks moved in
    both, every update drew the whole accuracy axis again, its tick labels included. With
    every moving mark on the top axis, only the marks and what covers them are redrawn.
    The picture is the same: the marks keep the loss axis's coordinates and are stacked
    in the same order as before (under the accuracy curve, over the loss curve).
    """
    acc_ax = art_c["accuracy_axis"]
    legend = loss_ax.get_legend()
    handles, labels = legend.legend_handles, [t.get_text() for t in legend.get_texts()]
    legend.remove()
    for zorder, name in ((1.9, "epoch_line"), (1.95, "loss_marker")):
        line = art_c[name]
        line.remove()
        acc_ax.add_line(line)  # keeps its transform: the loss axis's coordinates
        line.set_zorder(zorder)  # under the accuracy curve (zorder 2), as before
    acc_ax.legend(handles, labels, loc="center right", fontsize="small").set_zorder(1.97)


@site_grid(epoch=Values(*_EPOCH_GRID), lr=Every())
def training_explorer(
    epoch=0, lr=0.1, learning_rates=LEARNING_RATES, epochs=200, n_per_class=50, seed=0
):
    """An epoch slider and a learning-rate menu over precomputed softmax-regression runs.

    Every run is trained once, when the widget is built (full-batch gradient descent from
    zero weights on :func:`xent_lessons.training.make_three_blobs`), so moving the slider
    only redraws.

    Parameters
    ----------
    epoch : int, optional
        The starting epoch (0 to ``epochs``).
    lr : float, optional
        The starting learning rate, one of ``learning_rates``.
    learning_rates : sequence of float, optional
        The runs to offer in the menu.
    epochs : int, optional
        Updates per run.
    n_per_class, seed : int, optional
        The data set.

    Returns
    -------
    FigureWidget
        Controls ``"epoch"`` and ``"lr"``; artists ``"regions"`` (the image),
        ``"loss"``, ``"accuracy"`` (curves), ``"loss_marker"``, ``"accuracy_marker"`` and
        ``"epoch_line"``. ``w.histories`` maps each learning rate to its
        :class:`~xent_lessons.training.TrainingHistory`.

    Examples
    --------
    >>> w = training_explorer(epochs=20, learning_rates=(0.1, 1.0), lr=1.0)
    >>> w.controls["epoch"].value = 20
    >>> w.readout_text.startswith("lr = 1")
    True
    """
    import ipywidgets as widgets

    from ..plots.training import decision_regions, training_curves
    from ..training import make_three_blobs, train_softmax_regression

    learning_rates = tuple(float(v) for v in learning_rates)
    if float(lr) not in learning_rates:
        raise ValueError(f"lr must be one of learning_rates {learning_rates}; got {lr}")
    if not 0 <= epoch <= epochs:
        raise ValueError(f"epoch must be in [0, {epochs}]; got {epoch}")
    X, y = make_three_blobs(n_per_class, seed)
    histories = {r: train_softmax_regression(X, y, r, epochs) for r in learning_rates}

    fig, (ax_r, ax_c) = new_figure(1, 2, figsize=(9.0, 3.8))
    first = histories[float(lr)]
    art_r = decision_regions(ax_r, first.weights[epoch], first.biases[epoch], X, y)
    art_c = training_curves(ax_c, first.loss, first.accuracy, epoch=epoch)
    loss_ax = ax_c
    _marks_on_the_accuracy_axis(loss_ax, art_c)
    paint_regions = _RegionPainter(art_r["extent"], art_r["resolution"], first.weights[0].shape[1])
    shown = {"lr": float(lr)}

    controls = {
        "lr": widgets.Dropdown(
            options=[(f"{r:g}", r) for r in learning_rates],
            value=float(lr),
            description="learning rate",
            layout=widgets.Layout(width="220px"),
        ),
        "epoch": widgets.IntSlider(
            value=int(epoch),
            min=0,
            max=int(epochs),
            step=1,
            description="epoch",
            continuous_update=True,
            layout=widgets.Layout(width="420px"),
        ),
    }

    def update(lr, epoch):
        history = histories[float(lr)]
        if float(lr) != shown["lr"]:  # another run: swap the curves and rescale
            art_c["loss"].set_ydata(history.loss)
            art_c["accuracy"].set_ydata(history.accuracy)
            loss_ax.set_ylim(0, 1.05 * float(history.loss.max()))
            shown["lr"] = float(lr)  # the background of this run is drawn once, then kept
        W, b = history.weights[epoch], history.biases[epoch]
        art_r["regions"].set_data(paint_regions(W, b))
        art_c["loss_marker"].set_data([epoch], [history.loss[epoch]])
        art_c["accuracy_marker"].set_data([epoch], [history.accuracy[epoch]])
        art_c["epoch_line"].set_xdata([epoch, epoch])
        updates = "update" if epoch == 1 else "updates"
        ax_r.set_title(f"decision regions after {epoch} {updates}", fontsize="medium")
        return (
            f"lr = {lr:g}, epoch {epoch}: loss {history.loss[epoch]:.3f} nats, "
            f"accuracy {100 * history.accuracy[epoch]:.1f}%"
        )

    moving = [art_r["regions"], *art_r["points"], ax_r.get_legend(), ax_r.title]
    moving += [art_c["epoch_line"], art_c["loss_marker"], art_c["accuracy_marker"]]
    w = FigureWidget(
        "softmax regression, epoch by epoch",
        fig,
        controls,
        update,
        artists={
            "regions": art_r["regions"],
            "loss": art_c["loss"],
            "accuracy": art_c["accuracy"],
            "loss_marker": art_c["loss_marker"],
            "accuracy_marker": art_c["accuracy_marker"],
            "epoch_line": art_c["epoch_line"],
        },
        moving=moving,
        static_key=lambda: shown["lr"],
    )
    # Draw each run's background now, so that every later move is a fast blit: first with
    # the marks at the last epoch too, so that each background leaves out all the places
    # where the marks will go.
    w.controls["epoch"].value = int(epochs)
    w.controls["epoch"].value = int(epoch)
    for r in learning_rates:
        w.controls["lr"].value = r
    w.controls["lr"].value = float(lr)
    w.histories = histories
    return w
