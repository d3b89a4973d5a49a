"""The course's JupyterLab (``make lab``): its own accessibility extension, with no build step.

``labextensions/xent-lessons-a11y`` is a JupyterLab extension written by hand (see its
``static/remoteEntry.js``): widget controls named by their labels, a slider's value said as
its readout shows it, and the alt text of ``xl.show_figure``'s figures on their pictures.
"""

from pathlib import Path

c = get_config()  # noqa: F821 (Jupyter's config loader provides it)
c.LabApp.extra_labextensions_path = [str(Path(__file__).resolve().parent / "labextensions")]
