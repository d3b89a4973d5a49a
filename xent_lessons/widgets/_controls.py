"""Controls a learner can use: a slider track of at least 150 px and labels that are not cut off.

ipywidgets gives every control the same default box (300 px, of which 80 px of label), so a
long label is cut ("learning r…"), a button is cut ("clas…"), and a row of sliders that does
not fit its cell is squeezed until the tracks are a few pixels long. Here each control is
sized from its own text instead: the label gets the width its text needs (measured with
DejaVu Sans, the widest of the fonts JupyterLab's ``system-ui`` can be, at JupyterLab's
13 px), a slider's track gets ``TRACK_PX``, and controls keep their size and wrap to the
next line when a row is full (``CONTROL_ROW``).

``labelled_slider`` makes a slider so; ``fit_control`` sizes any control in place (every
``FigureWidget`` calls it on its controls, so a builder's own sizes can only grow).
"""

from __future__ import annotations

import functools
import math
import re

TRACK_PX = 180  # a slider's track; the course guide asks for at least 150 px
VERTICAL_TRACK_PX = 160
FONT_PX = 13  # JupyterLab's --jp-widgets-font-size (--jp-ui-font-size1)
LABEL_GAP_PX = 12  # the label's right margin and padding, with room to spare
READOUT_GAP_PX = 16  # the padding around a slider's readout text
READOUT_MIN_PX = 72  # a slider's readout box is at least this wide (measured in JupyterLab)
SLIDER_MARGINS_PX = 32  # the track's own margins (half a handle on each side) and the box's
BUTTON_PADDING_PX = 28  # a button's left and right padding and border
DROPDOWN_ARROW_PX = 36  # a dropdown's arrow and padding
CHECKBOX_PX = 36  # the box of a checkbox and its gap
CONTROL_MARGIN = "2px 20px 2px 0px"  # space between the controls of a row


@functools.lru_cache(maxsize=512)
def text_px(text: str) -> int:
    """The width of ``text`` in CSS pixels in DejaVu Sans at ``FONT_PX``, rounded up.

    Examples
    --------
    >>> text_px("") == 0 and text_px("learning rate") > text_px("lr") > 0
    True
    """
    if not text:
        return 0
    from matplotlib.font_manager import FontProperties, findfont, get_font

    font = get_font(findfont(FontProperties(family="DejaVu Sans")))
    font.set_size(FONT_PX, 72)  # 13 pt at 72 dpi: 13 px
    font.set_text(text, 0.0)
    width = font.get_width_height()[0] / 64  # 26.6 fixed point
    return math.ceil(width)


def _px(value) -> float | None:
    """``"190px"`` -> 190.0; anything else (``None``, ``"auto"``, ``"50%"``) -> None."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)px\s*", str(value or ""))
    return float(match.group(1)) if match else None


def _at_least(current, needed: float) -> str:
    have = _px(current)
    return current if have is not None and have >= needed else f"{math.ceil(needed)}px"


def _readout_texts(control) -> list[str]:
    """What a slider's readout can show: its value at both ends (and now), as formatted."""
    if hasattr(control, "_options_labels"):  # SelectionSlider, SelectionRangeSlider
        return [str(label) for label in control._options_labels]
    fmt = getattr(control, "readout_format", "") or ""
    values = [control.min, control.max, control.value]
    if hasattr(control, "base"):  # FloatLogSlider: min and max are exponents
        values = [control.base**control.min, control.base**control.max, control.value]
    texts = []
    for value in values:
        try:
            texts.append(format(value, fmt))
        except (TypeError, ValueError):
            texts.append(str(value))
    return texts


def _label_px(control) -> int:
    description = getattr(control, "description", "") or ""
    return text_px(description) + LABEL_GAP_PX if description else 0


def fit_control(control):
    """Size ``control`` in place so its track, label and text are all usable; returns it.

    A horizontal slider gets a label as wide as its text, a track of at least ``TRACK_PX``
    and room for its readout; a vertical one a track of at least ``VERTICAL_TRACK_PX``;
    toggle buttons, buttons and dropdowns the width of their longest text. Widths already
    set larger are kept. The control keeps its size in a row (``flex: 0 0 auto``).

    Examples
    --------
    >>> import ipywidgets as widgets
    >>> s = fit_control(widgets.FloatSlider(description="learning rate", min=0, max=1))
    >>> s.style.description_width == f"{_label_px(s)}px"
    True
    >>> _px(s.layout.width) >= _label_px(s) + TRACK_PX
    True
    """
    label = _label_px(control)
    kind = type(control).__name__
    layout, style = control.layout, getattr(control, "style", None)
    if style is not None and hasattr(style, "description_width"):
        if label and (_px(style.description_width) or 0) < label:
            style.description_width = f"{label}px"
        label = max(label, _px(style.description_width) or 0)
    if "Slider" in kind and getattr(control, "orientation", "horizontal") == "vertical":
        layout.height = _at_least(layout.height, VERTICAL_TRACK_PX + 2 * 3 * FONT_PX)
        texts = [getattr(control, "description", "") or "", *_readout_texts(control)]
        width = max(map(text_px, texts))
        layout.width = _at_least(layout.width, width + READOUT_GAP_PX)
    elif "Slider" in kind:
        readout = 0
        if control.readout:
            readout = max(
                READOUT_MIN_PX, max(map(text_px, _readout_texts(control))) + READOUT_GAP_PX
            )
        needed = label + TRACK_PX + SLIDER_MARGINS_PX + readout
        layout.width = _at_least(layout.width, needed)
    elif kind in ("ToggleButtons", "RadioButtons") or kind == "Dropdown":
        options = [str(text) for text in getattr(control, "_options_labels", ())]
        widest = max(map(text_px, options), default=0)
        if kind == "ToggleButtons":
            style.button_width = _at_least(style.button_width, widest + BUTTON_PADDING_PX)
        elif kind == "Dropdown":
            layout.width = _at_least(layout.width, label + widest + DROPDOWN_ARROW_PX)
    elif kind in ("Button", "ToggleButton"):
        layout.width = _at_least(layout.width, text_px(control.description) + BUTTON_PADDING_PX)
    elif kind == "Checkbox":
        control.indent = False
        layout.width = _at_least(layout.width, text_px(control.description) + CHECKBOX_PX)
    if layout.flex is None:
        layout.flex = "0 0 auto"
    if layout.margin is None:
        layout.margin = CONTROL_MARGIN
    return control


def labelled_slider(
    description: str,
    value: float,
    min: float,  # ipywidgets' names
    max: float,
    step: float,
    *,
    integer: bool = False,
    log_base: float | None = None,
    readout_format: str | None = None,
    **options,
):
    """A slider with a readable label and a usable track: the one way to make a slider.

    Parameters
    ----------
    description : str
        The label, shown in full (``"learning rate"``, ``"z cat"``); name the unit if any.
    value, min, max, step : float
        As for ipywidgets' sliders. With ``log_base``, ``min`` and ``max`` are the values
        themselves (not their exponents) and ``step`` is a step of the exponent.
    integer : bool, optional
        An ``IntSlider`` instead of a ``FloatSlider``.
    log_base : float, optional
        A ``FloatLogSlider`` with this base.
    readout_format : str, optional
        How the value is shown (``".2f"``, ``"+.1f"``); ipywidgets' default otherwise.
    **options
        Passed on (``continuous_update``, ``orientation``, ``layout``, ...).

    Returns
    -------
    ipywidgets slider, sized by :func:`fit_control`

    Examples
    --------
    >>> s = labelled_slider("learning rate", 0.1, 0.01, 100.0, 0.5, log_base=10)
    >>> type(s).__name__, round(s.value, 3), s.min, s.max
    ('FloatLogSlider', 0.1, -2.0, 2.0)
    >>> labelled_slider("epoch", 0, 0, 200, 1, integer=True).description
    'epoch'
    """
    import ipywidgets as widgets

    kwargs = {"description": description, "value": value, "step": step, **options}
    if readout_format is not None:
        kwargs["readout_format"] = readout_format
    if log_base is not None:
        if min <= 0 or max <= 0:
            raise ValueError(f"a log slider needs min and max > 0; got min={min}, max={max}")
        exponents = {
            "min": round(math.log(min) / math.log(log_base), 12),
            "max": round(math.log(max) / math.log(log_base), 12),
        }
        slider = widgets.FloatLogSlider(base=log_base, **exponents, **kwargs)
    elif integer:
        slider = widgets.IntSlider(min=int(min), max=int(max), **kwargs)
    else:
        slider = widgets.FloatSlider(min=min, max=max, **kwargs)
    return fit_control(slider)
