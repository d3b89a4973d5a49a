"""Plots of lesson 09: a padded batch of targets, the weight of each token, a training curve.

Each function draws on the ``ax`` it is given and returns its artists, so that the widget of
:mod:`xent_lessons.widgets.sequences` can move them in place. The right (token-mean) weights
are drawn in ``style.TRUTH``, what a naive average gives in ``style.WARNING``.
"""

from __future__ import annotations

import numpy as np

from .. import style
from .._validation import as_array, as_float_array
from .language_models import char_label

__all__ = [
    "padded_targets",
    "sliding_window_curves",
    "token_weight_steps",
    "training_bpc_curves",
    "weight_steps_data",
]


def padded_targets(ax, targets, chars, ignore_index=-100, row_labels=None):
    """A batch of targets as a grid: one row per sequence, one cell per position.

    Real targets show their character on a cell shaded by row; ignored positions (padding)
    are grey and marked ``·``. seaborn's heatmap draws the grid.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    targets : array_like of int, shape (batch, time)
        Token ids, ``ignore_index`` at padded positions.
    chars : str
        The vocabulary: token id ``i`` is ``chars[i]``.
    ignore_index : int, optional
    row_labels : sequence of str, optional
        A label per row (default ``"sequence 0"``, ...).

    Returns
    -------
    matplotlib.collections.QuadMesh

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> mesh = padded_targets(Figure().subplots(), [[1, 2, -100]], "ab c")
    >>> mesh.get_array().reshape(1, 3).tolist()
    [[1.0, 1.0, 0.0]]
    """
    import seaborn as sns
    from matplotlib.colors import ListedColormap

    t = as_array(targets, "targets")
    if t.ndim != 2 or t.dtype.kind not in "iu":
        raise ValueError(f"targets must be integer token ids of shape (batch, time); got {t.shape}")
    real = t != ignore_index
    labels = np.array(
        [[char_label(chars[i]) if i != ignore_index else "·" for i in row] for row in t.tolist()]
    )
    rows = row_labels or [f"sequence {b}" for b in range(t.shape[0])]
    sns.heatmap(real.astype(float), ax=ax, cmap=ListedColormap(["#E6E6E6", "#BFD9EC"]),
                vmin=0, vmax=1, cbar=False, annot=labels, fmt="", linewidths=1,
                linecolor="white", annot_kws={"fontsize": 9, "family": "monospace"},
                xticklabels=list(range(t.shape[1])), yticklabels=rows)
    ax.tick_params(axis="y", rotation=0, labelsize="small")
    ax.tick_params(axis="x", labelsize="x-small")
    ax.set_xlabel("position t (the target at t is the token at t + 1)")
    return ax.collections[0]


def weight_steps_data(token_counts, naive, right):
    """``(edges, naive * N, right * N)``: what :func:`token_weight_steps` draws.

    The edges are the micro-batches' boundaries as shares of the batch's ``N`` tokens
    (0 to 1); the weights are relative to the token mean's ``1 / N`` (1 = a fair share).
    """
    counts = np.asarray(token_counts, dtype=np.float64)
    total = counts.sum()
    edges = np.concatenate([[0.0], np.cumsum(counts) / total])
    return edges, as_float_array(naive, "naive") * total, as_float_array(right, "right") * total


def token_weight_steps(ax, token_counts, naive, right, ylim=(0.05, 500)):
    """The weight each token gets in the loss, micro-batch after micro-batch.

    The x-axis is the batch's tokens in order, as a share of all ``N`` of them, so that
    micro-batch :math:`m` takes the width :math:`n_m / N`; the y-axis (log scale) is a
    token's weight relative to :math:`1 / N`, the token mean's: 1 is a fair share. The area
    of a micro-batch is then its total weight: :math:`1/M` each under the mean of means,
    :math:`n_m / N` under the token mean.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    token_counts : sequence of int
        Real tokens in each micro-batch, :math:`n_1, \\dots, n_M`.
    naive, right : array_like, shape (M,)
        The weight of one token of each micro-batch under the mean of micro-batch means
        and under the token mean (:func:`xent_lessons.sequences.micro_batch_token_weights`).
    ylim : tuple, optional
        The y-axis range (fixed, so that a widget can redraw only the steps).

    Returns
    -------
    dict
        ``"naive"`` and ``"right"`` (``StepPatch``; move them with ``set_data(values,
        edges)``, from :func:`weight_steps_data`), ``"edges"`` (``Line2D``, the boundaries)
        and ``"tops"`` (``Line2D``, a marker on top of each shaded step, so that a
        micro-batch of one token, a step a pixel wide, still shows its height).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> art = token_weight_steps(Figure().subplots(), [1, 3], [0.5, 1 / 6], [0.25, 0.25])
    >>> art["naive"].get_data().values.tolist(), art["naive"].get_data().edges.tolist()
    ([2.0, 0.6666666666666666], [0.0, 0.25, 1.0])
    """
    edges, naive_n, right_n = weight_steps_data(token_counts, naive, right)
    art = {
        "naive": ax.stairs(naive_n, edges, fill=True, alpha=0.45, color=style.WARNING,
                           baseline=ylim[0] / 10,
                           label="mean of the micro-batch means: N / (M · n_m)"),
        "right": ax.stairs(right_n, edges, color=style.TRUTH, lw=2.4, baseline=None,
                           label="token mean of the whole batch: 1 for every token"),
    }
    (art["edges"],) = ax.plot(*_boundaries(edges), color=style.NEUTRAL, lw=0.8, ls=":")
    # A micro-batch of a few tokens is a step a pixel wide: a marker on top of each step
    # keeps its height visible, however narrow.
    (art["tops"],) = ax.plot(*_step_tops(edges, naive_n), ls="none", marker="v", ms=7,
                             color=style.WARNING, markeredgecolor="black", markeredgewidth=0.6,
                             clip_on=False, zorder=5,
                             label="the top of each micro-batch's step (seen even when narrow)")
    ax.set_yscale("log")
    ax.set_xlim(0, 1)
    ax.set_ylim(*ylim)
    style.label_axes(ax, "the batch's tokens, micro-batch after micro-batch (share of N)",
                     "weight × N  (1 = a fair share)")
    ax.legend(fontsize="small", loc="upper right")
    return art


def _step_tops(edges, heights):
    """``(x, y)`` of a marker on top of each step: its middle and its height."""
    edges = np.asarray(edges, dtype=np.float64)
    return (edges[:-1] + edges[1:]) / 2, np.asarray(heights, dtype=np.float64)


def _boundaries(edges):
    """Vertical dotted lines at the inner edges, as one ``Line2D``'s data (NaN-separated)."""
    inner = np.asarray(edges)[1:-1]
    return np.repeat(inner, 3), np.tile([1e-9, 1e9, np.nan], inner.size)


def training_bpc_curves(ax, steps, train_bits, held_out_bits=None, references=None):
    """A model's loss in bits per character along training, with horizontal reference lines.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    steps : array_like
        The training steps of ``train_bits``.
    train_bits : array_like
        The loss of each step's batch (bits per character).
    held_out_bits : tuple of (array_like, array_like), optional
        ``(steps, bits)`` of the held-out text, measured every so often.
    references : dict of str to float, optional
        Labelled horizontal lines (bits per character), e.g. a counting model's.

    Returns
    -------
    dict
        ``"train"``, ``"held_out"`` (``Line2D`` or None) and ``"references"``.
    """
    art = {"held_out": None, "references": {}}
    (art["train"],) = ax.plot(steps, train_bits, color=style.NEUTRAL, lw=1, alpha=0.8,
                              label="training batches")
    if held_out_bits is not None:
        (art["held_out"],) = ax.plot(*held_out_bits, "o-", color=style.MODEL, lw=2, ms=4,
                                     label="held-out text")
    colors = iter([style.TRUTH, style.ACCENT, style.EXTRA[1]])
    for name, value in (references or {}).items():
        art["references"][name] = ax.axhline(value, color=next(colors), ls="--", lw=1.4,
                                             label=f"{name}: {value:.3f}")
    style.label_axes(ax, "training step", "cross-entropy (bits per character)")
    ax.legend(fontsize="small", loc="upper right")
    return art


def sliding_window_curves(ax_bits, ax_calls, curves, full_context_bits=None):
    """Bits per token and model calls against the stride of a sliding-window evaluation.

    Parameters
    ----------
    ax_bits, ax_calls : matplotlib.axes.Axes
        Left: the mean bits per token at each stride; right: the number of model calls
        (windows), on a log scale.
    curves : dict
        ``{context_length: (strides, bits, calls)}``, one line per context length.
    full_context_bits : float, optional
        The score with every token given all the context the model can use: a grey line.

    Returns
    -------
    dict
        ``"bits"`` and ``"calls"``: lists of ``Line2D``, one per context length.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax_bits, ax_calls = Figure().subplots(1, 2)
    >>> out = sliding_window_curves(ax_bits, ax_calls, {4: ([1, 2, 3], [2.5, 2.6, 2.9], [99, 50, 33])})
    >>> out["bits"][0].get_ydata().tolist()
    [2.5, 2.6, 2.9]
    """
    colors = (style.MODEL, *style.EXTRA)
    markers = ("s", "o", "^", "D")
    lines = {"bits": [], "calls": []}
    for k, (context_length, (strides, bits, calls)) in enumerate(sorted(curves.items())):
        strides = as_array(strides, "strides")
        bits, calls = as_float_array(bits, "bits"), as_float_array(calls, "calls")
        # the first curves drawn larger and hollow, so that a later one on top leaves them visible
        style_kw = dict(color=colors[k % len(colors)], marker=markers[k % len(markers)],
                        markersize=max(10 - 3 * k, 4), markerfacecolor="none" if k == 0 else None,
                        label=f"context length L = {context_length}")
        lines["bits"] += ax_bits.plot(strides, bits, **style_kw)
        lines["calls"] += ax_calls.plot(strides, calls, **style_kw)
        ax_bits.annotate("L - 1: no overlap", (strides[-1], bits[-1]), textcoords="offset points",
                         xytext=(-6, 0), ha="right", va="center", fontsize="small",
                         color=colors[k % len(colors)])
    if full_context_bits is not None:
        ax_bits.axhline(full_context_bits, color=style.NEUTRAL, linestyle="--", linewidth=1,
                        label=f"every token with full context, {full_context_bits:.3f}")
    ax_bits.set_xlabel("stride (tokens)")
    ax_bits.set_ylabel("held-out bits per token")
    ax_bits.legend(fontsize="small")
    ax_calls.set_xlabel("stride (tokens)")
    ax_calls.set_ylabel("model calls (windows)")
    ax_calls.set_yscale("log")
    ax_calls.legend(fontsize="small")
    return lines
