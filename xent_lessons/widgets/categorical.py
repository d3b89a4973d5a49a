"""Widget of lesson 05, categorical cross-entropy: logits, a target class and label smoothing."""

from __future__ import annotations

import numpy as np

from .._validation import check_unit_scalar
from ..activations import softmax
from ..losses import categorical_cross_entropy
from ..plots.categorical import _contributions, ce_contribution_bars, ce_target_model_bars
from ._figure_widget import FigureWidget, new_figure
from ._frames import Every, Values, site_grid

__all__ = ["categorical_ce_explorer"]

LOGIT_RANGE = (-8.0, 8.0)
# The loss axis jumps between these tops (nats), so it changes, and the whole figure is
# redrawn, only when a bar outgrows the current one.
LOSS_AXIS_TOPS = (1.0, 2.0, 5.0, 10.0, 20.0)


def _loss_axis_top(largest: float) -> float:
    for top in LOSS_AXIS_TOPS:
        if 1.05 * largest <= top:
            return top
    return 1.1 * largest


def smoothed_target(target: int, n_classes: int, label_smoothing: float) -> np.ndarray:
    r"""PyTorch's smoothed target :math:`(1 - \varepsilon)\,\mathrm{onehot}(y) + \varepsilon / C`.

    Parameters
    ----------
    target : int
        The target class.
    n_classes : int
        The number of classes ``C``.
    label_smoothing : float
        :math:`\varepsilon` in [0, 1].

    Returns
    -------
    ndarray
        A distribution over the ``C`` classes.

    Examples
    --------
    >>> smoothed_target(0, 3, 0.3)
    array([0.8, 0.1, 0.1])
    """
    eps = check_unit_scalar(label_smoothing, "label_smoothing")
    if not 0 <= int(target) < n_classes:
        raise ValueError(f"target must be a class index in [0, {n_classes}); got {target!r}")
    y = np.full(n_classes, eps / n_classes)
    y[int(target)] += 1 - eps
    return y


@site_grid(z0=Values(-8.0, 0.0, 2.0, 3.0, 4.0, 8.0), z1=Values(-8.0, 0.5, 3.0, 8.0), target=Every(), label_smoothing=Values(0.0, 0.1, 1.0))
def categorical_ce_explorer(logits=(2.0, 0.5, -1.0), target=0, label_smoothing=0.0):
    r"""Categorical cross-entropy of one sample: logit sliders, a target class, smoothing.

    Left: the target distribution ``y`` (truth colour; one-hot, or smoothed) next to the
    model's :math:`q = \mathrm{softmax}(z)` (model colour). Right: each class's share of the
    loss :math:`-y_c \log q_c`; their sum, the loss, is in the title and the readout.

    Parameters
    ----------
    logits : sequence of float
        The initial logits, one per class (2 to 6 classes), each in [-8, 8].
    target : int
        The initial target class.
    label_smoothing : float
        The initial :math:`\varepsilon` in [0, 1].

    Returns
    -------
    FigureWidget
        Controls ``"z0"``, ``"z1"``, ... (FloatSliders), ``"target"`` (ToggleButtons) and
        ``"label_smoothing"`` (FloatSlider).

    Examples
    --------
    >>> w = categorical_ce_explorer(logits=(0.0, 0.0, 0.0), target=0)
    >>> w.readout_text.splitlines()[-1]
    'loss = -sum_c y_c log q_c = 1.0986 nats   (xl.categorical_cross_entropy: 1.0986)'
    """
    import ipywidgets as widgets

    z0 = np.array([float(v) for v in logits])
    n_classes = z0.size
    if not 2 <= n_classes <= 6:
        raise ValueError(f"logits must have 2 to 6 values (one per class); got {n_classes}")
    z0 = np.clip(z0, *LOGIT_RANGE)
    y0 = smoothed_target(target, n_classes, label_smoothing)
    fig, (ax_bars, ax_loss) = new_figure(1, 2)
    left = ce_target_model_bars(ax_bars, y0, softmax(z0))
    right = ce_contribution_bars(
        ax_loss, y0, softmax(z0), y_max=_loss_axis_top(float(_contributions(y0, softmax(z0)).max()))
    )
    artists = {
        "truth": left["truth"],
        "model": left["model"],
        "shares": right["bars"],
        "title": right["title"],
    }

    controls = {
        f"z{c}": widgets.FloatSlider(
            value=z0[c],
            min=LOGIT_RANGE[0],
            max=LOGIT_RANGE[1],
            step=0.1,
            description=f"z{c}",
            readout_format=".1f",
            layout=widgets.Layout(width="210px"),
            style={"description_width": "24px"},
        )
        for c in range(n_classes)
    }
    controls["target"] = widgets.ToggleButtons(
        options=[(f"class {c}", c) for c in range(n_classes)],
        value=int(target),
        description="target",
        style={"button_width": "62px", "description_width": "40px"},
    )
    controls["label_smoothing"] = widgets.FloatSlider(
        value=float(label_smoothing),
        min=0.0,
        max=1.0,
        step=0.05,
        description="smoothing ε",
        readout_format=".2f",
        style={"description_width": "80px"},
    )

    def update(target, label_smoothing, **zs):
        z = np.array([zs[f"z{c}"] for c in range(n_classes)])
        q = softmax(z)
        y = smoothed_target(target, n_classes, label_smoothing)
        share = _contributions(y, q)
        for bar, h in zip(artists["truth"], y, strict=True):
            bar.set_height(h)
        for bar, h in zip(artists["model"], q, strict=True):
            bar.set_height(h)
        for bar, h in zip(artists["shares"], share, strict=True):
            bar.set_height(h)
        top = _loss_axis_top(float(share.max()))
        if top != ax_loss.get_ylim()[1]:
            ax_loss.set_ylim(0, top)  # its y-axis is a moving artist: redrawn at every update
        loss = float(share.sum())
        artists["title"].set_text(f"loss H(y, q) = {loss:.4f} nats")
        check = categorical_cross_entropy(z, int(target), label_smoothing=float(label_smoothing))
        fmt = {"float_kind": lambda v: f"{v:.3f}"}
        return (
            f"z = {np.array2string(z, formatter=fmt)}  ->  "
            f"q = softmax(z) = {np.array2string(q, formatter=fmt)}\n"
            f"target class {target}, smoothing {label_smoothing:.2f}  ->  "
            f"y = {np.array2string(y, formatter=fmt)}\n"
            f"loss = -sum_c y_c log q_c = {loss:.4f} nats   "
            f"(xl.categorical_cross_entropy: {check:.4f})"
        )

    # The bars, the title and the loss panel's y-axis (whose scale follows the loss) move;
    # the rest (the other axes, ticks and legend) is drawn once and reused (blitting).
    moving = [*artists["truth"], *artists["model"], *artists["shares"], artists["title"],
              ax_loss.yaxis]
    widget = FigureWidget(
        "categorical cross-entropy of one sample: logits, target class and label smoothing",
        fig,
        controls,
        update,
        artists,
        moving=moving,
    )
    return widget
