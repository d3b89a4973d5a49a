"""Lesson 00's widget: a first slider, which moves a point along a curve."""

from __future__ import annotations

import numpy as np

from ..information import surprisal
from ._controls import labelled_slider
from ._figure_widget import FigureWidget, new_figure
from ._frames import Every, site_grid

__all__ = ["first_slider"]


@site_grid(p=Every())
def first_slider(p=0.25):
    r"""A slider for a probability ``p`` that moves a point along the curve :math:`-\log_2 p`.

    A first taste of the course's widgets (and of lesson 01): the rarer an event, the more
    surprising it is.

    Parameters
    ----------
    p : float
        The starting probability, in [0.01, 1].

    Returns
    -------
    FigureWidget
        Controls: ``"p"`` (a FloatSlider). Artists: ``"curve"``, ``"point"``, ``"guides"``.

    Examples
    --------
    >>> w = first_slider(p=0.5)
    >>> w.readout_text
    'p = 0.50  →  surprisal −log2(p) = 1.00 bits'
    >>> w.controls["p"].value = 0.25
    >>> list(w.artists["point"].get_ydata())
    [2.0]
    """

    from .. import plots

    if not 0.01 <= p <= 1:
        raise ValueError(f"p must be in [0.01, 1]; got {p!r}")
    fig, ax = new_figure()
    grid = np.linspace(0.01, 1.0, 300)
    artists = plots.curve_with_point(
        ax,
        grid,
        surprisal(grid, base=2),
        p,
        surprisal(p, base=2),
        xlabel="probability p of an event",
        ylabel="surprisal (bits)",
        title="Move the slider: how surprising is an event of probability p?",
    )
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 7.2)
    slider = labelled_slider("p", p, 0.01, 1.0, 0.01, readout_format=".2f", continuous_update=True)

    def update(p):
        s = surprisal(p, base=2)
        artists["point"].set_data([p], [s])
        artists["guides"].set_data([p, p, 0], [0, s, s])
        return f"p = {p:.2f}  →  surprisal −log2(p) = {s:.2f} bits"

    return FigureWidget(
        "a point moving along the curve −log2(p)", fig, {"p": slider}, update, artists
    )
