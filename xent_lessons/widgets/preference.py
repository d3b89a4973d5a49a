"""Widget of lesson 15: DPO's β and label smoothing, the loss and each pair's gradient weight."""

from __future__ import annotations

import numpy as np

from .._validation import as_float_array
from ._figure_widget import FigureWidget, new_figure
from ._frames import Evenly, Values, site_grid

__all__ = ["dpo_margin_explorer"]

BETA_MIN, BETA_MAX = 0.01, 10.0  # the β slider's range (log scale)
BETA_STEP = 0.05  # in log10 units: 61 positions
SMOOTHING_STEP = 0.05

# The static site renders every position of the β slider (the one "Try this" moves) and
# label smoothing in coarser steps (issue 25): 61 x 6 frames.
# The site's grid (issue 25): every other β step (31 of 61, smooth to the eye) and four ε,
# 128 frames, to stay under the site's 6 MB a widget (every step and six ε were 15.6 MB).
@site_grid(beta=Evenly(31), label_smoothing=Values(0.0, 0.1, 0.3, 0.5))
def dpo_margin_explorer(margins=None, beta=0.1, label_smoothing=0.0):
    r"""Sliders for DPO's :math:`\beta` and label smoothing :math:`\varepsilon`; two panels move.

    The panels of :func:`~xent_lessons.plots.preference.dpo_loss_panels`: the loss against
    the log-ratio margin :math:`\Delta` (chosen minus rejected), and the weight each pair
    gets in the gradient, :math:`\beta[(1-\varepsilon)\sigma(-\beta\Delta) -
    \varepsilon\sigma(\beta\Delta)]`, with ticks at the margins of real pairs.

    Parameters
    ----------
    margins : array_like, optional
        Log-ratio margins of some pairs, in nats (default: 200 margins spread over
        [-20, 30], a policy part-way through training).
    beta : float, optional
        In [0.01, 10].
    label_smoothing : float, optional
        In [0, 0.5].

    Returns
    -------
    FigureWidget
        Controls ``"beta"`` and ``"label_smoothing"``; artists ``"loss"``, ``"weight"``,
        ``"pairs_loss"``, ``"pairs_weight"``.

    Examples
    --------
    >>> w = dpo_margin_explorer(margins=[0.0, 10.0])
    >>> print(w.readout_text)
    β = 0.10, ε = 0.00: mean loss of the 2 pairs 0.503 nats (log 2 = 0.693 at Δ = 0); their gradient weights 0.0500 and 0.0269 (largest / smallest 1.9×)
    """
    import ipywidgets as widgets

    from ..plots.preference import dpo_loss_panels, set_dpo_loss_panels

    if not BETA_MIN <= float(beta) <= BETA_MAX:
        raise ValueError(f"beta must be in [{BETA_MIN}, {BETA_MAX}] (the slider's range); got {beta!r}")
    if not 0.0 <= float(label_smoothing) <= 0.5:
        raise ValueError(f"label_smoothing must be in [0, 0.5]; got {label_smoothing!r}")
    if margins is None:
        margins = np.random.default_rng(15).normal(5.0, 8.0, 200)
    margins = as_float_array(margins, "margins").astype(np.float64).ravel()
    if margins.size == 0:
        raise ValueError("margins is empty; pass at least one pair's margin")

    fig, axes = new_figure(1, 2, figsize=(9.6, 3.7))
    artists = dpo_loss_panels(axes, beta, label_smoothing, margins)
    axes[0].set_title("the loss of a pair", fontsize="medium")
    axes[1].set_title("how hard the pair pushes the policy", fontsize="medium")

    def update(beta, label_smoothing):
        loss, weight = set_dpo_loss_panels(artists, beta, label_smoothing)
        hi, lo = weight.max(), weight.min()
        ratio = f"{hi / lo:.3g}×" if lo > 0 else "some pairs push the other way"
        if weight.size == 2:
            shown = f"their gradient weights {weight[0]:.4f} and {weight[1]:.4f}"
        else:
            shown = f"gradient weights from {lo:.2e} to {hi:.2e}"
        return (
            f"β = {beta:.2f}, ε = {label_smoothing:.2f}: mean loss of the {margins.size} pairs "
            f"{loss.mean():.3f} nats (log 2 = 0.693 at Δ = 0); {shown} "
            f"(largest / smallest {ratio})"
        )

    controls = {
        "beta": widgets.FloatLogSlider(
            value=float(beta), base=10, min=np.log10(BETA_MIN), max=np.log10(BETA_MAX),
            step=BETA_STEP, description="β (KL strength)", readout_format=".2f",
            continuous_update=True, style={"description_width": "initial"},
        ),
        "label_smoothing": widgets.FloatSlider(
            value=float(label_smoothing), min=0.0, max=0.5, step=SMOOTHING_STEP,
            description="label smoothing ε", readout_format=".2f", continuous_update=True,
            style={"description_width": "initial"},
        ),
    }
    moving = [artists[k] for k in ("loss", "weight", "pairs_loss", "pairs_weight")]
    return FigureWidget("DPO's β and label smoothing: the loss and the per-pair weight", fig,
                        controls, update,
                        {k: artists[k] for k in ("loss", "weight", "pairs_loss", "pairs_weight")},
                        moving)
