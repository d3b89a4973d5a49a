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
# CSS pixels per inch of a figure: matplotlib's default dpi, at which the notebooks' static
# figures are saved and shown (a 7-inch figure is 700 pixels shown 700 CSS pixels wide).
CSS_DPI = 100
PIXEL_RATIO = 2  # widget pictures are rendered for a 2x ("retina") screen ...
WIDGET_DPI = CSS_DPI * PIXEL_RATIO  # ... and shown at CSS_DPI: as sharp as the screen
# The widest a widget's figure may be (inches): a JupyterLab cell with the side panel closed
# in a 1400-pixel window is 968 CSS pixels wide; a wider picture scrolls its whole widget.
MAX_WIDGET_WIDTH = 9.6


def label_axes(ax, xlabel=None, ylabel=None, title=None):
    """Set the labels that are given, and a light grid under the data; returns ``ax``.

    Axis labels should carry their unit, e.g. ``"surprisal (bits)"``. The grid and the
    ticks are drawn below bars and curves (``set_axisbelow``), so the data stays on top;
    it also lets a widget redraw its moving bars without redrawing the axes' tick labels.
    """
    if xlabel is not None:
        ax.set_xlabel(xlabel)
    if ylabel is not None:
        ax.set_ylabel(ylabel)
    if title is not None:
        ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.set_axisbelow(True)
    return ax
