"""Widget of lesson 07: scrub through training and watch the decision regions and the loss."""

from __future__ import annotations

from ._figure_widget import FigureWidget, new_figure
from ._frames import Every, Values, site_grid

# The epoch on the site: each of the first few, when most happens, then further apart.
_EPOCH_GRID = (0, 1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 30, 40, 50, 60, 80, 100, 125, 150, 175, 200)

__all__ = ["training_explorer"]

LEARNING_RATES = (0.01, 0.1, 1.0, 10.0, 100.0)


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

    from ..plots.training import decision_regions, region_image, training_curves
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
        art_r["regions"].set_data(region_image(W, b, art_r["extent"], art_r["resolution"]))
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
    # Draw each run's background now, so that every later move is a fast blit.
    for r in learning_rates:
        w.controls["lr"].value = r
    w.controls["lr"].value = float(lr)
    w.histories = histories
    return w
