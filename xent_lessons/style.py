"""The course's colours and figure conventions, shared by every plot and widget.

One colour for the truth (``p``, ``y``) and one for the model (``q``, ``ŷ``) across the whole
course, from the Okabe-Ito palette, which stays distinguishable with every common form of
colour blindness. Nothing here touches matplotlib's global state (no rcParams).
"""

TRUTH = "#0072B2"  # blue: the true distribution p, the targets y
MODEL = "#D55E00"  # vermillion: the model's distribution q, the predictions ŷ
ACCENT = "#009E73"  # bluish green: a third quantity (KL, a gradient, a marker)
NEUTRAL = "#7F7F7F"  # grey: reference lines, bounds, "naive" versions
WARNING = "#E69F00"  # orange: what goes wrong (overflow, NaN, a pitfall)
EXTRA = ("#56B4E9", "#CC79A7", "#F0E442", "#000000")  # sky blue, reddish purple, yellow, black

# The classes of a classifier, in order (lesson 07's decision regions, bars per class).
CLASS_COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")

FIGSIZE = (7.0, 3.6)  # inches: fits a JupyterLab cell and a static page
WIDGET_DPI = 80  # widgets re-render on every move; this keeps an update near 20 ms


def label_axes(ax, xlabel=None, ylabel=None, title=None):
    """Set the labels that are given, and a light grid; returns ``ax``.

    Axis labels should carry their unit, e.g. ``"surprisal (bits)"``.
    """
    if xlabel is not None:
        ax.set_xlabel(xlabel)
    if ylabel is not None:
        ax.set_ylabel(ylabel)
    if title is not None:
        ax.set_title(title)
    ax.grid(True, alpha=0.3)
    return ax
