"""The one mechanism behind every widget: controls that move the artists of a figure.

A builder makes a matplotlib ``Figure`` (no pyplot, so no global state and nothing shown
twice), draws on it with the pure plot functions of :mod:`xent_lessons.plots`, and hands
this class the controls and an ``update`` function that changes the artists in place.
On every change the figure is rendered to PNG into an ``ipywidgets.Image``; the image's
state is saved with the notebook, so a static page still shows the last picture.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence


def new_figure(nrows=1, ncols=1, figsize=None, **subplot_kw):
    """A pyplot-free ``Figure`` and its axes, sized for the course's widgets."""
    from matplotlib.figure import Figure

    from ..style import FIGSIZE, WIDGET_DPI

    fig = Figure(figsize=figsize or FIGSIZE, dpi=WIDGET_DPI, layout="constrained")
    axes = fig.subplots(nrows, ncols, **subplot_kw)
    return fig, axes


class FigureWidget:
    """Controls wired to a figure; set ``controls[name].value`` from Python to drive it.

    Parameters
    ----------
    title : str
        What the widget shows; also its plain-text form (what a reader without a kernel sees
        in place of the controls).
    figure : matplotlib.figure.Figure
        The figure to render.
    controls : mapping of str to ipywidgets widgets
        Each control's ``value`` is passed to ``update`` under its name.
    update : callable
        ``update(**values)`` changes the figure's artists in place and may return a short
        text (a readout such as ``"H = 0.881 bits"``) shown under the figure.
    artists : mapping, optional
        The artists ``update`` changes, kept so tests can read the figure's data back.
    moving : sequence of artists, optional
        The artists that move. When given, the rest of the figure is drawn once and kept
        as a background, and each update draws only these on top of it (blitting): several
        times faster than drawing every tick label again. Without it, every update draws
        the whole figure.
    static_key : callable, optional
        With ``moving``: returns a name for the current state of the static part, when a
        control can change it too (swap a curve, rescale an axis). One background is kept
        per name, so each state is drawn in full only once.
    """

    def __init__(
        self,
        title: str,
        figure,
        controls: Mapping[str, object],
        update: Callable[..., str | None],
        artists: Mapping[str, object] | None = None,
        moving: Sequence[object] = (),
        static_key: Callable[[], object] | None = None,
    ):
        import ipywidgets as widgets
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        self.title = title
        self.figure = figure
        self.controls = dict(controls)
        self.artists = dict(artists or {})
        self._update = update
        # One canvas for the widget's life, so matplotlib's text-layout cache keeps working.
        self._canvas = FigureCanvasAgg(figure)
        self._moving = list(moving)
        for artist in self._moving:
            artist.set_animated(True)  # left out of a full draw; render_png draws it
        self._static_key = static_key
        self._backgrounds = {}
        self.image = widgets.Image(format="png")
        self.readout = widgets.HTML()
        self.box = widgets.VBox(
            [widgets.HBox(list(self.controls.values())), self.image, self.readout]
        )
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.refresh()

    def values(self) -> dict:
        """The current value of every control, by name."""
        return {name: control.value for name, control in self.controls.items()}

    def _on_change(self, _change) -> None:
        self.refresh()

    def refresh(self) -> None:
        """Update the artists from the controls, then render the figure into the image."""
        text = self._update(**self.values())
        self.readout.value = "" if text is None else f"<pre>{text}</pre>"
        self.image.value = self.render_png()

    @property
    def readout_text(self) -> str:
        """The readout under the figure, as plain text."""
        return self.readout.value.removeprefix("<pre>").removesuffix("</pre>")

    def invalidate(self) -> None:
        """Draw the static part of the figure again at the next render."""
        self._backgrounds.clear()

    def render_png(self) -> bytes:
        """The figure as it is now, as PNG bytes (what the widget shows)."""
        # Drawing on the Agg canvas and letting Pillow encode (at low compression) is about
        # twice as fast as savefig, which measures the layout again on every call.
        from PIL import Image

        canvas = self._canvas
        if not self._moving:
            canvas.draw()
        else:
            key = None if self._static_key is None else self._static_key()
            if key in self._backgrounds:
                canvas.restore_region(self._backgrounds[key])
            else:
                canvas.draw()
                self._backgrounds[key] = canvas.copy_from_bbox(self.figure.bbox)
            for artist in self._moving:
                if artist.get_visible():
                    self.figure.draw_artist(artist)
        # The layout was measured on the first render; measuring it again on every move
        # would double an update's time for a figure whose frame does not change.
        self.figure.set_layout_engine("none")
        image = Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba())
        buffer = io.BytesIO()
        image.save(buffer, format="png", compress_level=1)
        return buffer.getvalue()

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
        bundle = self.box._repr_mimebundle_(include=include, exclude=exclude, **kwargs)
        # The default text is the repr of every child, PNG bytes included; a reader without
        # a kernel (and nbval, which compares it) gets one stable sentence instead.
        bundle["text/plain"] = f"[interactive widget: {self.title}]"
        return bundle

    def __repr__(self) -> str:
        return f"[interactive widget: {self.title}]"
