"""Plots of lesson 04, binary cross-entropy: the two loss curves, logits and ``pos_weight``.

Each function draws on the ``ax`` it is given and returns a dict of its artists, so the
widget of :mod:`xent_lessons.widgets.binary` can move them in place.
"""

from __future__ import annotations

import numpy as np

from .. import style
from .._validation import as_float_array, check_positive_scalar
from ..activations import sigmoid
from ..losses import binary_cross_entropy_with_logits

__all__ = ["bce_logit_loss", "bce_loss_curves", "bce_pos_weight_curves", "sigmoid_probability"]

# The colours of the two loss curves: they belong to the target (y = 1 or y = 0), not to
# the truth/model pair, so they use the palette's other two colours.
CURVE_COLORS = {1: style.ACCENT, 0: style.EXTRA[1]}


def _check_label(y) -> int:
    if isinstance(y, bool) or y not in (0, 1):
        raise ValueError(f"y must be the label 0 or 1; got {y!r}")
    return int(y)


def _check_probability(q, name="q") -> float:
    q = float(as_float_array(q, name).reshape(-1)[0]) if np.ndim(q) else float(q)
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"{name} must be a probability in [0, 1]; got {q!r}")
    return q


def _check_range(lo_hi, name) -> tuple[float, float]:
    lo, hi = (float(v) for v in lo_hi)
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ValueError(f"{name} must be (low, high) with low < high; got {lo_hi!r}")
    return lo, hi


def _point_loss(q: float, y: int) -> float:
    """-log q for y = 1, -log(1 - q) for y = 0 (inf at the certain mistake)."""
    with np.errstate(divide="ignore"):
        return float(-np.log(q) if y == 1 else -np.log1p(-q))


def _set_bce_points(artists: dict, q: float, y: int) -> None:
    """Move the two markers of :func:`bce_loss_curves` to probability ``q``.

    The marker on the curve of the current target ``y`` is filled, the other hollow. A loss
    above the top of the axes is drawn at the top as a triangle pointing up.
    """
    y_top = artists["y_max"]
    for label in (0, 1):
        marker = artists[f"point_{label}"]
        loss = _point_loss(q, label)
        clipped = loss > 0.97 * y_top
        marker.set_data([q], [0.97 * y_top if clipped else loss])
        marker.set_marker("^" if clipped else "o")
        active = label == y
        marker.set_markerfacecolor(style.MODEL if active else "white")
        marker.set_markersize(10 if active else 7)
        marker.set_zorder(5 if active else 4)
    artists["guide"].set_xdata([q, q])


def bce_loss_curves(ax, q=None, y=1, y_max=7.0, annotate=False):
    r"""The loss of one sample against the predicted probability: :math:`-\log q` and
    :math:`-\log(1 - q)`.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    q : float, optional
        A predicted probability of class 1 to mark on both curves (filled marker on the
        curve of ``y``, hollow on the other). ``None`` draws the curves only.
    y : {0, 1}
        The target whose curve gets the filled marker.
    y_max : float
        Top of the loss axis (nats); larger losses are marked at the top.
    annotate : bool
        Add arrows naming the confident mistake, the confident success and the
        ``ln 2`` crossing (for a static figure).

    Returns
    -------
    dict
        ``"curve_1"``, ``"curve_0"`` (Line2D of the y = 1 and y = 0 losses); with ``q``
        also ``"point_1"``, ``"point_0"``, ``"guide"`` (a vertical line at ``q``);
        ``"y_max"``; with ``annotate`` the list ``"annotations"``.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> artists = bce_loss_curves(ax, q=0.9, y=1)
    >>> float(artists["point_1"].get_ydata()[0])  # -log 0.9
    0.10536
    >>> float(artists["point_0"].get_ydata()[0])  # -log 0.1
    2.30259
    """
    y = _check_label(y)
    y_max = check_positive_scalar(y_max, "y_max")
    # Dense near both ends, where the curves are steep.
    edge = np.geomspace(1e-4, 0.05, 120)
    grid = np.unique(np.concatenate([edge, np.linspace(0.05, 0.95, 200), 1 - edge[::-1]]))
    q_pos = np.append(grid, 1.0)  # -log q is defined on (0, 1]
    q_neg = np.insert(grid, 0, 0.0)  # -log(1 - q) on [0, 1)
    artists = {"y_max": y_max}
    (artists["curve_1"],) = ax.plot(
        q_pos, -np.log(q_pos), color=CURVE_COLORS[1], lw=2.5, label="y = 1:  −log q"
    )
    (artists["curve_0"],) = ax.plot(
        q_neg, -np.log1p(-q_neg), color=CURVE_COLORS[0], lw=2.5, ls="--",
        label="y = 0:  −log(1 − q)",
    )
    ax.set_xlim(0, 1)
    ax.set_ylim(0, y_max)
    if q is not None:
        q = _check_probability(q)
        artists["guide"] = ax.axvline(q, color=style.MODEL, lw=1, ls=":", alpha=0.8)
        for label in (0, 1):
            (artists[f"point_{label}"],) = ax.plot(
                [q], [0.0], "o", color=style.MODEL, markeredgecolor=style.MODEL,
                markeredgewidth=1.5, linestyle="none", clip_on=False,
            )
        artists["point_1"].set_label("prediction q")
        _set_bce_points(artists, q, y)
    if annotate:
        arrow = {"arrowstyle": "->", "color": style.NEUTRAL}
        q_bad = 0.01
        artists["annotations"] = [
            ax.annotate(
                f"confident mistake:\ny = 1 but q = {q_bad}\ncosts {-np.log(q_bad):.1f} nats",
                xy=(q_bad, -np.log(q_bad)), xytext=(0.1, 0.72 * y_max),
                arrowprops=arrow, fontsize=9,
            ),
            ax.annotate(
                "confident and right:\ny = 1, q = 0.98\ncosts 0.02 nats",
                xy=(0.98, -np.log(0.98)), xytext=(0.7, 0.3 * y_max),
                arrowprops=arrow, fontsize=9, ha="center",
            ),
            ax.annotate(
                "unsure, q = 0.5: ln 2 = 0.69 nats",
                xy=(0.5, np.log(2)), xytext=(0.3, 0.45 * y_max),
                arrowprops=arrow, fontsize=9, ha="center",
            ),
        ]
    ax.legend(loc="upper center", fontsize=9, framealpha=0.9)
    style.label_axes(ax, "predicted probability of class 1, q", "loss of one sample (nats)",
                     "Binary cross-entropy of one sample")
    return artists


def naive_bce_with_logits(z, y, dtype=np.float32):
    r"""The naive loss :math:`-[y \log \sigma(z) + (1 - y) \log(1 - \sigma(z))]` in ``dtype``.

    What you get by computing the sigmoid first and its log second: ``inf`` or ``nan`` as
    soon as :math:`\sigma(z)` rounds to exactly 0 or 1 (``|z| > 16.6`` in float32 on the
    side where the prediction is confident). Kept here only to draw that failure.

    Parameters
    ----------
    z : array_like
        Logits.
    y : {0, 1}
        The target.
    dtype : numpy dtype
        The precision of the computation (float32, as in a PyTorch model, by default).

    Returns
    -------
    ndarray
        The per-element naive loss, with ``inf`` and ``nan`` where it fails.

    Examples
    --------
    >>> naive_bce_with_logits([0.0, 20.0, -20.0], 1)
    array([ 0.6931472,        nan, 20.       ], dtype=float32)
    """
    y = _check_label(y)
    z = np.asarray(z, dtype=dtype)
    one = z.dtype.type(1)
    with np.errstate(all="ignore"):
        q = one / (one + np.exp(-z))
        return -(z.dtype.type(y) * np.log(q) + z.dtype.type(1 - y) * np.log(one - q))


def bce_logit_loss(ax, y=1, z_range=(-100.0, 100.0), z=None, dtype=np.float32, n_points=801):
    r"""The loss against the logit: the stable formula, and where the naive one breaks.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    y : {0, 1}
        The target.
    z_range : (float, float)
        The logits to draw.
    z : float, optional
        A logit to mark on the stable curve.
    dtype : numpy dtype
        Precision of the naive computation (float32 by default, as in a PyTorch model).
    n_points : int
        Number of logits drawn.

    Returns
    -------
    dict
        ``"stable"`` (Line2D of :math:`\max(z, 0) - z y + \log(1 + e^{-|z|})`), ``"naive"``
        (the naive loss where it is finite), ``"failures"`` (markers at the top where it is
        ``inf`` or ``nan``), with ``z`` also ``"point"``; and ``"grid"``, the logits drawn.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> artists = bce_logit_loss(ax, y=1, z_range=(-30, 30), n_points=7)
    >>> artists["stable"].get_ydata().round(3)
    array([30.   , 20.   , 10.   ,  0.693,  0.   ,  0.   ,  0.   ])
    >>> artists["failures"].get_xdata()  # float32 sigmoid rounds to 1 beyond z = 16.6
    array([20., 30.])
    """
    y = _check_label(y)
    lo, hi = _check_range(z_range, "z_range")
    grid = np.linspace(lo, hi, int(n_points))
    curves = _bce_logit_curve_data(grid, y, dtype)
    artists = {"grid": grid}
    (artists["stable"],) = ax.plot(
        grid, curves["stable"], color=CURVE_COLORS[y], lw=2.5,
        label="stable formula",
    )
    (artists["naive"],) = ax.plot(
        grid, curves["naive"], color=style.WARNING, lw=1.5, ls="--",
        label=f"naive, via σ(z) in {np.dtype(dtype).name}",
    )
    top = max(1.0, 1.08 * float(np.max(curves["stable"])))
    (artists["failures"],) = ax.plot(
        *_failure_marks(grid, curves["naive"], top), "x", color=style.WARNING, ms=6,
        linestyle="none", label="naive gives inf or nan",
    )
    artists["top"] = top
    if z is not None:
        z = float(z)
        stable = float(binary_cross_entropy_with_logits([z], [float(y)], reduction="sum"))
        (artists["point"],) = ax.plot(
            [z], [stable], "o", color=style.MODEL, ms=9, linestyle="none", zorder=5,
            clip_on=False,
        )
    ax.set_xlim(lo, hi)
    ax.set_ylim(0, top * 1.04)
    artists["legend"] = ax.legend(loc=_LEGEND_LOC[y], fontsize=8, framealpha=0.9)
    artists["title"] = ax.set_title(f"From logits, target y = {y}")
    style.label_axes(ax, "logit z", "loss of one sample (nats)")
    return artists


# Where the stable curve is low (y = 1: right; y = 0: left), so the legend hides nothing.
_LEGEND_LOC = {1: "center right", 0: "center left"}


def _bce_logit_curve_data(grid, y, dtype=np.float32) -> dict:
    """The stable (float64) and naive (``dtype``) losses over the logits ``grid``."""
    stable = binary_cross_entropy_with_logits(
        grid, np.full(grid.shape, float(y)), reduction="none"
    )
    naive = naive_bce_with_logits(grid, y, dtype).astype(np.float64)
    return {"stable": stable, "naive": naive}


def _failure_marks(grid, naive, top, max_marks=40):
    """x, y of markers at the top of the axes where ``naive`` is not finite (thinned out)."""
    bad = grid[~np.isfinite(naive)]
    if bad.size > max_marks:
        bad = bad[:: int(np.ceil(bad.size / max_marks))]
    return bad, np.full(bad.shape, 0.97 * top)


def sigmoid_probability(ax, z_range=(-8.0, 8.0), z=None, n_points=401):
    r"""The sigmoid :math:`q = \sigma(z) = 1 / (1 + e^{-z})`: from a logit to a probability.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    z_range : (float, float)
        The logits to draw.
    z : float, optional
        A logit to mark, with its probability.
    n_points : int
        Number of logits drawn.

    Returns
    -------
    dict
        ``"curve"`` (Line2D), with ``z`` also ``"point"``.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> artists = sigmoid_probability(ax, z=0.0)
    >>> artists["point"].get_ydata()
    array([0.5])
    """
    lo, hi = _check_range(z_range, "z_range")
    grid = np.linspace(lo, hi, int(n_points))
    artists = {}
    (artists["curve"],) = ax.plot(grid, sigmoid(grid), color=style.MODEL, lw=2.5,
                                  label="q = σ(z)")
    for level in (0.0, 0.5, 1.0):
        ax.axhline(level, color=style.NEUTRAL, lw=0.8, ls=":")
    if z is not None:
        z = float(z)
        (artists["point"],) = ax.plot([z], [sigmoid(z)], "o", color=style.MODEL, ms=8,
                                      linestyle="none")
    ax.set_xlim(lo, hi)
    ax.set_ylim(-0.05, 1.05)
    ax.legend(loc="upper left", fontsize=9)
    style.label_axes(ax, "logit z", "probability of class 1, q", "The sigmoid")
    return artists


def bce_pos_weight_curves(ax, y, pos_weights=(1.0,), n_points=400):
    r"""Mean loss of a constant prediction ``q`` for every sample, for several ``pos_weight``.

    With :math:`N_+` positives and :math:`N_-` negatives the mean loss of predicting ``q``
    everywhere is :math:`-[w N_+ \log q + N_- \log(1 - q)] / N`, smallest at
    :math:`q^* = w N_+ / (w N_+ + N_-)`: the base rate for :math:`w = 1`, and 0.5 for
    :math:`w = N_- / N_+`.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    y : array_like
        The 0/1 targets of a data set.
    pos_weights : sequence of float
        The ``pos_weight`` values to compare (one curve each).
    n_points : int
        Number of probabilities drawn.

    Returns
    -------
    dict
        ``"curves"`` and ``"minima"``: lists of Line2D, one per ``pos_weight``; ``"best_q"``,
        the array of minimising probabilities.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> artists = bce_pos_weight_curves(ax, [1, 0, 0, 0], pos_weights=(1.0, 3.0))
    >>> artists["best_q"].round(3)
    array([0.25, 0.5 ])
    """
    y = as_float_array(y, "y").reshape(-1)
    if not np.isin(y, (0.0, 1.0)).all():
        raise ValueError("y must hold 0/1 labels")
    n_pos, n = float(y.sum()), float(y.size)
    n_neg = n - n_pos
    if n_pos == 0 or n_neg == 0:
        raise ValueError("y needs both positives and negatives")
    q = np.linspace(0.002, 0.998, int(n_points))
    colors = (style.NEUTRAL, style.ACCENT, style.EXTRA[1], style.EXTRA[0])
    artists = {"curves": [], "minima": [], "best_q": []}
    for i, w in enumerate(pos_weights):
        w = check_positive_scalar(w, "pos_weight")
        mean_loss = -(w * n_pos * np.log(q) + n_neg * np.log1p(-q)) / n
        best = w * n_pos / (w * n_pos + n_neg)
        best_loss = -(w * n_pos * np.log(best) + n_neg * np.log1p(-best)) / n
        color = colors[i % len(colors)]
        (line,) = ax.plot(q, mean_loss, color=color, lw=2.5, label=f"pos_weight = {w:.3g}")
        (dot,) = ax.plot([best], [best_loss], "o", color=color, ms=9, linestyle="none")
        ax.annotate(f"best q = {best:.3g}", xy=(best, best_loss), xytext=(0, 9),
                    textcoords="offset points", color=color, fontsize=9,
                    ha="left" if best < 0.15 else "center")
        artists["curves"].append(line)
        artists["minima"].append(dot)
        artists["best_q"].append(best)
    artists["best_q"] = np.array(artists["best_q"])
    ax.set_xlim(0, 1)
    ax.set_ylim(0, None)
    ax.legend(loc="upper center", fontsize=9)
    style.label_axes(ax, "constant prediction q for every sample", "mean loss (nats)",
                     f"{int(n_pos)} positives, {int(n_neg)} negatives")
    return artists
