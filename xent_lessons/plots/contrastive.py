"""Plots of lesson 13: a batch's score matrix, and the InfoNCE bound against the batch size.

Each function draws on the ``ax`` it is given and returns a dict of its artists, so that the
widget (:mod:`xent_lessons.widgets.contrastive`) can move them in place.
"""

from __future__ import annotations

import numpy as np

from .. import style
from .._validation import as_float_array
from ..activations import softmax

__all__ = ["batch_probability_heatmap", "info_nce_curves"]


def batch_probability_heatmap(
    ax, scores, temperature=1.0, annotate=None, colorbar=True, title=None, max_pairs=None
):
    r"""The row softmax of ``scores / temperature`` as a heatmap, the targets (diagonal) framed.

    Row :math:`i` is "which :math:`y_j` goes with :math:`x_i`?": a distribution over the
    batch. InfoNCE is the mean of :math:`-\log` of the framed cells.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    scores : array_like, shape (N, N)
        The critic's scores, true pairs on the diagonal.
    temperature : float, optional
        :math:`\tau > 0`.
    annotate : bool, optional
        Write each probability in its cell (default: when ``N <= 8``).
    colorbar : bool, optional
        Draw seaborn's colour bar.
    title : str, optional
        The axes' title.
    max_pairs : int, optional
        Show only the first ``max_pairs`` rows and columns (the softmax still runs over whole
        rows), for big batches.

    Returns
    -------
    dict
        ``"mesh"`` (the ``QuadMesh``, whose array holds the shown probabilities),
        ``"targets"`` (the diagonal frames) and ``"texts"`` (the annotations, row by row).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> art = batch_probability_heatmap(ax, [[2.0, 0.0], [0.0, 2.0]])
    >>> np.asarray(art["mesh"].get_array()).reshape(2, 2).round(3)
    array([[0.881, 0.119],
           [0.119, 0.881]])
    """
    import seaborn as sns
    from matplotlib.patches import Rectangle

    s = as_float_array(scores, "scores")
    if s.ndim != 2 or s.shape[0] != s.shape[1]:
        raise ValueError(f"scores must be a square (N, N) matrix; got shape {s.shape}")
    probs = softmax(s, axis=1, temperature=temperature)
    n = s.shape[0] if max_pairs is None else min(int(max_pairs), s.shape[0])
    shown = probs[:n, :n]
    if annotate is None:
        annotate = n <= 8
    ticks = list(range(n)) if n <= 16 else False
    sns.heatmap(
        shown,
        ax=ax,
        vmin=0.0,
        vmax=1.0,
        cmap="Blues",
        annot=annotate,
        fmt=".2f",
        annot_kws={"fontsize": 8},
        cbar=colorbar,
        cbar_kws={"label": "probability of pairing $x_i$ with $y_j$"} if colorbar else None,
        square=True,
        linewidths=0.5 if n <= 16 else 0.0,
        linecolor="white",
        xticklabels=ticks,
        yticklabels=ticks,
    )
    mesh = ax.collections[0]
    targets = [
        ax.add_patch(Rectangle((i, i), 1, 1, fill=False, edgecolor=style.MODEL, lw=1.8))
        for i in range(n)
    ]
    ax.set_xlabel("$y_j$ (column $j$)")
    ax.set_ylabel("$x_i$ (row $i$)")
    ax.tick_params(axis="y", rotation=0)
    if title is not None:
        ax.set_title(title)
    return {"mesh": mesh, "targets": targets, "texts": list(ax.texts)}


def _set_heatmap(artists, scores, temperature, n_shown):
    probs = softmax(scores, axis=1, temperature=temperature)[:n_shown, :n_shown]
    artists["mesh"].set_array(probs.ravel())
    return probs


def info_nce_curves(ax, batch_sizes, estimates, true_mi=None, current=None):
    r"""The InfoNCE estimate :math:`\log N - L` against the batch size, under its ceiling.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    batch_sizes : array_like of int
        The batch sizes :math:`N` (x-axis, log scale).
    estimates : array_like or dict
        One estimate per batch size (nats), or a dict ``{critic name: estimates}`` for
        several critics (the keys are the legend's labels).
    true_mi : float, optional
        The true mutual information (nats), drawn as a horizontal line in the truth's colour.
    current : int, optional
        A batch size to mark on the first critic's curve.

    Returns
    -------
    dict
        ``"estimates"`` (dict of ``Line2D`` by critic), ``"ceiling"`` (the ``log N`` line),
        ``"truth"`` (the true-MI line, or None) and ``"marker"`` (or None).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> art = info_nce_curves(ax, [2, 4, 8], [0.6, 1.2, 1.7], true_mi=2.5)
    >>> art["ceiling"].get_ydata().round(3)
    array([0.693, 1.386, 2.079])
    """
    n = np.asarray(batch_sizes, dtype=np.float64)
    if n.ndim != 1 or (n < 1).any():
        raise ValueError("batch_sizes must be a 1-D array of batch sizes >= 1")
    if not isinstance(estimates, dict):
        estimates = {"InfoNCE estimate": estimates}
    colors = (style.MODEL, style.ACCENT, style.EXTRA[1], style.EXTRA[0])
    markers = ("o", "s", "^", "D")
    ceiling = ax.plot(
        n, np.log(n), color=style.NEUTRAL, lw=2, ls="--", label=r"ceiling $\log N$"
    )[0]
    truth = None
    if true_mi is not None:
        truth = ax.axhline(
            float(true_mi), color=style.TRUTH, lw=2, label=f"true $I(X; Y)$ = {true_mi:.2f} nats"
        )
    lines = {}
    for k, (name, values) in enumerate(estimates.items()):
        values = np.asarray(values, dtype=np.float64)
        if values.shape != n.shape:
            raise ValueError(f"estimates[{name!r}] must have one value per batch size")
        lines[name] = ax.plot(
            n, values, color=colors[k % 4], marker=markers[k % 4], ms=5, lw=1.8, label=name
        )[0]
    marker = None
    if current is not None:
        first = next(iter(lines.values()))
        i = int(np.argmin(np.abs(n - current)))
        marker = ax.plot(
            [n[i]], [first.get_ydata()[i]], "o", ms=11, mfc="none", mec="black", mew=2
        )[0]
    ax.set_xscale("log", base=2)
    ax.set_xticks(n, [f"{int(v)}" for v in n])
    ax.minorticks_off()
    # Room above the highest line for a two-column legend, so no line runs through it.
    highest = max([float(np.log(n).max())] + [float(np.nanmax(v.get_ydata())) for v in lines.values()]
                  + ([float(true_mi)] if true_mi is not None else []))
    ax.set_ylim(min(0.0, ax.get_ylim()[0]), 1.45 * highest)
    ax.legend(loc="upper center", fontsize="small", ncols=2)
    style.label_axes(
        ax, "batch size $N$ (log scale)", r"nats", r"InfoNCE bound $\log N - L$ on $I(X; Y)$"
    )
    return {"estimates": lines, "ceiling": ceiling, "truth": truth, "marker": marker}
