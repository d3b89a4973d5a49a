"""Widget of lesson 04, binary cross-entropy: one sample's loss, from a probability or a logit."""

from __future__ import annotations

import numpy as np

from ..activations import sigmoid
from ..losses import binary_cross_entropy_with_logits
from ..plots.binary import (
    _LEGEND_LOC,
    _bce_logit_curve_data,
    _check_label,
    _failure_marks,
    _set_bce_points,
    bce_logit_loss,
    bce_loss_curves,
    naive_bce_with_logits,
)
from ._figure_widget import FigureWidget, new_figure
from ._frames import Every, Values, site_grid

# The logit on the site: steps of 2 where the readout changes (of 1 where float64 gives up,
# near 37), and the ends of the range.
_LOGIT_GRID = (-100.0, -50.0, *(float(z) for z in range(-40, 41, 2)), 33.0, 35.0, 37.0, 39.0, 50.0, 100.0)

__all__ = ["bce_explorer"]


def _fmt(value: float) -> str:
    return f"{value + 0.0:.6g}" if np.isfinite(value) else str(value)  # + 0.0: no "-0"


def _naive_sigmoid32(z: float) -> float:
    """``1 / (1 + exp(-z))`` in float32, as the naive loss computes it (0 or 1 when it rounds)."""
    one = np.float32(1)
    with np.errstate(over="ignore"):
        return float(one / (one + np.exp(np.float32(-z))))


@site_grid(target=Every(), logit=Values(*_LOGIT_GRID))
def bce_explorer(target=1, logit=2.0, z_range=(-100.0, 100.0)) -> FigureWidget:
    r"""One sample's binary cross-entropy: a target toggle and a logit slider.

    Left: the loss against the probability :math:`q = \sigma(z)`, a point on each curve
    (filled on the curve of the current target). Right: the loss against the logit, the
    stable formula and where the naive float32 one gives ``inf`` or ``nan``. The readout
    prints the naive value in float32 and float64 next to the stable one.

    Parameters
    ----------
    target : {0, 1}
        The initial target ``y``.
    logit : float
        The initial logit ``z``.
    z_range : (float, float)
        The range of the logit slider.

    Returns
    -------
    FigureWidget
        Controls ``"target"`` (ToggleButtons) and ``"logit"`` (FloatSlider).

    Examples
    --------
    >>> w = bce_explorer(target=1, logit=0.0)
    >>> w.controls["logit"].value = 20.0
    >>> print(w.readout_text.splitlines()[2])
    naive, float32:  nan
    """
    import ipywidgets as widgets

    target = _check_label(target)
    lo, hi = (float(v) for v in z_range)
    logit = float(np.clip(logit, lo, hi))
    fig, (ax_q, ax_z) = new_figure(1, 2)
    left = bce_loss_curves(ax_q, q=sigmoid(logit), y=target)
    right = bce_logit_loss(ax_z, y=target, z_range=(lo, hi), z=logit, n_points=401)
    grid, top = right["grid"], right["top"]
    curves = {y: _bce_logit_curve_data(grid, y) for y in (0, 1)}
    artists = {
        **{k: v for k, v in left.items() if k != "y_max"},
        "stable": right["stable"],
        "naive": right["naive"],
        "failures": right["failures"],
        "point": right["point"],
    }

    controls = {
        "target": widgets.ToggleButtons(
            options=[("y = 0", 0), ("y = 1", 1)],
            value=target,
            description="target",
            style={"button_width": "60px"},
        ),
        "logit": widgets.FloatSlider(
            value=logit,
            min=lo,
            max=hi,
            step=0.5,
            description="logit z",
            continuous_update=True,
            readout_format=".1f",
        ),
    }
    state = {"target": None}

    def update(target, logit):
        y = int(target)
        z = float(logit)
        q = sigmoid(z)
        _set_bce_points(left, q, y)
        if state["target"] != y:  # the right panel's curves change only with the target
            state["target"] = y
            right["stable"].set_ydata(curves[y]["stable"])
            right["stable"].set_color(left[f"curve_{y}"].get_color())
            # The legend draws its own copy of the line: recolour it too.
            right["legend"].get_lines()[0].set_color(left[f"curve_{y}"].get_color())
            right["naive"].set_ydata(curves[y]["naive"])
            right["failures"].set_data(*_failure_marks(grid, curves[y]["naive"], top))
            right["legend"].set_loc(_LEGEND_LOC[y])
            right["title"].set_text(f"From logits, target y = {y}")
        stable = float(binary_cross_entropy_with_logits([z], [float(y)], reduction="sum"))
        right["point"].set_data([z], [stable])
        naive32 = float(naive_bce_with_logits([z], y, np.float32)[0])
        naive64 = float(naive_bce_with_logits([z], y, np.float64)[0])
        return (
            f"y = {y}, z = {z:.1f}  ->  q = sigmoid(z) = {q:.12g}"
            f" (float32: {_naive_sigmoid32(z):.9g})\n"
            "loss of this sample, in nats:\n"
            f"naive, float32:  {_fmt(naive32)}\n"
            f"naive, float64:  {_fmt(naive64)}\n"
            f"stable formula:  {_fmt(stable)}"
            "   (max(z, 0) - z*y + log1p(exp(-|z|)))"
        )

    # What moves (the markers; with the target toggle also the right panel's curves, legend
    # and title) is redrawn over a saved picture of the rest: the axes and their tick labels
    # are drawn once (blitting).
    moving = [
        left["point_0"],
        left["point_1"],
        left["guide"],
        right["stable"],
        right["naive"],
        right["failures"],
        right["legend"],
        right["title"],
        right["point"],
    ]
    widget = FigureWidget(
        "binary cross-entropy of one sample: target toggle and logit slider",
        fig,
        controls,
        update,
        artists,
        moving=moving,
    )
    return widget
