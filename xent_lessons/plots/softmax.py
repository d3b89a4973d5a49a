"""Plots of lesson 03: logits and their softmax, temperature, overflow, the sigmoid.

Each function draws on the ``ax`` it is given and returns a dict of its artists, so that a
widget (:mod:`xent_lessons.widgets.softmax`) can move them in place. Classes are coloured
with ``style.CLASS_COLORS`` in order, the same in every panel.
"""

from __future__ import annotations

import numpy as np
from matplotlib.ticker import FuncFormatter, MaxNLocator

from .. import style
from .._validation import as_float_array
from ..activations import sigmoid, softmax
from ..information import entropy
from .divergence import _bar_texts, _set_bar_texts

__all__ = [
    "exp_overflow",
    "logit_bars",
    "sigmoid_as_softmax",
    "softmax_bars",
    "temperature_sweep",
]


def _class_vector(z, name="z"):
    z = as_float_array(z, name)
    if z.ndim != 1:
        raise ValueError(f"{name} must be 1-D, one value per class; got shape {z.shape}")
    if not 2 <= z.size <= len(style.CLASS_COLORS):
        raise ValueError(
            f"{name} must have 2 to {len(style.CLASS_COLORS)} classes to plot; got {z.size}"
        )
    return z


def _class_labels(labels, n_classes):
    if labels is None:
        return [f"class {i}" for i in range(n_classes)]
    labels = list(labels)
    if len(labels) != n_classes:
        raise ValueError(f"labels must name the {n_classes} classes; got {len(labels)}")
    return labels


def logit_bars(ax, z, labels=None, limit=None):
    """Bars of the logits ``z`` of one example, one per class, with their values.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    z : array_like
        The logits, 1-D, finite, 2 to 6 classes.
    labels : sequence of str, optional
        The classes' names (default ``"class 0"``, ``"class 1"``, ...).
    limit : float, optional
        Fix the y-axis to ``[-limit, limit]`` (a widget's slider range); by default it fits
        the logits.

    Returns
    -------
    dict
        ``"bars"`` (a ``BarContainer``) and ``"texts"`` (the value labels).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> artists = logit_bars(ax, [2.0, 1.0, -1.0])
    >>> [float(bar.get_height()) for bar in artists["bars"]]
    [2.0, 1.0, -1.0]
    """
    z = _class_vector(z)
    if not np.isfinite(z).all():
        raise ValueError("z must be finite to draw its bars")
    labels = _class_labels(labels, z.size)
    x = np.arange(z.size)
    bars = ax.bar(x, z, color=style.CLASS_COLORS[: z.size], width=0.6)
    artists = {"bars": bars, "texts": _bar_texts(ax, bars, fmt="{:+.1f}")}
    ax.axhline(0, color=style.NEUTRAL, lw=1)
    ax.set_xticks(x, labels)
    if limit is None:
        limit = max(1.0, float(np.abs(z).max())) * 1.25
    ax.set_ylim(-limit, limit)
    ax.yaxis.set_major_locator(MaxNLocator(5))
    ax.set_axisbelow(True)
    style.label_axes(ax, None, "logit z (any real number)", "scores: logits z")
    _set_logit_bars(artists, z)
    return artists


def _set_logit_bars(artists, z) -> None:
    for bar, value in zip(artists["bars"], z, strict=True):
        bar.set_height(value)
    _set_bar_texts(artists["texts"], artists["bars"], fmt="{:+.1f}")
    for text, value in zip(artists["texts"], z, strict=True):
        text.set_va("bottom" if value >= 0 else "top")


def softmax_bars(ax, z, temperature=1.0, labels=None):
    """Bars of ``softmax(z / T)``, one per class, with ``T`` and the entropy written above.

    A dotted line marks the uniform distribution ``1 / C``, the limit of a hot softmax.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    z : array_like
        The logits, 1-D, finite or ``-inf``, 2 to 6 classes.
    temperature : float, optional
        ``T > 0``; the logits are divided by it before the softmax.
    labels : sequence of str, optional
        The classes' names (default ``"class 0"``, ``"class 1"``, ...).

    Returns
    -------
    dict
        ``"bars"`` (a ``BarContainer``), ``"texts"`` (the probabilities written above the
        bars) and ``"info"`` (the ``Text`` with the temperature and the entropy).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> artists = softmax_bars(ax, [1.0, 2.0, 3.0])
    >>> [t.get_text() for t in artists["texts"]]
    ['0.090', '0.245', '0.665']
    >>> artists["info"].get_text()
    'T = 1.00    entropy H(q) = 0.832 nats'
    """
    z = _class_vector(z)
    labels = _class_labels(labels, z.size)
    x = np.arange(z.size)
    bars = ax.bar(x, np.zeros(z.size), color=style.CLASS_COLORS[: z.size], width=0.6)
    info = ax.text(0.5, 0.97, "", transform=ax.transAxes, ha="center", va="top")
    artists = {"bars": bars, "texts": _bar_texts(ax, bars), "info": info}
    ax.axhline(1 / z.size, color=style.NEUTRAL, ls=":", lw=1.5)  # the uniform distribution
    ax.set_xticks(x, labels)
    ax.set_ylim(0, 1.3)  # room above a bar of height 1 for its label and the info line
    ax.set_yticks([0, 1 / z.size, 1], ["0", f"1/{z.size}", "1"])
    ax.set_axisbelow(True)
    style.label_axes(ax, None, "probability q", "probabilities q = softmax(z / T)")
    _set_softmax_bars(artists, z, temperature)
    return artists


def _set_softmax_bars(artists, z, temperature):
    """Set the bars to ``softmax(z / T)``; returns the probabilities and their entropy."""
    q = softmax(z, temperature=temperature)
    for bar, value in zip(artists["bars"], q, strict=True):
        bar.set_height(value)
    _set_bar_texts(artists["texts"], artists["bars"])
    h = entropy(q)
    artists["info"].set_text(f"T = {temperature:.2f}    entropy H(q) = {h:.3f} nats")
    return q, h


def temperature_sweep(ax, z, temperatures=None, labels=None):
    """Each class's probability ``softmax(z / T)_i`` as the temperature ``T`` varies.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    z : array_like
        The logits, 1-D, finite, 2 to 6 classes.
    temperatures : array_like, optional
        Increasing temperatures ``> 0`` (default: 200 from 0.05 to 20, log-spaced).
    labels : sequence of str, optional
        The classes' names (default ``"class 0"``, ``"class 1"``, ...).

    Returns
    -------
    dict
        ``"lines"`` (one ``Line2D`` per class), ``"uniform"`` (the line at ``1 / C``) and
        ``"t1"`` (the vertical line at ``T = 1``).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> artists = temperature_sweep(ax, [2.0, 1.0, -1.0], temperatures=[0.01, 1.0, 1000.0])
    >>> artists["lines"][0].get_ydata().round(3)
    array([1.   , 0.705, 0.334])
    """
    z = _class_vector(z)
    labels = _class_labels(labels, z.size)
    if temperatures is None:
        temperatures = np.geomspace(0.05, 20, 200)
    temperatures = as_float_array(temperatures, "temperatures")
    if temperatures.ndim != 1 or (temperatures <= 0).any():
        raise ValueError("temperatures must be a 1-D array of numbers > 0")
    # One row of probabilities per temperature: softmax of z / T, row by row.
    probs = softmax(z[None, :] / temperatures[:, None], axis=-1)
    lines = [
        ax.plot(temperatures, probs[:, i], color=style.CLASS_COLORS[i], lw=2, label=labels[i])[0]
        for i in range(z.size)
    ]
    uniform = ax.axhline(1 / z.size, color=style.NEUTRAL, ls=":", label=f"uniform, 1/{z.size}")
    t1 = ax.axvline(1.0, color=style.NEUTRAL, lw=1, ls="--", label="T = 1: plain softmax")
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))  # 0.1, not 10⁻¹
    ax.set_ylim(0, 1.02)
    ax.legend(loc="upper right", fontsize="small")
    style.label_axes(
        ax,
        "temperature T (log scale)",
        "probability softmax(z / T)",
        "cold (T < 1) sharpens, hot (T > 1) flattens",
    )
    return {"lines": lines, "uniform": uniform, "t1": t1}


def exp_overflow(ax, z_max=900.0):
    """``log10(exp(z))`` computed in float32 and in float64: each line stops at overflow.

    ``exp`` overflows to ``inf`` above ``ln(max float)``: about 88.72 in float32 and 709.78
    in float64. The lines are what NumPy really computes, so they end where ``exp`` does.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    z_max : float, optional
        The largest ``z`` on the x-axis (default 900: past float64's limit, with room for
        its label).

    Returns
    -------
    dict
        ``"float32"`` and ``"float64"`` (``Line2D``), and ``"limits"`` (the two markers at
        the largest ``z`` whose ``exp`` is finite, one per dtype, as a list).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> artists = exp_overflow(ax)
    >>> [round(float(m.get_xdata()[0]), 2) for m in artists["limits"]]
    [88.72, 709.78]
    """
    z = np.linspace(0.0, float(z_max), 4001)
    artists = {"limits": []}
    # float32 as a wide band under a thin float64 line: where both exist they are equal.
    styles = {np.float32: (style.EXTRA[1], 7), np.float64: (style.ACCENT, 2)}
    for dtype, (color, width) in styles.items():
        with np.errstate(over="ignore"):
            e = np.exp(z.astype(dtype))
        finite = np.isfinite(e)
        name = np.dtype(dtype).name
        artists[name] = ax.plot(
            z[finite], np.log10(e[finite].astype(np.float64)), color=color, lw=width, label=name
        )[0]
        limit = float(np.log(np.finfo(dtype).max))  # the largest z with a finite exp(z)
        artists["limits"].append(
            ax.plot([limit], [limit / np.log(10)], "X", color=style.WARNING, ms=10, zorder=3)[0]
        )
        ax.annotate(
            f"{name}: exp(z) = inf\nfor z > {limit:.2f}",
            (limit, limit / np.log(10)),
            xytext=(12, -6),
            textcoords="offset points",
            va="top",
            color=style.WARNING,
        )
    artists["limits"][0].set_label("the last finite exp(z)")
    ax.set_xlim(0, z_max)
    ax.legend(loc="upper left", fontsize="small")
    style.label_axes(ax, "logit z", "log₁₀ exp(z) (≈ its digits)", "where exp overflows to inf")
    return artists


def sigmoid_as_softmax(ax, z_points=None):
    """The sigmoid curve, with ``softmax([0, z])[1]`` computed at a few points on top.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    z_points : array_like, optional
        The logits where the two-class softmax is computed (default: -6 to 6 in steps of 1).

    Returns
    -------
    dict
        ``"sigmoid"`` (the curve), ``"softmax"`` (the points ``softmax([0, z])[1]``) and
        ``"other_class"`` (the curve ``softmax([0, z])[0] = 1 - sigmoid(z)``).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> artists = sigmoid_as_softmax(ax, [-1.0, 0.0, 1.0])
    >>> artists["softmax"].get_ydata().round(4)
    array([0.2689, 0.5   , 0.7311])
    """
    if z_points is None:
        z_points = np.arange(-6.0, 7.0)
    z_points = as_float_array(z_points, "z_points")
    if z_points.ndim != 1 or not np.isfinite(z_points).all():
        raise ValueError("z_points must be a 1-D array of finite logits")
    lo, hi = min(-6.0, float(z_points.min())), max(6.0, float(z_points.max()))
    z = np.linspace(lo, hi, 400)
    two_class = softmax(np.stack([np.zeros_like(z_points), z_points], axis=-1))
    artists = {
        "sigmoid": ax.plot(z, sigmoid(z), color=style.CLASS_COLORS[1], lw=2.5, label="σ(z)")[0],
        "other_class": ax.plot(
            z, sigmoid(-z), color=style.CLASS_COLORS[0], lw=1.5, ls="--", label="1 − σ(z) = σ(−z)"
        )[0],
        "softmax": ax.plot(
            z_points,
            two_class[:, 1],
            "o",
            mfc="white",
            mec="black",
            ms=7,
            label="softmax([0, z])[1]",
        )[0],
    }
    ax.set_ylim(-0.02, 1.02)
    ax.legend(loc="center right", fontsize="small")
    style.label_axes(
        ax, "logit z", "probability", "the sigmoid is the softmax of two logits, 0 and z"
    )
    return artists
