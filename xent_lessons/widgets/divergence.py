"""Widgets of lesson 02: KL's two directions, and the minimum of H(p, q) over q.

Both use two outcomes (say rain / no rain) so that one slider sets each distribution.
"""

from __future__ import annotations

from .._validation import check_unit_scalar
from ..plots.divergence import (
    _set_cross_entropy_curve,
    _set_distribution_pair,
    _set_divergence_bars,
    _unit_name,
    cross_entropy_curve,
    distribution_pair,
    divergence_bars,
)
from ._controls import labelled_slider
from ._figure_widget import FigureWidget, new_figure
from ._frames import Values, site_grid

# q on the site (the "Try this" sentences move q; p takes the values they name).
_EVERY_5_PERCENT = (0.01, *(round(0.05 * k, 2) for k in range(1, 20)), 0.99)

__all__ = ["cross_entropy_minimum", "kl_asymmetry"]

# The sliders stay inside (0, 1): a probability of exactly 0 or 1 makes a divergence infinite.
P_MIN, P_MAX, P_STEP = 0.01, 0.99, 0.01


def _probability(value, name):
    value = check_unit_scalar(value, name)
    if not P_MIN <= value <= P_MAX:
        raise ValueError(f"{name} must be between {P_MIN} and {P_MAX} (the slider's range)")
    return value


def _slider(description, value):
    return labelled_slider(
        description, value, P_MIN, P_MAX, P_STEP, readout_format=".2f", continuous_update=True
    )


@site_grid(q=Values(*_EVERY_5_PERCENT), p=Values(0.01, 0.5, 0.7, 0.99))
def kl_asymmetry(p=0.5, q=0.9, base=2, labels=("rain", "no rain")):
    """Two sliders, ``p`` and ``q``; bars of ``H(p)``, ``H(p, q)`` and both KL directions.

    Left: the two distributions ``[p, 1 - p]`` and ``[q, 1 - q]``. Right:
    ``H(p)``, ``H(p, q)`` stacked as ``H(p) + D_KL(p ‖ q)``, and ``D_KL(p ‖ q)`` beside
    ``D_KL(q ‖ p)``. The readout gives the four numbers.

    Parameters
    ----------
    p : float, optional
        True probability of the first outcome, in [0.01, 0.99].
    q : float, optional
        The model's probability of the first outcome, in [0.01, 0.99].
    base : float, optional
        ``2`` (default) for bits, ``None`` for nats.
    labels : pair of str, optional
        The names of the two outcomes.

    Returns
    -------
    FigureWidget
        Controls ``"p"`` and ``"q"``; artists of both panels (see
        :func:`~xent_lessons.plots.distribution_pair` and
        :func:`~xent_lessons.plots.divergence_bars`).

    Examples
    --------
    >>> w = kl_asymmetry(p=0.5, q=0.9)
    >>> w.controls["q"].value = 0.1
    >>> w.readout_text
    'H(p) = 1.000 bits   H(p, q) = 1.737 bits   D_KL(p ‖ q) = 0.737 bits   D_KL(q ‖ p) = 0.531 bits'
    """
    p = _probability(p, "p")
    q = _probability(q, "q")
    unit = _unit_name(base)
    if len(labels) != 2:
        raise ValueError(f"labels must name the 2 outcomes; got {len(labels)}")
    fig, (ax_dist, ax_bars) = new_figure(1, 2, figsize=(9.0, 3.8), width_ratios=(1, 1.5))
    artists = distribution_pair(ax_dist, [p, 1 - p], [q, 1 - q], labels=labels)
    artists.update(divergence_bars(ax_bars, [p, 1 - p], [q, 1 - q], base=base))

    def update(p, q):
        p_dist, q_dist = [p, 1 - p], [q, 1 - q]
        _set_distribution_pair(artists, p_dist, q_dist)
        h_p, h_pq, kl_pq, kl_qp = _set_divergence_bars(ax_bars, artists, p_dist, q_dist, base)
        return (
            f"H(p) = {h_p:.3f} {unit}   H(p, q) = {h_pq:.3f} {unit}   "
            f"D_KL(p ‖ q) = {kl_pq:.3f} {unit}   D_KL(q ‖ p) = {kl_qp:.3f} {unit}"
        )

    controls = {
        "p": _slider(f"p: true P({labels[0]})", p),
        "q": _slider(f"q: model P({labels[0]})", q),
    }
    return FigureWidget("KL divergence in both directions", fig, controls, update, artists)


@site_grid(p=Values(0.01, 0.3, 0.5, 0.7, 0.99), q=Values(*_EVERY_5_PERCENT))
def cross_entropy_minimum(p=0.3, q=0.7, base=None):
    """The curve ``H(p, q)`` over ``q`` for two outcomes; sliders move ``p`` and a marker ``q``.

    The curve touches the floor ``H(p)`` at ``q = p`` only; the marker's height above the
    floor is ``D_KL(p ‖ q)``.

    Parameters
    ----------
    p : float, optional
        True probability of the first outcome, in [0.01, 0.99].
    q : float, optional
        The model's probability of the first outcome, in [0.01, 0.99].
    base : float, optional
        ``None`` (default) for nats, ``2`` for bits.

    Returns
    -------
    FigureWidget
        Controls ``"p"`` and ``"q"``; artists as in
        :func:`~xent_lessons.plots.cross_entropy_curve`.

    Examples
    --------
    >>> w = cross_entropy_minimum(p=0.3, q=0.7)
    >>> w.controls["q"].value = 0.3
    >>> w.readout_text
    'p = 0.30, q = 0.30   H(p) = 0.611 nats   H(p, q) = 0.611 nats   D_KL(p ‖ q) = 0.000 nats'
    """
    p = _probability(p, "p")
    q = _probability(q, "q")
    unit = _unit_name(base)
    fig, ax = new_figure()
    artists = cross_entropy_curve(ax, p, q=q, base=base)

    def update(p, q):
        h_p, h_pq, kl_pq = _set_cross_entropy_curve(ax, artists, p, q, base)
        return (
            f"p = {p:.2f}, q = {q:.2f}   H(p) = {h_p:.3f} {unit}   "
            f"H(p, q) = {h_pq:.3f} {unit}   D_KL(p ‖ q) = {kl_pq:.3f} {unit}"
        )

    controls = {"p": _slider("p (truth)", p), "q": _slider("q (model)", q)}
    return FigureWidget("the minimum of H(p, q) over q", fig, controls, update, artists)
