"""Plots of lesson 10: reliability diagrams, overfitting in NLL, temperature, ECE's bias.

Each function draws on the ``ax`` it is given and returns a dict of its artists. The
reliability diagram can be moved in place (:func:`update_reliability_diagram`), which is what
the widget :func:`xent_lessons.widgets.temperature_reliability` does. seaborn draws the
distributions of per-sample losses and the curves over seeds with their bands.
"""

from __future__ import annotations

import numpy as np

from .. import style
from .._validation import as_float_array
from ..calibration import expected_calibration_error, reliability_bins
from .training import CLASS_MARKERS, _rgb

__all__ = [
    "accuracy_ece_curves",
    "confidence_map",
    "ece_bias_curves",
    "nll_overfitting_curves",
    "per_sample_loss_distribution",
    "reliability_diagram",
    "temperature_nll_curves",
    "update_reliability_diagram",
]


def _bar_heights(bins):
    """Accuracy and gap per bin, 0 where a bin is empty (drawn as nothing)."""
    full = bins.count > 0
    acc = np.where(full, bins.accuracy, 0.0)
    conf = np.where(full, bins.confidence, 0.0)
    share = bins.count / max(bins.count.sum(), 1)
    return acc, conf, share


def reliability_diagram(ax, probs, target, n_bins=15, hist_ax=None, title=None):
    """Accuracy against confidence, bin by bin; the diagonal is perfect calibration.

    Each bar is one bin of confidence (:func:`xent_lessons.reliability_bins`): its height is
    the fraction right (binary: the fraction of positives). A shaded bar from there to the
    bin's mean confidence shows the gap: hanging below the diagonal means over-confident.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    probs, target : array_like
        Probabilities ``(N, C)`` (or ``(N,)`` binary) and true classes, as in
        :func:`~xent_lessons.expected_calibration_error`.
    n_bins : int, optional
        Equal-width bins on [0, 1].
    hist_ax : matplotlib.axes.Axes, optional
        If given, the share of predictions in each bin is drawn there on a log scale (a
        histogram of the confidences): a reliability diagram without it hides where the
        predictions are, and how few stand behind a tall bar.
    title : str, optional
        The axes' title (default: none).

    Returns
    -------
    dict
        ``"bars"`` and ``"gaps"`` (``BarContainer``), ``"hist"`` (or None), ``"text"`` (the
        ECE written in the corner) and ``"bins"`` (the :class:`ReliabilityBins`).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> art = reliability_diagram(ax, [[0.9, 0.1], [0.6, 0.4]], [0, 1], n_bins=5)
    >>> [float(b.get_height()) for b in art["bars"]][-3:]
    [0.0, 0.0, 1.0]
    """
    bins = reliability_bins(probs, target, n_bins)
    edges = bins.edges
    width = np.diff(edges)
    left = edges[:-1]
    acc, conf, share = _bar_heights(bins)
    bars = ax.bar(
        left, acc, width=width, align="edge", color=style.MODEL, alpha=0.85,
        edgecolor="white", lw=0.8, label="accuracy",
    )
    # An opaque fill drawn over the bars: an under-confident gap (accuracy above confidence)
    # covers the top of its accuracy bar and must look like the legend's box, not a
    # see-through orange over blue; it is hatched, to tell it from an over-confident gap.
    gap_fill = _on_white(style.WARNING, 0.33)
    gaps = ax.bar(
        left, conf - acc, bottom=acc, width=width, align="edge", facecolor=gap_fill,
        edgecolor=style.WARNING, lw=1.2, zorder=3,
    )
    _hatch_under_confident(gaps, acc, conf)
    ax.plot([0, 1], [0, 1], ls="--", color=style.NEUTRAL, lw=1.5, label="calibrated", zorder=4)
    from matplotlib.patches import Patch

    gap_handles = [
        Patch(facecolor=gap_fill, edgecolor=style.WARNING, lw=1.2,
              label="gap: confidence above accuracy"),
        Patch(facecolor=gap_fill, edgecolor=style.WARNING, lw=1.2, hatch="///",
              label="gap: accuracy above confidence"),
    ]
    ece = expected_calibration_error(probs, target, n_bins)
    text = ax.text(0.04, 0.93, f"ECE = {ece:.3f}", transform=ax.transAxes, fontsize=10,
                   va="top", bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8})
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_aspect("equal", adjustable="box")
    binary = np.ndim(probs) == 1
    style.label_axes(
        ax,
        "predicted probability of class 1" if binary else "confidence (top probability)",
        "fraction of class 1" if binary else "accuracy (fraction right)",
        title,
    )
    # Upper left, under the ECE, and narrow: a top-label confidence is at least 1/C, so for
    # C >= 3 no bar stands left of 1/3 (and a binary bar there would have to be far above
    # the diagonal to reach it).
    handles, _ = ax.get_legend_handles_labels()
    ax.legend(handles=handles + gap_handles, loc="upper left",
              bbox_to_anchor=(0.0, 0.88), fontsize="small", framealpha=0.9)
    hist = None
    if hist_ax is not None:
        hist = hist_ax.bar(left, share, width=width, align="edge", color=style.MODEL,
                           alpha=0.6, edgecolor="white", lw=0.8)
        hist_ax.set_xlim(0, 1)
        hist_ax.set_yscale("log")  # most predictions are often in one bin: show the others too
        hist_ax.set_ylim(1e-4, 1.5)
        style.label_axes(hist_ax, "confidence (top probability)" if not binary else
                         "predicted probability of class 1", "share of predictions (log)")
    return {"bars": bars, "gaps": gaps, "hist": hist, "text": text, "bins": bins}


def _on_white(color, alpha):
    """``color`` at opacity ``alpha`` over white, as an opaque RGB colour."""
    from matplotlib.colors import to_rgb

    return tuple(1.0 - alpha + alpha * c for c in to_rgb(color))


def _hatch_under_confident(gaps, acc, conf):
    for gap, a, c in zip(gaps, acc, conf, strict=True):
        gap.set_hatch("///" if c < a else None)


def update_reliability_diagram(artists, probs, target, n_bins=None):
    """Move a :func:`reliability_diagram`'s bars to new probabilities; returns the bins.

    The number of bins must stay the same (it is read from the bars by default).
    """
    n_bins = len(artists["bars"]) if n_bins is None else n_bins
    bins = reliability_bins(probs, target, n_bins)
    acc, conf, share = _bar_heights(bins)
    for bar, gap, a, c in zip(artists["bars"], artists["gaps"], acc, conf, strict=True):
        bar.set_height(a)
        gap.set_y(a)
        gap.set_height(c - a)
    _hatch_under_confident(artists["gaps"], acc, conf)
    if artists.get("hist") is not None:
        for bar, s in zip(artists["hist"], share, strict=True):
            bar.set_height(s)
    full = bins.count > 0
    ece = float(np.sum(bins.weight[full] * np.abs(bins.gap[full])))
    artists["text"].set_text(f"ECE = {ece:.3f}")
    artists["bins"] = bins
    return bins


def nll_overfitting_curves(ax, epochs, train_loss, test_loss, bayes_loss=None, marks=()):
    """Training and held-out cross-entropy against the epoch (and the best possible).

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    epochs : array_like
        The recorded epochs.
    train_loss, test_loss : array_like
        Mean cross-entropy (nats) on the training set and on held-out data.
    bayes_loss : float, optional
        The Bayes-optimal cross-entropy on the held-out data: a dashed floor.
    marks : sequence of int, optional
        Epochs to mark with a vertical line.

    Returns
    -------
    dict
        ``"train"``, ``"test"`` (lines), ``"bayes"`` (line or None), ``"marks"``.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> art = nll_overfitting_curves(Figure().subplots(), [0, 1, 2], [1, .5, .1], [1, .6, .7])
    >>> art["test"].get_ydata().tolist()
    [1.0, 0.6, 0.7]
    """
    epochs = np.asarray(epochs)
    (train,) = ax.plot(epochs, train_loss, color=style.EXTRA[3], lw=2, label="training set")
    (test,) = ax.plot(epochs, test_loss, color=style.MODEL, lw=2, label="held-out test set")
    bayes = None
    if bayes_loss is not None:
        bayes = ax.axhline(bayes_loss, color=style.TRUTH, ls="--", lw=1.5,
                           label=f"Bayes-optimal ({bayes_loss:.3f} nats)")
    lines = [ax.axvline(e, color=style.NEUTRAL, ls=":", lw=1) for e in marks]
    ax.set_ylim(0, 1.05 * max(float(np.max(test_loss[1:])), float(np.max(train_loss[1:]))))
    ax.set_xlim(epochs[0], epochs[-1])
    style.label_axes(ax, "epoch (full-batch Adam updates)", "mean cross-entropy (nats)")
    ax.legend(fontsize="small", loc="upper left")
    return {"train": train, "test": test, "bayes": bayes, "marks": lines}


def accuracy_ece_curves(ax, epochs, accuracy, ece, marks=()):
    """Held-out accuracy (left axis) and ECE (right axis) against the epoch.

    Returns
    -------
    dict
        ``"accuracy"``, ``"ece"`` (lines) and ``"ece_axis"`` (the twin axis).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> art = accuracy_ece_curves(Figure().subplots(), [0, 1], [0.5, 0.9], [0.1, 0.02])
    >>> art["ece"].get_ydata().tolist()
    [0.1, 0.02]
    """
    epochs = np.asarray(epochs)
    (acc,) = ax.plot(epochs, accuracy, color=style.ACCENT, lw=2, ls="--", label="accuracy")
    ece_ax = ax.twinx()
    (ece_line,) = ece_ax.plot(epochs, ece, color=style.WARNING, lw=2, label="ECE")
    for e in marks:
        ax.axvline(e, color=style.NEUTRAL, ls=":", lw=1)
    ax.set_ylim(0.8, 1.0)
    ax.set_xlim(epochs[0], epochs[-1])
    ece_ax.set_ylim(0, 1.15 * float(np.max(ece[1:])))
    style.label_axes(ax, "epoch (full-batch Adam updates)", "held-out accuracy")
    ax.yaxis.label.set_color(style.ACCENT)
    ece_ax.set_ylabel("held-out ECE", color=style.WARNING)
    ece_ax.tick_params(axis="y", colors=style.WARNING)
    ax.legend([acc, ece_line], ["accuracy (left)", "ECE (right)"], fontsize="small",
              loc="upper center", ncols=2)
    return {"accuracy": acc, "ece": ece_line, "ece_axis": ece_ax}


def confidence_map(ax, probs_grid, extent, X=None, y=None, max_points=300):
    """The plane coloured by the predicted class, strong where the model is confident.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    probs_grid : array_like, shape (R, R, C)
        The model's probabilities on an ``R x R`` grid over ``extent`` (row 0 at the bottom).
    extent : tuple of 4 floats
        ``(x_min, x_max, y_min, y_max)``.
    X, y : array_like, optional
        Points to draw on top, with their classes (at most ``max_points`` of them).

    Returns
    -------
    dict
        ``"image"`` and ``"points"``.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> q = np.full((4, 4, 3), 1 / 3)
    >>> art = confidence_map(Figure().subplots(), q, (0, 1, 0, 1))
    >>> art["image"].get_array().shape
    (4, 4, 3)
    """
    q = as_float_array(probs_grid, "probs_grid").astype(np.float64)
    if q.ndim != 3 or q.shape[2] > len(style.CLASS_COLORS):
        raise ValueError(f"probs_grid must have shape (R, R, C), C <= 6; got {q.shape}")
    n_classes = q.shape[2]
    colors = np.array([_rgb(c) for c in style.CLASS_COLORS[:n_classes]])
    winner = q.argmax(axis=2)
    # the same tint as lesson 07's decision regions: pale at 1/C, strongest at certainty
    confidence = (q.max(axis=2) - 1 / n_classes) / (1 - 1 / n_classes)
    strength = (0.1 + 0.6 * confidence)[..., None]
    rgb = (1 - strength) + strength * colors[winner]
    image = ax.imshow(rgb, origin="lower", extent=extent, interpolation="bilinear",
                      aspect="auto", zorder=0)
    points = []
    if X is not None and y is not None:
        X, y = np.asarray(X)[:max_points], np.asarray(y)[:max_points]
        for c in range(n_classes):
            pts = X[y == c]
            points.append(ax.scatter(pts[:, 0], pts[:, 1], s=14, color=style.CLASS_COLORS[c],
                                     marker=CLASS_MARKERS[c], edgecolors="black",
                                     linewidths=0.4, zorder=2, label=f"class {c}"))
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    style.label_axes(ax, "feature $x_1$", "feature $x_2$")
    ax.grid(False)
    return {"image": image, "points": points}


def per_sample_loss_distribution(ax, losses, floor=1e-6):
    """Histograms (log scale) of per-sample losses, one per model, with their means marked.

    A mean cross-entropy can rise because of a few huge losses (confident mistakes) while
    most samples get cheaper: the histogram shows both. Drawn with seaborn's ``histplot``.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    losses : mapping of str to array_like
        Per-sample losses (nats) of each model, by name.
    floor : float, optional
        Losses below it are drawn at it (a log axis has no 0).

    Returns
    -------
    dict
        ``"means"``: the vertical lines at each model's mean, by name.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> art = per_sample_loss_distribution(Figure().subplots(), {"a": [0.1, 1.0], "b": [2.0, 3.0]})
    >>> sorted(art["means"])
    ['a', 'b']
    """
    import pandas as pd
    import seaborn as sns

    names = list(losses)
    shown = {k: f"{k} (mean {float(np.mean(losses[k])):.3f}, dashed)" for k in names}
    frame = pd.DataFrame(
        {
            "loss": np.concatenate([np.maximum(np.asarray(losses[k], float), floor) for k in names]),
            "model": np.repeat([shown[k] for k in names], [len(losses[k]) for k in names]),
        }
    )
    colors = [style.TRUTH, style.MODEL, style.ACCENT, *style.EXTRA]
    palette = dict(zip(shown.values(), colors, strict=False))
    sns.histplot(data=frame, x="loss", hue="model", log_scale=True, bins=40, element="step",
                 stat="count", common_norm=False, palette=palette, ax=ax, alpha=0.25)
    means = {}
    for k in names:
        means[k] = ax.axvline(float(np.mean(losses[k])), color=palette[shown[k]], lw=2, ls="--")
    style.label_axes(ax, f"per-sample cross-entropy -log q(true class) (nats, log scale; "
                     f"below {floor:g} drawn at {floor:g})", "number of test points")
    legend = ax.get_legend()
    if legend is not None:
        legend.set_title(None)
    return {"means": means}


def ece_bias_curves(ax, frame):
    """ECE of a perfectly calibrated model against the sample size, per number of bins.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    frame : pandas.DataFrame
        Columns ``"N"`` (samples), ``"bins"`` (number of bins) and ``"ECE"``, one row per
        seed; seaborn's ``lineplot`` draws the median and a band holding 80 % of the seeds.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd
    >>> from matplotlib.figure import Figure
    >>> f = pd.DataFrame({"N": [10, 10, 100, 100], "bins": [5, 5, 5, 5], "ECE": [.2, .3, .05, .07]})
    >>> ece_bias_curves(Figure().subplots(), f).get_xscale()
    'log'
    """
    import seaborn as sns

    palette = dict(zip(sorted(frame["bins"].unique()), [style.ACCENT, style.MODEL, style.EXTRA[1]],
                       strict=False))
    sns.lineplot(data=frame, x="N", y="ECE", hue="bins", estimator="median",
                 errorbar=("pi", 80), marker="o", palette=palette, ax=ax)
    ax.set_xscale("log")
    ax.axhline(0, color=style.TRUTH, lw=1.5, ls="--")
    ax.set_ylim(bottom=0)
    style.label_axes(ax, "number of samples N (log scale)",
                     "ECE of a perfectly calibrated model")
    ax.legend(title="bins", fontsize="small")
    return ax


def temperature_nll_curves(ax, temperatures, curves, fitted=None):
    """Mean NLL against the temperature, one curve per data set, the fitted T marked.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    temperatures : array_like
        The temperatures (drawn on a log axis).
    curves : mapping of str to array_like
        NLL (nats) at each temperature, by data set name (e.g. validation, test).
    fitted : float, optional
        The fitted temperature: a vertical line.

    Returns
    -------
    dict
        ``"lines"`` by name and ``"fitted"`` (the line or None).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> art = temperature_nll_curves(Figure().subplots(), [1, 2, 4], {"val": [0.5, 0.3, 0.4]}, 2.0)
    >>> art["lines"]["val"].get_ydata().tolist()
    [0.5, 0.3, 0.4]
    """
    colors = [style.ACCENT, style.MODEL, style.EXTRA[1], style.EXTRA[0]]
    lines = {}
    for (name, values), color in zip(curves.items(), colors, strict=False):
        (lines[name],) = ax.plot(temperatures, values, lw=2, color=color, label=name)
    line = None
    if fitted is not None:
        line = ax.axvline(fitted, color=style.NEUTRAL, ls="--", lw=1.5,
                          label=f"fitted T = {fitted:.2f}")
    ax.axvline(1.0, color=style.NEUTRAL, ls=":", lw=1)
    ax.set_xscale("log")
    style.label_axes(ax, "temperature T (log scale)", "mean NLL of softmax(z / T) (nats)")
    ax.legend(fontsize="small")
    return {"lines": lines, "fitted": line}
