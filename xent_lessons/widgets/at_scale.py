"""Widget of lesson 16: a drift of the logits, the z-loss weight and the soft cap, against
the logits' histogram and the loss's parts."""

from __future__ import annotations

import numpy as np

from ..plots.at_scale import (
    _set_logit_histogram,
    _set_loss_parts,
    confident_logits,
    logit_histogram,
    loss_parts_bars,
)
from ._figure_widget import FigureWidget, new_figure
from ._frames import Values, site_grid

__all__ = ["z_loss_and_softcap"]

SHIFTS = tuple(float(s) for s in range(-10, 41, 5))  # nats added to every logit
CAPS = {"off": 0.0, "50": 50.0, "30 (Gemma 2)": 30.0, "15": 15.0, "5": 5.0, "2": 2.0}
Z_LOSS_WEIGHTS = {"0 (off)": 0.0, "1e-4 (PaLM)": 1e-4, "1e-3": 1e-3, "1e-2": 1e-2, "1e-1": 1e-1}
BINS = np.linspace(-30.0, 60.0, 91)
LOSS_LIMIT = 8.0
SHARE_LIMIT = 0.6  # the histogram's y-axis: fixed, so that only the bars move

# The grid of control values the static site renders ahead of time (issue 25): every drift,
# the caps the "Try this" sentence names (off, 30, 5, 2: the slider's ends included) and four
# z-loss weights (off, PaLM's, 1e-2 and the end, 1e-1): 11 x 4 x 4 = 176 frames (every cap
# and weight, 330 frames, were 9.8 MB, over the site's 6 MB a widget).
STATIC_GRID = {
    "shift": SHIFTS,
    "softcap": (0.0, 30.0, 5.0, 2.0),  # 0.0: no cap
    "z_loss": (0.0, 1e-4, 1e-2, 1e-1),
}


def _loss_parts(z, y, shift, softcap, z_loss):
    """Mean cross-entropy, mean z-loss term and their sum, and the mean log Z."""
    z = z + shift
    if softcap:  # 0 or None: no cap
        z = softcap * np.tanh(z / softcap)
    m = z.max(axis=1)
    log_z = m + np.log(np.exp(z - m[:, None]).sum(axis=1))
    ce = float(np.mean(log_z - z[np.arange(z.shape[0]), y]))
    zl = float(z_loss * np.mean(log_z**2))
    return z, (ce, zl, ce + zl), float(log_z.mean())


@site_grid(**{name: Values(*values) for name, values in STATIC_GRID.items()})
def z_loss_and_softcap(shift=0.0, softcap=None, z_loss=1e-4):
    """Sliders for a drift of every logit, the soft cap and the z-loss weight.

    Left: the histogram of a fixed batch of logits (256 rows of 512 classes) after the
    drift and the cap, with ``±c`` and the mean log Z marked. Right: the mean
    cross-entropy, the z-loss term ``λ · mean((log Z)²)`` and their sum.

    Parameters
    ----------
    shift : float, optional
        Nats added to every logit, one of ``SHIFTS`` (-10 to 40 in steps of 5).
    softcap : float or None, optional
        The cap c, one of ``CAPS``' values (None or 0 for no cap).
    z_loss : float, optional
        The z-loss weight λ, one of ``Z_LOSS_WEIGHTS``' values.

    Returns
    -------
    FigureWidget
        Controls ``"shift"``, ``"softcap"``, ``"z_loss"``; artists ``"bars"`` (the
        histogram, one ``StepPatch``), ``"cap_low"``, ``"cap_high"``, ``"log_z"``, ``"loss_bars"``,
        ``"loss_texts"``.

    Examples
    --------
    >>> w = z_loss_and_softcap()
    >>> w.readout_text
    'mean log Z = 9.88 nats   cross-entropy 0.991   z-loss term 0.0101   (no cap)'
    >>> w.controls["shift"].value = 40.0
    >>> w.readout_text
    'mean log Z = 49.88 nats   cross-entropy 0.991   z-loss term 0.2491   (no cap)'
    >>> w.controls["softcap"].value = 30.0
    >>> w.readout_text
    'mean log Z = 32.43 nats   cross-entropy 4.685   z-loss term 0.1052   (cap c = 30)'
    """
    import ipywidgets as widgets

    if shift not in SHIFTS:
        raise ValueError(f"shift must be one of {SHIFTS}; got {shift!r}")
    softcap = 0.0 if softcap is None else softcap
    if softcap not in CAPS.values():
        raise ValueError(f"softcap must be None or one of {list(CAPS.values())[1:]}; got {softcap!r}")
    if z_loss not in Z_LOSS_WEIGHTS.values():
        raise ValueError(f"z_loss must be one of {list(Z_LOSS_WEIGHTS.values())}; got {z_loss!r}")

    z0, y = confident_logits()
    fig, (ax_hist, ax_loss) = new_figure(1, 2, figsize=(9.6, 3.6), width_ratios=(1.5, 1))
    z, parts, log_z = _loss_parts(z0, y, shift, softcap, z_loss)
    hist = logit_histogram(ax_hist, z, BINS, softcap or None, log_z,
                           title="the logits, drifted and capped", top=SHARE_LIMIT)  # fmt: skip
    loss = loss_parts_bars(ax_loss, parts, limit=LOSS_LIMIT)
    def update(shift, softcap, z_loss):
        z, parts, log_z = _loss_parts(z0, y, shift, softcap, z_loss)
        _set_logit_histogram(hist, z, BINS, softcap or None, log_z, top=SHARE_LIMIT)
        _set_loss_parts(loss, parts)
        cap = f"cap c = {softcap:g}" if softcap else "no cap"
        return (
            f"mean log Z = {log_z:.2f} nats   cross-entropy {parts[0]:.3f}   "
            f"z-loss term {parts[1]:.4f}   ({cap})"
        )

    style = {"description_width": "initial"}
    controls = {
        "shift": widgets.SelectionSlider(
            options=[(f"{s:+g} nats", s) for s in SHIFTS], value=shift,
            description="drift of every logit", layout=widgets.Layout(width="330px"), style=style,
        ),
        "softcap": widgets.SelectionSlider(
            options=list(CAPS.items()), value=softcap, description="soft cap c",
            layout=widgets.Layout(width="300px"), style=style,
        ),
        "z_loss": widgets.SelectionSlider(
            options=list(Z_LOSS_WEIGHTS.items()), value=z_loss, description="z-loss λ",
            layout=widgets.Layout(width="300px"), style=style,
        ),
    }  # fmt: skip
    for control in controls.values():
        control.layout.flex = "0 0 auto"
    artists = {
        "bars": hist["bars"],
        "cap_low": hist["cap_low"],
        "cap_high": hist["cap_high"],
        "log_z": hist["log_z"],
        "loss_bars": loss["bars"],
        "loss_texts": loss["texts"],
    }
    moving = [hist["bars"], hist["cap_low"], hist["cap_high"], hist["log_z"]]
    moving += [*loss["bars"], *loss["texts"]]
    return FigureWidget(
        "a drift of the logits, the z-loss and the soft cap",
        fig,
        controls,
        update,
        artists,
        moving=moving,
    )
