"""Plots of lesson 05, categorical cross-entropy: target vs model bars, each class's share of
the loss, and the error of clipping probabilities instead of using logits.

Each function draws on the ``ax`` it is given and returns a dict of its artists, so the
widget of :mod:`xent_lessons.widgets.categorical` can move them in place.
"""

from __future__ import annotations

import numpy as np

from .. import style
from .._validation import as_float_array, check_distribution, check_positive_scalar
from ..activations import log_softmax, softmax

__all__ = ["ce_clipped_loss", "ce_contribution_bars", "ce_target_model_bars"]

BAR_WIDTH = 0.38


def _two_distributions(target, probs):
    y = as_float_array(target, "target").reshape(-1)
    q = as_float_array(probs, "probs").reshape(-1)
    if y.shape != q.shape:
        raise ValueError(
            f"target and probs must have one value per class each; got {y.shape} and {q.shape}"
        )
    check_distribution(y, "target", axis=0)
    check_distribution(q, "probs", axis=0)
    return y, q


def _class_names(class_names, n_classes):
    if class_names is None:
        return [f"class {c}" for c in range(n_classes)]
    names = [str(c) for c in class_names]
    if len(names) != n_classes:
        raise ValueError(f"class_names must have {n_classes} names; got {len(names)}")
    return names


def _contributions(target, probs) -> np.ndarray:
    r"""Each class's share of the loss, :math:`-y_c \log q_c` (0 where :math:`y_c = 0`).

    Parameters
    ----------
    target, probs : array_like
        The target distribution ``y`` and the model's ``q``, one value per class.

    Returns
    -------
    ndarray
        One value per class, in nats; their sum is :math:`H(y, q)`.

    Examples
    --------
    >>> _contributions([1.0, 0.0, 0.0], [0.5, 0.25, 0.25]).round(4)
    array([0.6931, 0.    , 0.    ])
    """
    y, q = _two_distributions(target, probs)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(y == 0, 0.0, -y * np.log(q))


def ce_target_model_bars(ax, target, probs, class_names=None):
    r"""Side-by-side bars of the target distribution ``y`` (truth colour) and the model's
    probabilities ``q`` (model colour), one pair per class.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    target : array_like
        The target distribution ``y`` (a one-hot row, or a smoothed one), shape ``(C,)``.
    probs : array_like
        The model's probabilities ``q``, shape ``(C,)``.
    class_names : sequence of str, optional
        Tick labels (default ``"class 0"``, ...).

    Returns
    -------
    dict
        ``"truth"`` and ``"model"``: the two ``BarContainer`` s.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> bars = ce_target_model_bars(ax, [0, 1, 0], [0.2, 0.7, 0.1])
    >>> [round(float(b.get_height()), 2) for b in bars["model"]]
    [0.2, 0.7, 0.1]
    """
    y, q = _two_distributions(target, probs)
    x = np.arange(y.size)
    artists = {
        "truth": ax.bar(x - BAR_WIDTH / 2, y, BAR_WIDTH, color=style.TRUTH,
                        label="target y (truth)"),
        "model": ax.bar(x + BAR_WIDTH / 2, q, BAR_WIDTH, color=style.MODEL,
                        label="model q"),
    }
    ax.set_xticks(x, _class_names(class_names, y.size))
    ax.set_ylim(0, 1.3)
    ax.set_yticks(np.linspace(0, 1, 6))
    ax.legend(loc="upper center", ncols=2, fontsize=8, framealpha=0.9)
    style.label_axes(ax, None, "probability", "Target and model")
    return artists


def ce_contribution_bars(ax, target, probs, class_names=None, y_max=None):
    r"""Bars of each class's share of the loss, :math:`-y_c \log q_c`, with the total
    :math:`H(y, q)` in the title.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    target, probs : array_like
        The target distribution ``y`` and the model's ``q``, shape ``(C,)``.
    class_names : sequence of str, optional
        Tick labels.
    y_max : float, optional
        Top of the axis (nats); default: a little above the tallest bar, at least 1.

    Returns
    -------
    dict
        ``"bars"`` (``BarContainer``) and ``"title"`` (``Text``).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> artists = ce_contribution_bars(ax, [0, 1, 0], [0.2, 0.7, 0.1])
    >>> [round(float(b.get_height()), 4) for b in artists["bars"]]
    [0.0, 0.3567, 0.0]
    >>> artists["title"].get_text()
    'loss H(y, q) = 0.3567 nats'
    """
    share = _contributions(target, probs)
    x = np.arange(share.size)
    artists = {"bars": ax.bar(x, share, 0.6, color=style.ACCENT, label="−y_c log q_c")}
    ax.set_xticks(x, _class_names(class_names, share.size))
    top = y_max if y_max is not None else max(1.0, 1.15 * float(share.max()))
    ax.set_ylim(0, top)
    style.label_axes(ax, None, "share of the loss, −y_c log q_c (nats)")
    artists["title"] = ax.set_title(f"loss H(y, q) = {share.sum():.4f} nats")
    return artists


def ce_clipped_loss(ax, gaps=None, eps=1e-7, n_classes=3):
    r"""The loss of a wrong prediction from logits, exact vs from clipped probabilities.

    ``n_classes`` classes with logits :math:`[0, g, 0, \dots, 0]` and target class 0: one
    class is ahead of the target by the gap :math:`g`, the others are level with it. The
    exact loss is :math:`\log(C - 1 + e^{g})` (from the log-softmax of the logits);
    computing :math:`q = \mathrm{softmax}(z)` first and clipping it to
    :math:`[\varepsilon, 1 - \varepsilon]` caps the loss at :math:`-\log \varepsilon`
    (16.1 nats for :math:`\varepsilon = 10^{-7}`) and makes its slope 0 beyond the cap.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    gaps : array_like, optional
        The logit gaps :math:`g = z_{\text{ahead}} - z_{\text{target}}` (default -5 to 40).
    eps : float
        The clip, as in Keras' ``epsilon`` (1e-7).
    n_classes : int, optional
        The number of classes :math:`C` (at least 2; default 3, as in lesson 05's table).

    Returns
    -------
    dict
        ``"exact"`` and ``"clipped"`` (Line2D), ``"cap"`` (the line at :math:`-\log
        \varepsilon`).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> artists = ce_clipped_loss(ax, gaps=[0.0, 30.0])
    >>> artists["exact"].get_ydata().round(4)  # log 3, then log(2 + e^30)
    array([ 1.0986, 30.    ])
    >>> artists["clipped"].get_ydata().round(4)
    array([ 1.0986, 16.1181])
    """
    eps = check_positive_scalar(eps, "eps")
    if eps >= 0.5:
        raise ValueError(f"eps must be below 0.5; got {eps!r}")
    if isinstance(n_classes, bool) or not isinstance(n_classes, int | np.integer) or n_classes < 2:
        raise ValueError(f"n_classes must be an integer >= 2; got {n_classes!r}")
    g = np.linspace(-5.0, 40.0, 451) if gaps is None else as_float_array(gaps, "gaps")
    z = np.zeros((g.size, int(n_classes)))
    z[:, 1] = g  # class 1 ahead of the target (class 0) by g, the others level with it
    exact = -log_softmax(z, axis=1)[:, 0]
    clipped = -np.log(np.clip(softmax(z, axis=1)[:, 0], eps, 1 - eps))
    artists = {}
    (artists["exact"],) = ax.plot(g, exact, color=style.ACCENT, lw=2.5,
                                  label="from logits: −log_softmax(z)[y]")
    (artists["clipped"],) = ax.plot(g, clipped, color=style.WARNING, lw=2, ls="--",
                                    label=f"from probabilities clipped at ε = {eps:g}")
    artists["cap"] = ax.axhline(-np.log(eps), color=style.NEUTRAL, lw=1, ls=":")
    ax.annotate(f"cap −log ε = {-np.log(eps):.1f} nats", xy=(g.min(), -np.log(eps)),
                xytext=(4, 4), textcoords="offset points", color=style.NEUTRAL, fontsize=9)
    ax.legend(loc="upper left", fontsize=9, framealpha=0.9)
    ax.set_xlim(g.min(), g.max())
    ax.set_ylim(0, None)
    title = f"A confident mistake among {n_classes} classes: one is ahead of the target"
    style.label_axes(ax, "logit gap: the class ahead minus the target class", "loss (nats)",
                     title)
    return artists
