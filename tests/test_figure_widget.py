"""The mechanism behind every widget: a control moves the figure's artists in place."""

import ipywidgets as widgets

import xent_lessons as xl
from xent_lessons.widgets import FigureWidget, new_figure


def _line_widget():
    fig, ax = new_figure()
    (line,) = ax.plot([0, 1], [0, 1])
    slope = widgets.FloatSlider(value=1.0, min=0, max=2, description="slope")

    def update(slope):
        line.set_ydata([0, slope])
        return f"slope = {slope:.2f}"

    return FigureWidget("a line", fig, {"slope": slope}, update, {"line": line})


def test_setting_a_control_updates_the_artist_readout_and_image():
    w = _line_widget()
    before = bytes(w.image.value)
    assert before.startswith(b"\x89PNG")
    w.controls["slope"].value = 0.5
    assert list(w.artists["line"].get_ydata()) == [0, 0.5]
    assert w.readout_text == "slope = 0.50"
    assert bytes(w.image.value) != before


def test_plain_text_form_is_one_stable_sentence():
    w = _line_widget()
    bundle = w._repr_mimebundle_()
    assert bundle["text/plain"] == "[interactive widget: a line]"
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_widgets_do_not_touch_pyplot():
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    _line_widget()
    assert plt.get_fignums() == before


def test_topic_lookup_names_the_missing_attribute():
    import pytest

    with pytest.raises(AttributeError, match="no_such_widget"):
        xl.widgets.no_such_widget  # noqa: B018


# ----------------------------------------------------------- sharp pictures at their size

import io  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from conftest import own_widget, shared_widget  # noqa: E402
from PIL import Image  # noqa: E402

from xent_lessons import style  # noqa: E402
from xent_lessons.widgets._controls import (  # noqa: E402
    TRACK_PX,
    _label_px,
    _px,
    fit_control,
    labelled_slider,
    text_px,
)
from xent_lessons.widgets._png import encode_png  # noqa: E402

BUILDERS = xl.widgets.all_builders()


def _moves(control, n=3):
    """A few other values for a control (as make bench moves them)."""
    if hasattr(control, "options") and hasattr(control, "index"):
        count = len(control.options)
        return [("index", (control.index + k) % count) for k in range(1, min(n, count - 1) + 1)]
    if isinstance(control.value, bool):
        return [("value", not control.value)]
    values = np.linspace(control.min, control.max, n + 2)[1:-1]
    if isinstance(control.value, int):
        values = np.round(values).astype(int)
    return [("value", v.item()) for v in values if v != control.value]


def _shown(widget) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(bytes(widget.image.value))).convert("RGBA"))


def test_the_picture_is_rendered_for_a_2x_screen_and_shown_at_its_css_size():
    w = _line_widget()
    css_width = round(w.figure.get_figwidth() * style.CSS_DPI)
    assert w.image.layout.width == f"{css_width}px"  # not stretched to the cell
    assert w.image.layout.max_width == "100%" and w.image.layout.height == "auto"
    pixels = _shown(w)
    assert pixels.shape[1] == style.PIXEL_RATIO * css_width == 1400
    assert pixels.shape[0] == round(style.PIXEL_RATIO * w.figure.get_figheight() * style.CSS_DPI)


@pytest.mark.parametrize("name", list(BUILDERS))
def test_every_widget_fits_a_jupyterlab_cell(name):
    w = shared_widget(name)
    width = w.figure.get_figwidth()
    assert width <= style.MAX_WIDGET_WIDTH, (
        f"{name} is {width:g} inches wide ({round(width * style.CSS_DPI)} CSS px): wider "
        f"than a cell ({style.MAX_WIDGET_WIDTH:g} in), the widget scrolls sideways"
    )


@pytest.mark.parametrize("name", list(BUILDERS))
def test_every_control_gets_a_usable_size(name):
    """Each slider leaves its track at least TRACK_PX once label and readout have their room
    (the browser test measures the real boxes), and controls keep their size in a row."""
    w = shared_widget(name)
    for control_name, control in w.controls.items():
        assert control.layout.flex == "0 0 auto", control_name
        kind = type(control).__name__
        if "Slider" in kind and control.orientation == "horizontal":
            label = _px(control.style.description_width)
            assert label >= _label_px(control), control_name
            assert _px(control.layout.width) >= label + TRACK_PX, control_name
        elif "Slider" in kind:
            assert _px(control.layout.height) >= 150, control_name
        elif kind == "ToggleButtons":
            widest = max(text_px(str(o)) for o in control._options_labels)
            assert _px(control.style.button_width) > widest, control_name
    row = w.box.children[0]
    assert row.layout.flex_flow == "row wrap"


@pytest.mark.parametrize("name", list(BUILDERS))
def test_every_update_shows_the_same_picture_as_a_full_draw(name):
    """Blitting redraws only what moved; the picture must be the one a full draw makes."""
    w = own_widget(name)
    renderer = w._renderer
    for control_name, control in w.controls.items():
        for attribute, value in _moves(control):
            setattr(control, attribute, value)
            shown = _shown(w)
            full = renderer.full_picture()
            assert shown.shape == full.shape
            differ = np.argwhere((shown != full).any(axis=-1))
            assert differ.size == 0, (
                f"{name}: after {control_name} = {value!r} ({renderer.last_draw}), "
                f"{len(differ)} pixels differ from a full draw, first at {differ[0].tolist()}"
            )
    assert renderer.blits > 0, f"{name}: never blitted ({renderer.last_draw})"


def test_blitting_redraws_only_what_moved():
    w = _line_widget()
    w.controls["slope"].value = 0.4
    assert w._renderer.last_draw == "blit"
    w.figure.axes[0].set_ylim(0, 5)  # new limits: the axes must be drawn again
    w.refresh()
    assert w._renderer.last_draw.startswith("full")
    w.controls["slope"].value = 0.6
    assert w._renderer.last_draw == "blit"
    assert np.array_equal(_shown(w), w._renderer.full_picture())


def test_the_first_move_is_already_blitted():
    """The widget finds what moves when it is built, so the learner's first move is fast;
    the picture it was built with is the figure as drawn in full."""
    w = _line_widget()
    assert np.array_equal(_shown(w), w._renderer.full_picture())
    full_draws = w._renderer.full_draws
    w.controls["slope"].value = 0.2
    assert w._renderer.last_draw == "blit"
    assert w._renderer.full_draws == full_draws


def _first_move_drawn_in_full(w) -> bool:
    """Whether a widget draws the whole figure on the first small move of its first control."""
    control = next(iter(w.controls.values()))
    attribute, value = _moves(control, n=12)[0]  # a small step, as an arrow key makes
    setattr(control, attribute, value)
    return w._renderer.last_draw != "blit"


def test_finding_what_moves_at_build_time_spares_most_first_full_draws(monkeypatch):
    """Without the search at build time, nearly every widget's first move drew the whole
    figure; with it, about half of them do (those whose move reaches something new)."""
    with_search = [name for name in BUILDERS if _first_move_drawn_in_full(own_widget(name))]
    monkeypatch.setattr(FigureWidget, "_find_what_moves", lambda self, rounds=2: None)
    without = [name for name in BUILDERS if _first_move_drawn_in_full(BUILDERS[name]())]
    assert len(without) >= 0.8 * len(BUILDERS), f"drawn in full without the search: {without}"
    assert len(with_search) <= 0.6 * len(without), f"drawn in full all the same: {with_search}"


def test_the_png_encoder_round_trips_exactly():
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, size=(37, 53, 4), dtype=np.uint8)
    pixels[:10] = 255  # flat rows, as in a plot
    decoded = np.asarray(Image.open(io.BytesIO(encode_png(pixels))).convert("RGBA"))
    assert np.array_equal(decoded, pixels)
    with pytest.raises(ValueError, match="rgba must be a uint8 array"):
        encode_png(pixels[..., :3])


def test_fit_control_only_grows_sizes():
    import ipywidgets as widgets

    wide = fit_control(widgets.FloatSlider(description="p", layout=widgets.Layout(width="600px")))
    assert wide.layout.width == "600px"
    narrow = fit_control(widgets.FloatSlider(description="learning rate", layout=widgets.Layout(width="100px")))
    assert _px(narrow.layout.width) > 100 + TRACK_PX
    buttons = fit_control(widgets.ToggleButtons(options=["class 0", "class 1"], style={"button_width": "30px"}))
    assert _px(buttons.style.button_width) > text_px("class 0")


def test_labelled_slider_makes_each_kind():
    s = labelled_slider("temperature T", 1.0, 0.1, 10.0, 0.05, log_base=10, readout_format=".2f")
    assert type(s).__name__ == "FloatLogSlider" and (s.min, s.max) == (-1.0, 1.0)
    assert s.readout_format == ".2f" and s.description == "temperature T"
    i = labelled_slider("epoch", 3, 0, 200, 1, integer=True, continuous_update=False)
    assert type(i).__name__ == "IntSlider" and i.value == 3 and not i.continuous_update
    with pytest.raises(ValueError, match="min and max > 0"):
        labelled_slider("x", 1.0, 0.0, 10.0, 0.1, log_base=10)
