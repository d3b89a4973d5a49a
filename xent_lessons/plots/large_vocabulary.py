"""Plots of lesson 12: the memory of a large vocabulary's loss, the online log-sum-exp,
and the sizes of the gradient's entries.

Each function draws on the ``ax`` it is given and returns its artists, so that the widget
(:mod:`xent_lessons.widgets.large_vocabulary`) can move them in place.
"""

from __future__ import annotations

import numpy as np

from .. import style
from .._validation import as_float_array

__all__ = [
    "gradient_entry_histogram",
    "memory_breakdown_bars",
    "memory_vs_chunk_size",
    "online_logsumexp_trace",
    "predicted_memory",
]

# What each part of the memory is drawn in, the same in every figure of the lesson.
SAVED, SAVED_GRAD, LOGITS_GRAD = (
    "log-probabilities, saved for the backward",
    "their gradient (nll_loss's backward)",
    "gradient of the logits",
)
PARAM_GRADS, CHUNK = "gradients of h, W, b", "one chunk of logits"
PART_COLORS = {
    SAVED: style.WARNING,
    SAVED_GRAD: style.EXTRA[1],
    LOGITS_GRAD: style.MODEL,
    PARAM_GRADS: style.ACCENT,
    CHUNK: style.TRUTH,
}
UNITS = (("GB", 1e9), ("MB", 1e6), ("kB", 1e3))
_HISTOGRAM_SAMPLE = 200_000


def predicted_memory(n_rows, n_classes, n_hidden, chunk_size, itemsize, with_bias=True):
    r"""The extra peak memory of one forward and backward of the output layer's loss.

    Parameters
    ----------
    n_rows, n_classes, n_hidden : int
        N rows (positions), V classes (the vocabulary), H hidden units.
    chunk_size : int
        Rows of logits the chunked version makes at once.
    itemsize : int
        Bytes per number: 4 for float32, 2 for float16 and bfloat16, 8 for float64.
    with_bias : bool, optional
        Count the bias's gradient (V numbers).

    Returns
    -------
    dict
        ``{"torch": {part: bytes}, "chunked": {part: bytes}}``, the parts alive at each
        one's peak. torch's peak is in the backward of ``log_softmax``: the
        log-probabilities it saved, their gradient and the gradient of the logits, three
        arrays of the logits' size (the gradients of ``h``, ``W`` and ``b`` come after two
        of them are freed, and make the peak only when they are larger than those two).
        The chunked version holds one chunk of logits and the gradients.

    Notes
    -----
    With :math:`L = N V b` (:math:`b` bytes per number), :math:`G = (N H + V H + V)\, b`
    and :math:`c` rows per chunk,

    .. math:: M_{torch} \approx \max(3 L,\; L + G), \qquad
              M_{chunked} \approx \min(c, N)\, V b + G

    Examples
    --------
    >>> parts = predicted_memory(8192, 128256, 4096, 1024, 4)  # Llama 3 8B, 8192 tokens
    >>> round(sum(parts["torch"].values()) / 1e9, 1), round(sum(parts["chunked"].values()) / 1e9, 1)
    (12.6, 2.8)
    """
    n, v, h, b = int(n_rows), int(n_classes), int(n_hidden), int(itemsize)
    logits = n * v * b
    gradients = (n * h + v * h + (v if with_bias else 0)) * b
    during_log_softmax = 2 * logits >= gradients
    return {
        "torch": {
            SAVED: logits if during_log_softmax else 0,
            SAVED_GRAD: logits if during_log_softmax else 0,
            LOGITS_GRAD: logits,
            PARAM_GRADS: 0 if during_log_softmax else gradients,
        },
        "chunked": {CHUNK: min(int(chunk_size), n) * v * b, PARAM_GRADS: gradients},
    }


def _unit(n_bytes: float):
    for name, size in UNITS:
        if n_bytes >= size:
            return name, size
    return "bytes", 1.0


def memory_breakdown_bars(ax, parts, unit=None, title=None):
    """Stacked horizontal bars: each method's extra memory, part by part.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    parts : dict
        ``{method: {part: bytes}}``, as :func:`predicted_memory` returns; methods are drawn
        top to bottom in their order.
    unit : {"GB", "MB", "kB"}, optional
        The axis unit (default: fits the largest total).
    title : str, optional

    Returns
    -------
    dict
        ``"bars"``: ``{(method, part): Rectangle}``, ``"totals"``: ``{method: Text}``,
        ``"unit"``: the unit's name and size.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> art = memory_breakdown_bars(ax, predicted_memory(1024, 32768, 64, 64, 4))
    >>> art["totals"]["torch"].get_text(), art["unit"][0]
    ('403 MB', 'MB')
    """
    methods = list(parts)
    totals = {m: float(sum(parts[m].values())) for m in methods}
    name, size = _unit(max(totals.values())) if unit is None else (unit, dict(UNITS)[unit])
    bars, texts = {}, {}
    for row, method in enumerate(methods):
        left = 0.0
        for part, n_bytes in parts[method].items():
            width = n_bytes / size
            (rect,) = ax.barh(
                row, width, left=left, height=0.6, color=PART_COLORS.get(part, style.NEUTRAL),
                label=part if part not in {p for (_, p) in bars} else None,
                edgecolor="white", lw=0.8,
            )  # fmt: skip
            bars[method, part] = rect
            left += width
        texts[method] = ax.text(
            left, row, f"{_format(totals[method] / size)} {name}", va="center", ha="left",
            fontsize=9, color="black",
        )  # fmt: skip
    ax.set_yticks(range(len(methods)), methods)
    ax.invert_yaxis()
    ax.set_xlim(0, _nice_limit(1.3 * max(totals.values()) / size))
    style.label_axes(ax, f"extra memory ({name})", None, title)
    ax.grid(True, axis="x", alpha=0.3)
    ax.grid(False, axis="y")
    ax.legend(fontsize="x-small", loc="upper center", bbox_to_anchor=(0.5, -0.2), ncols=2)
    return {"bars": bars, "totals": texts, "unit": (name, size)}


def _format(value: float) -> str:
    return f"{value:.0f}" if value >= 10 else f"{value:.1f}" if value >= 1 else f"{value:.2f}"


def _nice_limit(value: float) -> float:
    """The smallest of 1, 1.5, 2, 3, 5, 7.5 times a power of 10 that is >= ``value``."""
    power = 10.0 ** np.floor(np.log10(value))
    for step in (1, 1.5, 2, 3, 5, 7.5, 10):
        if step * power >= value * (1 - 1e-12):
            return step * power
    return 10 * power


def _set_memory_breakdown(artists, ax, parts) -> tuple:
    """Move :func:`memory_breakdown_bars`'s artists to new ``parts`` (same methods and parts).

    The axis limit moves in steps (:func:`_nice_limit`), so that a widget redraws the axes
    only when it changes; returns ``(unit, limit)``, which names that state.
    """
    totals = {m: float(sum(parts[m].values())) for m in parts}
    name, size = _unit(max(totals.values()))
    for method in parts:
        left = 0.0
        for part, n_bytes in parts[method].items():
            rect = artists["bars"][method, part]
            rect.set_x(left)
            rect.set_width(n_bytes / size)
            left += n_bytes / size
        text = artists["totals"][method]
        text.set_position((left, text.get_position()[1]))
        text.set_text(f"{_format(totals[method] / size)} {name}")
    limit = _nice_limit(1.3 * max(totals.values()) / size)
    if ax.get_xlim() != (0, limit) or ax.get_xlabel() != f"extra memory ({name})":
        ax.set_xlim(0, limit)
        ax.set_xlabel(f"extra memory ({name})")
    artists["unit"] = (name, size)
    return name, limit


def memory_vs_chunk_size(ax, chunk_sizes, predicted, measured=(), current=None, unit="MB"):
    """Predicted extra memory against the chunk size (log-log), with measured points.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    chunk_sizes : array_like
        The x values (rows per chunk).
    predicted : dict
        ``{label: bytes}``, each an array over ``chunk_sizes`` or one number (a flat line).
        A label containing "torch" is drawn dashed in the warning colour, one containing
        "chunk" solid in the truth colour.
    measured : sequence of (label, chunk_size, bytes), optional
        Points measured in the notebook, drawn as markers with their label.
    current : int, optional
        A chunk size to mark with a vertical line (the widget's slider).
    unit : {"GB", "MB", "kB"}

    Returns
    -------
    dict
        ``"lines"`` ``{label: Line2D}``, ``"points"`` (a ``PathCollection`` or None),
        ``"current"`` (``Line2D`` or None).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> art = memory_vs_chunk_size(ax, [1, 10, 100], {"chunked": [1e6, 2e6, 1.1e7]},
    ...                            measured=[("measured", 10, 2.1e6)])
    >>> art["lines"]["chunked"].get_ydata().tolist()
    [1.0, 2.0, 11.0]
    """
    x = as_float_array(chunk_sizes, "chunk_sizes")
    size = dict(UNITS)[unit]
    lines = {}
    for k, (label, values) in enumerate(predicted.items()):
        y = np.broadcast_to(np.asarray(values, dtype=np.float64), x.shape) / size
        color, ls = style.EXTRA[k % len(style.EXTRA)], "-"
        if "torch" in label:
            color, ls = style.WARNING, "--"
        elif "chunk" in label:
            color = style.TRUTH
        (lines[label],) = ax.plot(x, y, color=color, ls=ls, lw=2, label=label)
    points = None
    if measured:
        mx = np.array([m[1] for m in measured], dtype=np.float64)
        my = np.array([m[2] for m in measured], dtype=np.float64) / size
        points = ax.scatter(mx, my, s=40, marker="o", color="black", zorder=3,
                            label="measured in this notebook")  # fmt: skip
        for (label, cx, cy) in measured:
            ax.annotate(label, (cx, cy / size), textcoords="offset points", xytext=(6, -10),
                        fontsize=8)  # fmt: skip
    current_line = None
    if current is not None:
        current_line = ax.axvline(current, color=style.NEUTRAL, lw=1, ls=":")
    ax.set_xscale("log")
    ax.set_yscale("log")
    style.label_axes(ax, "chunk size (rows of logits at once, log scale)",
                     f"extra memory ({unit}, log scale)")  # fmt: skip
    # Upper left, just under the top: above the chunked line's small-chunk end and below a
    # flat line near the top (torch's), away from the measured points and their labels.
    ax.legend(fontsize="x-small", loc="upper left", bbox_to_anchor=(0.0, 0.9))
    return {"lines": lines, "points": points, "current": current_line}


def online_logsumexp_trace(ax, z, block_size):
    r"""How the online log-sum-exp of one row converges, block by block.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    z : array_like
        One row of logits, 1-D.
    block_size : int
        Classes folded in per step.

    Returns
    -------
    dict
        ``"estimate"`` (``Line2D``: :math:`m + \log s` after each block), ``"max"``
        (``Line2D``: the running max :math:`m`), ``"exact"`` (the final value, a line).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> art = online_logsumexp_trace(ax, [0.0, 0.0, 3.0, 0.0], 2)
    >>> art["estimate"].get_ydata().round(4).tolist(), art["max"].get_ydata().tolist()
    ([0.6931, 3.1392], [0.0, 3.0])
    """
    z = as_float_array(z, "z")
    if z.ndim != 1:
        raise ValueError(f"z must be one row of logits (1-D); got shape {z.shape}")
    if not isinstance(block_size, int | np.integer) or block_size < 1:
        raise ValueError(f"block_size must be a positive integer; got {block_size!r}")
    seen, estimates, maxima = [], [], []
    m, s = -np.inf, 0.0
    for start in range(0, z.size, block_size):
        block = z[start : start + block_size]
        new_m = max(m, float(block.max()))
        s = s * np.exp(m - new_m) + float(np.exp(block - new_m).sum())
        m = new_m
        seen.append(start + block.size)
        estimates.append(m + np.log(s))
        maxima.append(m)
    (estimate,) = ax.plot(seen, estimates, marker="o", ms=4, color=style.MODEL, lw=2,
                          label=r"running $m + \log s$")  # fmt: skip
    (running_max,) = ax.step(seen, maxima, where="post", color=style.NEUTRAL, lw=1.5,
                             label="running max $m$")  # fmt: skip
    exact = ax.axhline(estimates[-1], color=style.TRUTH, ls="--", lw=1.5,
                       label=f"log-sum-exp of the whole row = {estimates[-1]:.3f}")  # fmt: skip
    style.label_axes(ax, "classes folded in so far", "nats")
    ax.legend(fontsize="small", loc="lower right")
    return {"estimate": estimate, "max": running_max, "exact": exact}


def gradient_entry_histogram(ax, values, thresholds=None, label=None):
    r"""Distribution of the sizes :math:`|g|` of a gradient's entries (log scale), with
    the thresholds below which an entry is lost in a given precision.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    values : array_like
        The entries (any shape); zeros are left out of the log-scale histogram. Of more
        than 200,000 entries, an evenly spaced sample of 200,000 is drawn (the same
        shares, to within a fraction of a percent, in a fraction of the time).
    thresholds : dict, optional
        ``{label: value}`` vertical lines, e.g. ``{"bfloat16: 2^-12": 2.0**-12}``.
    label : str, optional
        The histogram's legend entry.

    Returns
    -------
    dict
        ``"bars"`` (the histogram's patches) and ``"thresholds"`` ``{label: Line2D}``.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> art = gradient_entry_histogram(ax, [1e-6, 1e-5, 1e-3, 0.5], {"t": 1e-4})
    >>> float(art["thresholds"]["t"].get_xdata()[0])
    -4.0
    """
    import seaborn as sns

    v = np.abs(as_float_array(values, "values")).ravel()
    if v.size > _HISTOGRAM_SAMPLE:
        v = v[:: -(-v.size // _HISTOGRAM_SAMPLE)]
    v = v[v > 0]
    log_v = np.log10(v)
    before = len(ax.patches)
    sns.histplot(x=log_v, bins=60, ax=ax, color=style.MODEL, stat="percent",
                 element="bars", edgecolor="white", linewidth=0.3, label=label)  # fmt: skip
    lines = {}
    for k, (name, value) in enumerate((thresholds or {}).items()):
        lines[name] = ax.axvline(np.log10(value), color=(style.WARNING, style.TRUTH, style.ACCENT)[k % 3],
                                 ls="--", lw=1.8, label=name)  # fmt: skip
    lo, hi = np.floor(log_v.min()), np.ceil(log_v.max())
    ticks = np.arange(lo, hi + 1, max(1, int((hi - lo) // 8) or 1))
    ax.set_xticks(ticks, [f"$10^{{{int(t)}}}$" for t in ticks])
    style.label_axes(ax, r"size of an entry $|g_{ic}|$ (log scale)", "share of the entries (%)")
    ax.legend(fontsize="x-small", loc="upper left")
    return {"bars": ax.patches[before:], "thresholds": lines}
