"""The one mechanism behind every widget: controls that move the artists of a figure.

A builder makes a matplotlib ``Figure`` (no pyplot, so no global state and nothing shown
twice), draws on it with the pure plot functions of :mod:`xent_lessons.plots`, and hands
this class the controls and an ``update`` function that changes the artists in place.
On every change the figure is rendered to PNG into an ``ipywidgets.Image``; the image's
state is saved with the notebook, so a static page still shows the last picture.

The picture is rendered for a 2x screen (``style.WIDGET_DPI``, twice ``style.CSS_DPI``) and
shown at its intended size: a 7-inch figure is 1400 pixels shown 700 CSS pixels wide, the
size of a static figure of the same ``figsize`` above it, and as sharp. To keep an update
fast at that size, only what changed is redrawn (``_blit``) and the PNG is encoded by a
faster encoder than Pillow's (``_png``); both are speed tricks with modules of their own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence


def new_figure(nrows=1, ncols=1, figsize=None, **subplot_kw):
    """A pyplot-free ``Figure`` and its axes, sized for the course's widgets."""
    from matplotlib.figure import Figure

    from ..style import FIGSIZE, WIDGET_DPI

    # At the widget's resolution: its fonts and lines have the same size in CSS pixels as a
    # static figure's, with twice as many pixels each way.
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
        Each control's ``value`` is passed to ``update`` under its name. Each is sized so
        that it is usable (``_controls.fit_control``: a slider track of at least 180 px, its
        label in full); make sliders with ``_controls.labelled_slider``.
    update : callable
        ``update(**values)`` changes the figure's artists in place and may return a short
        text (a readout such as ``"H = 0.881 bits"``) shown under the figure.
    artists : mapping, optional
        The artists ``update`` changes, kept so tests can read the figure's data back.
    moving : sequence of artists, optional
        The artists that move. Optional: after each update the artists that changed are
        found (matplotlib marks them ``stale``), the rest of the figure is drawn once and
        kept as a background, and later updates draw only what moves on top of it
        (blitting, several times faster than drawing every tick label again; the result is
        the same picture as a full draw). The widget finds them when it is built (see
        ``_find_what_moves``); naming them spares that search a full draw.
    static_key : callable, optional
        Returns a name for the current state of the rest of the figure, when a control can
        change it too (swap a curve, rescale an axis). One background is kept per name, so
        each state is drawn in full only once.
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

        from ..style import CSS_DPI
        from ._blit import FigureRenderer
        from ._controls import fit_control

        self.title = title
        self.figure = figure
        self.controls = {name: fit_control(c) for name, c in dict(controls).items()}
        self.artists = dict(artists or {})
        self._update = update
        # One canvas for the widget's life, so matplotlib's text-layout cache keeps working.
        self._canvas = FigureCanvasAgg(figure)
        self._renderer = FigureRenderer(figure, self._canvas, list(moving), static_key)
        # Shown at the figure's size in CSS pixels (not stretched to the cell's width), and
        # scaled down with its height in proportion only where the cell is narrower.
        css_width = round(figure.get_figwidth() * CSS_DPI)
        self.image = widgets.Image(
            format="png",
            layout=widgets.Layout(width=f"{css_width}px", max_width="100%", height="auto"),
        )
        self.readout = widgets.HTML()
        # The controls keep their sizes and wrap to a new line when the row is full.
        row = widgets.HBox(
            list(self.controls.values()),
            layout=widgets.Layout(flex_flow="row wrap", align_items="center"),
        )
        self.box = widgets.VBox([row, self.image, self.readout])
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.refresh()
        self._find_what_moves()

    def _find_what_moves(self, rounds: int = 2) -> None:
        """Plan the blitting before the learner's first move, so that it is as fast as the
        later ones (without this, the first one or two moves of a control drew the whole
        figure, at two to four times the time of a move).

        ``update`` with the values the controls already have changes the same artists as a
        real move does (matplotlib marks each one it sets ``stale``, whether or not its data
        differ), so the renderer finds them now. The picture stays exactly the same and is
        not sent again. Two rounds, because the first full draw can reveal more (an artist
        that covers one that moves).
        """
        for _ in range(rounds):
            self._update(**self.values())
            self._renderer.render()

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
        """Draw the whole figure again at the next render."""
        self._renderer.invalidate()

    def render_png(self) -> bytes:
        """The figure as it is now, as PNG bytes (what the widget shows)."""
        import numpy as np

        from ._png import encode_png

        # Drawing on the Agg canvas ourselves is about twice as fast as savefig, which
        # measures the layout again on every call; the renderer redraws only what moved.
        self._renderer.render()
        # The layout was measured on the first render; measuring it again on every move
        # would double an update's time for a figure whose frame does not change.
        self.figure.set_layout_engine("none")
        return encode_png(np.asarray(self._canvas.buffer_rgba()))

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
        bundle = self.box._repr_mimebundle_(include=include, exclude=exclude, **kwargs)
        # The default text is the repr of every child, PNG bytes included; a reader without
        # a kernel (and nbval, which compares it) gets one stable sentence instead.
        bundle["text/plain"] = f"[interactive widget: {self.title}]"
        return bundle

    def __repr__(self) -> str:
        return f"[interactive widget: {self.title}]"
