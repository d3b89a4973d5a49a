"""Widget of lesson 03: logits and a temperature move the softmax probabilities."""

from __future__ import annotations

import numpy as np

from .._validation import as_float_array, check_positive_scalar
from ..plots.softmax import _set_logit_bars, _set_softmax_bars, logit_bars, softmax_bars
from ._figure_widget import FigureWidget, new_figure
from ._frames import Every, Values, site_grid

__all__ = ["softmax_temperature"]

Z_LIMIT, Z_STEP = 5.0, 0.1  # the logit sliders' range [-5, 5]
T_MIN, T_MAX = 0.1, 10.0  # the temperature slider's range (log scale)


@site_grid(temperature=Every(), z3=Values(-5.0, -1.0, 2.0, 5.0))
def softmax_temperature(z=(2.0, 1.0, -1.0), temperature=1.0, labels=("cat", "dog", "fox")):
    """Sliders for 2 to 4 logits and a temperature; bars of the logits and of softmax(z / T).

    Left: the logits. Right: the probabilities ``softmax(z / T)``, with their entropy in
    the axes. The readout repeats the probabilities and the entropy.

    Parameters
    ----------
    z : sequence of float, optional
        The initial logits, each in [-5, 5]; 2 to 4 classes.
    temperature : float, optional
        The initial temperature, in [0.1, 10].
    labels : sequence of str, optional
        The classes' names, one per logit.

    Returns
    -------
    FigureWidget
        Controls ``"z1"``, ``"z2"``, ... (one per class) and ``"temperature"``; artists
        ``"logit_bars"``, ``"logit_texts"``, ``"bars"``, ``"texts"``, ``"info"``.

    Examples
    --------
    >>> w = softmax_temperature()
    >>> w.readout_text
    'T = 1.00   q = [0.705, 0.259, 0.035]   entropy H(q) = 0.714 nats (uniform: 1.099)'
    >>> w.controls["temperature"].value = 10.0
    >>> w.readout_text
    'T = 10.00   q = [0.378, 0.342, 0.280]   entropy H(q) = 1.091 nats (uniform: 1.099)'
    """
    import ipywidgets as widgets

    z = as_float_array(z, "z")
    if z.ndim != 1 or not 2 <= z.size <= 4:
        raise ValueError(f"z must hold 2 to 4 logits; got shape {z.shape}")
    if np.abs(z).max() > Z_LIMIT:
        raise ValueError(f"each logit must be in [-{Z_LIMIT:g}, {Z_LIMIT:g}] (the sliders' range)")
    temperature = check_positive_scalar(temperature, "temperature")
    if not T_MIN <= temperature <= T_MAX:
        raise ValueError(f"temperature must be in [{T_MIN}, {T_MAX}] (the slider's range)")
    labels = list(labels)
    if len(labels) != z.size:
        raise ValueError(f"labels must name the {z.size} classes; got {len(labels)}")

    fig, (ax_z, ax_q) = new_figure(1, 2, figsize=(9.0, 3.6))
    left = logit_bars(ax_z, z, labels=labels, limit=Z_LIMIT * 1.2)
    artists = {"logit_bars": left["bars"], "logit_texts": left["texts"]}
    artists.update(softmax_bars(ax_q, z, temperature=temperature, labels=labels))
    uniform = np.log(z.size)

    def update(temperature, **logits):
        values = np.array([logits[f"z{i + 1}"] for i in range(z.size)])
        _set_logit_bars({"bars": artists["logit_bars"], "texts": artists["logit_texts"]}, values)
        q, h = _set_softmax_bars(artists, values, temperature)
        shown = ", ".join(f"{v:.3f}" for v in q)
        return (
            f"T = {temperature:.2f}   q = [{shown}]   "
            f"entropy H(q) = {h:.3f} nats (uniform: {uniform:.3f})"
        )

    slider_layout = widgets.Layout(width="190px")
    controls = {
        f"z{i + 1}": widgets.FloatSlider(
            value=float(value),
            min=-Z_LIMIT,
            max=Z_LIMIT,
            step=Z_STEP,
            description=f"z {labels[i]}",
            readout_format="+.1f",
            layout=slider_layout,
            style={"description_width": "initial"},
        )
        for i, value in enumerate(z)
    }
    controls["temperature"] = widgets.FloatLogSlider(
        value=temperature,
        base=10,
        min=np.log10(T_MIN),
        max=np.log10(T_MAX),
        step=0.05,
        description="T",
        readout_format=".2f",
        layout=widgets.Layout(width="230px"),
        style={"description_width": "initial"},
    )
    return FigureWidget("softmax of logits at a temperature", fig, controls, update, artists)
