"""The site grid of every widget (``@site_grid`` next to its builder; ``widgets/_frames.py``).

Each builder declares which controls move on the static site and at which values. Here each
widget is built with its defaults and its grid must: name only controls the widget has; span
the whole range of each control that moves (both ends of a slider, every option of a menu or
of toggle buttons, both states of a checkbox) and hold the value the widget starts with; give
every step to the controls declared ``Every()``; and stay within the frame budget. The frames
written for a grid are the widget's own pictures and readouts for those values.
"""

from __future__ import annotations

import json
import math

import pytest
from conftest import shared_widget

import xent_lessons as xl
from xent_lessons.widgets._frames import (
    MAX_FRAMES,
    Evenly,
    Every,
    SiteGrid,
    Values,
    builder_grid,
    builder_name,
    control_values,
    grid_size,
    pixel_hash,
    render_frame,
    site_grid,
    widget_axes,
    write_frames,
)

BUILDERS = xl.widgets.all_builders()


@pytest.fixture(scope="module", params=list(BUILDERS))
def built(request):
    name = request.param
    return name, shared_widget(name)  # read only: the build other tests read too


def _same(a, b) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
    return a == b


def test_every_builder_declares_a_grid_of_its_own_controls(built):
    name, widget = built
    grid = builder_grid(name)
    assert isinstance(grid, SiteGrid)
    assert grid.specs, f"{name}: no control moves on the site"
    assert set(grid.specs) <= set(widget.controls), f"{name}: {sorted(grid.specs)}"


def test_grid_covers_each_moving_control(built):
    name, widget = built
    for axis in widget_axes(widget, builder_grid(name)):
        control = widget.controls[axis.name]
        kind, every, _, _ = control_values(control)
        assert any(_same(v, control.value) for v in axis.values), (name, axis.name)
        assert _same(axis.values[axis.start], control.value), (name, axis.name)
        if not axis.offline:
            assert len(axis.values) == 1
            continue
        # Both ends of the range (a slider), every option (a menu), both states.
        assert _same(axis.values[0], every[0]) and _same(axis.values[-1], every[-1]), (
            f"{name}: {axis.name} spans {axis.values[0]}..{axis.values[-1]}, "
            f"the control {every[0]}..{every[-1]}"
        )
        if kind in ("select", "radio", "toggle"):
            assert len(axis.values) == len(every), f"{name}: {axis.name} misses an option"
        # Every value is one the control can take (or the one it starts with, which a log
        # slider can hold between two steps), in the control's order.
        for value in axis.values:
            assert _same(value, control.value) or any(_same(value, v) for v in every), (
                name,
                axis.name,
                value,
            )
        positions = [
            min(range(len(every)), key=lambda i: abs(float(every[i]) - float(value)))
            if isinstance(value, int | float)
            else every.index(value)
            for value in axis.values
        ]
        assert positions == sorted(set(positions)), f"{name}: {axis.name} out of order"
        assert len(axis.labels) == len(axis.values)
        if isinstance(builder_grid(name).specs[axis.name], Every):
            assert len(axis.values) == len(every), f"{name}: {axis.name} skips steps"


def test_grid_is_within_the_frame_budget(built):
    name, widget = built
    axes = [axis for axis in widget_axes(widget, builder_grid(name)) if axis.offline]
    assert 2 <= grid_size(axes) <= MAX_FRAMES, f"{name}: {grid_size(axes)} frames"


def test_a_slider_gives_every_step_and_its_labels():
    import ipywidgets as widgets

    kind, values, labels, label = control_values(
        widgets.FloatLogSlider(value=1.0, base=10, min=-1, max=1, step=0.5, description="T")
    )
    assert kind == "range" and label == "T"
    assert [round(v, 6) for v in values] == [0.1, 0.316228, 1.0, 3.162278, 10.0]
    assert labels == ["0.1", "0.316", "1", "3.16", "10"]
    kind, values, labels, _ = control_values(
        widgets.ToggleButtons(options=[("y = 0", 0), ("y = 1", 1)], value=1)
    )
    assert (kind, values, labels) == ("radio", [0, 1], ["y = 0", "y = 1"])
    assert control_values(widgets.Checkbox(value=True))[:2] == ("toggle", [False, True])


def test_evenly_keeps_the_ends_and_the_start():
    widget = xl.widgets.first_slider(p=0.25)
    grid = SiteGrid({"p": Evenly(3)})
    (axis,) = widget_axes(widget, grid)
    assert axis.values[0] == 0.01 and axis.values[-1] == 1.0 and 0.25 in axis.values
    assert len(axis.values) == 4


def test_bad_declarations_are_refused_with_the_reason():
    with pytest.raises(TypeError, match="Every"):
        site_grid(p=3)
    with pytest.raises(ValueError, match="n >= 2"):
        Evenly(1)
    with pytest.raises(ValueError, match="at least one"):
        Values()
    widget = xl.widgets.first_slider()
    with pytest.raises(ValueError, match="does not have"):
        widget_axes(widget, SiteGrid({"q": Every()}))
    with pytest.raises(ValueError, match="cannot take"):
        widget_axes(widget, SiteGrid({"p": Values(2.0)}))


def test_a_grid_over_budget_is_refused(tmp_path):
    widget = xl.widgets.first_slider()
    with pytest.raises(ValueError, match="more than 3"):
        write_frames(widget, SiteGrid({"p": Every()}), tmp_path, max_frames=3)


def test_builder_name_and_grid_of_a_cell():
    assert builder_name("x = 1\nxl.widgets.coin_entropy(bias=0.7)") == "coin_entropy"
    assert builder_grid("coin_entropy").specs == {"bias": Every()}
    with pytest.raises(ValueError, match="must end"):
        builder_name("w = xl.widgets.coin_entropy()")


def test_frames_are_the_widgets_own_pictures_and_readouts(tmp_path):
    widget = xl.widgets.coin_entropy(bias=0.7)
    manifest = write_frames(widget, SiteGrid({"bias": Values(0.0, 0.5, 1.0)}), tmp_path)
    (axis,) = manifest["axes"]
    assert axis["labels"] == ["0.00", "0.50", "0.70", "1.00"] and axis["start"] == 2
    assert json.loads((tmp_path / "manifest.json").read_text()) == manifest
    # The widget is left as the notebook had it.
    assert widget.controls["bias"].value == 0.7
    for value, frame in zip((0.0, 0.5, 0.7, 1.0), manifest["frames"], strict=True):
        fresh = xl.widgets.coin_entropy(bias=0.7)
        fresh.controls["bias"].value = value  # as a learner in JupyterLab
        png, readout = render_frame(fresh, {})
        assert frame["readout"] == fresh.readout_text == readout
        assert pixel_hash((tmp_path / frame["file"]).read_bytes()) == pixel_hash(png)
    # Different settings, different pictures.
    assert len({frame["file"] for frame in manifest["frames"]}) == 4
