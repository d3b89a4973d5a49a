"""Sphinx extension of the course site: widgets as saved, solution pages named, a lesson table.

- A notebook's widget outputs need a kernel to move and the widgets' scripts (from a CDN)
  to show at all. Each is replaced, as the page is read, by what it was saved with: its
  picture (rendered for a 2x screen, shown at its intended size, as sharp as in JupyterLab),
  the settings of its controls and its readout, with a note that the controls need Python.
  The notebook offered for download is the file itself, untouched.
- A solution notebook's title gets ", with solutions", so the two versions of a lesson can
  be told apart in the sidebar, the search results and the browser's tab.
- ``{lesson-table}`` is the table of lessons on the front page, made from the notebooks
  found when the site is built.
"""

from __future__ import annotations

import base64
import html
import json
import re
import struct
from pathlib import Path

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective

WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
PIXEL_RATIO = 2  # the widgets' pictures are rendered for a 2x screen (xent_lessons.style)
KERNEL_NOTE = (
    "An interactive widget, shown as it was saved: its controls run Python, so they move "
    "only in JupyterLab or on Binder (the rocket button at the top of the page)."
)
LESSON = re.compile(r"^\d\d_.*")
HEADING = re.compile(r"^#[ \t]+(.+?)[ \t]*$", re.MULTILINE)
NUMBER_PREFIX = re.compile(r"^(?:Lesson\s+)?(\d{1,2})\s*[·:.\-–—]\s*", re.IGNORECASE)
TIME_LINE = re.compile(
    r"\*\*Time(?: to complete)?:?\*\*:?\s*(?:about\s+|around\s+|~\s*)?"
    r"(\d+(?:\s*[-–]\s*\d+)?)\s*min",
    re.IGNORECASE,
)


# --------------------------------------------------------------------------- widgets


def _children(model: dict) -> list[str]:
    return [
        child.removeprefix("IPY_MODEL_")
        for child in model.get("state", {}).get("children", [])
        if isinstance(child, str)
    ]


def _walk(models: dict, model_id: str):
    """The model and all its descendants (a box's children), depth first."""
    model = models.get(model_id)
    if model is None:
        return
    yield model
    for child in _children(model):
        yield from _walk(models, child)


def _png_width(data: bytes) -> int | None:
    if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR":
        return struct.unpack(">I", data[16:20])[0]
    return None


def _picture(models: dict, model: dict) -> str | None:
    """An <img> of an Image model's saved picture, at its intended CSS width."""
    state = model["state"]
    for buffer in model.get("buffers", []):
        if buffer.get("path") == ["value"] and buffer.get("encoding") == "base64":
            fmt = state.get("format", "png")
            src = f"data:image/{'svg+xml' if fmt == 'svg' else fmt};base64,{buffer['data']}"
            layout = models.get(str(state.get("layout", "")).removeprefix("IPY_MODEL_"), {})
            width = str(layout.get("state", {}).get("width") or "").removesuffix("px")
            if not width.replace(".", "", 1).isdigit():
                pixels = _png_width(base64.b64decode(buffer["data"])) if fmt == "png" else None
                width = str(pixels // PIXEL_RATIO) if pixels else ""
            size = f' width="{round(float(width))}"' if width else ""
            return f'<img src="{src}"{size} alt="saved picture of an interactive widget">'
    return None


def _setting(model: dict) -> str | None:
    """ "p = 0.5" for a control with a value, as saved."""
    state = model.get("state", {})
    name = model.get("model_name", "")
    if name in ("HTMLModel", "HTMLMathModel", "LabelModel", "ImageModel") or "Box" in name:
        return None
    label = state.get("description") or ""
    if "_options_labels" in state and isinstance(state.get("index"), int):
        value = state["_options_labels"][state["index"]]
    elif isinstance(state.get("value"), bool | int | float | str):
        value = state["value"]
    else:
        return None
    if isinstance(value, float):
        value = f"{value:.4g}"
    return f"{label} = {value}" if label else str(value)


def widget_html(models: dict, model_id: str) -> str | None:
    """A widget view as plain HTML: its saved picture(s), settings and readout."""
    pictures, settings, readouts = [], [], []
    for model in _walk(models, model_id):
        name = model.get("model_name", "")
        if name == "ImageModel" and (picture := _picture(models, model)):
            pictures.append(picture)
        elif name in ("HTMLModel", "HTMLMathModel") and model["state"].get("value"):
            readouts.append(model["state"]["value"])
        elif text := _setting(model):
            settings.append(text)
    if not (pictures or readouts):
        return None
    parts = ['<div class="xent-widget">']
    if settings:
        shown = ", ".join(html.escape(s) for s in settings)
        parts.append(f'<p class="xent-widget-settings">Saved with: {shown}</p>')
    parts += pictures
    parts += [f'<div class="xent-widget-readout">{r}</div>' for r in readouts]
    parts.append(f'<p class="xent-widget-note">{html.escape(KERNEL_NOTE)}</p>')
    parts.append("</div>")
    return "\n".join(parts)


def static_notebook(nb: dict, solutions: bool) -> dict:
    """The notebook as the site shows it: widget views replaced by their saved state."""
    models = nb.get("metadata", {}).pop("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            view = data.get(WIDGET_VIEW)
            if view is None:
                continue
            shown = widget_html(models, view.get("model_id", ""))
            del data[WIDGET_VIEW]
            if shown is not None:
                data["text/html"] = shown
    if solutions:
        for cell in nb.get("cells", []):
            if cell.get("cell_type") == "markdown":
                source = "".join(cell["source"])
                if heading := HEADING.search(source):
                    title = heading.group(0) + ", with solutions"
                    cell["source"] = source[: heading.start()] + title + source[heading.end() :]
                break
    return nb


def on_source_read(app, docname: str, source: list[str]) -> None:
    if not str(app.env.doc2path(docname)).endswith(".ipynb"):
        return
    nb = json.loads(source[0])
    source[0] = json.dumps(static_notebook(nb, docname.startswith("solutions/")))


# ------------------------------------------------------------------------ the lessons


def lesson_info(path: Path) -> tuple[str, str, str | None]:
    """(number, title, minutes) from a notebook's first heading and its "**Time:**" line."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    number, title, minutes = path.name[:2], path.stem, None
    for cell in nb["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        source = "".join(cell["source"])
        if title == path.stem and (heading := HEADING.search(source)):
            title = NUMBER_PREFIX.sub("", heading.group(1).strip())
        if minutes is None and (found := TIME_LINE.search(source)):
            minutes = re.sub(r"\s+", "", found.group(1)).replace("–", "-")
        if title != path.stem and minutes is not None:
            break
    return number, title, minutes


class LessonTable(SphinxDirective):
    """The table of every lesson found, with links to both versions."""

    def run(self):
        srcdir = Path(self.env.srcdir)
        rows = ["| Lesson | Title | Time | With solutions |", "|---|---|---|---|"]
        for path in sorted(srcdir.glob("[0-9][0-9]_*.ipynb")):
            number, title, minutes = lesson_info(path)
            self.env.note_dependency(str(path))
            solution = srcdir / "solutions" / path.name
            solved = f"[open](solutions/{path.name})" if solution.is_file() else "—"
            title = title.replace("|", "\\|")  # a Markdown link: its formulas are typeset
            rows.append(
                f"| {number} | [{title}]({path.name}) | "
                f"{minutes + ' min' if minutes else ''} | {solved} |"
            )
        container = nodes.container(classes=["xent-lessons"])
        self.state.nested_parse(StringList(rows), self.content_offset, container)
        return [container]


def setup(app):
    app.connect("source-read", on_source_read)
    app.add_directive("lesson-table", LessonTable)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
