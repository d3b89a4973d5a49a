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
from sphinx import addnodes
from sphinx.transforms import SphinxTransform
from sphinx.util.docutils import SphinxDirective

WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
PIXEL_RATIO = 2  # the widgets' pictures are rendered for a 2x screen (xent_lessons.style)
KERNEL_NOTE = (
    "An interactive widget, shown as it was saved: its controls run Python, so they move "
    "only in JupyterLab or on Binder (the rocket button at the top of the page)."
)
# Until the course has a public repository (the README's Binder link still says OWNER/REPO),
# there is no Binder to launch: the rocket button is hidden and the notes say so.
KERNEL_NOTE_NO_BINDER = (
    "An interactive widget, shown as it was saved: its controls run Python, so they move "
    "only in JupyterLab, on your own machine (make lab); this course has no public Binder yet."
)
PLACEHOLDER_REPOSITORY = "OWNER/REPO"
WIDGET_TITLE = re.compile(r"\[interactive widget: (.+)\]")  # FigureWidget's text/plain
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
            return f'<img src="{src}"{size} alt="{{alt}}">'
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


def widget_html(
    models: dict, model_id: str, note: str = KERNEL_NOTE, title: str = ""
) -> str | None:
    """A widget view as plain HTML: its saved picture(s), settings and readout.

    The picture's alt text says first that it is a saved picture, then the settings it was
    saved with, in words a screen reader can say ("learning rate = 0.1, epoch = 10").
    """
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
    shown = ", ".join(html.escape(s) for s in settings)
    if settings:
        parts.append(f'<p class="xent-widget-settings">Saved with: {shown}</p>')
    alt = "A saved picture of the interactive widget" + (f" “{title}”" if title else "")
    alt += f", with {', '.join(settings)}." if settings else "."
    parts += [picture.replace("{alt}", html.escape(alt, quote=True)) for picture in pictures]
    parts += [f'<div class="xent-widget-readout">{r}</div>' for r in readouts]
    parts.append(f'<p class="xent-widget-note">{html.escape(note)}</p>')
    parts.append("</div>")
    return "\n".join(parts)


def static_notebook(nb: dict, solutions: bool, note: str = KERNEL_NOTE) -> dict:
    """The notebook as the site shows it: widget views replaced by their saved state."""
    models = nb.get("metadata", {}).pop("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            view = data.get(WIDGET_VIEW)
            if view is None:
                continue
            text = "".join(data.get("text/plain", ""))
            title = WIDGET_TITLE.fullmatch(text.strip())
            shown = widget_html(
                models, view.get("model_id", ""), note, title.group(1) if title else ""
            )
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
    note = KERNEL_NOTE if has_binder(app) else KERNEL_NOTE_NO_BINDER
    source[0] = json.dumps(static_notebook(nb, docname.startswith("solutions/"), note))


def has_binder(app) -> bool:
    """Whether the site has a public repository to launch on Binder (conf.py's REPOSITORY)."""
    return app.config.xent_repository not in ("", PLACEHOLDER_REPOSITORY)


def on_doctree_read(app, doctree) -> None:
    """A solution page stays out of the search index: each lesson is found once, at the
    learner's page (which links to the solutions), not twice."""
    if app.env.docname.startswith("solutions/"):
        app.env.metadata[app.env.docname]["nosearch"] = ""


def _render_image_with_alt(render_image):
    """myst-nb's image renderer, also taking ``alt`` from the output's metadata (it takes only
    width and height): ``xl.show_figure`` writes the figure's description there."""

    def render(self, data):
        found = render_image(self, data)
        alt = data.output_metadata.get(data.mime_type, {}).get("alt")
        for node in found:
            if isinstance(node, nodes.image) and isinstance(alt, str) and alt.strip():
                node["alt"] = alt.strip()
        return found

    render.__wrapped__ = render_image
    return render


# ------------------------------------------------------------------ the index of terms

BOLD_TERM = re.compile(r"\*\*([A-Za-z][A-Za-z0-9'()\- ]{2,38}[A-Za-z0-9)])\*\*")
# Bold words that are emphasis or a paragraph's lead, not a term the lesson introduces.
NOT_TERMS = frozenset(
    "any all not only none never always low high upper lower left right fix time try this "
    "next notation prerequisites learning goals answer hint note why how what when test "
    "training validation layers".split()
)


def lesson_terms(notebooks: list[Path]) -> dict[str, str]:
    """Each term set in bold in a lesson's text (``**log-sum-exp**``), mapped to the first
    lesson, in course order, that does so: the lesson that introduces it.

    Examples
    --------
    >>> import json, tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> for name, text in [("03_a", "The **log-sum-exp** trick. **Try this**"),
    ...                    ("04_b", "Again **log-sum-exp**, and **focal loss**.")]:
    ...     cells = [{"cell_type": "markdown", "source": [text], "metadata": {}}]
    ...     _ = (folder / f"{name}.ipynb").write_text(json.dumps({"cells": cells}))
    >>> lesson_terms(sorted(folder.glob("*.ipynb")))
    {'log-sum-exp': '03_a', 'focal loss': '04_b'}
    """
    terms: dict[str, str] = {}
    for path in notebooks:
        nb = json.loads(path.read_text(encoding="utf-8"))
        for cell in nb.get("cells", []):
            if cell.get("cell_type") != "markdown":
                continue
            for found in BOLD_TERM.finditer("".join(cell.get("source", ""))):
                term = " ".join(found.group(1).split()).lower()
                if all(w in NOT_TERMS for w in term.split()) or len(term.split()) > 4:
                    continue
                terms.setdefault(term, path.stem)
    return terms


class IndexTerms(SphinxTransform):
    """A main index entry for each term at the place its lesson introduces it (in bold).

    The general index lists the course's terms, and the site's search ranks the teaching
    lesson first for them (Sphinx's search scores a main index entry far above a word in the
    text): "log-sum-exp" finds lesson 03. Learner pages only: solution pages are not searched.
    Runs before Sphinx collects the index entries (its ``SphinxDomains``, priority 850).
    """

    default_priority = 840

    def apply(self, **kwargs) -> None:
        docname = self.env.current_document.docname
        terms = {t for t, d in getattr(self.app, "xent_terms", {}).items() if d == docname}
        for strong in list(self.document.findall(nodes.strong)):
            term = " ".join(strong.astext().split()).lower()
            if term not in terms or strong.parent is None:
                continue
            terms.discard(term)
            target_id = "term-" + re.sub(r"[^a-z0-9]+", "-", term).strip("-")
            target = nodes.target("", "", ids=[target_id])
            index = addnodes.index(entries=[("single", term, target_id, "main", None)])
            position = strong.parent.index(strong)
            strong.parent.insert(position, index)
            strong.parent.insert(position, target)


# ------------------------------------------------------- formulas in the search's titles


def _delimited(node) -> str:
    """A title's text with each formula as MathJax's inline ``\\(...\\)``."""
    if isinstance(node, nodes.math):
        return f"\\({node.astext()}\\)"
    if isinstance(node, nodes.Text):
        return node.astext()
    return "".join(_delimited(child) for child in node.children)


def on_doctree_read_titles(app, doctree) -> None:
    """Note each title that holds a formula: its plain text (what Sphinx's search index
    stores: TeX with no delimiters, shown as such in the results) and the same text with the
    formulas delimited, for ``fix_search_titles``."""
    found = getattr(app.env, "xent_math_titles", {})
    for title in doctree.findall(nodes.title):
        if any(True for _ in title.findall(nodes.math)):
            found[title.astext()] = _delimited(title)
    app.env.xent_math_titles = found


def on_env_merge_info(app, env, docnames, other) -> None:
    env.xent_math_titles = {
        **getattr(env, "xent_math_titles", {}),
        **getattr(other, "xent_math_titles", {}),
    }


def fix_search_titles(app, exception) -> None:
    """Delimit the formulas of the search index's titles, so that the search page's MathJax
    typesets them in the results (``_static/xent.js``) instead of showing raw TeX."""
    index_file = Path(app.outdir) / "searchindex.js"
    titles = getattr(app.env, "xent_math_titles", {})
    if exception is not None or not index_file.is_file() or not titles:
        return
    text = index_file.read_text(encoding="utf-8")
    prefix, suffix = "Search.setIndex(", ")"
    if not (text.startswith(prefix) and text.rstrip().endswith(suffix)):
        return
    index = json.loads(text[len(prefix) : text.rstrip().rfind(suffix)])
    index["titles"] = [titles.get(title, title) for title in index.get("titles", [])]
    index["alltitles"] = {
        titles.get(title, title): where for title, where in index.get("alltitles", {}).items()
    }
    index_file.write_text(
        prefix + json.dumps(index, ensure_ascii=False, separators=(",", ":")) + suffix,
        encoding="utf-8",
    )


def on_builder_inited(app) -> None:
    srcdir = Path(app.srcdir)
    app.xent_terms = lesson_terms(sorted(srcdir.glob("[0-9][0-9]_*.ipynb")))


def on_env_get_outdated(app, env, added, changed, removed) -> list[str]:
    """Read every lesson again when the terms moved (a term's lesson is decided by all of
    them): a lesson that did not change may have gained or lost a term; also when the
    environment has no record of the titles' formulas yet."""
    if getattr(env, "xent_terms", None) == app.xent_terms and hasattr(env, "xent_math_titles"):
        return []
    env.xent_terms = app.xent_terms
    return sorted(set(app.xent_terms.values()) & set(env.found_docs))


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
    from myst_nb.core.render import NbElementRenderer

    if not hasattr(NbElementRenderer.render_image, "__wrapped__"):
        NbElementRenderer.render_image = _render_image_with_alt(NbElementRenderer.render_image)
    app.add_config_value("xent_repository", PLACEHOLDER_REPOSITORY, "env")
    # MathJax on every page, also the search page and the index: their titles and sidebar
    # hold formulas too.
    app.set_html_assets_policy("always")
    app.add_js_file("xent.js", loading_method="defer")
    app.connect("source-read", on_source_read)
    app.connect("doctree-read", on_doctree_read)
    app.connect("builder-inited", on_builder_inited)
    app.connect("doctree-read", on_doctree_read_titles)
    app.connect("env-merge-info", on_env_merge_info)
    app.connect("build-finished", fix_search_titles)
    app.connect("env-get-outdated", on_env_get_outdated)
    app.add_transform(IndexTerms)
    app.add_directive("lesson-table", LessonTable)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
