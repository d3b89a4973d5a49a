"""Widget of lesson 06: move the logits and watch the gradient of the loss on each one."""

from __future__ import annotations

import numpy as np

from ..activations import softmax
from ..gradients import categorical_cross_entropy_grad
from ..losses import categorical_cross_entropy
from ._figure_widget import FigureWidget, new_figure
from ._frames import Every, Values, site_grid

_Z_TARGET_GRID = tuple(float(z) for z in range(-6, 7))  # the target's logit on the site

__all__ = ["gradient_explorer"]


@site_grid(z1=Values(*_Z_TARGET_GRID), target=Every(), label_smoothing=Values(0.0, 0.1, 0.5))
def gradient_explorer(logits=(2.0, 0.5, -1.0), target=1, label_smoothing=0.0, class_names=None):
    r"""Logit sliders and a target picker; bars show q, y and the gradient ``q - y``.

    Parameters
    ----------
    logits : sequence of float, optional
        The starting logits, one per class (2 to 6 classes; each slider spans [-6, 6]).
    target : int, optional
        The starting target class.
    label_smoothing : float, optional
        The starting smoothing ε in [0, 0.5]: the target becomes ``(1 - ε) y + ε / C``.
    class_names : sequence of str, optional
        A short name per class, for the sliders, the menu and the x-axes.

    Returns
    -------
    FigureWidget
        Controls ``"z0"``, ``"z1"``, ... (logits), ``"target"`` and ``"label_smoothing"``;
        artists ``"q"``, ``"y"`` (probability bars), ``"grad"`` (gradient bars) and
        ``"grad_texts"``. The gradient axis spans ``[-L, L]`` with ``L`` from
        :func:`xent_lessons.plots.gradient_axis_limit`: it zooms in when the gradients are
        small, so a smoothed target's push stays visible.

    Examples
    --------
    >>> w = gradient_explorer(logits=(0.0, 0.0), target=0)
    >>> [round(float(bar.get_height()), 3) for bar in w.artists["grad"]]
    [-0.5, 0.5]
    """
    import ipywidgets as widgets

    from ..plots.gradient import (
        gradient_axis_limit,
        gradient_label_position,
        gradient_label_text,
        logit_gradient_bars,
        set_gradient_axis,
        target_probability_bars,
    )

    z0 = np.asarray(logits, dtype=np.float64)
    if z0.ndim != 1 or not 2 <= z0.size <= 6:
        raise ValueError(f"logits must be 2 to 6 numbers, one per class; got {list(z0)}")
    n_classes = z0.size
    if not (isinstance(target, int | np.integer) and 0 <= target < n_classes):
        raise ValueError(f"target must be a class index in [0, {n_classes}); got {target!r}")
    if not 0.0 <= label_smoothing <= 0.5:
        raise ValueError(f"label_smoothing must be in [0, 0.5]; got {label_smoothing}")
    if class_names is not None and len(class_names) != n_classes:
        raise ValueError(f"class_names must have {n_classes} names; got {list(class_names)}")
    names = [str(c) for c in class_names] if class_names is not None else None
    labels = names or [f"class {j}" for j in range(n_classes)]

    fig, (ax_p, ax_g) = new_figure(1, 2, figsize=(8.0, 3.4))
    q0 = softmax(z0)
    y0 = np.eye(n_classes)[target]
    art_p = target_probability_bars(ax_p, q0, y0, class_names=names)
    art_g = logit_gradient_bars(ax_g, q0 - y0, class_names=names)
    shown = {"limit": art_g["limit"]}

    controls = {
        f"z{j}": widgets.FloatSlider(
            value=float(np.clip(z0[j], -6, 6)),
            min=-6.0,
            max=6.0,
            step=0.1,
            description=f"z {names[j]}" if names else f"z{j}",
            continuous_update=True,
            layout=widgets.Layout(width="220px"),
        )
        for j in range(n_classes)
    }
    controls["target"] = widgets.Dropdown(
        options=[(labels[j], j) for j in range(n_classes)],
        value=int(target),
        description="target",
        layout=widgets.Layout(width="170px"),
    )
    controls["label_smoothing"] = widgets.FloatSlider(
        value=float(label_smoothing),
        min=0.0,
        max=0.5,
        step=0.05,
        description="smoothing ε",
        layout=widgets.Layout(width="240px"),
    )

    def update(target, label_smoothing, **zs):
        z = np.array([zs[f"z{j}"] for j in range(n_classes)])
        eps = float(label_smoothing)
        q = softmax(z)
        y = (1 - eps) * np.eye(n_classes)[target] + eps / n_classes
        grad = categorical_cross_entropy_grad(z, np.int64(target), label_smoothing=eps)
        loss = categorical_cross_entropy(z, np.int64(target), label_smoothing=eps)
        for bar, v in zip(art_p["q"], q, strict=True):
            bar.set_height(v)
        for bar, v in zip(art_p["y"], y, strict=True):
            bar.set_height(v)
        limit = gradient_axis_limit(grad)  # zoom in on small gradients, in fixed steps
        if limit != shown["limit"]:
            set_gradient_axis(ax_g, limit)  # a new background, drawn once per limit
            shown["limit"] = limit
        for j, (bar, text, g) in enumerate(zip(art_g["bars"], art_g["texts"], grad, strict=True)):
            bar.set_height(g)
            text.set_text(gradient_label_text(g, limit))
            position, va = gradient_label_position(j, g, limit)
            text.set_position(position)
            text.set_verticalalignment(va)
        fmt = ", ".join
        return (
            f"loss = {loss:.3f} nats   q = [{fmt(f'{v:.3f}' for v in q)}]   "
            f"y = [{fmt(f'{v:.3f}' for v in y)}]\n"
            f"gradient q - y = [{fmt(f'{v:+.3f}' for v in grad)}]   "
            f"(sum {abs(grad.sum()):.3f}: raising one logit lowers the others' share)"
        )

    moving = [*art_p["q"], *art_p["y"], *art_g["bars"], *art_g["texts"]]
    moving += [ax_p.get_legend(), ax_g.lines[0]]  # drawn over the bars
    return FigureWidget(
        "gradient of cross-entropy on each logit",
        fig,
        controls,
        update,
        artists={
            "q": art_p["q"],
            "y": art_p["y"],
            "grad": art_g["bars"],
            "grad_texts": art_g["texts"],
        },
        moving=moving,
        static_key=lambda: shown["limit"],
    )
