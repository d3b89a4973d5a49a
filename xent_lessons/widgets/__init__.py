"""Widget builders: ``xl.widgets.coin_entropy()`` returns a :class:`FigureWidget`.

Each builder wires ipywidgets controls to a figure drawn by :mod:`xent_lessons.plots` and
updates its artists in place. The returned object displays itself in a notebook, and its
``controls`` can be set from Python, which is how the tests and ``make bench`` drive it.
Builders live in one module per topic and are found here by name.
"""

from .._topics import exported_names, lookup
from ._figure_widget import FigureWidget, new_figure

__all__ = ["FigureWidget", "all_builders", "new_figure"]


def all_builders() -> dict:
    """Every widget builder of the course, by name, in lesson order."""
    return exported_names(__name__)


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    return lookup(__name__, name)


def __dir__():
    return sorted(set(__all__) | set(exported_names(__name__)))
