"""Widget of lesson 14: the focal loss's γ and α, its loss, its gradient and what it rewards."""

from __future__ import annotations

import numpy as np

from ._figure_widget import FigureWidget, new_figure
from ._frames import Values, site_grid

_GAMMA_GRID = tuple(round(0.25 * k, 2) for k in range(21))  # gamma on the site

__all__ = ["focal_loss_explorer"]

_UNDER_THE_CURVES = 1.9  # a zorder above the grid (0.5), below the curves (2)


@site_grid(gamma=Values(*_GAMMA_GRID), alpha=Values(0.0, 0.25, 0.5, 1.0))
def focal_loss_explorer(gamma=2.0, alpha=0.25):
    r"""Sliders for the focal loss's :math:`\gamma` and :math:`\alpha`; three panels move.

    The panels of :func:`~xent_lessons.plots.choosing_a_loss.focal_loss_panels`: the loss of a
    positive and of a negative against :math:`p_t` (cross-entropy dashed), how hard each
    pushes its logit, and the forecast :math:`q^*(p)` the loss rewards when the true
    probability is :math:`p` (a proper scoring rule would follow the diagonal).

    Parameters
    ----------
    gamma : float, optional
        :math:`\gamma`, in [0, 5].
    alpha : float, optional
        :math:`\alpha`, in [0, 1] (0.5 weighs both classes the same).

    Returns
    -------
    FigureWidget
        Controls ``"gamma"`` and ``"alpha"``; artists ``"loss_positive"``,
        ``"loss_negative"``, ``"grad_positive"``, ``"grad_negative"``, ``"forecast"``.

    Examples
    --------
    >>> w = focal_loss_explorer()
    >>> print(w.readout_text)
    γ = 2.0, α = 0.25   an easy positive (p_t = 0.9) costs 0.00026 nats (cross-entropy: 0.105, 400× more)
    a hard positive (p_t = 0.1) costs 0.466 nats (cross-entropy: 2.303, 4.9× more)
    true p = 0.1 → the focal loss's best forecast q* = 0.227;  p = 0.5 → q* = 0.399
    """
    import ipywidgets as widgets

    from ..plots.choosing_a_loss import (
        P_GRID,
        focal_loss_panels,
        focal_values,
        set_focal_loss_panels,
    )

    if not 0.0 <= float(gamma) <= 5.0:
        raise ValueError(f"gamma must be in [0, 5] (the slider's range); got {gamma!r}")
    if not 0.0 <= float(alpha) <= 1.0:
        raise ValueError(f"alpha must be in [0, 1] (the slider's range); got {alpha!r}")
    fig, axes = new_figure(1, 3, figsize=(9.6, 3.6))
    artists = focal_loss_panels(axes, gamma, alpha)
    # A speed trick with the same pixels: the loss and gradient curves never reach the
    # legends in their panels' upper right (the tests check it over the sliders' range), so
    # those legends may be drawn under the curves instead of over them. They then stay in the
    # blitted background, instead of being drawn again (their text) on every move.
    for ax in axes[:2]:
        ax.get_legend().set_zorder(_UNDER_THE_CURVES)
    ce_easy, ce_hard = focal_values([0.9, 0.1], 0.0, 1.0)  # cross-entropy: no slider moves it
    # The readout's two best forecasts are points of the q*(p) curve (its grid holds p = 0.1
    # and 0.5): read off the curve, not found by a second bisection.
    at_01, at_05 = (int(np.flatnonzero(P_GRID == p)[0]) for p in (0.1, 0.5))

    def update(gamma, alpha):
        set_focal_loss_panels(artists, gamma, alpha)
        easy, hard = focal_values([0.9, 0.1], gamma, alpha)
        forecast = artists["forecast"].get_ydata()
        q_01, q_05 = forecast[at_01], forecast[at_05]
        return (
            f"γ = {gamma:.1f}, α = {alpha:.2f}   an easy positive (p_t = 0.9) costs "
            f"{easy:.2g} nats (cross-entropy: {ce_easy:.3f}, {_times(ce_easy, easy)} more)\n"
            f"a hard positive (p_t = 0.1) costs {hard:.3g} nats (cross-entropy: "
            f"{ce_hard:.3f}, {_times(ce_hard, hard)} more)\n"
            f"true p = 0.1 → the focal loss's best forecast q* = {q_01:.3f};  "
            f"p = 0.5 → q* = {q_05:.3f}"
        )

    slider = {"layout": widgets.Layout(width="300px"), "style": {"description_width": "initial"}}
    controls = {
        "gamma": widgets.FloatSlider(
            value=float(gamma), min=0.0, max=5.0, step=0.1, description="focusing γ",
            readout_format=".1f", **slider,
        ),
        "alpha": widgets.FloatSlider(
            value=float(alpha), min=0.0, max=1.0, step=0.05, description="weight of positives α",
            readout_format=".2f", **slider,
        ),
    }
    moving = [artists[k] for k in ("loss_positive", "loss_negative", "grad_positive",
                                   "grad_negative", "forecast")]
    return FigureWidget("the focal loss: γ and α", fig, controls, update, artists, moving)


def _times(big, small):
    """How many times ``big`` is ``small``, for the readout (``inf`` when small is 0)."""
    if small <= 0:
        return "∞×"
    ratio = big / small
    return f"{ratio:.0f}×" if ratio >= 10 else f"{ratio:.1f}×"

