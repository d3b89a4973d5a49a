"""Widget of lesson 14: the focal loss's γ and α, its loss, its gradient and what it rewards."""

from __future__ import annotations

import numpy as np

from .. import style
from ._figure_widget import FigureWidget, new_figure

__all__ = ["focal_loss_explorer"]

P_GRID = np.linspace(0.0, 1.0, 51)  # true probabilities for the q*(p) panel


def focal_loss_explorer(gamma=2.0, alpha=0.25):
    r"""Sliders for the focal loss's :math:`\gamma` and :math:`\alpha`; three panels move.

    Left: the loss of a positive (weight :math:`\alpha`) and of a negative (weight
    :math:`1 - \alpha`) against :math:`p_t`, with cross-entropy for reference. Middle: how
    hard each pushes its logit, :math:`-\partial \ell / \partial x_t`. Right: the forecast
    :math:`q^*(p)` the loss rewards when the true probability is :math:`p`; a proper scoring
    rule would follow the diagonal.

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

    from ..focal import focal_optimal_forecast
    from ..plots.choosing_a_loss import _focal_axes, _pt_grid, focal_values

    if not 0.0 <= float(gamma) <= 5.0:
        raise ValueError(f"gamma must be in [0, 5] (the slider's range); got {gamma!r}")
    if not 0.0 <= float(alpha) <= 1.0:
        raise ValueError(f"alpha must be in [0, 1] (the slider's range); got {alpha!r}")
    p_t = _pt_grid(300)
    fig, (ax_l, ax_g, ax_q) = new_figure(1, 3, figsize=(11.0, 3.8))
    artists = {}
    for ax, quantity in ((ax_l, "loss"), (ax_g, "gradient")):
        ax.plot(p_t, focal_values(p_t, 0.0, 1.0, quantity), color=style.NEUTRAL, lw=1.5,
                ls="--", label="cross-entropy")
        artists[f"{quantity[:4]}_positive"] = ax.plot(
            p_t, p_t, color=style.ACCENT, lw=2.2, label="focal, a positive (α)"
        )[0]
        artists[f"{quantity[:4]}_negative"] = ax.plot(
            p_t, p_t, color=style.EXTRA[1], lw=2.2, label="focal, a negative (1 − α)"
        )[0]
        _focal_axes(ax, quantity, None)
        ax.legend(loc="upper right", fontsize="small")
    ax_q.plot([0, 1], [0, 1], color=style.TRUTH, ls="--", lw=1.5, label="proper: $q^* = p$")
    artists["forecast"] = ax_q.plot(P_GRID, P_GRID, color=style.MODEL, lw=2.2,
                                    label="focal loss")[0]
    ax_q.set_xlim(0, 1)
    ax_q.set_ylim(0, 1)
    ax_q.legend(loc="upper left", fontsize="small")
    style.label_axes(ax_q, "true probability $p$", "best forecast $q^*$", "what it rewards")

    def update(gamma, alpha):
        for quantity in ("loss", "gradient"):
            key = quantity[:4]
            artists[f"{key}_positive"].set_ydata(focal_values(p_t, gamma, alpha, quantity))
            artists[f"{key}_negative"].set_ydata(focal_values(p_t, gamma, 1 - alpha, quantity))
        q_star = focal_optimal_forecast(P_GRID, gamma=gamma, alpha=alpha)
        artists["forecast"].set_ydata(q_star)
        easy, hard = focal_values([0.9, 0.1], gamma, alpha)
        ce_easy, ce_hard = focal_values([0.9, 0.1], 0.0, 1.0)
        q_01, q_05 = focal_optimal_forecast([0.1, 0.5], gamma=gamma, alpha=alpha)
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

