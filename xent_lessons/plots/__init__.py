"""Pure plot functions: each draws on the ``ax`` it is given and returns its artists.

They take data as arguments, never touch pyplot's global state, and use the course's
colours from :mod:`xent_lessons.style`, so a notebook and a widget draw the same picture.
Functions live in one module per topic (see ``xent_lessons._topics``) and are found here
by name: ``xl.plots.entropy_curve(ax, ...)``.
"""

from .._topics import exported_names, lookup


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    return lookup(__name__, name)


def __dir__():
    return sorted(exported_names(__name__))
