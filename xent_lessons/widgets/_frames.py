"""A widget's frames for the static site: its picture and readout for a grid of control values.

On the course site there is no kernel, so a widget cannot run its ``update``. Instead, when
the site is built, the widget's own :class:`~xent_lessons.widgets.FigureWidget` (the same
object JupyterLab shows, built by the same notebook cell) is set to every point of a grid of
control values and its picture and readout are saved; the page swaps them as the reader moves
HTML controls (``book/_ext/xent_widget_frames.py``).

Each builder declares its grid once, next to itself, with :func:`site_grid`::

    @site_grid(bias=Every())           # every step of the slider
    def coin_entropy(bias=0.7): ...

    @site_grid(T=Every(), alpha=Evenly(5))   # a fine control and a coarse one

A control the declaration does not name stays at its starting value on the site (the page
says which controls move without a kernel). The grid of a control always holds the value the
widget starts with, so the first frame is the picture the notebook was saved with.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

FRAME_FORMAT = "png-palette-1"  # changes when the frames' encoding changes (the cache's key)
MAX_FRAMES = 400  # a grid with more points than this is refused: the size budget is 6 MB a widget


@dataclass(frozen=True)
class Every:
    """Every value the control can take: each slider step, each option, both states."""


@dataclass(frozen=True)
class Evenly:
    """``n`` values spread evenly over the control's range (its ends and starting value included)."""

    n: int

    def __post_init__(self):
        if not isinstance(self.n, int) or self.n < 2:
            raise ValueError(f"Evenly(n) needs an int n >= 2; got {self.n!r}")


@dataclass(frozen=True)
class Values:
    """These values (each one the control can take), and the starting value."""

    values: tuple

    def __init__(self, *values):
        if not values:
            raise ValueError("Values(...) needs at least one value")
        object.__setattr__(self, "values", tuple(values))


@dataclass(frozen=True)
class SiteGrid:
    """The grid of a widget's controls that the site renders: control name -> spec."""

    specs: dict = field(default_factory=dict)


def site_grid(**specs):
    """Declare the grid of control values the course site renders for a builder's widget.

    Parameters
    ----------
    **specs : Every, Evenly or Values
        For each control (by its name in ``widget.controls``) that moves on the site. Give
        ``Every()`` to the controls the lesson's "Try this" sentence moves, a coarser spec to
        the others; a control not named stays at its starting value on the site.

    Returns
    -------
    callable
        A decorator that records the grid as the builder's ``site_grid`` attribute.

    Examples
    --------
    >>> @site_grid(p=Every())
    ... def builder(p=0.5): ...
    >>> builder.site_grid.specs
    {'p': Every()}
    """
    for name, spec in specs.items():
        if not isinstance(spec, Every | Evenly | Values):
            raise TypeError(
                f"site_grid({name}=...) must be Every(), Evenly(n) or Values(...); got {spec!r}"
            )

    def decorate(builder):
        builder.site_grid = SiteGrid(dict(specs))
        return builder

    return decorate


# ------------------------------------------------------------------------ the controls


@dataclass
class Axis:
    """One control of a widget as the site shows it: its kind, label and grid values."""

    name: str
    kind: str  # "range" (a slider), "select" (a menu), "radio" (toggle buttons), "toggle"
    label: str
    values: list  # the values rendered, in the control's order
    labels: list  # each value as the control shows it
    start: int  # the index of the starting value
    every: list = field(default_factory=list)  # every value the control can take
    offline: bool = True

    def as_json(self) -> dict:
        return {
            "name": self.name,
            "kind": self.kind,
            "label": self.label,
            "labels": self.labels,
            "values": [_jsonable(v) for v in self.values],
            "start": self.start,
            "offline": self.offline,
        }


def _jsonable(value):
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    if hasattr(value, "item"):  # a NumPy scalar
        return value.item()
    return str(value)


def _decimals(step: float) -> int:
    text = f"{step:.12g}"
    return len(text.split(".")[1]) if "." in text and "e" not in text else 12


def _format(value, fmt: str) -> str:
    try:
        return format(value, fmt)
    except (TypeError, ValueError):
        return str(value)


def control_values(control) -> tuple[str, list, list, str]:
    """(kind, every value, each as shown, the label) of an ipywidgets control.

    Examples
    --------
    >>> import ipywidgets as widgets
    >>> kind, values, shown, label = control_values(
    ...     widgets.FloatSlider(value=0.5, min=0, max=1, step=0.25, description="p"))
    >>> kind, values, shown, label
    ('range', [0.0, 0.25, 0.5, 0.75, 1.0], ['0.00', '0.25', '0.50', '0.75', '1.00'], 'p')
    """
    kind_name = type(control).__name__
    label = getattr(control, "description", "") or ""
    if hasattr(control, "_options_labels") and hasattr(control, "index"):
        values = list(control._options_values)
        labels = [str(text) for text in control._options_labels]
        kind = {"Dropdown": "select", "Select": "select"}.get(kind_name, "radio")
        if "Slider" in kind_name:
            kind = "range"
        return kind, values, labels, label
    if isinstance(control.value, bool):
        return "toggle", [False, True], ["off", "on"], label
    if "Slider" in kind_name and not hasattr(control, "lower"):
        if hasattr(control, "base"):  # FloatLogSlider: min, max and step are exponents
            count = round((control.max - control.min) / control.step)
            exponents = [round(control.min + k * control.step, 12) for k in range(count + 1)]
            values = [float(control.base**e) for e in exponents]
            fmt = control.readout_format or ".3g"
        elif isinstance(control.value, int):
            values = list(range(control.min, control.max + 1, control.step))
            fmt = control.readout_format or "d"
        else:
            count = round((control.max - control.min) / control.step)
            decimals = max(_decimals(control.step), _decimals(control.min))
            values = [round(control.min + k * control.step, decimals) for k in range(count + 1)]
            values = [v for v in values if v <= control.max + 1e-12]
            fmt = control.readout_format or ".2f"
        return "range", values, [_format(v, fmt) for v in values], label
    raise TypeError(f"a control of type {kind_name} cannot move on the site (no grid for it)")


def _nearest(values: list, value) -> int:
    if value in values:
        return values.index(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return min(range(len(values)), key=lambda i: abs(float(values[i]) - float(value)))
    raise ValueError(f"the starting value {value!r} is not one the control can take")


def _on_control(every: list, value, name: str) -> int:
    """The index of ``value`` among the control's values (the nearest step, within half a
    step: a log slider's steps fall near, not on, round numbers)."""
    i = _nearest(every, value)
    if every[i] == value or len(every) == 1:
        return i
    spacing = abs(float(every[min(i + 1, len(every) - 1)]) - float(every[max(i - 1, 0)])) / 2
    if abs(float(every[i]) - float(value)) <= 0.51 * spacing:
        return i
    raise ValueError(f"control {name!r} cannot take the value {value!r}")


def control_axis(name: str, control, spec) -> Axis:
    """The site's axis of ``control`` for a grid ``spec`` (None: it stays where it starts)."""
    kind, every, labels, label = control_values(control)
    value = control.value
    start = _nearest(every, value)
    if spec is None:
        chosen = [start]
    elif isinstance(spec, Every):
        chosen = list(range(len(every)))
    elif isinstance(spec, Evenly):
        n = min(spec.n, len(every))
        chosen = sorted({round(k * (len(every) - 1) / (n - 1)) for k in range(n)} | {start})
    elif isinstance(spec, Values):
        chosen = sorted({_on_control(every, v, name) for v in spec.values} | {start})
    else:
        raise TypeError(f"unknown grid spec for {name!r}: {spec!r}")
    # The starting value as the widget holds it (a slider may start between two steps).
    values = [every[i] for i in chosen]
    shown = [labels[i] for i in chosen]
    if every[start] != value and spec is not None and isinstance(value, float):
        values[chosen.index(start)] = value
    if spec is None:
        values, shown = [value], [labels[start]]
    return Axis(
        name=name,
        kind=kind,
        label=label or name,
        values=values,
        labels=shown,
        start=chosen.index(start),
        every=every,
        offline=spec is not None,
    )


def widget_axes(widget, grid: SiteGrid) -> list[Axis]:
    """Every control of ``widget`` as an :class:`Axis` of ``grid``, in the widget's order."""
    unknown = set(grid.specs) - set(widget.controls)
    if unknown:
        raise ValueError(
            f"the site grid names controls the widget does not have: {sorted(unknown)}; "
            f"its controls are {list(widget.controls)}"
        )
    return [
        control_axis(name, control, grid.specs.get(name))
        for name, control in widget.controls.items()
    ]


def grid_size(axes: list[Axis]) -> int:
    return math.prod(len(axis.values) for axis in axes)


# ---------------------------------------------------------------------------- frames


def encode_frame(rgba) -> bytes:
    """The site's file of one picture: a PNG, in 256 colours where the picture has no more.

    A picture with more colours (antialiased curves over a colour map) is quantized to 256
    (Pillow's fast octree, no dithering): a fifth to a third of the size of the full-colour
    PNG, which keeps every widget under the site's budget of 6 MB. The deflate stream is
    zlib's at level 6 (Pillow's): ISA-L's deflate is two to three times as fast but makes
    these paletted files 26-34 % larger, and zlib's run-length strategy on "Up"-filtered rows
    18 % larger for training_explorer, whose frames are already 5.65 of the 6 MB a widget
    may have (benchmarks/README.md).
    """
    import io

    import numpy as np
    from PIL import Image

    pixels = np.ascontiguousarray(rgba, dtype=np.uint8)
    height, width = pixels.shape[:2]
    # Pillow drops the alpha channel in C, five times faster than a NumPy copy of the RGB
    # bytes (the same pixels, so the same file).
    image = Image.frombuffer("RGBA", (width, height), pixels, "raw", "RGBA", 0, 1).convert("RGB")
    paletted = image.quantize(256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    out = io.BytesIO()
    paletted.save(out, "PNG", compress_level=6)
    return out.getvalue()


def pixel_hash(png: bytes) -> str:
    """A hash of a picture's pixels (RGBA), the same for any encoding of the same picture."""
    import io

    import numpy as np
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGBA")
    pixels = np.ascontiguousarray(np.asarray(image))
    return hashlib.sha256(repr(pixels.shape).encode() + pixels.tobytes()).hexdigest()[:24]


def render_frame(widget, values: dict) -> tuple[bytes, str]:
    """(the frame's file bytes, the readout text) of ``widget`` with its controls at ``values``.

    The values not given keep the controls' current values. This is what the widget shows in
    JupyterLab for these values (its own ``update`` and renderer), encoded for the site.
    """
    rgba, text = _draw(widget, values)
    return encode_frame(rgba), text


def _draw(widget, values: dict):
    """(the RGBA pixels, the readout text) of ``widget`` with its controls at ``values``."""
    import numpy as np

    full = widget.values() | dict(values)
    text = widget._update(**full)
    widget._renderer.render()
    widget.figure.set_layout_engine("none")
    rgba = np.asarray(widget._canvas.buffer_rgba())
    return rgba, "" if text is None else str(text)


def frame_alt(title: str, axes: list[Axis], point: tuple) -> str:
    """The picture's text alternative: what it shows, then the settings in words."""
    settings = ", ".join(
        f"{axis.label} {axis.labels[i]}" for axis, i in zip(axes, point, strict=True)
    )
    return f"The picture of {title}, with {settings}." if settings else f"The picture of {title}."


def write_frames(widget, grid: SiteGrid, out_dir, max_frames: int = MAX_FRAMES) -> dict:
    """Render every frame of ``widget``'s grid into ``out_dir``; returns the manifest.

    Writes ``out_dir/<hash>.png`` for each distinct picture and ``out_dir/manifest.json``:
    the controls (``axes``), and for each grid point, in row-major order of the offline
    controls, the frame's file and its readout. The widget's controls are
    left at their starting values.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    axes = widget_axes(widget, grid)
    offline = [axis for axis in axes if axis.offline]
    size = grid_size(offline)
    if size > max_frames:
        raise ValueError(
            f"the site grid of {widget.title!r} has {size} points, more than {max_frames}: "
            "make the controls that the lesson's 'Try this' does not move coarser"
        )
    start = widget.values()
    # Coarse controls outside, fine ones inside: the renderer redraws only what moves.
    order = sorted(range(len(offline)), key=lambda k: len(offline[k].values))
    frames: list = [None] * size
    cpu = {"draw": 0.0, "encode": 0.0}  # CPU seconds: the widget's update and drawing; the PNG
    strides = [math.prod(len(a.values) for a in offline[k + 1 :]) for k in range(len(offline))]
    for point in itertools.product(*(range(len(offline[k].values)) for k in order)):
        index_of = dict(zip(order, point, strict=True))
        values = {offline[k].name: offline[k].values[index_of[k]] for k in range(len(offline))}
        started = time.process_time()
        rgba, text = _draw(widget, values)
        drawn = time.process_time()
        png = encode_frame(rgba)
        cpu["draw"] += drawn - started
        cpu["encode"] += time.process_time() - drawn
        digest = hashlib.sha256(png).hexdigest()[:20]
        name = f"{digest}.png"
        path = out_dir / name
        if not path.exists():
            path.write_bytes(png)
        flat = sum(index_of[k] * strides[k] for k in range(len(offline)))
        frames[flat] = {"file": name, "readout": text}
    # Back to the start, as the notebook left it.
    widget._update(**start)
    widget._renderer.render()
    manifest = {
        "title": widget.title,
        "width": round(widget.figure.get_figwidth() * _css_dpi()),
        "axes": [axis.as_json() for axis in axes],
        "frames": frames,
    }
    (out_dir / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False))
    # Where the build's time went (read by the site build's summary; not part of the site).
    cpu["frames"] = size
    (out_dir / "cpu.json").write_text(json.dumps(cpu))
    return manifest


def _css_dpi() -> float:
    from ..style import CSS_DPI

    return CSS_DPI


def builder_name(cell_source: str) -> str:
    """The builder a widget cell calls: ``"coin_entropy"`` for ``xl.widgets.coin_entropy(...)``.

    Examples
    --------
    >>> builder_name("w = 1\\nxl.widgets.coin_entropy(bias=0.7)")
    'coin_entropy'
    """
    import ast

    tree = ast.parse(cell_source)
    if not tree.body or not isinstance(tree.body[-1], ast.Expr):
        raise ValueError("a widget cell must end with the call that makes the widget")
    call = tree.body[-1].value
    if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute):
        return call.func.attr
    raise ValueError(f"cannot tell which builder this cell calls: {cell_source!r}")


def builder_grid(name: str) -> SiteGrid:
    """The site grid declared next to the builder ``name`` of ``xl.widgets``."""
    from .. import widgets

    builder = getattr(widgets, name)
    grid = getattr(builder, "site_grid", None)
    if not isinstance(grid, SiteGrid):
        raise ValueError(f"xl.widgets.{name} declares no site grid (@site_grid next to it)")
    return grid


def write_cell_frames(widget, cell_source: str, out_dir) -> dict:
    """Write the frames of the widget a notebook cell made (its builder's grid); see
    :func:`write_frames`. The site's build calls this after the cell has run."""
    from ._figure_widget import FigureWidget

    if not isinstance(widget, FigureWidget):
        raise TypeError(f"the widget cell made {type(widget).__name__}, not a FigureWidget")
    out_dir = Path(out_dir)
    tmp = out_dir.with_name(out_dir.name + ".partial")
    manifest = write_frames(widget, builder_grid(builder_name(cell_source)), tmp)
    manifest["builder"] = builder_name(cell_source)
    (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False))
    if out_dir.exists():
        import shutil

        shutil.rmtree(out_dir)
    tmp.rename(out_dir)
    return manifest
