"""Sphinx configuration of the static course site (``make html``; see tools/build_site.py).

The pages are the notebooks as saved (after Restart & Run All; nbval checks those
outputs), read by myst-nb and laid out by sphinx-book-theme: a sidebar with every lesson,
previous/next links, the page's contents, search, dark mode, and per lesson a download
button and a "launch on Binder" button. Everything a page needs is served from the site
itself: MathJax (npm's ``mathjax``, pinned in package.json) typesets the formulas with no
network, and each widget shows the picture and readout it was saved with (``_ext/xent_site``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "_ext"))

project = "Cross-entropy, from surprisal to training"
author = "the course's authors"
copyright = "the course's authors, MIT License"
language = "en"

extensions = ["myst_nb", "xent_site", "xent_widget_frames"]
# tools/build_site.py lays the notebooks out as in the repository's notebooks/ folder: the
# learner versions at the top, the solution versions in solutions/.
root_doc = "index"
exclude_patterns = ["_build", "node_modules", "**.ipynb_checkpoints", "package*.json"]

# The notebooks' saved outputs, as committed: never run them here.
nb_execution_mode = "off"
nb_ipywidgets_js = {}  # no widget scripts from a CDN: each widget shows its saved picture
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3
suppress_warnings = ["myst.header"]  # exercises number their headings freely

# MathJax from the site itself (copied into _static/mathjax/ by tools/build_site.py), with
# SVG output: no web fonts to load, so it also works when a page is opened from disk.
mathjax_path = "mathjax/tex-svg.js"
# A formula is not a stop of the Tab key (MathJax's default makes each one focusable, for
# its menu and speech: a lesson had 86 of them before its "Next" link); its MathML and
# speech reach a screen reader without it.
mathjax3_config = {
    "svg": {"fontCache": "global"},
    "options": {"menuOptions": {"settings": {"inTabOrder": False}}},
}

html_theme = "sphinx_book_theme"
html_title = "Cross-entropy, from surprisal to training"
html_static_path = ["_static"]
html_css_files = ["xent.css"]
html_copy_source = True  # the download button's .ipynb
html_show_sourcelink = False
html_last_updated_fmt = None

# "OWNER/REPO" on GitHub, for the launch buttons: tools/build_site.py takes it from the
# README's Binder link (or --binder), so a fork changes it in one place.
# While it is still the placeholder OWNER/REPO, there is nothing to launch: the rocket button
# is left out and the pages say that the widgets move in `make lab` (the "binder" tag off).
REPOSITORY = os.environ.get("XENT_REPOSITORY", "OWNER/REPO")
xent_repository = REPOSITORY
HAS_BINDER = REPOSITORY not in ("", "OWNER/REPO")
if HAS_BINDER:
    tags.add("binder")  # noqa: F821 (Sphinx gives conf.py its tags)
html_theme_options = {
    "repository_url": f"https://github.com/{REPOSITORY}",
    "repository_branch": "HEAD",
    "path_to_docs": "notebooks",
    "launch_buttons": (
        {"binderhub_url": "https://mybinder.org", "notebook_interface": "jupyterlab"}
        if HAS_BINDER
        else {}
    ),
    "use_download_button": True,
    "use_repository_button": False,
    "use_fullscreen_button": False,
    "show_toc_level": 2,
    "home_page_in_toc": True,
    "navigation_with_keys": False,
}
