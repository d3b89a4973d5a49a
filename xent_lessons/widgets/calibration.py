"""Widget of lesson 10: a temperature slider over held-out logits, redrawing the reliability diagram."""

from __future__ import annotations

import numpy as np

from .._validation import as_float_array, check_positive_scalar
from ._figure_widget import FigureWidget, new_figure
from ._frames import Evenly, site_grid

__all__ = ["temperature_reliability"]

T_MIN, T_MAX = 0.25, 8.0  # the slider's range (log scale)


def _demo_logits():
    """Held-out logits of an over-confident model: the ring mixture's Bayes logits times 3."""
    from ..mixture import ring_mixture

    mix = ring_mixture()
    X, y = mix.sample(3000, seed=11)
    return 3.0 * mix.posterior_logits(X), y


@site_grid(temperature=Evenly(76))
def temperature_reliability(logits=None, target=None, temperature=1.0, n_bins=15, fitted=None):
    """A temperature slider: the reliability diagram of ``softmax(logits / T)`` and its scores.

    Left: accuracy against confidence per bin (the diagonal is perfect calibration). Right:
    where the predictions are (share per bin). The readout gives the NLL, the ECE and the
    Brier score at this ``T``, and the accuracy, which no temperature changes.

    Parameters
    ----------
    logits : array_like, shape (N, C), optional
        Held-out logits (default: an over-confident model on the ring mixture: its Bayes
        logits times 3, so the best temperature is 3).
    target : array_like of int, shape (N,), optional
        Their true classes (required with ``logits``).
    temperature : float, optional
        The starting temperature, in [0.25, 8].
    n_bins : int, optional
        Equal-width bins.
    fitted : float, optional
        A fitted temperature to name in the readout.

    Returns
    -------
    FigureWidget
        Control ``"temperature"``; artists ``"bars"``, ``"gaps"``, ``"hist"``, ``"text"``.

    Examples
    --------
    >>> w = temperature_reliability()
    >>> w.controls["temperature"].value = 3.0
    >>> w.readout_text.split(":")[0]
    'T = 3.00'
    """
    import ipywidgets as widgets

    from ..activations import softmax
    from ..calibration import brier_score
    from ..losses import categorical_cross_entropy
    from ..plots.calibration import reliability_diagram, update_reliability_diagram

    if logits is None:
        if target is not None:
            raise ValueError("target needs its logits: pass both, or neither for the demo data")
        z, y = _demo_logits()
    else:
        if target is None:
            raise ValueError("pass target, the true classes of the logits' rows")
        z = as_float_array(logits, "logits").astype(np.float64)
        y = np.asarray(target)
        if z.ndim != 2 or y.shape != (z.shape[0],):
            raise ValueError(f"logits must be (N, C) and target (N,); got {z.shape} and {y.shape}")
    temperature = check_positive_scalar(temperature, "temperature")
    if not T_MIN <= temperature <= T_MAX:
        raise ValueError(f"temperature must be in [{T_MIN}, {T_MAX}] (the slider's range)")
    accuracy = float(np.mean(z.argmax(axis=1) == y))

    fig, (ax_r, ax_h) = new_figure(1, 2, figsize=(9.0, 4.2))
    q0 = softmax(z, axis=1, temperature=temperature)
    artists = reliability_diagram(ax_r, q0, y, n_bins=n_bins, hist_ax=ax_h)
    ax_r.set_title("reliability diagram", fontsize="medium")
    ax_h.set_title("where the predictions are", fontsize="medium")
    fitted_text = "" if fitted is None else f"   (fitted on validation: T = {fitted:.2f})"

    def update(temperature):
        q = softmax(z, axis=1, temperature=temperature)
        bins = update_reliability_diagram(artists, q, y, n_bins)
        full = bins.count > 0
        ece = float(np.sum(bins.weight[full] * np.abs(bins.gap[full])))  # what ECE computes
        nll = categorical_cross_entropy(z / temperature, y)
        brier = brier_score(q, y)
        return (
            f"T = {temperature:.2f}: NLL {nll:.3f} nats, ECE {ece:.3f}, Brier {brier:.3f}, "
            f"accuracy {100 * accuracy:.1f} % (the same at every T){fitted_text}"
        )

    controls = {
        "temperature": widgets.FloatLogSlider(
            value=temperature,
            base=10,
            min=np.log10(T_MIN),
            max=np.log10(T_MAX),
            step=0.01,
            description="temperature T",
            readout_format=".2f",
            continuous_update=True,
            layout=widgets.Layout(width="420px"),
            style={"description_width": "initial"},
        )
    }
    # The bars move, and the diagonal is drawn again on top of them (the legend sits where
    # no bar reaches: above the diagonal, at the upper left).
    diagonal = ax_r.get_lines()[0]
    moving = [*artists["bars"], *artists["gaps"], diagonal, artists["text"]]
    moving += list(artists["hist"])
    return FigureWidget(
        "reliability diagram at a temperature",
        fig,
        controls,
        update,
        artists={k: artists[k] for k in ("bars", "gaps", "hist", "text")},
        moving=moving,
    )
