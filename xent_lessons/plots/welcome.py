"""Lesson 00's pictures: the map of the course, and a point riding on a curve."""

from __future__ import annotations

import numpy as np

from .. import style

__all__ = ["course_map", "curve_with_point"]

# The stages of the course: (name, colour). Okabe-Ito colours, used as box outlines with a
# pale fill of the same hue, so the stage never depends on colour alone (it is also named).
COURSE_STAGES = (
    ("start", style.NEUTRAL),
    ("information", style.TRUTH),
    ("from scores to probabilities", style.ACCENT),
    ("losses", style.MODEL),
    ("learning", style.EXTRA[1]),
    ("language and sequences", style.EXTRA[0]),
    ("in practice", style.WARNING),
)

# (number, title, key idea, stage index): the seventeen lessons in order.
# A title and a key idea may each hold one line break, so that they fit their box.
COURSE_LESSONS = (
    ("00", "Welcome", "how it works", 0),
    ("01", "Surprisal &\nentropy", r"$-\log p,\ H(p)$", 1),
    ("02", "Cross-entropy\n& KL", r"$H(p,q),\ D_{KL}(p\,\|\,q)$", 1),
    ("03", "Softmax", r"logits $z \to q$", 2),
    ("04", "Binary\ncross-entropy", "two classes", 3),
    ("05", "Categorical\ncross-entropy", "$C$ classes", 3),
    ("06", "The gradient", r"$\partial L/\partial z = q - y$", 4),
    ("07", "Training", "a classifier learns", 4),
    ("08", "Bits per\ncharacter", "language models,\nperplexity", 5),
    ("09", "Cross-entropy\nover sequences", "shifts, masks,\nthe right mean", 5),
    ("10", "Calibration", "probabilities\nyou can trust", 6),
    ("11", "Distillation", "soft targets", 6),
    ("12", "Cross-entropy at\n100k classes", "chunked, fused\nand cut losses", 6),
    ("13", "Contrastive\nlearning", "InfoNCE, CLIP", 6),
    ("14", "Choosing\na loss", "imbalance,\nfocal loss", 6),
    ("15", "Preference\nlearning", "reward models,\nDPO", 6),
    ("16", "Cross-entropy\nat scale", "z-loss, soft caps,\nsplit vocabulary", 6),
)


def _pale(color: str, amount: float = 0.82):
    """``color`` mixed with white: a light fill on which black text stays readable."""
    from matplotlib.colors import to_rgb

    return tuple(c + (1 - c) * amount for c in to_rgb(color))


def course_map(ax, lessons=COURSE_LESSONS, stages=COURSE_STAGES, highlight=None, per_row=5,
               legend_columns=4):
    """Draw the lessons as boxes in reading order, joined by arrows.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw; its axis lines and ticks are switched off.
    lessons : sequence of (number, title, key idea, stage index)
        One box per lesson, in the order they are taken.
    stages : sequence of (name, colour)
        The stage names (shown in a legend) and their colours.
    highlight : int, optional
        Index of a lesson to mark with a thick outline (e.g. the current one).
    per_row : int
        Boxes per row; rows read left to right, and an arrow wraps from the end of one
        row to the start of the next.
    legend_columns : int
        Stages per row of the legend, under the map.

    Returns
    -------
    dict
        ``"boxes"`` (one patch per lesson), ``"titles"`` (one text per lesson),
        ``"arrows"`` (one per consecutive pair) and ``"legend"``.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> artists = course_map(ax, highlight=1)
    >>> len(artists["boxes"]), len(artists["arrows"])
    (17, 16)
    >>> artists["titles"][3].get_text()
    'Softmax'
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
    from matplotlib.path import Path

    n = len(lessons)
    n_rows = int(np.ceil(n / per_row))
    box_w, box_h, gap_x, gap_y = 2.5, 1.7, 0.55, 0.8
    centers = []
    for k in range(n):
        row, col = divmod(k, per_row)
        centers.append((col * (box_w + gap_x) + box_w / 2, -row * (box_h + gap_y)))

    boxes, titles, arrows = [], [], []
    for k, ((number, title, idea, stage), (cx, cy)) in enumerate(
        zip(lessons, centers, strict=True)
    ):
        color = stages[stage][1]
        box = FancyBboxPatch(
            (cx - box_w / 2, cy - box_h / 2),
            box_w,
            box_h,
            boxstyle="round,pad=0.02,rounding_size=0.15",
            facecolor=_pale(color),
            edgecolor=color,
            linewidth=3.5 if k == highlight else 1.5,
        )
        ax.add_patch(box)
        boxes.append(box)
        ax.text(cx, cy + 0.6, f"Lesson {number}", ha="center", va="center", fontsize=8,
                color="#333333")
        titles.append(
            ax.text(cx, cy + 0.12, title, ha="center", va="center", fontsize=9.5,
                    fontweight="bold", color="black", linespacing=1.1)
        )
        ax.text(cx, cy - 0.52, idea, ha="center", va="center", fontsize=8, color="#333333",
                linespacing=1.0)

    for k in range(n - 1):
        (x0, y0), (x1, y1) = centers[k], centers[k + 1]
        style_kw = dict(arrowstyle="-|>", mutation_scale=14, linewidth=1.5, color="#333333")
        if y0 == y1:  # same row: a straight arrow between the facing sides
            arrow = FancyArrowPatch((x0 + box_w / 2, y0), (x1 - box_w / 2, y1),
                                    shrinkA=2, shrinkB=2, **style_kw)
        else:  # wrap: down from this box, back along the gap, down into the next row
            mid = (y0 - box_h / 2 + y1 + box_h / 2) / 2
            path = Path([(x0, y0 - box_h / 2 - 0.03), (x0, mid), (x1, mid),
                         (x1, y1 + box_h / 2 + 0.03)])
            arrow = FancyArrowPatch(path=path, **style_kw)
        ax.add_patch(arrow)
        arrows.append(arrow)

    handles = [
        Line2D([], [], marker="s", linestyle="none", markersize=11,
               markerfacecolor=_pale(c), markeredgecolor=c, markeredgewidth=1.5, label=name)
        for name, c in stages
    ]
    legend = ax.legend(
        handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncols=legend_columns,
        frameon=False, fontsize=8.5, handletextpad=0.3, columnspacing=1.2,
    )
    width = per_row * box_w + (per_row - 1) * gap_x
    ax.set_xlim(-0.1, width + 0.1)
    ax.set_ylim(-(n_rows - 1) * (box_h + gap_y) - box_h / 2 - 0.1, box_h / 2 + 0.1)
    ax.set_axis_off()
    return {"boxes": boxes, "titles": titles, "arrows": arrows, "legend": legend}


def curve_with_point(ax, x, y, x0, y0, *, xlabel=None, ylabel=None, title=None,
                     color=style.TRUTH, label=None):
    """A curve ``y(x)`` and one marked point on it, with dotted guides to both axes.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    x, y : array_like
        The curve's points.
    x0, y0 : float
        The marked point (a widget moves it with
        ``artists["point"].set_data([x0], [y0])``).
    xlabel, ylabel, title : str, optional
        Axis labels (with units) and title.
    color : str
        The curve's colour (the course's truth colour by default).
    label : str, optional
        Legend label of the curve.

    Returns
    -------
    dict
        ``"curve"`` and ``"point"`` (Line2D), ``"guides"`` (a dotted Line2D through
        ``(x0, 0)``, ``(x0, y0)`` and ``(0, y0)``: from the point down and across to the axes).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> artists = curve_with_point(ax, [0, 1, 2], [0, 1, 4], 1.0, 1.0)
    >>> artists["point"].get_xydata().tolist()
    [[1.0, 1.0]]
    """
    (curve,) = ax.plot(x, y, color=color, linewidth=2, label=label)
    (guides,) = ax.plot([x0, x0, 0], [0, y0, y0], linestyle=":", color=style.NEUTRAL)
    (point,) = ax.plot([x0], [y0], "o", markersize=9, color=style.ACCENT, zorder=3)
    style.label_axes(ax, xlabel, ylabel, title)
    if label is not None:
        ax.legend(loc="upper right")
    return {"curve": curve, "point": point, "guides": guides}
