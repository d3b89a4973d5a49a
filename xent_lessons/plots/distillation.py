"""Plots of lesson 11: gradient norms across temperatures, forward and reverse KL fits,
and labelled curves (a student's held-out bits against a setting).

The teacher's soft targets are drawn with lesson 03's :func:`xent_lessons.plots.softmax_bars`.
"""

from __future__ import annotations

import numpy as np

from .. import style
from .._validation import as_float_array
from ..distillation import distillation_loss_grad

__all__ = ["gradient_norm_curves", "gradient_norms", "kl_fit_curves", "labelled_curves"]


def gradient_norms(student_logits, teacher_logits, temperatures):
    r"""The size of the soft-target gradient at each temperature, without and with :math:`T^2`.

    Returns
    -------
    (ndarray, ndarray)
        ``plain[k]`` is the Frobenius norm of the gradient of
        :math:`D_{KL}(\mathrm{softmax}(t/T) \| \mathrm{softmax}(s/T))` (batch mean) with
        respect to ``s`` at ``temperatures[k]``; ``scaled[k]`` the same for the loss times
        :math:`T^2`.

    Examples
    --------
    >>> plain, scaled = gradient_norms([[0.0, 0.0]], [[2.0, 0.0]], [1.0, 10.0])
    >>> bool(np.allclose(scaled, plain * np.array([1.0, 100.0])))
    True
    """
    temps = as_float_array(temperatures, "temperatures").astype(np.float64).ravel()
    scaled = np.array([
        np.linalg.norm(distillation_loss_grad(student_logits, teacher_logits, T)) for T in temps
    ])
    return scaled / temps**2, scaled


def gradient_norm_curves(ax, temperatures, plain, scaled, current=None):
    """Gradient norm against the temperature on log-log axes, without and with the T² factor.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    temperatures, plain, scaled : array_like
        From :func:`gradient_norms`.
    current : float, optional
        A temperature to mark with a dot on each curve (a widget moves them).

    Returns
    -------
    dict
        ``"plain"``, ``"scaled"`` (lines), ``"plain_marker"``, ``"scaled_marker"`` (dots) and
        ``"slope"`` (a dotted guide falling as 1/T²).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> art = gradient_norm_curves(Figure().subplots(), [1, 10], [1.0, 0.01], [1.0, 1.0], 10)
    >>> art["plain_marker"].get_ydata().tolist()
    [0.01]
    """
    T = np.asarray(temperatures, dtype=float)
    plain, scaled = np.asarray(plain, dtype=float), np.asarray(scaled, dtype=float)
    (line_s,) = ax.plot(T, scaled, color=style.ACCENT, lw=2.5, label="with the T² factor")
    (line_p,) = ax.plot(T, plain, color=style.WARNING, lw=2.5, label="without it")
    guide = plain[-1] * (T[-1] / T) ** 2  # through the last point, falling as 1 / T^2
    (slope,) = ax.plot(T, guide, color=style.NEUTRAL, ls=":", lw=1.5, label="∝ 1/T²")
    c = T[0] if current is None else float(current)
    (mark_s,) = ax.plot([c], [np.interp(c, T, scaled)], "o", color=style.ACCENT, ms=8)
    (mark_p,) = ax.plot([c], [np.interp(c, T, plain)], "o", color=style.WARNING, ms=8)
    for mark in (mark_s, mark_p):
        mark.set_visible(current is not None)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(T[0], T[-1])
    ax.set_ylim(0.5 * plain.min(), 3 * max(scaled.max(), plain.max()))
    style.label_axes(ax, "temperature T (log scale)", "gradient norm ‖∂L/∂s‖ (log scale)")
    ax.legend(fontsize="small", loc="lower left")
    return {"plain": line_p, "scaled": line_s, "plain_marker": mark_p,
            "scaled_marker": mark_s, "slope": slope}


def kl_fit_curves(ax, x, p, fits):
    """A target distribution on a grid and the Gaussians fitted to it, as curves.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    x, p : array_like
        The grid and the target distribution (drawn filled, the truth's colour).
    fits : mapping of str to array_like
        Fitted distributions on the same grid, by label.

    Returns
    -------
    dict
        ``"p"`` (the filled area) and ``"fits"`` (lines by label).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> art = kl_fit_curves(Figure().subplots(), [0, 1, 2], [0.2, 0.6, 0.2], {"q": [0.3, 0.4, 0.3]})
    >>> art["fits"]["q"].get_ydata().tolist()
    [0.3, 0.4, 0.3]
    """
    x, p = np.asarray(x, dtype=float), np.asarray(p, dtype=float)
    area = ax.fill_between(x, p, color=style.TRUTH, alpha=0.3, lw=0, label="target p (two modes)")
    ax.plot(x, p, color=style.TRUTH, lw=1.5)
    colors = [style.MODEL, style.ACCENT, style.EXTRA[1]]
    styles = ["-", "--", "-."]
    lines = {}
    for (name, q), color, ls in zip(fits.items(), colors, styles, strict=False):
        (lines[name],) = ax.plot(x, q, color=color, lw=2.5, ls=ls, label=name)
    ax.set_xlim(x[0], x[-1])
    ax.set_ylim(0, 1.15 * max(p.max(), *(np.max(q) for q in fits.values())))
    style.label_axes(ax, "x", "probability of each grid point")
    ax.legend(fontsize="small", loc="upper right")
    return {"p": area, "fits": lines}


def labelled_curves(ax, x, curves, references=None, xlabel="x", ylabel="y", log_x=False):
    """Curves against one setting, each with a marker and a label, and horizontal references.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    x : array_like, shape (M,)
        The setting (e.g. the fake count alpha, or k).
    curves : mapping of str to array_like of shape (M,)
        The values by label, drawn in the course's colours (the first in the model's).
    references : mapping of str to float, optional
        Horizontal dashed lines by label (e.g. the teacher's bits per character).
    xlabel, ylabel : str
        The axes' labels, with their units.
    log_x : bool
        A logarithmic x axis.

    Returns
    -------
    dict
        ``"curves"`` and ``"references"``: the lines by label.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> art = labelled_curves(Figure().subplots(), [1, 2], {"a": [3.0, 2.0]}, {"best": 1.5})
    >>> art["curves"]["a"].get_ydata().tolist(), list(art["references"]["best"].get_ydata())
    ([3.0, 2.0], [1.5, 1.5])
    """
    x = as_float_array(x, "x")
    colors = [style.MODEL, style.ACCENT, style.EXTRA[1], style.EXTRA[0], style.WARNING]
    markers = ["o", "s", "^", "D", "v"]
    lines = {}
    for i, (name, values) in enumerate(curves.items()):
        (lines[name],) = ax.plot(x, np.asarray(values, dtype=float), color=colors[i % 5],
                                 marker=markers[i % 5], ms=4, lw=2, label=name)
    refs = {}
    for i, (name, value) in enumerate((references or {}).items()):
        refs[name] = ax.axhline(float(value), color=(style.TRUTH, style.NEUTRAL)[i % 2], ls="--",
                                lw=1.5, label=name)
    if log_x:
        ax.set_xscale("log")
    style.label_axes(ax, xlabel, ylabel)
    ax.legend(fontsize="small")
    return {"curves": lines, "references": refs}
