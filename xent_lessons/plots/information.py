"""Lesson 01's pictures: surprisal, the entropy of a coin and a die, code lengths.

Every function draws on the ``ax`` it is given and returns a dict of its artists, so that a
widget can move them in place. Quantities are in bits when ``base=2`` (the default here,
because lesson 01 counts yes/no questions and code bits) and in nats when ``base=None``.
"""

from __future__ import annotations

import numpy as np
from matplotlib.ticker import MaxNLocator

from .. import style
from ..information import entropy, surprisal

__all__ = [
    "binary_entropy_curve",
    "code_lengths",
    "code_overhead",
    "entropy_gauge",
    "outcome_probabilities",
    "surprisal_bars",
    "surprisal_curve",
]


def unit_name(base) -> str:
    """``"bits"`` for base 2, ``"nats"`` for ``None`` (natural log), else ``"log base b"``."""
    if base is None:
        return "nats"
    if base == 2:
        return "bits"
    return f"log base {base:g}"


def _fmt(value: float, unit: str) -> str:
    return "∞" if np.isinf(value) else f"{value:.2f} {unit}"


def surprisal_curve(ax, base=2, marked=(0.5, 0.25, 0.125), p_min=0.01):
    r"""The surprisal :math:`-\log p` against the probability ``p``, with marked points.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    base : float or None
        Log base: 2 for bits (default), ``None`` for nats.
    marked : sequence of float
        Probabilities to mark and label with their surprisal.
    p_min : float
        The smallest ``p`` drawn (the curve goes to infinity at 0).

    Returns
    -------
    dict
        ``"curve"`` (Line2D), ``"points"`` (Line2D of the marked points) and ``"labels"``
        (one Text per marked point).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> artists = surprisal_curve(ax, marked=(0.5, 0.25))
    >>> artists["points"].get_ydata().tolist()
    [1.0, 2.0]
    """
    unit = unit_name(base)
    p = np.linspace(p_min, 1.0, 400)
    (curve,) = ax.plot(p, surprisal(p, base=base), color=style.TRUTH, linewidth=2,
                       label=rf"$-\log$ p  ({unit})")
    marked = np.asarray(marked, dtype=float)
    s = np.asarray(surprisal(marked, base=base), dtype=float).reshape(-1)
    (points,) = ax.plot(marked, s, "o", color=style.ACCENT, markersize=7, zorder=3)
    labels = [  # to the right of the point, or to its left near the right edge
        ax.annotate(f"p = {pi:g}: {si:.2f} {unit}", (pi, si),
                    xytext=(8, 4) if pi < 0.75 else (-4, 16), textcoords="offset points",
                    ha="left" if pi < 0.75 else "right", fontsize=9)
        for pi, si in zip(marked, s, strict=True)
    ]
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, None)
    style.label_axes(ax, "probability p of the event", f"surprisal ({unit})",
                     "Rare events are surprising")
    return {"curve": curve, "points": points, "labels": labels}


def binary_entropy_curve(ax, bias=None, base=2, n_points=401):
    r"""The entropy of a coin, :math:`H(b) = -b\log b - (1-b)\log(1-b)`, against its bias.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    bias : float, optional
        A bias ``b = P(heads)`` in [0, 1] to mark on the curve.
    base : float or None
        Log base: 2 for bits (default), ``None`` for nats.
    n_points : int
        Resolution of the curve.

    Returns
    -------
    dict
        ``"curve"``, ``"max_line"`` (the maximum, at ``b = 1/2``) and, if ``bias`` is given,
        ``"point"`` (Line2D; move it with ``set_data([b], [H(b)])``).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> artists = binary_entropy_curve(ax, bias=0.5)
    >>> artists["point"].get_ydata().tolist()
    [1.0]
    """
    unit = unit_name(base)
    b = np.linspace(0.0, 1.0, n_points)
    h = entropy(np.stack([b, 1 - b], axis=-1), base=base)
    (curve,) = ax.plot(b, h, color=style.TRUTH, linewidth=2)
    h_max = entropy([0.5, 0.5], base=base)
    max_line = ax.axhline(h_max, color=style.NEUTRAL, linestyle="--", linewidth=1)
    ax.annotate(f"maximum {h_max:.2f} {unit}: a fair coin", (0.5, h_max), xytext=(0, 5),
                textcoords="offset points", ha="center", fontsize=9, color="#333333")
    artists = {"curve": curve, "max_line": max_line}
    if bias is not None:
        h_b = entropy([bias, 1 - bias], base=base)
        (point,) = ax.plot([bias], [h_b], "o", color=style.ACCENT, markersize=9, zorder=3)
        artists["point"] = point
    ax.set_xlim(0, 1)
    ax.set_ylim(0, h_max * 1.18)
    style.label_axes(ax, "bias b = P(heads)", f"entropy H ({unit})", "Entropy of a coin")
    return artists


# The tops the y-axis of surprisal_bars chooses from (bits), when no cap is given: the
# smallest that holds the tallest finite bar and its label. A few fixed steps, not a scale
# fitted to every value, so that moving a widget's slider moves the bars, not the axis.
SURPRISAL_AXIS_TOPS = (2.5, 5.0, 10.0, 20.0)


def _axis_cap(s, tops=SURPRISAL_AXIS_TOPS):
    """The smallest of ``tops`` that is above every finite surprisal in ``s`` (with room for
    its label), or the largest finite one rounded up when none is."""
    finite = s[np.isfinite(s)]
    tallest = float(finite.max()) if finite.size else 0.0
    for top in tops:
        if 1.12 * tallest <= top:
            return top
    return float(np.ceil(1.12 * tallest))


def surprisal_bars(ax, p, labels, base=2, cap=None, title="Surprisal of each outcome"):
    r"""One bar per outcome, as tall as its surprisal, and a line at their average, H(p).

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    p : array_like
        A distribution over the outcomes (1-D, sums to 1).
    labels : sequence of str
        One label per outcome (shown under its bar, with its probability).
    base : float or None
        Log base: 2 for bits (default), ``None`` for nats.
    cap : float, optional
        A fixed top for the bars; a bar of infinite surprisal (``p = 0``) is drawn up to it
        and labelled "∞". Default: chosen for each ``p`` from a few steps (2.5, 5, 10, 20),
        the smallest above the tallest finite bar, so the axis fits the bars and changes
        only when a bar outgrows it.
    title : str
        The axes title.

    Returns
    -------
    dict
        ``"bars"`` (BarContainer), ``"values"`` (one Text per bar), ``"entropy_line"``
        (Line2D at height H(p)), ``"entropy_label"`` (its legend Text); and the settings
        that :func:`update_surprisal_bars` needs to move them for a new ``p``.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> artists = surprisal_bars(ax, [0.5, 0.25, 0.25], ["a", "b", "c"])
    >>> [float(bar.get_height()) for bar in artists["bars"]]
    [1.0, 2.0, 2.0]
    >>> list(artists["entropy_line"].get_ydata())
    [1.5, 1.5]
    >>> artists["cap"], float(ax.get_ylim()[1])  # bars of 2 bits, room for labels above
    (2.5, 3.25)
    """
    p = np.asarray(p, dtype=float)
    x = np.arange(p.size)
    bars = ax.bar(x, np.zeros(p.size), width=0.6, color=style.TRUTH)
    values = [ax.text(xi, 0, "", ha="center", va="bottom", fontsize=9, zorder=4,
                      bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1})
              for xi in x]
    (line,) = ax.plot([-0.5, p.size - 0.5], [0, 0], color=style.ACCENT, linewidth=2.5,
                      label="average = H(p)")
    legend = ax.legend(loc="upper right", fontsize=9)
    ax.set_xticks(x)
    ax.set_xlim(-0.5, p.size - 0.5)
    ax.yaxis.set_major_locator(MaxNLocator(6, integer=True, steps=[1, 2, 5, 10]))
    style.label_axes(ax, None, f"surprisal ({unit_name(base)})", title)
    ax.grid(False, axis="x")
    artists = {"bars": bars, "values": values, "entropy_line": line,
               "entropy_label": legend.get_texts()[0], "cap": cap, "fixed_cap": cap is not None,
               "labels": list(labels), "base": base}
    update_surprisal_bars(ax, artists, p)
    return artists


def update_surprisal_bars(ax, artists, p):
    """Move the artists of :func:`surprisal_bars` to the distribution ``p``; returns H(p)."""
    p = np.asarray(p, dtype=float)
    base = artists["base"]
    unit = unit_name(base)
    s = np.asarray(surprisal(p, base=base), dtype=float).reshape(-1)
    if not artists["fixed_cap"]:
        artists["cap"] = _axis_cap(s)
    cap = artists["cap"]
    ax.set_ylim(0, cap * 1.3)  # headroom for the legend
    for bar, text, si in zip(artists["bars"], artists["values"], s, strict=True):
        height = min(si, cap)
        bar.set_height(height)
        text.set_text(_fmt(si, unit))
        text.set_y(height)
        # An infinite surprisal is written inside its (capped) bar, a finite one on top.
        infinite = bool(np.isinf(si))
        text.set_verticalalignment("top" if infinite else "bottom")
        text.set_color("white" if infinite else "black")
        if text.get_bbox_patch() is not None:
            text.get_bbox_patch().set_visible(not infinite)
        text.set_fontsize(16 if infinite else 9)
    h = entropy(p, base=base)
    artists["entropy_line"].set_ydata([h, h])
    artists["entropy_label"].set_text(f"average = H(p) = {h:.2f} {unit}")
    ax.set_xticks(np.arange(p.size), [f"{lab}\np = {pi:.2f}" for lab, pi in
                                      zip(artists["labels"], p, strict=True)])
    return h


def outcome_probabilities(ax, p, labels, color=style.TRUTH, reference=None, title=None,
                     ylabel="probability", ylim=None):
    """One bar per outcome, as tall as its probability.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    p : array_like
        The probabilities (1-D).
    labels : sequence of str
        One tick label per bar.
    color : str
        Bar colour (the truth colour by default).
    reference : float, optional
        Height of a dashed reference line (e.g. ``1/6``: a fair die).
    title, ylabel : str, optional
        Axes title and y label.
    ylim : float, optional
        Top of the y-axis (default: a little above the tallest bar).

    Returns
    -------
    dict
        ``"bars"`` (BarContainer) and, if ``reference`` is given, ``"reference"`` (Line2D).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> artists = outcome_probabilities(ax, [0.25, 0.75], ["H", "T"], reference=0.5)
    >>> [float(bar.get_height()) for bar in artists["bars"]]
    [0.25, 0.75]
    """
    p = np.asarray(p, dtype=float)
    x = np.arange(p.size)
    bars = ax.bar(x, p, width=0.7, color=color)
    ax.set_xticks(x, list(labels))
    ax.set_xlim(-0.6, p.size - 0.4)
    ax.set_ylim(0, ylim if ylim is not None else 1.15 * float(p.max()))
    artists = {"bars": bars}
    if reference is not None:
        artists["reference"] = ax.axhline(reference, color=style.NEUTRAL, linestyle="--",
                                          linewidth=1.2, label=f"uniform: {reference:.3f}")
        ax.legend(loc="upper right", fontsize=9)
    style.label_axes(ax, None, ylabel, title)
    ax.grid(False, axis="x")
    return artists


def entropy_gauge(ax, h, h_max, base=2, title="H(p)"):
    """A single bar showing an entropy ``h`` next to its maximum ``h_max``.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw (a narrow axes works best).
    h : float
        The entropy to show.
    h_max : float
        The largest possible entropy (``log C`` for ``C`` outcomes), drawn as a dashed line.
    base : float or None
        Only for the unit in the labels (2: bits, ``None``: nats).
    title : str
        The axes title.

    Returns
    -------
    dict
        ``"bar"`` (Rectangle; ``set_height``), ``"value"`` (the title Text, which reads
        ``"H(p) = 1.500"``), ``"max_line"`` (Line2D).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> artists = entropy_gauge(ax, 1.5, 2.0)
    >>> float(artists["bar"].get_height())
    1.5
    """
    unit = unit_name(base)
    (bar,) = ax.bar([0], [h], width=0.6, color=style.ACCENT)
    max_line = ax.axhline(h_max, color=style.NEUTRAL, linestyle="--", linewidth=1.2)
    ax.text(0, h_max, f"max {h_max:.3f}", ha="center", va="bottom", fontsize=8.5,
            color="#333333")
    ax.set_xlim(-0.5, 0.5)
    ax.set_ylim(0, h_max * 1.2)
    ax.set_xticks([])
    style.label_axes(ax, None, f"entropy ({unit})")
    value = ax.set_title(f"{title} = {h:.3f}", fontsize=10)
    return {"bar": bar, "value": value, "max_line": max_line}


# The tops the y-axis of code_lengths chooses from (bits), when no ylim is given.
CODE_AXIS_TOPS = (5.0, 8.0, 12.0)


def code_lengths(ax, p, codewords, labels, ylim=None):
    r"""Ideal lengths :math:`-\log_2 p_i` next to the lengths of a code's codewords.

    Each symbol gets two bars: the surprisal in bits (the truth colour), the length of its
    codeword (accent colour, with the codeword written on top). Their averages, ``H(p)``
    and ``L``, are drawn by :func:`code_overhead` on an axes of their own, where the small
    gap between them can be seen.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    p : array_like
        The symbols' probabilities (1-D, all > 0, summing to 1).
    codewords : sequence of str
        One codeword per symbol (e.g. ``huffman_code(p).codewords``).
    labels : sequence of str
        One label per symbol.
    ylim : float, optional
        A fixed top for the y-axis, in bits. Default: chosen for each ``p`` from a few
        steps (5, 8, 12), the smallest that holds every bar and its codeword.

    Returns
    -------
    dict
        ``"ideal"`` and ``"lengths"`` (BarContainers), ``"codewords"`` (one Text per symbol).
        :func:`update_code_lengths` moves them to a new distribution and code.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> artists = code_lengths(ax, [0.5, 0.25, 0.25], ["0", "10", "11"], "abc")
    >>> [float(bar.get_height()) for bar in artists["lengths"]]
    [1.0, 2.0, 2.0]
    >>> [t.get_text() for t in artists["codewords"]]
    ['0', '10', '11']
    """
    p = np.asarray(p, dtype=float)
    n = p.size
    x = np.arange(n)
    w = 0.38
    ideal = ax.bar(x - w / 2, np.zeros(n), width=w, color=style.TRUTH,
                   label="ideal length −log2(p)")
    lengths = ax.bar(x + w / 2, np.zeros(n), width=w, color=style.ACCENT,
                     label="codeword length l (codeword on top)")
    texts = [ax.text(xi + w / 2, 0, "", ha="center", va="bottom", fontsize=9,
                     family="monospace") for xi in x]
    ax.set_xticks(x)
    ax.set_xlim(-0.5, n - 0.5)
    artists = {"ideal": ideal, "lengths": lengths, "codewords": texts,
               "labels": list(labels), "ylim": ylim}
    update_code_lengths(ax, artists, p, codewords)
    ax.yaxis.set_major_locator(MaxNLocator(5, integer=True))
    # Above the bars, under the title: never in front of a bar, whatever the lengths.
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncols=2, fontsize=8.5,
              frameon=False, borderaxespad=0.2)
    style.label_axes(ax, None, "length (bits)")
    ax.set_title("Huffman code: ideal vs actual lengths", pad=20)
    ax.grid(False, axis="x")
    return artists


def update_code_lengths(ax, artists, p, codewords):
    """Move the artists of :func:`code_lengths` to ``p`` and ``codewords``; returns (H, L)."""
    p = np.asarray(p, dtype=float)
    ideal = np.asarray(surprisal(p, base=2), dtype=float).reshape(-1)
    lengths = np.array([len(c) for c in codewords], dtype=float)
    for bar, value in zip(artists["ideal"], ideal, strict=True):
        bar.set_height(value)
    for bar, text, value, word in zip(artists["lengths"], artists["codewords"], lengths,
                                      codewords, strict=True):
        bar.set_height(value)
        text.set_text(word)
        text.set_y(value)
    artists["ideal_heights"] = ideal
    top = artists["ylim"]
    if top is None:  # the smallest step that holds the tallest bar and its codeword
        tallest = 1.12 * max(float(ideal.max()), float(lengths.max()))
        top = next((t for t in CODE_AXIS_TOPS if tallest <= t), float(np.ceil(tallest)))
    ax.set_ylim(0, top)
    ax.set_xticks(np.arange(p.size), [f"{lab}\np = {pi:.3g}" for lab, pi in
                                      zip(artists["labels"], p, strict=True)])
    return entropy(p, base=2), float(np.dot(p, lengths))


def code_overhead(ax, h, length):
    r"""The averages of a code, zoomed in: :math:`H \le L < H + 1`, and the band ``L - H``.

    A window one bit and a little tall, from just under ``H`` to just over ``H + 1``, so
    that the overhead ``L - H`` of a code (often a few hundredths of a bit) is a visible
    band. Three lines, each labelled with its value: the entropy ``H`` (dashed, the truth
    colour, the average of the ideal lengths), the average code length ``L`` (solid, the
    accent colour) and the bound ``H + 1`` (dotted grey). The title gives ``L - H``.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw (a narrow axes next to :func:`code_lengths` works best).
    h, length : float
        The entropy ``H(p)`` and the average code length ``L``, in bits.

    Returns
    -------
    dict
        ``"entropy_line"``, ``"length_line"`` and ``"bound_line"`` (Line2D), ``"band"``
        (the Rectangle from ``H`` to ``L``), ``"texts"`` (the three value labels) and
        ``"title"``. :func:`update_code_overhead` moves them.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> artists = code_overhead(ax, 2.153, 2.2)
    >>> artists["title"].get_text()
    'the averages\nL − H = 0.047 bits'
    >>> round(float(artists["band"].get_height()), 6)
    0.047
    """
    from matplotlib.patches import Rectangle

    band = ax.add_patch(Rectangle((0, 0), 1, 0, facecolor=style.WARNING, alpha=0.6,
                                  edgecolor="none", zorder=2))
    # H's dashes on top of L's solid line: where L = H, both colours show.
    (l_line,) = ax.plot([0, 1], [0, 0], color=style.ACCENT, linestyle="-", lw=2, zorder=3)
    (h_line,) = ax.plot([0, 1], [0, 0], color=style.TRUTH, linestyle=(0, (4, 2)), lw=2,
                        zorder=3.5)
    (bound,) = ax.plot([0, 1], [0, 0], color=style.NEUTRAL, linestyle=":", lw=2, zorder=3)
    # H's label under its line, L's and the bound's above theirs: apart even when L = H.
    texts = [ax.text(0.5, 0, "", ha="center", va=va, fontsize=9, color=color, zorder=4)
             for va, color in (("top", style.TRUTH), ("bottom", "#00704f"),
                               ("bottom", "#555555"))]
    ax.set_xlim(0, 1)
    ax.set_xticks([])
    # Its own scale, on the right, so it does not read as the bars' scale.
    ax.yaxis.tick_right()
    ax.yaxis.set_label_position("right")
    ax.yaxis.set_major_locator(MaxNLocator(4))
    ax.tick_params(axis="y", labelsize=8)
    ax.set_ylabel("bits (zoomed in)", fontsize=9)
    title = ax.set_title("", fontsize=9.5)
    artists = {"entropy_line": h_line, "length_line": l_line, "bound_line": bound,
               "band": band, "texts": texts, "title": title}
    update_code_overhead(ax, artists, h, length)
    return artists


def update_code_overhead(ax, artists, h, length):
    """Move the artists of :func:`code_overhead` to new averages ``h`` and ``length``."""
    artists["entropy_line"].set_ydata([h, h])
    artists["length_line"].set_ydata([length, length])
    artists["bound_line"].set_ydata([h + 1, h + 1])
    artists["band"].set_y(h)
    artists["band"].set_height(length - h)
    pad = 0.03  # the gap between a line and its label, in bits
    for text, y, words in zip(
        artists["texts"],
        (h - pad, length + pad, h + 1 + pad),
        (f"H = {h:.3f}", f"L = {length:.3f}", f"H + 1 = {h + 1:.3f}"),
        strict=True,
    ):
        text.set_y(y)
        text.set_text(words)
    artists["title"].set_text(f"the averages\nL − H = {length - h:.3f} bits")
    ax.set_ylim(h - 0.2, h + 1.2)
