"""Plots of lesson 02: cross-entropy as entropy plus KL divergence, its minimum, likelihood.

Each function draws on the ``ax`` it is given and returns a dict of its artists, so that a
widget (:mod:`xent_lessons.widgets.divergence`) can move them in place.
"""

from __future__ import annotations

import numpy as np
from matplotlib.ticker import MaxNLocator

from .. import style
from .._validation import as_float_array, check_base, check_unit_scalar
from ..information import cross_entropy, entropy, kl_divergence

__all__ = [
    "cross_entropy_curve",
    "distribution_pair",
    "divergence_bars",
    "gibbs_scatter",
    "likelihood_underflow",
]

# The model probabilities a curve over q is drawn at: the open interval (0, 1).
_Q_GRID = np.linspace(0.001, 0.999, 999)


def _unit_name(base) -> str:
    """``"nats"`` for the natural log, ``"bits"`` for base 2, else ``"log-base-b units"``."""
    base = check_base(base)
    if base is None:
        return "nats"
    if base == 2:
        return "bits"
    return f"log-base-{base:g} units"


def _bar_texts(ax, bars, fmt="{:.3f}", **text_kw):
    """One value label per bar, just above its top; returns the list of ``Text``."""
    texts = [ax.text(0, 0, "", ha="center", va="bottom", fontsize="small", **text_kw) for _ in bars]
    _set_bar_texts(texts, bars, fmt)
    return texts


def _set_bar_texts(texts, bars, fmt="{:.3f}") -> None:
    """Move each label to the top of its bar and write the bar's total height in it."""
    for text, bar in zip(texts, bars, strict=True):
        top = bar.get_y() + bar.get_height()
        text.set_position((bar.get_x() + bar.get_width() / 2, top))
        text.set_text(fmt.format(top))


def _two_outcomes(p, name):
    p = check_unit_scalar(p, name)
    return np.array([p, 1.0 - p])


# ----------------------------------------------------------------------------- p and q


def distribution_pair(ax, p, q, labels=None):
    """Grouped bars of a true distribution ``p`` and a model ``q`` over the same outcomes.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    p, q : array_like
        Two distributions over the same ``C`` outcomes (1-D, summing to 1).
    labels : sequence of str, optional
        The outcomes' names (default ``"1"`` to ``"C"``).

    Returns
    -------
    dict
        ``"p_bars"`` and ``"q_bars"``: the two ``BarContainer`` objects.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> artists = distribution_pair(ax, [0.5, 0.25, 0.25], [0.25, 0.25, 0.5])
    >>> [float(bar.get_height()) for bar in artists["q_bars"]]
    [0.25, 0.25, 0.5]
    """
    p = as_float_array(p, "p")
    q = as_float_array(q, "q")
    cross_entropy(p, q)  # validates: same shape, each a distribution
    if p.ndim != 1:
        raise ValueError(f"p and q must be 1-D (one distribution each); got shape {p.shape}")
    x = np.arange(p.size)
    width = 0.38
    p_bars = ax.bar(x - width / 2, p, width, color=style.TRUTH, label="p (truth)")
    q_bars = ax.bar(x + width / 2, q, width, color=style.MODEL, label="q (model)")
    ax.set_xticks(x, labels if labels is not None else [str(i + 1) for i in x])
    ax.set_ylim(0, 1.3)  # the legend sits above the highest possible bar
    ax.set_yticks([0, 0.5, 1])
    ax.set_axisbelow(True)
    ax.legend(loc="upper center", ncols=2, fontsize="small")
    style.label_axes(ax, "outcome", "probability", "p and q")
    return {"p_bars": p_bars, "q_bars": q_bars}


def _set_distribution_pair(artists, p, q) -> None:
    """Move the bars of :func:`distribution_pair` to new ``p`` and ``q``."""
    for bars, values in ((artists["p_bars"], p), (artists["q_bars"], q)):
        for bar, value in zip(bars, values, strict=True):
            bar.set_height(value)


# ------------------------------------------------------------- H(p, q) = H(p) + D_KL


_DIVERGENCE_LABELS = ("H(p)", "H(p, q)", "D_KL(p ‖ q)", "D_KL(q ‖ p)")
_LABELLED_BARS = ("entropy", "stack_kl", "kl_pq", "kl_qp")  # the bars whose tops get a number


def divergence_bars(ax, p, q, base=None):
    """Bars of ``H(p)``, ``H(p, q)`` stacked as ``H(p) + D_KL(p ‖ q)``, and both KLs.

    The second bar is the cross-entropy split in two: the entropy ``H(p)`` (truth colour)
    and, on top of it, the extra cost ``D_KL(p ‖ q)`` (accent). The last two bars set the
    two directions of the KL divergence side by side: they differ in general.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    p, q : array_like
        Two distributions over the same outcomes (1-D). Every value must be finite: ``q``
        may not be 0 where ``p > 0``, nor ``p`` where ``q > 0``.
    base : float, optional
        ``None`` (default) for nats, ``2`` for bits.

    Returns
    -------
    dict
        ``"entropy"`` (the ``H(p)`` bar), ``"stack_entropy"`` and ``"stack_kl"`` (the two
        parts of the ``H(p, q)`` bar), ``"kl_pq"``, ``"kl_qp"`` (``Rectangle`` objects) and
        ``"texts"`` (the four value labels, in bar order).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> artists = divergence_bars(ax, [0.5, 0.5], [0.9, 0.1], base=2)
    >>> round(artists["stack_kl"].get_height(), 6), round(artists["kl_qp"].get_height(), 6)
    (0.736966, 0.531004)
    >>> [t.get_text() for t in artists["texts"]]
    ['1.000', '1.737', '0.737', '0.531']
    """
    unit = _unit_name(base)
    x = np.arange(4)
    # No legend: each colour is named by the tick label of the bar that has it alone.
    bars = {
        "entropy": ax.bar(x[0], 0, color=style.TRUTH),
        "stack_entropy": ax.bar(x[1], 0, color=style.TRUTH),
        "stack_kl": ax.bar(x[1], 0, color=style.ACCENT),
        "kl_pq": ax.bar(x[2], 0, color=style.ACCENT),
        "kl_qp": ax.bar(x[3], 0, color="white", edgecolor=style.ACCENT, hatch="///"),
    }
    artists = {name: container[0] for name, container in bars.items()}
    artists["texts"] = _bar_texts(ax, [artists[name] for name in _LABELLED_BARS])
    ax.set_xticks(x, _DIVERGENCE_LABELS)
    ax.yaxis.set_major_locator(MaxNLocator(4))  # few labels: each one costs a widget time
    ax.set_axisbelow(True)
    style.label_axes(ax, None, f"information ({unit})", "H(p, q) = H(p) + D_KL(p ‖ q)")
    _set_divergence_bars(ax, artists, p, q, base)
    return artists


def _set_divergence_bars(ax, artists, p, q, base=None):
    """Set the bars of :func:`divergence_bars` to new ``p`` and ``q``; returns the values.

    The values are ``(H(p), H(p, q), D_KL(p ‖ q), D_KL(q ‖ p))`` in the unit of ``base``.
    """
    h_p = entropy(p, base=base)
    h_pq = cross_entropy(p, q, base=base)
    kl_pq = kl_divergence(p, q, base=base)
    kl_qp = kl_divergence(q, p, base=base)
    values = (h_p, h_pq, kl_pq, kl_qp)
    if not np.all(np.isfinite(values)):
        raise ValueError(
            "a divergence is infinite (one distribution is 0 where the other is not); "
            "there is no finite bar to draw"
        )
    artists["entropy"].set_height(h_p)
    artists["stack_entropy"].set_height(h_p)
    artists["stack_kl"].set_y(h_p)
    artists["stack_kl"].set_height(kl_pq)
    artists["kl_pq"].set_height(kl_pq)
    artists["kl_qp"].set_height(kl_qp)
    _set_bar_texts(artists["texts"], [artists[name] for name in _LABELLED_BARS])
    ax.set_ylim(0, max(h_pq, kl_qp, 0.5) * 1.15)  # room above the tallest bar for its label
    return values


# -------------------------------------------------------------- the minimum over q


def cross_entropy_curve(ax, p, q=None, base=None, *, truth="p", variable="q", model=None):
    """The cross-entropy ``H(p, q)`` of two outcomes as a function of the model's ``q``.

    ``p`` and ``q`` are the probabilities of the first outcome, so the distributions are
    ``[p, 1 - p]`` and ``[q, 1 - q]``. The curve's lowest point is at ``q = p``, where it
    touches the floor ``H(p)``; at any other ``q`` the gap above the floor is
    ``D_KL(p ‖ q)``.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    p : float
        The true probability of the first outcome, in [0, 1].
    q : float, optional
        A model probability to mark on the curve, with its gap to the floor, in (0, 1).
    base : float, optional
        ``None`` (default) for nats, ``2`` for bits.
    truth, variable, model : str
        The names the legend and the y label use: the true distribution (``"p"``; say
        ``"p̂"`` for the data's), the number that varies along the x-axis (``"q"``; say
        ``"θ"`` for a parameter) and the model's distribution (default: ``variable``; say
        ``"q_θ"``). The x label is left to the caller when ``variable`` is not ``"q"``.

    Returns
    -------
    dict
        ``"curve"``, ``"floor"`` (the line at ``H(p)``), ``"minimum"`` (the point at
        ``q = p``), and, when ``q`` is given, ``"marker"`` (the point at ``q``) and
        ``"gap"`` (the vertical segment of length ``D_KL(p ‖ q)``): ``Line2D`` objects.
        Each has a legend entry.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> artists = cross_entropy_curve(ax, 0.3, q=0.7)
    >>> float(artists["minimum"].get_xdata()[0])
    0.3
    >>> q_grid, h = artists["curve"].get_data()
    >>> float(q_grid[np.argmin(h)])
    0.3
    >>> artists["marker"].get_label()
    "H(p, q) at the model's q"
    >>> theta = cross_entropy_curve(Figure().subplots(), 0.7, truth="p̂", variable="θ",
    ...                             model="q_θ")
    >>> theta["curve"].get_label(), theta["minimum"].get_label()
    ('H(p̂, q_θ), as θ varies', 'the minimum, at θ = p̂')
    """
    unit = _unit_name(base)
    p = check_unit_scalar(p, "p")
    ax.set_xlim(-0.015, 1.015)  # a marker at q = 0.01 or 0.99 stays whole
    model = variable if model is None else model
    h_pq = f"H({truth}, {model})"
    artists = {
        "curve": ax.plot([], [], color=style.MODEL, lw=2, label=f"{h_pq}, as {variable} varies")[0],
        "floor": ax.axhline(0, color=style.TRUTH, ls="--", lw=1.5, label=f"H({truth}): the floor"),
        "minimum": ax.plot(
            [], [], "o", color=style.TRUTH, ms=8, zorder=3,
            label=f"the minimum, at {variable} = {truth}",
        )[0],
    }
    if q is not None:
        artists["marker"] = ax.plot(
            [], [], "o", color=style.MODEL, ms=8, zorder=3,
            label=f"{h_pq} at the model's {variable}",
        )[0]
        artists["gap"] = ax.plot(
            [], [], color=style.ACCENT, lw=3, label=f"D_KL({truth} ‖ {model})"
        )[0]
    ax.legend(loc="upper center", fontsize="small")
    style.label_axes(
        ax,
        "q, the model's probability of the first outcome" if variable == "q" else None,
        f"cross-entropy {h_pq} ({unit})",
        "H(p, q) is lowest where the model agrees with the truth",
    )
    _set_cross_entropy_curve(ax, artists, p, q, base)
    return artists


def _set_cross_entropy_curve(ax, artists, p, q=None, base=None):
    """Move :func:`cross_entropy_curve` to a new ``p`` (and ``q``); returns the values.

    The values are ``(H(p), H(p, q), D_KL(p ‖ q))``, the last two ``None`` without ``q``.
    """
    p_dist = _two_outcomes(p, "p")
    grid = np.stack([_Q_GRID, 1 - _Q_GRID], axis=-1)
    curve = cross_entropy(np.broadcast_to(p_dist, grid.shape), grid, base=base)
    h_p = entropy(p_dist, base=base)
    artists["curve"].set_data(_Q_GRID, curve)
    artists["floor"].set_ydata([h_p, h_p])
    artists["minimum"].set_data([p], [h_p])
    top = 3.0 / np.log(base if base is not None else np.e)  # 3 nats, in the chosen unit
    h_pq = kl_pq = None
    if q is not None:
        q_dist = _two_outcomes(q, "q")
        h_pq = cross_entropy(p_dist, q_dist, base=base)
        kl_pq = kl_divergence(p_dist, q_dist, base=base)
        artists["marker"].set_data([q], [h_pq])
        artists["gap"].set_data([q, q], [h_p, h_pq])
        if np.isfinite(h_pq):
            top = max(top, 1.1 * h_pq)
    ax.set_ylim(0, top)
    return h_p, h_pq, kl_pq


# -------------------------------------------------------------------------- Gibbs


def gibbs_scatter(ax, h_p, h_pq, base=None):
    """Random pairs ``(p, q)`` as points ``(H(p), H(p, q))``: all lie on or above ``y = x``.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    h_p, h_pq : array_like
        The entropies ``H(p)`` and cross-entropies ``H(p, q)`` of the pairs (1-D, finite).
    base : float, optional
        The unit the values are in: ``None`` (default) for nats, ``2`` for bits.

    Returns
    -------
    dict
        ``"points"`` (a ``PathCollection``) and ``"diagonal"`` (the line ``H(p, q) = H(p)``).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> artists = gibbs_scatter(ax, [0.5, 1.0], [0.7, 1.2])
    >>> artists["points"].get_offsets().tolist()
    [[0.5, 0.7], [1.0, 1.2]]
    """
    unit = _unit_name(base)
    h_p = as_float_array(h_p, "h_p")
    h_pq = as_float_array(h_pq, "h_pq")
    if h_p.shape != h_pq.shape or h_p.ndim != 1:
        raise ValueError(
            f"h_p and h_pq must be 1-D and of the same length; got {h_p.shape} and {h_pq.shape}"
        )
    if not (np.isfinite(h_p).all() and np.isfinite(h_pq).all()):
        raise ValueError("h_p and h_pq must be finite")
    right = float(h_p.max()) * 1.1 or 1.0  # entropies are all 0 only for certain outcomes
    top = max(float(h_pq.max()) * 1.05, right)
    diagonal = ax.plot(
        [0, right], [0, right], color=style.NEUTRAL, ls="--", lw=1.5, label="H(p, q) = H(p)"
    )[0]
    ax.fill_between([0, right], [0, 0], [0, right], color=style.NEUTRAL, alpha=0.15, lw=0)
    ax.text(
        0.97 * right,
        0.03 * top,
        "below the line:\nnever reached",
        ha="right",
        va="bottom",
        color=style.NEUTRAL,
    )
    points = ax.scatter(h_p, h_pq, s=12, color=style.MODEL, alpha=0.6, label="a random pair (p, q)")
    ax.set_xlim(0, right)
    ax.set_ylim(0, top)
    ax.legend(loc="upper left", fontsize="small")
    style.label_axes(
        ax, f"entropy H(p) ({unit})", f"cross-entropy H(p, q) ({unit})", "Gibbs' inequality"
    )
    return {"points": points, "diagonal": diagonal}


# --------------------------------------------------------------------- likelihood


def likelihood_underflow(ax, n, likelihood, log_likelihood):
    r"""The likelihood of the first ``N`` data points: a product that underflows to 0.

    Both curves show :math:`\log_{10} L`: one from the product of probabilities as the
    computer sees it (it stops where the product becomes exactly 0), one from the sum of
    log-probabilities (it goes on).

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    n : array_like
        The numbers of data points ``N`` (1-D, increasing).
    likelihood : array_like
        The product of the model's probabilities of the first ``N`` points, in float64.
    log_likelihood : array_like
        The sum of their natural logs (nats).

    Returns
    -------
    dict
        ``"product"`` and ``"sum_of_logs"`` (``Line2D``), ``"floor"`` (the smallest positive
        float64) and, if the product reached 0, ``"underflow"`` (a marker at the first such
        ``N``).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> n = np.arange(1, 1201)
    >>> log_l = n * np.log(0.5)
    >>> artists = likelihood_underflow(ax, n, np.cumprod(np.full(1200, 0.5)), log_l)
    >>> int(artists["underflow"].get_xdata()[0])  # 0.5 ** 1075 is the first to round to 0
    1075
    """
    n = as_float_array(n, "n")
    likelihood = as_float_array(likelihood, "likelihood")
    log_likelihood = as_float_array(log_likelihood, "log_likelihood")
    if not n.shape == likelihood.shape == log_likelihood.shape or n.ndim != 1:
        raise ValueError("n, likelihood and log_likelihood must be 1-D and of the same length")
    positive = likelihood > 0
    artists = {
        "sum_of_logs": ax.plot(
            n,
            log_likelihood / np.log(10),
            color=style.ACCENT,
            lw=2.5,
            label="sum of log-probabilities (÷ ln 10)",
        )[0],
        "product": ax.plot(
            n[positive],
            np.log10(likelihood[positive]),
            color=style.WARNING,
            lw=2,
            ls="--",
            label="product of probabilities, then log₁₀",
        )[0],
    }
    tiny = np.log10(np.nextafter(0.0, 1.0))  # the smallest positive float64, about 5e-324
    artists["floor"] = ax.axhline(
        tiny, color=style.NEUTRAL, ls=":", label="smallest positive float64 (≈ 5e-324)"
    )
    if not positive.all():
        first = int(np.argmin(positive))
        artists["underflow"] = ax.plot(
            [n[first]],
            [tiny],
            "X",
            color=style.WARNING,
            ms=10,
            label=f"the product is exactly 0 from N = {n[first]:.0f}",
        )[0]
    ax.legend(loc="lower left", fontsize="small")
    style.label_axes(
        ax,
        "number of data points N",
        "log₁₀ of the likelihood L",
        "the likelihood is a product that underflows to 0",
    )
    return artists
