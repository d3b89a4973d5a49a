r"""Plots of lesson 14: imbalance, focal loss, and what each loss rewards a forecaster for.

Each function draws on the ``ax`` it is given and returns a dict of its artists, so that the
widget (:mod:`xent_lessons.widgets.choosing_a_loss`) can move them in place. The focal loss
is drawn against :math:`p_t`, the probability the model gives the true class, as in Lin et
al. (2017): the same curve serves a positive and a negative example, only :math:`\alpha_t`
differs (:math:`\alpha` for a positive, :math:`1 - \alpha` for a negative).
"""

from __future__ import annotations

import numpy as np

from .. import style
from .._validation import as_float_array
from ..focal import focal_optimal_forecast, sigmoid_focal_loss, sigmoid_focal_loss_grad

__all__ = [
    "expected_score_curves",
    "focal_curves",
    "focal_loss_panels",
    "focal_optimal_forecast_curves",
    "logit_histograms",
    "multilabel_pair_probabilities",
    "noisy_label_boundaries",
    "per_label_f1_bars",
    "reliability_comparison",
]

GAMMA_COLORS = (style.NEUTRAL, style.EXTRA[0], style.ACCENT, style.MODEL, style.EXTRA[1])


def _pt_grid(n_points=400):
    return np.linspace(0.001, 0.999, n_points)


def focal_values(p_t, gamma, alpha_t, quantity="loss"):
    r"""The focal loss, or the size of its gradient, of an example with probability ``p_t``.

    Parameters
    ----------
    p_t : array_like
        The probability the model gives the true class, in (0, 1).
    gamma : float
        :math:`\gamma \ge 0`.
    alpha_t : float
        The example's weight: :math:`\alpha` for a positive, :math:`1 - \alpha` for a
        negative; 1 for no weighting.
    quantity : {"loss", "gradient"}
        ``"gradient"`` is :math:`-\partial \ell / \partial x_t`, with :math:`x_t` the true
        class's logit: how hard the example pushes its logit up.

    Returns
    -------
    ndarray

    Examples
    --------
    >>> focal_values([0.5], gamma=0.0, alpha_t=1.0).round(4)  # CE: -log 0.5
    array([0.6931])
    >>> focal_values([0.5], gamma=0.0, alpha_t=1.0, quantity="gradient")  # CE: 1 - p_t
    array([0.5])
    """
    p_t = as_float_array(p_t, "p_t").astype(np.float64)
    x_t = np.log(p_t) - np.log1p(-p_t)  # the true class's logit
    ones = np.ones_like(x_t)
    # As a positive example with alpha = alpha_t: focal(x_t, 1) is the loss of any example
    # whose true class has logit x_t.
    if quantity == "loss":
        return float(alpha_t) * sigmoid_focal_loss(x_t, ones, alpha=-1, gamma=gamma)
    if quantity == "gradient":
        return -float(alpha_t) * sigmoid_focal_loss_grad(x_t, ones, alpha=-1, gamma=gamma)
    raise ValueError(f"quantity must be 'loss' or 'gradient'; got {quantity!r}")


def focal_curves(ax, gammas=(0.0, 0.5, 1.0, 2.0, 5.0), alpha_t=1.0, quantity="loss", y_max=None):
    r"""Focal loss (or its gradient) against :math:`p_t`, one curve per :math:`\gamma`.

    :math:`\gamma = 0` is cross-entropy. Lin et al.'s Figure 1 is ``quantity="loss"``.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    gammas : sequence of float, optional
        The exponents to draw.
    alpha_t : float, optional
        The weight of the example (1: none).
    quantity : {"loss", "gradient"}
        See :func:`focal_values`.
    y_max : float, optional
        The top of the y-axis (default 5 for the loss, 1 for the gradient).

    Returns
    -------
    dict
        ``"lines"``: a ``Line2D`` per :math:`\gamma`, in order.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> art = focal_curves(ax, gammas=(0.0, 2.0))
    >>> [line.get_label() for line in art["lines"]]
    ['γ = 0 (cross-entropy)', 'γ = 2']
    """
    p_t = _pt_grid()
    lines = []
    for k, gamma in enumerate(gammas):
        label = f"γ = {gamma:g}" + (" (cross-entropy)" if gamma == 0 else "")
        values = focal_values(p_t, gamma, alpha_t, quantity)
        color = GAMMA_COLORS[k % len(GAMMA_COLORS)]
        lines.append(ax.plot(p_t, values, color=color, lw=2, label=label)[0])
    _focal_axes(ax, quantity, y_max)
    ax.legend(loc="upper right", fontsize="small")
    return {"lines": lines}


def _focal_axes(ax, quantity, y_max):
    ax.set_xlim(0, 1)
    if quantity == "loss":
        ax.set_ylim(0, 5 if y_max is None else y_max)
        style.label_axes(ax, "$p_t$, probability of the true class", "loss (nats)", "loss")
    else:
        ax.set_ylim(0, 1.45 if y_max is None else y_max)  # a hard example's focal push exceeds 1
        style.label_axes(
            ax,
            "$p_t$, probability of the true class",
            r"push on the logit, $-\partial \ell / \partial x_t$",
            "gradient",
        )


P_GRID = np.linspace(0.0, 1.0, 51)  # true probabilities of the q*(p) panel


def focal_loss_panels(axes, gamma=2.0, alpha=0.25):
    r"""Three panels of one focal loss: its loss, its gradient, and the forecast it rewards.

    Left: the loss of a positive (weight :math:`\alpha`) and of a negative (weight
    :math:`1 - \alpha`) against :math:`p_t`, cross-entropy dashed. Middle: how hard each
    pushes its logit, :math:`-\partial \ell / \partial x_t`. Right: the forecast
    :math:`q^*(p)` that minimises the expected loss when the true probability is :math:`p`;
    a proper scoring rule follows the diagonal.

    Parameters
    ----------
    axes : sequence of 3 matplotlib.axes.Axes
        Where to draw.
    gamma : float, optional
        :math:`\gamma \ge 0`.
    alpha : float, optional
        :math:`\alpha \in [0, 1]`.

    Returns
    -------
    dict
        ``"loss_positive"``, ``"loss_negative"``, ``"grad_positive"``, ``"grad_negative"``
        and ``"forecast"`` (``Line2D``); :func:`set_focal_loss_panels` moves them.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> axes = Figure().subplots(1, 3)
    >>> art = focal_loss_panels(axes, gamma=0.0, alpha=0.5)  # half of cross-entropy: proper
    >>> bool(np.allclose(art["forecast"].get_ydata(), art["forecast"].get_xdata()))
    True
    """
    ax_l, ax_g, ax_q = axes
    p_t = _pt_grid(300)
    artists = {}
    for ax, quantity, key in ((ax_l, "loss", "loss"), (ax_g, "gradient", "grad")):
        ax.plot(p_t, focal_values(p_t, 0.0, 1.0, quantity), color=style.NEUTRAL, lw=1.5,
                ls="--", label="cross-entropy")
        # A wide solid line under a narrow dashed one: where the two curves coincide (α = 0.5)
        # both stay visible, the dashes on the band.
        artists[f"{key}_positive"] = ax.plot(
            p_t, p_t, color=style.ACCENT, lw=4.0, alpha=0.85, label="focal, a positive (α)"
        )[0]
        artists[f"{key}_negative"] = ax.plot(
            p_t, p_t, color=style.EXTRA[1], lw=1.8, ls=(0, (5, 2.5)),
            label="focal, a negative (1 − α)",
        )[0]
        _focal_axes(ax, quantity, None)
        ax.legend(loc="upper right", fontsize="small")
    # The diagonal dashed on top of a wide focal line: at γ = 0, α = 0.5 they coincide.
    ax_q.plot([0, 1], [0, 1], color=style.TRUTH, ls="--", lw=1.5, zorder=3,
              label="proper: $q^* = p$")
    artists["forecast"] = ax_q.plot(P_GRID, P_GRID, color=style.MODEL, lw=4.0, alpha=0.85,
                                    label="focal loss")[0]
    ax_q.set_xlim(0, 1)
    ax_q.set_ylim(0, 1)
    ax_q.legend(loc="upper left", fontsize="small")
    style.label_axes(ax_q, "true probability $p$", "best forecast $q^*$", "what it rewards")
    artists["p_t"] = p_t
    set_focal_loss_panels(artists, gamma, alpha)
    return artists


def set_focal_loss_panels(artists, gamma, alpha):
    """Move the curves of :func:`focal_loss_panels` to ``gamma`` and ``alpha``."""
    p_t = artists["p_t"]
    for quantity, key in (("loss", "loss"), ("gradient", "grad")):
        # A positive and a negative differ only by their weight alpha_t: one curve, scaled
        # twice (the same numbers as focal_values(p_t, gamma, alpha_t, quantity), at half
        # the cost).
        unweighted = focal_values(p_t, gamma, 1.0, quantity)
        artists[f"{key}_positive"].set_ydata(float(alpha) * unweighted)
        artists[f"{key}_negative"].set_ydata(float(1 - alpha) * unweighted)
    artists["forecast"].set_ydata(focal_optimal_forecast(P_GRID, gamma=gamma, alpha=alpha))


def focal_optimal_forecast_curves(ax, gammas=(0.0, 1.0, 2.0, 5.0), alpha=-1.0, n_points=101):
    r"""The forecast :math:`q^*(p)` each focal loss rewards, against the true probability.

    A proper scoring rule lies on the diagonal (:math:`q^* = p`); cross-entropy
    (:math:`\gamma = 0`, no :math:`\alpha`) does.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    gammas : sequence of float, optional
        The exponents to draw.
    alpha : float, optional
        As in :func:`~xent_lessons.sigmoid_focal_loss` (negative: no weighting).
    n_points : int, optional
        Points on the curve.

    Returns
    -------
    dict
        ``"lines"`` (a ``Line2D`` per :math:`\gamma`) and ``"diagonal"``.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> art = focal_optimal_forecast_curves(ax, gammas=(2.0,), n_points=3)
    >>> art["lines"][0].get_ydata().round(3)
    array([0. , 0.5, 1. ])
    """
    p = np.linspace(0.0, 1.0, n_points)
    diagonal = ax.plot([0, 1], [0, 1], color=style.TRUTH, lw=1.5, ls="--",
                       label="proper: $q^* = p$")[0]
    lines = []
    for k, gamma in enumerate(gammas):
        q = focal_optimal_forecast(p, gamma=gamma, alpha=alpha)
        color = GAMMA_COLORS[k % len(GAMMA_COLORS)] if gamma else style.NEUTRAL
        lines.append(ax.plot(p, q, color=color, lw=2, label=f"γ = {gamma:g}")[0])
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_aspect("equal")
    ax.legend(loc="upper left", fontsize="small")
    title = "the forecast focal loss rewards" + ("" if alpha < 0 else f" (α = {alpha:g})")
    style.label_axes(ax, "true probability $p$", "best forecast $q^*$", title)
    return {"lines": lines, "diagonal": diagonal}


def _binary_scores(q, p, gamma=2.0):
    """Expected binary scores of forecast q (array) when the truth is p: name -> values."""
    x = np.log(q) - np.log1p(-q)
    ones = np.ones_like(q)
    focal = p * sigmoid_focal_loss(x, ones, alpha=-1, gamma=gamma) + (
        1 - p
    ) * sigmoid_focal_loss(x, 0 * ones, alpha=-1, gamma=gamma)
    return {
        "log score (cross-entropy)": -(p * np.log(q) + (1 - p) * np.log1p(-q)),
        "Brier score (q − y)²": (q - p) ** 2 + p * (1 - p),
        f"focal loss, γ = {gamma:g}": focal,
        "absolute error |q − y|": p * (1 - q) + (1 - p) * q,
        "hinge loss, margin 2q − 1": p * (2 - 2 * q) + (1 - p) * 2 * q,
    }


def expected_score_curves(ax, p=0.7, gamma=2.0, n_points=999):
    r"""Each rule's expected score of a forecast :math:`q`, less its minimum, when the truth is ``p``.

    Every curve touches 0 at the forecast its rule rewards most (a dot). A proper rule's dot
    is at :math:`q = p`.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    p : float, optional
        The true probability of the event.
    gamma : float, optional
        The focal loss's exponent.
    n_points : int, optional
        Forecasts on the grid (0, 1).

    Returns
    -------
    dict
        ``"lines"`` and ``"best"`` (dicts of ``Line2D`` by rule name) and ``"minimisers"``
        (dict of the best forecast on the grid, by rule name).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> art = expected_score_curves(ax, p=0.7)
    >>> {name.split()[0]: round(q, 2) for name, q in art["minimisers"].items()}
    {'log': 0.7, 'Brier': 0.7, 'focal': 0.58, 'absolute': 1.0, 'hinge': 1.0}
    """
    q = np.linspace(0, 1, n_points + 2)[1:-1]
    scores = _binary_scores(q, float(p), gamma)
    colors = (style.MODEL, style.ACCENT, style.EXTRA[1], style.WARNING, style.NEUTRAL)
    lines, best, minimisers = {}, {}, {}
    for (name, values), color in zip(scores.items(), colors, strict=True):
        regret = values - values.min()
        i = int(np.argmin(values))
        lines[name] = ax.plot(q, regret, color=color, lw=2, label=name)[0]
        best[name] = ax.plot([q[i]], [0.0], "o", color=color, ms=9, mec="white", zorder=5)[0]
        minimisers[name] = float(q[i])
    ax.axvline(float(p), color=style.TRUTH, ls="--", lw=1.5, label=f"the truth, p = {p:g}")
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.02, 0.6)
    ax.legend(loc="upper left", fontsize="small")
    style.label_axes(
        ax,
        "forecast $q$",
        "expected score − its minimum",
        f"which forecast does each rule reward? (truth p = {p:g})",
    )
    return {"lines": lines, "best": best, "minimisers": minimisers}


def reliability_comparison(ax, probs, y, n_bins=10):
    """Reliability curves of several models: mean forecast against observed frequency, per bin.

    Equal-width bins of the forecast; each point is a non-empty bin, its size growing with
    the bin's count. A calibrated model lies on the diagonal.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    probs : dict
        ``{model name: predicted probabilities of the positive class}``.
    y : array_like
        The 0/1 outcomes.
    n_bins : int, optional
        Bins on [0, 1].

    Returns
    -------
    dict
        ``"lines"`` (dict of ``Line2D`` by name) and ``"bins"`` (dict of
        ``(mean forecast, frequency, count)`` arrays by name).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> art = reliability_comparison(ax, {"m": [0.05, 0.15, 0.95]}, [0, 0, 1], n_bins=10)
    >>> art["bins"]["m"][2]
    array([1, 1, 1])
    """
    y = as_float_array(y, "y")
    colors = (style.MODEL, style.ACCENT, style.EXTRA[1], style.WARNING)
    ax.plot([0, 1], [0, 1], color=style.TRUTH, ls="--", lw=1.5, label="calibrated")
    lines, bins = {}, {}
    for k, (name, q) in enumerate(probs.items()):
        q = as_float_array(q, f"probs[{name!r}]")
        if q.shape != y.shape:
            raise ValueError(f"probs[{name!r}] must have y's shape {y.shape}; got {q.shape}")
        index = np.minimum((q * n_bins).astype(int), n_bins - 1)
        count = np.bincount(index, minlength=n_bins)
        keep = count > 0
        mean_q = np.bincount(index, weights=q, minlength=n_bins)[keep] / count[keep]
        freq = np.bincount(index, weights=y, minlength=n_bins)[keep] / count[keep]
        bins[name] = (mean_q, freq, count[keep])
        color = colors[k % len(colors)]
        lines[name] = ax.plot(mean_q, freq, color=color, lw=1.5, label=name)[0]
        sizes = 15 + 200 * np.sqrt(count[keep] / count.max())
        ax.scatter(mean_q, freq, s=sizes, color=color, edgecolors="white", zorder=3)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_aspect("equal")
    ax.legend(loc="upper left", fontsize="small")
    style.label_axes(ax, "mean forecast in the bin", "observed frequency of positives",
                     "reliability (dot size: examples in the bin)")
    return {"lines": lines, "bins": bins}


def logit_histograms(ax, logits, y, thresholds=None):
    """Histograms (seaborn) of a model's logits for the negatives and the positives, each
    normalised to its own class, with decision thresholds as vertical lines.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    logits : array_like
        One logit per example.
    y : array_like
        Its 0/1 label.
    thresholds : dict, optional
        ``{label: logit}`` of thresholds to draw.

    Returns
    -------
    dict
        ``"thresholds"``: the vertical lines by label.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> art = logit_histograms(ax, [-3.0, -2.0, 1.0, 2.0], [0, 0, 1, 1], {"q = 0.5": 0.0})
    >>> list(art["thresholds"])
    ['q = 0.5']
    """
    import seaborn as sns

    z = as_float_array(logits, "logits")
    y = np.asarray(y)
    if y.shape != z.shape:
        raise ValueError(f"y must have the logits' shape {z.shape}; got {y.shape}")
    for label, color, name in ((0, style.NEUTRAL, "negatives"), (1, style.TRUTH, "positives")):
        sns.histplot(
            x=z[y == label], ax=ax, stat="density", bins=40, color=color, alpha=0.45,
            element="step", label=f"{name} ({int((y == label).sum())})",
        )
    lines = {}
    dashes = ("-", "--", ":")
    for k, (label, value) in enumerate((thresholds or {}).items()):
        lines[label] = ax.axvline(float(value), color=style.MODEL, ls=dashes[k % 3], lw=2,
                                  label=label)
    ax.legend(loc="upper left", fontsize="small")
    style.label_axes(ax, "logit $z$", "density (each class sums to 1)",
                     "where the model puts each class")
    return {"thresholds": lines}


def noisy_label_boundaries(ax, X, labels, flipped, boundaries):
    """The training points (flipped labels marked) and the decision lines of several models.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    X : array_like, shape (N, 2)
        The points.
    labels : array_like, shape (N,)
        The labels the models were trained on (0/1), flipped ones included.
    flipped : array_like of bool, shape (N,)
        Which labels were flipped.
    boundaries : dict
        ``{name: (w, b)}`` of linear models ``z = x @ w + b``; each draws its line ``z = 0``.

    Returns
    -------
    dict
        ``"lines"``: the boundary lines by name.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> X = np.array([[-1.0, 0.0], [1.0, 0.0]])
    >>> art = noisy_label_boundaries(ax, X, [0, 1], [False, True], {"m": ([1.0, 0.0], 0.0)})
    >>> art["lines"]["m"].get_xdata()[:2].round(3)
    array([0., 0.])
    """
    X = as_float_array(X, "X")
    labels = np.asarray(labels)
    flipped = np.asarray(flipped, dtype=bool)
    for label, color, marker in ((0, style.NEUTRAL, "o"), (1, style.TRUTH, "s")):
        for is_flipped in (False, True):
            m = (labels == label) & (flipped == is_flipped)
            name = f"label {label}" + (" (flipped)" if is_flipped else "")
            if is_flipped:  # a cross in the colour of the (wrong) label it now has
                ax.scatter(X[m, 0], X[m, 1], s=30, marker="X", color=color, edgecolors="black",
                           linewidths=0.4, alpha=0.9, label=name, zorder=3)
            else:
                ax.scatter(X[m, 0], X[m, 1], s=9, marker=marker, color=color, alpha=0.3,
                           linewidths=0, label=name)
    x0, x1 = X[:, 0].min() - 0.5, X[:, 0].max() + 0.5
    y0, y1 = X[:, 1].min() - 0.5, X[:, 1].max() + 2.5  # room for the legend above the points
    colors = (style.MODEL, style.ACCENT, style.EXTRA[1])
    lines = {}
    for k, (name, (w, b)) in enumerate(boundaries.items()):
        w = np.asarray(w, dtype=np.float64)
        if abs(w[1]) > abs(w[0]):  # y = -(w0 x + b) / w1
            xs = np.array([x0, x1])
            ys = -(w[0] * xs + b) / w[1]
        else:  # x = -(w1 y + b) / w0
            ys = np.array([y0, y1])
            xs = -(w[1] * ys + b) / w[0]
        lines[name] = ax.plot(xs, ys, color=colors[k % 3], lw=2.5, label=name)[0]
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.legend(loc="upper center", fontsize="small", ncols=3)
    style.label_axes(ax, "feature $x_1$", "feature $x_2$", "decision lines learned from noisy labels")
    return {"lines": lines}


def multilabel_pair_probabilities(ax, probs, label_names=("label a", "label b")):
    """The probabilities two models give two labels on examples where BOTH are true.

    One scatter per model, ``q[:, 0]`` against ``q[:, 1]``, with the line
    ``q_a + q_b = 1`` that a softmax over the labels can never cross: its probabilities
    sum to 1 over all the labels, so two true labels cannot both be near 1. A sigmoid per
    label has no such bound, and its points can reach the corner (1, 1).

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    probs : dict
        ``{model name: array of shape (N, 2)}``, the two labels' probabilities per example.
    label_names : tuple of str, optional
        The two labels' names, for the axes.

    Returns
    -------
    dict
        ``"points"`` (the scatter collections by name) and ``"bound"`` (the line
        ``q_a + q_b = 1``).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> art = multilabel_pair_probabilities(ax, {"m": [[0.9, 0.8], [0.4, 0.5]]})
    >>> art["points"]["m"].get_offsets().shape
    (2, 2)
    """
    colors = (style.MODEL, style.WARNING, style.ACCENT, style.EXTRA[1])
    points = {}
    for k, (name, q) in enumerate(probs.items()):
        q = as_float_array(q, f"probs[{name!r}]")
        if q.ndim != 2 or q.shape[1] != 2:
            raise ValueError(f"probs[{name!r}] must have shape (N, 2); got {q.shape}")
        inside = ~np.isnan(q).any(axis=1)
        mean = q[inside].mean(axis=0) if inside.any() else np.array([np.nan, np.nan])
        points[name] = ax.scatter(
            q[:, 0], q[:, 1], s=7, alpha=0.35, linewidths=0, color=colors[k % len(colors)],
            label=f"{name} (mean {mean[0]:.2f}, {mean[1]:.2f})",
        )
    (bound,) = ax.plot([0, 1], [1, 0], color=style.NEUTRAL, ls="--", lw=1.5,
                       label="$q_a + q_b = 1$, a softmax's bound")
    ax.plot([1], [1], marker="*", ms=12, color=style.TRUTH, ls="none", clip_on=False,
            label="both labels true: (1, 1)")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.set_aspect("equal")
    legend = ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), fontsize="small")
    for handle in legend.legend_handles:
        handle.set_alpha(1.0)
    style.label_axes(ax, f"q({label_names[0]})", f"q({label_names[1]})",
                     f"examples where {label_names[0]} and {label_names[1]} are both true")
    return {"points": points, "bound": bound}


def per_label_f1_bars(ax, f1_scores, label_names):
    """Grouped bars of each model's F1 score per label, with the mean over the labels.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    f1_scores : dict
        ``{model name: array of one F1 score per label}``, each in [0, 1].
    label_names : sequence of str
        The labels, in the order of the scores.

    Returns
    -------
    dict
        ``"bars"``: the bar containers by model name.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> art = per_label_f1_bars(ax, {"m": [0.5, 1.0]}, ["a", "b"])
    >>> [float(round(b.get_height(), 2)) for b in art["bars"]["m"]]
    [0.5, 1.0, 0.75]
    """
    names = [*label_names, "mean"]
    colors = (style.WARNING, style.EXTRA[1], style.EXTRA[0], style.ACCENT, style.MODEL)
    width = 0.8 / max(len(f1_scores), 1)
    x = np.arange(len(names))
    bars = {}
    for k, (name, f1) in enumerate(f1_scores.items()):
        f1 = as_float_array(f1, f"f1_scores[{name!r}]")
        if f1.shape != (len(label_names),):
            raise ValueError(
                f"f1_scores[{name!r}] must hold one score per label ({len(label_names)}); "
                f"got shape {f1.shape}"
            )
        heights = np.append(f1, f1.mean())
        offset = (k - (len(f1_scores) - 1) / 2) * width
        bars[name] = ax.bar(x + offset, heights, width, color=colors[k % len(colors)],
                            label=name)
    ax.axvline(len(label_names) - 0.5, color=style.NEUTRAL, lw=1)
    ax.set_xticks(x, names)
    ax.set_ylim(0, 1)
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize="small")
    style.label_axes(ax, "label", "F1 score on the test set", "per-label F1 (higher is better)")
    return {"bars": bars}
