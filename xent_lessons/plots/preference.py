"""Plots of lesson 15: recovered strengths, the DPO loss and its per-pair weight, a DPO run.

Every function draws on the ``ax`` it is given and returns its artists, so the widget
(:func:`xent_lessons.widgets.dpo_margin_explorer`) moves the same lines the static figure shows.
"""

from __future__ import annotations

import numpy as np

from .. import style
from .._validation import as_float_array
from ..preference import dpo_loss, dpo_loss_grad

__all__ = [
    "beta_sweep_curves",
    "dpo_log_prob_curves",
    "dpo_loss_panels",
    "set_dpo_loss_panels",
    "strength_recovery",
]

MARGIN_GRID = np.linspace(-40.0, 40.0, 401)  # log-ratio margins, nats


def strength_recovery(ax, true_strengths, fitted_strengths, names=None):
    """Fitted strengths against the true ones, with the diagonal where they would be equal.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    true_strengths, fitted_strengths : array_like, shape (K,)
        Both centred (mean 0): only differences are identified.
    names : sequence of str, optional
        A label next to each point.

    Returns
    -------
    dict
        ``"points"`` (the scatter) and ``"diagonal"`` (the line y = x).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> art = strength_recovery(Figure().subplots(), [-1.0, 0.0, 1.0], [-0.9, 0.1, 0.8])
    >>> art["points"].get_offsets().shape
    (3, 2)
    """
    t = as_float_array(true_strengths, "true_strengths").astype(np.float64)
    f = as_float_array(fitted_strengths, "fitted_strengths").astype(np.float64)
    if t.shape != f.shape or t.ndim != 1:
        raise ValueError(f"the strengths must be 1-D of one length; got {t.shape} and {f.shape}")
    lo, hi = min(t.min(), f.min()) - 0.3, max(t.max(), f.max()) + 0.3
    (diagonal,) = ax.plot([lo, hi], [lo, hi], color=style.NEUTRAL, ls=":", lw=1.5,
                          label="fitted = true")
    points = ax.scatter(t, f, s=45, color=style.MODEL, zorder=3, label="fitted from the games")
    for i, name in enumerate(names or ()):
        ax.annotate(name, (t[i], f[i]), textcoords="offset points", xytext=(5, -10),
                    fontsize="small")
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.set_aspect("equal")
    style.label_axes(ax, "true strength r (nats of log-odds)", "fitted strength")
    ax.legend(fontsize="small", loc="upper left")
    return {"points": points, "diagonal": diagonal}


def _loss_and_weight(margins, beta, label_smoothing):
    zeros = np.zeros_like(margins)
    # the policy's chosen log-ratio is the margin, everything else 0; logps must be <= 0
    pc, pr = np.minimum(margins, 0.0), -np.maximum(margins, 0.0)
    loss = dpo_loss(pc, pr, zeros, zeros, beta, label_smoothing, reduction="none")
    grad, _ = dpo_loss_grad(pc, pr, zeros, zeros, beta, label_smoothing, reduction="sum")
    return loss, -grad


def dpo_loss_panels(axes, beta=0.1, label_smoothing=0.0, margins=None):
    r"""The DPO loss and each pair's gradient weight against the log-ratio margin :math:`\Delta`.

    Left: :math:`\ell(\Delta) = -(1-\varepsilon)\log\sigma(\beta\Delta) -
    \varepsilon\log\sigma(-\beta\Delta)`. Right: how hard a pair pushes,
    :math:`-\partial\ell/\partial\log\pi_c = \beta[(1-\varepsilon)\sigma(-\beta\Delta) -
    \varepsilon\sigma(\beta\Delta)]`. Both against :math:`\Delta` in nats.

    Parameters
    ----------
    axes : pair of matplotlib.axes.Axes
    beta, label_smoothing : float, optional
    margins : array_like, optional
        Margins of real pairs, drawn as ticks on both curves (a rug).

    Returns
    -------
    dict
        ``"loss"``, ``"weight"`` (lines), ``"pairs_loss"``, ``"pairs_weight"`` (the pairs'
        points, empty without ``margins``), ``"margins"`` (the array).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> art = dpo_loss_panels(Figure().subplots(1, 2), beta=0.1)
    >>> round(float(np.interp(0.0, MARGIN_GRID, art["loss"].get_ydata())), 4)
    0.6931
    """
    ax_loss, ax_weight = axes
    m = MARGIN_GRID
    loss, weight = _loss_and_weight(m, beta, label_smoothing)
    pairs = np.zeros(0) if margins is None else np.clip(
        as_float_array(margins, "margins").astype(np.float64).ravel(), m[0], m[-1])
    p_loss, p_weight = _loss_and_weight(pairs, beta, label_smoothing)
    (line_l,) = ax_loss.plot(m, loss, color=style.MODEL, lw=2.5, label="DPO loss")
    ax_loss.axhline(np.log(2), color=style.NEUTRAL, ls=":", lw=1.2)
    ax_loss.text(m[0] + 1, np.log(2) + 0.25, "log 2: the policy is the reference",
                 fontsize="small", color=style.NEUTRAL)
    (pts_l,) = ax_loss.plot(pairs, p_loss, "|", color=style.TRUTH, ms=10, alpha=0.5,
                            label="held-out pairs")
    ax_loss.set_xlim(m[0], m[-1])
    ax_loss.set_ylim(0, 8)
    style.label_axes(ax_loss, "margin Δ of log-ratios, chosen − rejected (nats)", "loss (nats)")
    ax_loss.legend(fontsize="small", loc="upper right")
    (line_w,) = ax_weight.plot(m, weight, color=style.ACCENT, lw=2.5,
                               label="weight β σ(−βΔ) (ε = 0)")
    (pts_w,) = ax_weight.plot(pairs, p_weight, "|", color=style.TRUTH, ms=10, alpha=0.5)
    ax_weight.axhline(0, color=style.NEUTRAL, lw=0.8)
    ax_weight.set_xlim(m[0], m[-1])
    ax_weight.set_yscale("symlog", linthresh=1e-3)
    ax_weight.set_ylim(-6, 12)  # the weight lies in [-β ε, β], β ≤ 10 and ε ≤ 0.5
    style.label_axes(ax_weight, "margin Δ (nats)", "gradient weight of a pair (symlog)")
    return {"loss": line_l, "weight": line_w, "pairs_loss": pts_l, "pairs_weight": pts_w,
            "margins": pairs}


def set_dpo_loss_panels(artists, beta, label_smoothing):
    """Move the lines and points of :func:`dpo_loss_panels` to a new ``beta`` and ``label_smoothing``.

    Returns
    -------
    (ndarray, ndarray)
        The loss and the weight of the pairs (empty without pairs).
    """
    loss, weight = _loss_and_weight(MARGIN_GRID, beta, label_smoothing)
    artists["loss"].set_ydata(loss)
    artists["weight"].set_ydata(weight)
    p_loss, p_weight = _loss_and_weight(artists["margins"], beta, label_smoothing)
    artists["pairs_loss"].set_ydata(p_loss)
    artists["pairs_weight"].set_ydata(p_weight)
    return p_loss, p_weight


def dpo_log_prob_curves(ax, steps, chosen, rejected, margin=None):
    """Mean log-probabilities of the chosen and the rejected answers during a DPO run.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    steps : array_like
    chosen, rejected : array_like
        The policy's mean sequence log-probability of the chosen and rejected answers.
    margin : array_like, optional
        The mean log-ratio margin, drawn on a second y axis.

    Returns
    -------
    dict
        ``"chosen"``, ``"rejected"`` and, with ``margin``, ``"margin"`` (lines).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> art = dpo_log_prob_curves(Figure().subplots(), [0, 1], [-5.0, -6.0], [-5.0, -7.0])
    >>> art["rejected"].get_ydata().tolist()
    [-5.0, -7.0]
    """
    s = np.asarray(steps, dtype=float)
    (c,) = ax.plot(s, chosen, color=style.TRUTH, lw=2.5, label="chosen answers")
    (r,) = ax.plot(s, rejected, color=style.MODEL, lw=2.5, ls="--", label="rejected answers")
    style.label_axes(ax, "training step", "mean log π(answer) (nats)")
    art = {"chosen": c, "rejected": r}
    handles = [c, r]
    if margin is not None:
        ax2 = ax.twinx()
        (mg,) = ax2.plot(s, margin, color=style.ACCENT, lw=1.8, ls=":",
                         label="margin Δ (right axis)")
        ax2.set_ylabel("mean margin Δ (nats)", color=style.ACCENT)
        art["margin"] = mg
        handles.append(mg)
    ax.legend(handles=handles, fontsize="small", loc="lower left")
    return art


def beta_sweep_curves(ax_kl, ax_win, betas, kl, win_rate, optimum_kl=None, optimum_win=None):
    """KL to the reference and win rate against it, for DPO runs at several ``beta``.

    Parameters
    ----------
    ax_kl, ax_win : matplotlib.axes.Axes
    betas, kl, win_rate : array_like
        One value per run.
    optimum_kl, optimum_win : array_like, optional
        The same for the exact optimum of the KL-regularised objective (dashed).

    Returns
    -------
    dict
        ``"kl"``, ``"win"`` and, if given, ``"optimum_kl"``, ``"optimum_win"`` (lines).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> f = Figure()
    >>> art = beta_sweep_curves(*f.subplots(1, 2), [0.1, 1.0], [3.0, 0.5], [0.9, 0.7])
    >>> art["kl"].get_ydata().tolist()
    [3.0, 0.5]
    """
    b = np.asarray(betas, dtype=float)
    art = {}
    (art["kl"],) = ax_kl.plot(b, kl, "o-", color=style.MODEL, lw=2.5, label="DPO policy")
    (art["win"],) = ax_win.plot(b, win_rate, "o-", color=style.MODEL, lw=2.5, label="DPO policy")
    if optimum_kl is not None:
        (art["optimum_kl"],) = ax_kl.plot(b, optimum_kl, "s--", color=style.TRUTH, lw=1.8,
                                          label="optimum π*")
    if optimum_win is not None:
        (art["optimum_win"],) = ax_win.plot(b, optimum_win, "s--", color=style.TRUTH, lw=1.8,
                                            label="optimum π*")
    ax_win.axhline(0.5, color=style.NEUTRAL, ls=":", lw=1.2)
    for ax in (ax_kl, ax_win):
        ax.set_xscale("log")
        ax.legend(fontsize="small")
    style.label_axes(ax_kl, "β (log scale)", "KL(π ‖ π_ref) per answer (nats)")
    style.label_axes(ax_win, "β (log scale)", "win rate against π_ref")
    ax_win.set_ylim(0.4, 1.0)
    return art
