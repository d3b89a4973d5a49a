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
