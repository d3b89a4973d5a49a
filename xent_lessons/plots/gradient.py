"""Plots of lesson 06: the gradient of cross-entropy with respect to the logits."""

from __future__ import annotations

import numpy as np

from .. import style
from ..activations import log_sigmoid, sigmoid

__all__ = [
    "ce_vs_mse_curves",
    "finite_difference_errors",
    "gradient_heatmap",
    "logit_gradient_bars",
    "target_probability_bars",
]


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
    r"""Cross-entropy against squared error after a sigmoid, for a positive target (t = 1).

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
    With :math:`\sigma = \sigma(z)` and target 1,

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
        mse_label = r"squared error: $|2(\sigma - 1)\,\sigma(1 - \sigma)|$"
    else:
        ce, mse = -np.asarray(log_sigmoid(z)), (s - 1) ** 2
        ylabel = "loss (nats; squared error unitless)"
        ce_label = r"cross-entropy: $-\log \sigma(z)$"
        mse_label = r"squared error: $(\sigma(z) - 1)^2$"
    (ce_line,) = ax.plot(z, ce, color=style.ACCENT, lw=2.2, label=ce_label)
    (mse_line,) = ax.plot(z, mse, color=style.WARNING, lw=2.2, ls="--", label=mse_label)
    style.label_axes(ax, "logit $z$ of the true class (target $t = 1$)", ylabel)
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


def logit_gradient_bars(ax, grad, class_names=None):
    r"""The gradient of the loss on each logit, as signed bars with their values.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    grad : array_like, shape (C,)
        :math:`\partial L / \partial z_j`, in [-1, 1] for one sample.
    class_names : sequence of str, optional
        Tick labels.

    Returns
    -------
    dict
        ``"bars"`` (``BarContainer``) and ``"texts"`` (one value label per bar).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> art = logit_gradient_bars(ax, [-0.3, 0.2, 0.1])
    >>> [t.get_text() for t in art["texts"]]
    ['-0.30', '+0.20', '+0.10']
    """
    grad = np.asarray(grad, dtype=np.float64)
    if grad.ndim != 1:
        raise ValueError(f"grad must be 1-D (one value per class); got shape {grad.shape}")
    x = np.arange(grad.size)
    bars = ax.bar(x, grad, 0.55, color=style.ACCENT)
    ax.axhline(0, color="black", lw=0.8)
    texts = [
        ax.text(
            i,
            g + (0.04 if g >= 0 else -0.04),
            f"{g:+.2f}",
            ha="center",
            va="bottom" if g >= 0 else "top",
            fontsize=9,
        )
        for i, g in enumerate(grad)
    ]
    ax.set_xticks(x, class_names or [str(c) for c in x])
    ax.set_ylim(-1.15, 1.15)
    style.label_axes(
        ax,
        "class $j$",
        r"$\partial L / \partial z_j$ (nats per unit logit)",
        r"gradient $\partial L / \partial z_j = q_j - y_j$",
    )
    return {"bars": bars, "texts": texts}


def finite_difference_errors(ax, eps, errors):
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

    Returns
    -------
    dict
        One ``Line2D`` per method, under its name.

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
    for k, (name, err) in enumerate(errors.items()):
        err = np.maximum(np.asarray(err, dtype=np.float64), 1e-17)
        if err.shape != eps.shape:
            raise ValueError(f"errors[{name!r}] must have eps's shape {eps.shape}; got {err.shape}")
        (lines[name],) = ax.loglog(
            eps,
            err,
            marker="o",
            ms=3.5,
            lw=2,
            color=colors.get(name, style.EXTRA[k % len(style.EXTRA)]),
            ls=styles.get(name, "-"),
            label=name,
        )
    style.label_axes(ax, "step $h$ (log scale)", "absolute error of the derivative (log scale)")
    ax.legend(fontsize="small")
    return lines
