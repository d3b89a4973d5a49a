"""Plots of lesson 06: the gradient of cross-entropy with respect to the logits."""

from __future__ import annotations

import numpy as np

from .. import style
from ..activations import log_sigmoid, sigmoid

__all__ = [
    "ce_vs_mse_curves",
    "finite_difference_errors",
    "gradient_axis_limit",
    "gradient_heatmap",
    "logit_gradient_bars",
    "target_probability_bars",
]

# The symmetric y-limits the gradient bars choose from: the axis zooms in on small gradients
# (a smoothed target's, a nearly learned sample's) in a few fixed steps, so its tick labels
# stay round numbers and a widget redraws the axis only when a step changes. Each limit has
# its outermost tick; five ticks from -tick to tick, all printed with two decimals, keep the
# labels one width (a widget's layout is measured once).
GRADIENT_AXIS_LIMITS = (0.02, 0.05, 0.1, 0.2, 0.5, 1.15)
_OUTER_TICK = {0.02: 0.02, 0.05: 0.04, 0.1: 0.1, 0.2: 0.2, 0.5: 0.4, 1.15: 1.0}


def gradient_heatmap(
    ax,
    values,
    target=None,
    annotate=True,
    xlabel="class $j$",
    ylabel="sample $i$",
    title=None,
    colorbar_label=r"$\partial L / \partial z_{ij}$",
):
    """A signed matrix (a batch's gradient, a Jacobian) as a heatmap centred on zero.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    values : array_like, shape (N, C)
        The matrix; negative entries are blue, positive red, zero white.
    target : array_like of int, shape (N,), optional
        A class index per row: that cell gets a black frame (the target).
    annotate : bool, optional
        Write each value (2 decimals) in its cell.
    xlabel, ylabel, title, colorbar_label : str, optional
        Labels.

    Returns
    -------
    dict
        ``"image"`` (``AxesImage``), ``"colorbar"``, ``"targets"`` (list of ``Rectangle``)
        and ``"texts"`` (list of ``Text``, row by row).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> art = gradient_heatmap(ax, [[-0.5, 0.5], [0.2, -0.2]], target=[0, 1])
    >>> len(art["targets"]), art["texts"][0].get_text()
    (2, '-0.50')
    """
    from matplotlib.patches import Rectangle

    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 2:
        raise ValueError(f"values must be a 2-D array (rows x classes); got shape {values.shape}")
    n_rows, n_cols = values.shape
    limit = float(np.abs(values).max()) or 1.0
    image = ax.imshow(values, cmap="RdBu_r", vmin=-limit, vmax=limit, aspect="auto")
    colorbar = ax.figure.colorbar(image, ax=ax, shrink=0.9)
    colorbar.set_label(colorbar_label)
    texts = []
    if annotate:
        for i in range(n_rows):
            for j in range(n_cols):
                v = values[i, j]
                color = "white" if abs(v) > 0.6 * limit else "black"
                label = f"{v:.2f}" if round(v, 2) != 0 else "0.00"  # no "-0.00"
                texts.append(
                    ax.text(j, i, label, ha="center", va="center", fontsize=8, color=color)
                )
    targets = []
    if target is not None:
        target = np.asarray(target)
        if target.shape != (n_rows,):
            raise ValueError(f"target must have shape ({n_rows},); got {target.shape}")
        for i, j in enumerate(target):
            rect = Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor="black", lw=2)
            targets.append(ax.add_patch(rect))
    ax.set_xticks(range(n_cols))
    ax.set_yticks(range(n_rows))
    style.label_axes(ax, xlabel, ylabel, title)
    ax.grid(False)
    return {"image": image, "colorbar": colorbar, "targets": targets, "texts": texts}


def ce_vs_mse_curves(ax, z, quantity="gradient"):
    r"""Cross-entropy against squared error (the Brier score) after a sigmoid, for a positive target.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    z : array_like
        The logits to plot along the x-axis.
    quantity : {"gradient", "loss"}
        ``"gradient"`` draws :math:`|\partial L / \partial z|`, ``"loss"`` the losses.

    Returns
    -------
    dict
        ``"ce"`` and ``"mse"``: the two ``Line2D`` curves.

    Notes
    -----
    With :math:`\sigma = \sigma(z)` and target :math:`y = 1`,

    .. math:: L_{CE} = -\log \sigma, \quad \frac{\partial L_{CE}}{\partial z} = \sigma - 1;
              \qquad L_{MSE} = (\sigma - 1)^2, \quad
              \frac{\partial L_{MSE}}{\partial z} = 2(\sigma - 1)\,\sigma(1 - \sigma)

    For a confident wrong answer (:math:`z \ll 0`) the cross-entropy gradient tends to -1,
    while the squared error's vanishes with :math:`\sigma(z) \approx e^{z}`.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> art = ce_vs_mse_curves(ax, [-10.0, 0.0])
    >>> art["ce"].get_ydata().round(4).tolist(), art["mse"].get_ydata().round(4).tolist()
    ([1.0, 0.5], [0.0001, 0.25])
    """
    if quantity not in ("gradient", "loss"):
        raise ValueError(f"quantity must be 'gradient' or 'loss'; got {quantity!r}")
    z = np.asarray(z, dtype=np.float64)
    s = np.asarray(sigmoid(z))
    if quantity == "gradient":
        ce, mse = np.abs(s - 1), np.abs(2 * (s - 1) * s * (1 - s))
        ylabel = r"$|\partial L / \partial z|$ (nats per unit logit)"
        ce_label = r"cross-entropy: $|\sigma(z) - 1|$"
        mse_label = r"squared error (Brier): $|2(\sigma - 1)\,\sigma(1 - \sigma)|$"
    else:
        ce, mse = -np.asarray(log_sigmoid(z)), (s - 1) ** 2
        ylabel = "loss (nats; the squared error has no unit)"
        ce_label = r"cross-entropy: $-\log \sigma(z)$"
        mse_label = r"squared error (Brier): $(\sigma(z) - 1)^2$"
    (ce_line,) = ax.plot(z, ce, color=style.ACCENT, lw=2.2, label=ce_label)
    (mse_line,) = ax.plot(z, mse, color=style.WARNING, lw=2.2, ls="--", label=mse_label)
    style.label_axes(ax, "logit $z$ of the true class (target $y = 1$)", ylabel)
    if quantity == "gradient":
        ax.set_ylim(-0.03, 1.35)  # room for the legend above the plateau at 1
        ax.set_yticks(np.linspace(0, 1, 6))
    ax.legend(fontsize="small", loc="upper right")
    return {"ce": ce_line, "mse": mse_line}


def target_probability_bars(ax, q, y, class_names=None):
    """The model's probabilities ``q`` beside the target ``y``, class by class.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    q : array_like, shape (C,)
        Predicted probabilities.
    y : array_like, shape (C,)
        Target distribution (one-hot, or smoothed).
    class_names : sequence of str, optional
        Tick labels (default ``"0"``, ``"1"``, ...).

    Returns
    -------
    dict
        ``"q"`` and ``"y"``: the two ``BarContainer`` (update with ``bar.set_height``).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> art = target_probability_bars(ax, [0.7, 0.2, 0.1], [1.0, 0.0, 0.0])
    >>> [float(bar.get_height()) for bar in art["q"]]
    [0.7, 0.2, 0.1]
    """
    q = np.asarray(q, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if q.ndim != 1 or q.shape != y.shape:
        raise ValueError(f"q and y must be 1-D of the same length; got {q.shape} and {y.shape}")
    x = np.arange(q.size)
    width = 0.38
    y_bars = ax.bar(x - width / 2, y, width, color=style.TRUTH, label="target $y$")
    q_bars = ax.bar(x + width / 2, q, width, color=style.MODEL, label="model $q = $ softmax$(z)$")
    ax.set_xticks(x, class_names or [str(c) for c in x])
    ax.set_ylim(0, 1.3)
    ax.set_yticks(np.linspace(0, 1, 6))
    style.label_axes(ax, "class $j$", "probability", "probabilities and target")
    ax.legend(fontsize="small", loc="upper center", ncols=2)
    return {"q": q_bars, "y": y_bars}


def gradient_axis_limit(grad) -> float:
    r"""The y-limit :math:`L` (the axis spans :math:`[-L, L]`) that shows these gradient bars.

    The smallest of :data:`GRADIENT_AXIS_LIMITS` whose 80% holds the longest bar (room for
    its value label), and 1.15 beyond: one sample's gradient :math:`q_j - y_j` lies in
    :math:`[-1, 1]`.

    Parameters
    ----------
    grad : array_like
        The gradient, one value per class.

    Returns
    -------
    float

    Examples
    --------
    >>> gradient_axis_limit([0.79, -0.82, 0.04])
    1.15
    >>> gradient_axis_limit([-0.015, 0.048, -0.033])  # a smoothed, confident target
    0.1
    """
    largest = float(np.max(np.abs(np.asarray(grad, dtype=np.float64))))
    for limit in GRADIENT_AXIS_LIMITS:
        if largest <= 0.8 * limit:
            return limit
    return GRADIENT_AXIS_LIMITS[-1]


def set_gradient_axis(ax, limit):
    """Span ``[-limit, limit]`` with five round ticks, each printed with two decimals."""
    from matplotlib.ticker import FuncFormatter

    outer = _OUTER_TICK.get(limit, limit)
    ax.set_ylim(-limit, limit)
    ax.set_yticks(np.linspace(-outer, outer, 5))
    # two decimals, with a true minus sign as matplotlib's own labels have
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.2f}".replace("-", "\u2212")))


def gradient_label_position(index, g, limit):
    """Where a bar's value label goes (just past its end) and its vertical alignment."""
    gap = 0.035 * limit
    return (index, g + gap if g >= 0 else g - gap), "bottom" if g >= 0 else "top"


def gradient_label_text(g, limit):
    """A bar's value label: two decimals, three on a zoomed-in axis (below 0.2)."""
    return f"{g:+.2f}" if limit >= 0.2 else f"{g:+.3f}"


def logit_gradient_bars(ax, grad, class_names=None, limit=None):
    r"""The gradient of the loss on each logit, as signed bars with their values.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    grad : array_like, shape (C,)
        :math:`\partial L / \partial z_j`, in [-1, 1] for one sample.
    class_names : sequence of str, optional
        Tick labels.
    limit : float, optional
        The y-axis spans ``[-limit, limit]``; default :func:`gradient_axis_limit` of
        ``grad``, so that a small gradient (a smoothed target's) is not a flat line.

    Returns
    -------
    dict
        ``"bars"`` (``BarContainer``), ``"texts"`` (one value label per bar) and ``"limit"``.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> art = logit_gradient_bars(ax, [-0.3, 0.2, 0.1])
    >>> [t.get_text() for t in art["texts"]], art["limit"]
    (['-0.30', '+0.20', '+0.10'], 0.5)
    """
    grad = np.asarray(grad, dtype=np.float64)
    if grad.ndim != 1:
        raise ValueError(f"grad must be 1-D (one value per class); got shape {grad.shape}")
    limit = gradient_axis_limit(grad) if limit is None else float(limit)
    x = np.arange(grad.size)
    bars = ax.bar(x, grad, 0.55, color=style.ACCENT)
    ax.axhline(0, color="black", lw=0.8)
    texts = []
    for i, g in enumerate(grad):
        position, va = gradient_label_position(i, g, limit)
        texts.append(
            ax.text(*position, gradient_label_text(g, limit), ha="center", va=va, fontsize=9)
        )
    ax.set_xticks(x, class_names or [str(c) for c in x])
    set_gradient_axis(ax, limit)
    style.label_axes(
        ax,
        "class $j$",
        r"$\partial L / \partial z_j$ (nats per unit logit)",
        r"gradient $\partial L / \partial z_j = q_j - y_j$",
    )
    return {"bars": bars, "texts": texts, "limit": limit}


def finite_difference_errors(ax, eps, errors, errors_float32=None):
    """Error of finite-difference derivatives against the step size, on log-log axes.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    eps : array_like
        The steps :math:`h`.
    errors : dict of str to array_like
        A curve per method (e.g. ``{"forward": ..., "central": ...}``), each the absolute
        error at every step. Zeros are drawn at 1e-17 (below rounding) so the log axis
        can show them.
    errors_float32 : dict of str to array_like, optional
        The same methods computed in float32: drawn in the same colours, thinner, dotted,
        with open markers, and labelled ``"<method>, float32"`` (the others then get
        ``", float64"``).

    Returns
    -------
    dict
        One ``Line2D`` per curve, under its label.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> art = finite_difference_errors(ax, [1e-2, 1e-4], {"central": [1e-5, 1e-9]})
    >>> art["central"].get_ydata().tolist()
    [1e-05, 1e-09]
    """
    eps = np.asarray(eps, dtype=np.float64)
    colors = {"forward": style.WARNING, "central": style.ACCENT}
    styles = {"forward": "--", "central": "-"}
    lines = {}
    suffix = ", float64" if errors_float32 else ""
    for k, (name, err) in enumerate(errors.items()):
        err = np.maximum(np.asarray(err, dtype=np.float64), 1e-17)
        if err.shape != eps.shape:
            raise ValueError(f"errors[{name!r}] must have eps's shape {eps.shape}; got {err.shape}")
        (lines[name + suffix],) = ax.loglog(
            eps,
            err,
            marker="o",
            ms=3.5,
            lw=2,
            color=colors.get(name, style.EXTRA[k % len(style.EXTRA)]),
            ls=styles.get(name, "-"),
            label=name + suffix,
        )
    for k, (name, err) in enumerate((errors_float32 or {}).items()):
        err = np.maximum(np.asarray(err, dtype=np.float64), 1e-17)
        if err.shape != eps.shape:
            raise ValueError(
                f"errors_float32[{name!r}] must have eps's shape {eps.shape}; got {err.shape}"
            )
        (lines[f"{name}, float32"],) = ax.loglog(
            eps,
            err,
            marker="o",
            ms=4,
            mfc="white",
            lw=1.3,
            ls=":",
            color=colors.get(name, style.EXTRA[k % len(style.EXTRA)]),
            label=f"{name}, float32",
        )
    style.label_axes(ax, "step $h$ (log scale)", "absolute error of the derivative (log scale)")
    ax.legend(fontsize="small")
    return lines
