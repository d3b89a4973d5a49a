"""Plots of lesson 08: next-character predictions, bits per character by order, compression.

Each function draws on the ``ax`` it is given and returns its artists (a dict), so that the
widget of :mod:`xent_lessons.widgets.language_models` can move them in place. The model's
predictions are drawn in ``style.MODEL``, what really came (the truth) in ``style.TRUTH``.
Space and newline are shown as ``␣`` and ``↵``.
"""

from __future__ import annotations

import textwrap
from fractions import Fraction

import numpy as np

from .. import style
from .._validation import as_float_array

__all__ = [
    "bigram_heatmap",
    "bpc_by_order",
    "bpc_by_order_smoothed",
    "char_label",
    "char_surprisal_bars",
    "compression_bars",
    "interval_steps",
    "next_char_bars",
    "sample_texts",
]

# The compressors of the standard library, in the order and colours of every figure.
COMPRESSOR_COLORS = {"zlib": style.EXTRA[0], "bz2": style.EXTRA[1], "lzma": style.WARNING}


def char_label(c: str) -> str:
    """A character as a figure shows it: ``"␣"`` for a space, ``"↵"`` for a newline."""
    return {" ": "␣", "\n": "↵", "\t": "⇥"}.get(c, c)


def next_char_bars(ax, probabilities, chars, actual=None, top=12, title=None):
    """Bars of a model's most probable next characters, the one that really came marked.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    probabilities : array_like, shape (V,)
        The model's distribution over the alphabet's ``V`` characters.
    chars : str
        The alphabet, in the order of ``probabilities`` (``Alphabet.chars``).
    actual : str, optional
        The character that came next: its bar is drawn in the truth's colour, and added at
        the right end when it is not among the ``top``.
    top : int, optional
        How many characters to show, the most probable first.
    title : str, optional

    Returns
    -------
    dict
        ``"bars"`` (a ``BarContainer``) and ``"shown"`` (the characters, in order).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> art = next_char_bars(Figure().subplots(), [0.5, 0.3, 0.2], "abc", actual="c", top=2)
    >>> art["shown"]
    ['a', 'b', 'c']
    """
    q = as_float_array(probabilities, "probabilities")
    if q.shape != (len(chars),):
        raise ValueError(f"probabilities must have one value per character ({len(chars)}); got {q.shape}")
    order = [int(i) for i in np.argsort(-q, kind="stable")[:top]]
    if actual is not None and chars.index(actual) not in order:
        order.append(chars.index(actual))
    shown = [chars[i] for i in order]
    colors = [style.TRUTH if c == actual else style.MODEL for c in shown]
    x = np.arange(len(order))
    bars = ax.bar(x, q[order], color=colors, alpha=0.85)
    ax.set_xticks(x, [char_label(c) for c in shown], fontsize="large")
    ax.set_ylim(0, max(0.05, float(q[order].max()) * 1.18))
    for xi, qi in zip(x, q[order], strict=True):
        ax.text(xi, qi, f"{qi:.2f}", ha="center", va="bottom", fontsize="x-small")
    style.label_axes(ax, "next character", "probability q(c | context)", title)
    if actual is not None:
        from matplotlib.patches import Patch

        ax.legend(
            handles=[Patch(color=style.MODEL, alpha=0.85, label="the model's guesses"),
                     Patch(color=style.TRUTH, alpha=0.85, label=f"what came: {char_label(actual)!r}")],
            fontsize="small", loc="upper right",
        )
    return {"bars": bars, "shown": shown}


def char_surprisal_bars(ax, text, bits, title=None):
    """The surprisal of each character of a short ``text`` under a model, one bar each.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    text : str
        The characters (up to about 60 fit).
    bits : array_like, shape (len(text),)
        :math:`-\\log_2 q` of each character, in bits.
    title : str, optional

    Returns
    -------
    dict
        ``"bars"`` and ``"mean"`` (the dashed line at the mean, the text's bits per character).
    """
    bits = as_float_array(bits, "bits")
    if bits.shape != (len(text),):
        raise ValueError(f"bits must have one value per character of text ({len(text)}); got {bits.shape}")
    x = np.arange(len(text))
    bars = ax.bar(x, bits, color=style.MODEL, alpha=0.85, width=0.8)
    mean = ax.axhline(bits.mean(), color=style.NEUTRAL, ls="--", lw=1.2,
                      label=f"mean: {bits.mean():.2f} bits per character")
    ax.set_xticks(x, [char_label(c) for c in text], fontsize="medium")
    ax.set_xlim(-0.6, len(text) - 0.4)
    style.label_axes(ax, None, "surprisal −log₂ q (bits)", title)
    ax.legend(fontsize="small", loc="upper right")
    return {"bars": bars, "mean": mean}


def bigram_heatmap(ax, probabilities, chars, shown):
    """The order-1 model as a picture: :math:`q(\\text{next} \\mid \\text{previous})` as a heatmap.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    probabilities : array_like, shape (V, V)
        Row ``a`` is the model's distribution of the character after ``chars[a]``.
    chars : str
        The alphabet (``V`` characters).
    shown : str
        The characters to show, rows (previous) and columns (next), in this order; each
        row then shows only part of its distribution.

    Returns
    -------
    matplotlib.collections.QuadMesh
        The heatmap (seaborn's), with a colour bar.
    """
    import seaborn as sns

    q = as_float_array(probabilities, "probabilities")
    V = len(chars)
    if q.shape != (V, V):
        raise ValueError(f"probabilities must have shape ({V}, {V}); got {q.shape}")
    idx = [chars.index(c) for c in shown]
    labels = [char_label(c) for c in shown]
    sns.heatmap(q[np.ix_(idx, idx)], ax=ax, cmap="rocket_r", vmin=0, square=True,
                xticklabels=labels, yticklabels=labels, cbar_kws={"label": "q(next | previous)"},
                linewidths=0.3, linecolor="white")
    ax.tick_params(axis="both", labelsize="small", rotation=0)
    ax.set_xlabel("next character")
    ax.set_ylabel("previous character")
    return ax.collections[0]


def bpc_by_order(ax, orders, held_out, train=None, compressors=None, order=None, ylim=(0, 5)):
    """Bits per character of order-k models against k: training and held-out, and compressors.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    orders : array_like of int
        The context lengths k.
    held_out : array_like
        The held-out cross-entropy of each order, bits per character.
    train : array_like, optional
        The same models scored on their own training text.
    compressors : dict of str to float, optional
        Bits per character of other compressors on the held-out text, drawn as horizontal
        lines (``"zlib"``, ``"bz2"``, ``"lzma"`` get the course's colours).
    order : int, optional
        The order to mark with a ring on the held-out curve.
    ylim : tuple, optional

    Returns
    -------
    dict
        ``"held_out"``, ``"train"`` (or None) and ``"marker"`` (``Line2D``), ``"compressors"``
        (name to ``Line2D``), ``"best"`` (a ``Line2D`` dot at the lowest held-out point).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> art = bpc_by_order(Figure().subplots(), [0, 1, 2], [4.5, 3.5, 3.9], [4.4, 3.1, 2.0])
    >>> art["best"].get_xdata().tolist()
    [1]
    """
    orders = np.asarray(orders)
    held_out = as_float_array(held_out, "held_out")
    if held_out.shape != orders.shape:
        raise ValueError(f"held_out must have one value per order; got {held_out.shape}")
    art = {"train": None, "compressors": {}}
    if train is not None:
        (art["train"],) = ax.plot(orders, as_float_array(train, "train"), "o--", color=style.NEUTRAL,
                                  label="training text (counted on)", lw=1.6, ms=5)
    (art["held_out"],) = ax.plot(orders, held_out, "o-", color=style.MODEL, lw=2.2, ms=6,
                                 label="held-out text (never seen)")
    best = int(np.argmin(np.where(np.isfinite(held_out), held_out, np.inf)))
    (art["best"],) = ax.plot([orders[best]], [held_out[best]], "*", color=style.MODEL, ms=15,
                             mec="black", mew=0.6, zorder=4)
    (art["marker"],) = ax.plot([], [], "o", ms=15, mfc="none", mec="black", mew=1.5, zorder=5)
    if order is not None:
        i = int(np.flatnonzero(orders == order)[0])
        art["marker"].set_data([orders[i]], [held_out[i]])
    x_end = orders[-1] + 0.2
    for name, value in (compressors or {}).items():
        color = COMPRESSOR_COLORS.get(name, style.EXTRA[3])
        (art["compressors"][name],) = ax.plot([orders[0] - 0.3, x_end], [value, value],
                                              color=color, ls=(0, (2, 1.5)), lw=1.8)
        ax.text(x_end, value, f" {name} {value:.2f}", color=color, va="center",
                fontsize="small", fontweight="bold")
    ax.set_xticks(orders)
    ax.set_xlim(orders[0] - 0.3, orders[-1] + (1.6 if compressors else 0.3))
    ax.set_ylim(*ylim)
    style.label_axes(ax, "order k (characters of context)", "cross-entropy (bits per character)")
    ax.legend(fontsize="small", loc="lower left")
    return art


def bpc_by_order_smoothed(ax, orders, add_alpha, kneser_ney, compressors=None, ylim=(1.5, 5)):
    """Held-out bits per character against the order: add-α alone, and Kneser-Ney smoothing.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    orders : array_like of int
        The context lengths k.
    add_alpha, kneser_ney : array_like
        The held-out cross-entropy of each order, bits per character, of the add-α models
        (each order alone) and of the interpolated Kneser-Ney models (orders 0 to k mixed).
    compressors : dict of str to float, optional
        Bits per character of other compressors, drawn as dashed horizontal lines.
    ylim : tuple, optional

    Returns
    -------
    dict
        ``"add_alpha"``, ``"kneser_ney"`` (``Line2D``), ``"best"`` (the two stars at each
        curve's lowest point) and ``"compressors"`` (name to ``Line2D``).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> art = bpc_by_order_smoothed(Figure().subplots(), [0, 1, 2], [4.5, 3.5, 3.9], [4.5, 3.4, 3.1])
    >>> [line.get_xdata().tolist() for line in art["best"]]
    [[1], [2]]
    """
    orders = np.asarray(orders)
    curves = {"add_alpha": as_float_array(add_alpha, "add_alpha"),
              "kneser_ney": as_float_array(kneser_ney, "kneser_ney")}
    for name, values in curves.items():
        if values.shape != orders.shape:
            raise ValueError(f"{name} must have one value per order; got {values.shape}")
    art = {"best": [], "compressors": {}}
    looks = {"add_alpha": ("o--", style.NEUTRAL, "add-α, each order alone"),
             "kneser_ney": ("o-", style.MODEL, "Kneser-Ney, orders 0 to k mixed")}
    for name, values in curves.items():
        fmt, color, label = looks[name]
        (art[name],) = ax.plot(orders, values, fmt, color=color, lw=2, ms=5, label=label)
        best = int(np.argmin(values))
        (star,) = ax.plot([orders[best]], [values[best]], "*", color=color, ms=15, mec="black",
                          mew=0.6, zorder=4)
        offset = 12 if name == "add_alpha" else -16  # above the U's star, below the other
        ax.annotate(f"{values[best]:.2f}", (orders[best], values[best]), xytext=(0, offset),
                    textcoords="offset points", ha="center", color=color, fontweight="bold")
        art["best"].append(star)
    x_end = orders[-1] + 0.2
    for name, value in (compressors or {}).items():
        color = COMPRESSOR_COLORS.get(name.rstrip("*"), style.EXTRA[3])  # "bz2*" is bz2 too
        (art["compressors"][name],) = ax.plot([orders[0] - 0.3, x_end], [value, value],
                                              color=color, ls=(0, (2, 1.5)), lw=1.5)
        ax.text(x_end, value, f" {name} {value:.2f}", color=color, va="center",
                fontsize="small", fontweight="bold")
    ax.set_xticks(orders)
    ax.set_xlim(orders[0] - 0.3, orders[-1] + (2.2 if compressors else 0.3))
    ax.set_ylim(*ylim)
    style.label_axes(ax, "order k (characters of context)", "held-out cross-entropy (bits per character)")
    ax.legend(fontsize="small", loc="upper center")
    return art


def compression_bars(ax, sizes, n_chars, bound=None):
    """Compressed sizes of one text, in bits per character, as horizontal bars.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    sizes : dict of str to int
        Each method's output size in bytes, in the order to draw (top first).
    n_chars : int
        The length of the text, to turn bytes into bits per character.
    bound : float, optional
        The model's cross-entropy in bits per character: a vertical line.

    Returns
    -------
    dict
        ``"bars"`` and ``"bound"`` (or None).
    """
    names = list(sizes)
    bpc = np.array([8 * sizes[n] / n_chars for n in names])
    colors = [COMPRESSOR_COLORS.get(n.split()[0], style.MODEL) for n in names]
    y = np.arange(len(names))[::-1]
    bars = ax.barh(y, bpc, color=colors, alpha=0.85)
    for yi, v, n in zip(y, bpc, names, strict=True):
        ax.text(v + 0.04, yi, f"{v:.2f}  ({sizes[n]:,} bytes)", va="center", fontsize="small")
    ax.set_yticks(y, names)
    ax.set_xlim(0, max(bpc) * 1.45)
    line = None
    if bound is not None:
        line = ax.axvline(bound, color=style.MODEL, ls="--", lw=1.2,
                          label=f"the model's cross-entropy: {bound:.3f} bits/char")
        ax.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.2),
                  frameon=False)
    style.label_axes(ax, "compressed size (bits per character)")
    ax.grid(True, axis="y", alpha=0)
    return {"bars": bars, "bound": line}


def interval_steps(ax, message, probabilities, symbols):
    """Arithmetic coding as a picture: the interval of each prefix of ``message``, zoomed.

    Row ``i`` (from the top) is the interval after ``i`` symbols, stretched to the full
    width and cut into one piece per symbol, as wide as its probability; the piece of the
    symbol that comes next is filled, and it becomes the next row. The labels give each
    interval exactly, and its width, :math:`\\prod q`, as a power of 2.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    message : str
        The symbols to code (a few: one row each).
    probabilities : sequence of float or Fraction
        One probability per symbol of ``symbols`` (the same at every step: an order-0 model).
    symbols : str
        The alphabet.

    Returns
    -------
    dict
        ``"rows"`` (one list of ``Rectangle`` patches per step), ``"low"`` and ``"width"``
        (the final interval, as ``Fraction``).
    """
    from matplotlib.patches import Rectangle

    q = [Fraction(p).limit_denominator(10**6) for p in probabilities]
    if len(q) != len(symbols) or sum(q) != 1:
        raise ValueError("probabilities must give each symbol a probability, summing to 1")
    starts = np.cumsum([0.0] + [float(p) for p in q[:-1]])
    low, width = Fraction(0), Fraction(1)
    rows = []
    n = len(message)
    for i in range(n + 1):
        y = n - i
        patches = []
        nxt = message[i] if i < n else None
        for j, s in enumerate(symbols):
            chosen = s == nxt
            rect = Rectangle((starts[j], y + 0.15), float(q[j]), 0.7,
                             facecolor=style.TRUTH if chosen else "white",
                             edgecolor=style.NEUTRAL, alpha=0.8 if chosen else 1.0, lw=1)
            ax.add_patch(rect)
            patches.append(rect)
            if i < n:
                ax.text(starts[j] + float(q[j]) / 2, y + 0.5, s, ha="center", va="center",
                        color="white" if chosen else "black", fontsize="medium")
        rows.append(patches)
        bits = -np.log2(float(width))
        if width.numerator == 1 and width.denominator & (width.denominator - 1) == 0:
            size = "width 1" if width == 1 else f"width {width} = 2^−{bits:.0f}"
        else:
            size = f"width {float(width):.3g} = 2^−{bits:.2f}"
        label = f"[{low}, {low + width})   {size}"
        prefix = message[:i] if i else "(nothing yet)"
        ax.text(-0.02, y + 0.5, prefix, ha="right", va="center", fontsize="small",
                family="monospace")
        ax.text(1.02, y + 0.5, label, ha="left", va="center", fontsize="small")
        if nxt is not None:
            j = symbols.index(nxt)
            low, width = low + width * sum(q[:j]), width * q[j]
    ax.set_xlim(-0.35, 1.75)
    ax.set_ylim(-0.1, n + 1)
    ax.axis("off")
    return {"rows": rows, "low": low, "width": width}


def wrap_sample(text: str, width: int = 44, n_lines: int = 6) -> str:
    """Sampled text cut into lines of at most ``width`` characters, ``↵`` for an empty line."""
    lines = []
    for line in text.split("\n"):
        lines.extend(textwrap.wrap(line, width, drop_whitespace=False) or ["↵"])
    return "\n".join(lines[:n_lines])


def sample_texts(ax, samples, width=44, n_lines=6):
    """Texts sampled from models, one block each, headed by what they come from.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Its frame is switched off; the blocks stack from the top.
    samples : sequence of (str, str)
        ``(heading, text)`` pairs (two or three fit).
    width, n_lines : int, optional
        Each text is wrapped at ``width`` characters and cut after ``n_lines`` lines.

    Returns
    -------
    dict
        ``"headings"`` and ``"bodies"``: lists of ``Text``, one per block (a widget changes
        them with ``set_text``; use :func:`wrap_sample` for the body).
    """
    ax.axis("off")
    headings, bodies = [], []
    step = 1.0 / max(1, len(samples))
    for i, (heading, text) in enumerate(samples):
        y = 1.0 - i * step
        headings.append(ax.text(0.0, y, heading, va="top", ha="left", fontsize=9,
                                fontweight="bold", transform=ax.transAxes))
        bodies.append(ax.text(0.0, y - 0.07, wrap_sample(text, width, n_lines), va="top",
                              ha="left", family="monospace", fontsize=8.5,
                              transform=ax.transAxes))
    return {"headings": headings, "bodies": bodies}
