"""Plots of lesson 16: the log-partition over training steps, the soft cap, the logits'
histogram and the loss's parts, and the bytes a vocabulary split sends.

Each function draws on the ``ax`` it is given and returns its artists, so that the widget
(:mod:`xent_lessons.widgets.at_scale`) can move them in place.
"""

from __future__ import annotations

import numpy as np

from .. import style
from .._validation import as_float_array

__all__ = [
    "communication_bytes",
    "confident_logits",
    "log_partition_over_steps",
    "logit_histogram",
    "loss_parts_bars",
    "softcap_curves",
]

LOSS_PARTS = ("cross-entropy", "z-loss λ·(log Z)²", "total")
PART_COLORS = (style.MODEL, style.ACCENT, style.NEUTRAL)


def confident_logits(n_rows=256, n_classes=512, seed=16):
    """Logits of a model that is fairly sure of its targets (a fixed, seeded sample).

    Every row's logits are Gaussian noise (standard deviation 2) with the target's logit
    raised by 6 to 12, so the cross-entropy is about 1 nat and, at a shift of 0, log Z is
    about 10 nats.

    Returns
    -------
    (ndarray, ndarray)
        ``z`` of shape ``(n_rows, n_classes)`` and the targets, shape ``(n_rows,)``.

    Examples
    --------
    >>> z, y = confident_logits()
    >>> z.shape, y.shape
    ((256, 512), (256,))
    """
    rng = np.random.default_rng(seed)
    z = rng.normal(0.0, 2.0, (n_rows, n_classes))
    y = rng.integers(0, n_classes, n_rows)
    z[np.arange(n_rows), y] += 6.0 + 6.0 * rng.random(n_rows)
    return z, y


def log_partition_over_steps(ax, curves, ylabel="mean log Z (nats)", title=None):
    """Lines of a quantity (log Z, or the loss) over training steps, one per run.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    curves : dict
        ``{label: values}``, one value per step (step 0 first). A label containing
        "held-out" is drawn dashed.
    ylabel, title : str, optional

    Returns
    -------
    dict
        ``{label: Line2D}``.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> lines = log_partition_over_steps(ax, {"no z-loss": [3.3, 3.6, 3.9], "λ = 0.01": [3.3, 2.0, 0.5]})
    >>> list(lines), float(lines["λ = 0.01"].get_ydata()[-1])
    (['no z-loss', 'λ = 0.01'], 0.5)
    """
    colors = [style.MODEL, style.ACCENT, style.TRUTH, *style.EXTRA]
    lines = {}
    for k, (label, values) in enumerate(curves.items()):
        values = as_float_array(values, label)
        (lines[label],) = ax.plot(
            np.arange(values.size), values, color=colors[k % len(colors)], label=label,
            linestyle="--" if "held-out" in label else "-", linewidth=1.8,
        )  # fmt: skip
    style.label_axes(ax, "training step", ylabel, title)
    ax.legend(fontsize=8)
    return lines


def softcap_curves(ax, caps=(30.0, 10.0), z_range=(-80.0, 80.0), n_points=801):
    """The soft-capped logit ``c · tanh(z / c)`` against the logit ``z``, for each cap.

    Returns
    -------
    dict
        ``{"identity": Line2D, c: Line2D for each cap}``.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> lines = softcap_curves(ax, caps=(30.0,))
    >>> round(float(lines[30.0].get_ydata().max()), 2)
    29.71
    """
    z = np.linspace(*z_range, n_points)
    out = {}
    (out["identity"],) = ax.plot(z, z, color=style.NEUTRAL, linestyle=":", label="no cap: z")
    colors = [style.MODEL, style.ACCENT, style.TRUTH, *style.EXTRA]
    for k, c in enumerate(caps):
        (out[c],) = ax.plot(z, c * np.tanh(z / c), color=colors[k % len(colors)],
                            label=f"c = {c:g}: c·tanh(z/c)", linewidth=2)  # fmt: skip
        ax.axhline(c, color=colors[k % len(colors)], linewidth=0.6, alpha=0.5)
        ax.axhline(-c, color=colors[k % len(colors)], linewidth=0.6, alpha=0.5)
    ax.set_ylim(z_range[0] * 0.6, z_range[1] * 0.6)
    style.label_axes(ax, "logit z (nats)", "capped logit (nats)")
    ax.legend(fontsize=8, loc="upper left")
    return out


def logit_histogram(ax, z, bins, cap=None, log_z=None, title="the logits", top=None):
    """A histogram of logits (all entries of ``z``) on fixed, equal ``bins``, with ``±cap``
    and the mean log-partition marked; the bars can be moved with
    :func:`_set_logit_histogram`. ``top`` fixes the y-axis' top.

    Returns
    -------
    dict
        ``{"bars": StepPatch, "cap_low": Line2D, "cap_high": Line2D, "log_z": Line2D}``
        (the bars' heights: ``art["bars"].get_data().values``).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> art = logit_histogram(ax, np.array([[0.0, 1.0, 2.0]]), bins=np.linspace(-3, 3, 7), log_z=2.4)
    >>> art["bars"].get_data().values.round(3).tolist()
    [0.0, 0.0, 0.0, 0.333, 0.333, 0.333]
    """
    bins = np.asarray(bins, dtype=np.float64)
    # One artist for every bin (a StepPatch), so that moving the histogram redraws one
    # thing, not a rectangle per bin.
    art = {
        "bars": ax.stairs(np.zeros(bins.size - 1), bins, fill=True, color=style.MODEL,
                          alpha=0.8, label="logits"),
    }  # fmt: skip
    art["cap_low"] = ax.axvline(0.0, color=style.WARNING, linestyle="--", label="±c (the cap)")
    art["cap_high"] = ax.axvline(0.0, color=style.WARNING, linestyle="--")
    art["log_z"] = ax.axvline(0.0, color=style.ACCENT, linewidth=2, label="mean log Z")
    _set_logit_histogram(art, z, bins, cap, log_z, top)
    ax.set_xlim(bins[0], bins[-1])
    style.label_axes(ax, "logit (nats)", "share of the logits", title)
    ax.legend(fontsize=8, loc="upper left")
    return art


def _set_logit_histogram(art, z, bins, cap=None, log_z=None, top=None):
    """Move the histogram's bars and marks to new logits, cap and mean log Z; ``top`` fixes
    the y-axis (default: 1.25 times the tallest bar). Returns the y-axis' top."""
    z = np.asarray(z, dtype=np.float64).ravel()
    # Equal bins: a bin's index is one division (much faster than np.histogram's search);
    # logits outside the bins are counted in the end bins.
    index = np.floor((z - bins[0]) * ((bins.size - 1) / (bins[-1] - bins[0])))
    index = np.clip(index, 0, bins.size - 2).astype(np.intp)
    shares = np.bincount(index, minlength=bins.size - 1) / max(z.size, 1)
    art["bars"].set_data(values=shares)
    if top is None:
        top = max(float(shares.max()), 1e-3) * 1.25
    ax = art["log_z"].axes
    if ax.get_ylim() != (0.0, top):
        ax.set_ylim(0.0, top)
    for key, x in (("cap_low", -cap if cap else None), ("cap_high", cap)):
        art[key].set_visible(x is not None)
        if x is not None:
            art[key].set_xdata([x, x])
    art["log_z"].set_visible(log_z is not None)
    if log_z is not None:
        art["log_z"].set_xdata([log_z, log_z])
    return top


def loss_parts_bars(ax, parts, limit=None, title="the loss, part by part"):
    """Bars of the loss's parts: cross-entropy, the z-loss term and their sum.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    parts : sequence of 3 float
        In the order of ``LOSS_PARTS``, in nats.
    limit : float, optional
        The y-axis' top (default: 1.3 times the largest part).

    Returns
    -------
    dict
        ``{"bars": BarContainer, "texts": [Text, ...]}``.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> art = loss_parts_bars(Figure().subplots(), [2.2, 0.1, 2.3])
    >>> [t.get_text() for t in art["texts"]]
    ['2.200', '0.100', '2.300']
    """
    parts = as_float_array(parts, "parts")
    x = np.arange(len(LOSS_PARTS))
    art = {"bars": ax.bar(x, parts, color=PART_COLORS, width=0.6)}
    art["texts"] = [ax.text(i, 0.0, "", ha="center", va="bottom", fontsize=9) for i in x]
    ax.set_xticks(x, LOSS_PARTS, fontsize=8)
    ax.set_ylim(0.0, limit if limit is not None else 1.3 * max(float(parts.max()), 1e-3))
    _set_loss_parts(art, parts)
    style.label_axes(ax, None, "mean loss (nats)", title)
    ax.grid(False, axis="x")
    return art


def _set_loss_parts(art, parts):
    top = art["bars"][0].axes.get_ylim()[1]
    for bar, text, value in zip(art["bars"], art["texts"], parts, strict=True):
        bar.set_height(min(value, top))
        text.set_y(min(value, top * 0.92))
        text.set_text(f"{value:.3f}" if value < top else f"{value:.3g} ↑")


def communication_bytes(ax, n_rows, vocab_sizes, world_size=2, itemsize=4):
    """Bytes one process hands to the network per loss: the three all-reduces of N
    numbers, against gathering the other processes' logits (N × V (P - 1) / P numbers).

    Returns
    -------
    dict
        ``{"split": Line2D, "gathered": Line2D}``.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> lines = communication_bytes(Figure().subplots(), 8192, [32000, 128256], world_size=2)
    >>> lines["split"].get_ydata().tolist(), lines["gathered"].get_ydata().tolist()
    ([98304.0, 98304.0], [524288000.0, 2101346304.0])
    """
    v = np.asarray(vocab_sizes, dtype=np.float64)
    split = np.full(v.size, 3.0 * n_rows * itemsize)
    gathered = n_rows * v * (world_size - 1) / world_size * itemsize
    out = {}
    (out["gathered"],) = ax.plot(v, gathered, "o-", color=style.WARNING,
                                 label="gather the logits: N·V·(P-1)/P numbers")  # fmt: skip
    (out["split"],) = ax.plot(v, split, "o-", color=style.ACCENT,
                              label="three all-reduces: 3·N numbers")  # fmt: skip
    ax.set_xscale("log")
    ax.set_yscale("log")
    style.label_axes(ax, "vocabulary V (classes)", "bytes sent by one process")
    ax.set_title(f"N = {n_rows:,} positions, P = {world_size} processes, {itemsize} B a number",
                 fontsize=10)  # fmt: skip
    ax.legend(fontsize=8)
    return out
