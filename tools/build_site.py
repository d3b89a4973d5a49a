"""Build the static course site: every lesson as an HTML page, and an index.

    python tools/build_site.py                 # run every notebook afresh, export, check
    python tools/build_site.py --no-execute    # export the notebooks' saved outputs as they are
    python tools/build_site.py 03_softmax      # only these lessons (the index lists them all)
    python tools/build_site.py --no-solutions  # a site to give a class: learner pages only

Each notebook, the learner version (``notebooks/NN_*.ipynb``) and the solution version
(``notebooks/solutions/NN_*.ipynb``), is run on a fresh kernel (unless ``--no-execute``),
keeping its outputs and its widgets' state, and exported with nbconvert's "lab" template to
``site/lessons/`` and ``site/solutions/``. ``site/index.html`` has the table of lessons.

What a page shows without a kernel: all text, code and static figures; each widget's saved
state is embedded, which the Jupyter widgets HTML manager (loaded from a CDN) renders as the
widget's controls and picture, but moving a control needs Python, so it changes nothing.
In case the CDN cannot be reached, every widget output also carries its saved picture and
readout as plain HTML (hidden once the live view renders), with a note that the controls
need a running kernel. Afterwards, when Chromium and Playwright are there, every page is
opened in headless Chromium and checked (``tools/site_check.py``); ``--no-check`` skips that.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import make_notebooks
import nbformat
from site_check import image_outputs

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
SOLUTIONS = NOTEBOOKS / "solutions"
SITE = ROOT / "site"
LESSON_GLOB = "[0-9][0-9]_*.ipynb"

WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
VIEW_SCRIPT = re.compile(
    r'(<script type="application/vnd\.jupyter\.widget-view\+json">\s*(\{.*?\})\s*</script>)',
    re.DOTALL,
)
KERNEL_NOTE = (
    "Interactive widget: its controls run Python, so they need a running kernel "
    "(open this lesson in JupyterLab or on Binder). Shown here as saved."
)


# ----------------------------------------------------------------------------- lessons


@dataclass
class Lesson:
    number: str  # "03"
    stem: str  # "03_softmax"
    title: str
    minutes: str | None  # "50", "45-50", from the notebook's "**Time:**" line
    learner: Path | None
    solution: Path | None


HEADING = re.compile(r"^#\s+(.+?)\s*$", re.MULTILINE)
NUMBER_PREFIX = re.compile(r"^(?:Lesson\s+)?\d{1,2}\s*[·:.\-–—]\s*", re.IGNORECASE)
TIME_LINE = re.compile(
    r"\*\*Time(?: to complete)?:?\*\*:?\s*(?:about\s+|around\s+|~\s*)?"
    r"(\d+(?:\s*[-–]\s*\d+)?)\s*min",
    re.IGNORECASE,
)


def plain_title(markdown: str) -> str:
    """A heading as plain text: no lesson-number prefix, no emphasis, light LaTeX only."""
    text = NUMBER_PREFIX.sub("", markdown.strip())
    text = re.sub(r"\\(?:mathrm|text|mathbf|operatorname)\{([^}]*)\}", r"\1", text)
    text = text.replace("$", "").replace("**", "").replace("`", "")
    return text.strip()


def read_lesson_info(path: Path) -> tuple[str, str | None]:
    """(title, minutes) from a notebook's first heading and its "**Time:**" line."""
    nb = nbformat.read(path, as_version=4)
    title, minutes = path.stem, None
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        if title == path.stem and (heading := HEADING.search(cell.source)):
            title = plain_title(heading.group(1))
        if minutes is None and (found := TIME_LINE.search(cell.source)):
            minutes = re.sub(r"\s+", "", found.group(1)).replace("–", "-")
        if title != path.stem and minutes is not None:
            break
    return title, minutes


def find_lessons(notebooks: Path = NOTEBOOKS) -> list[Lesson]:
    """Every lesson that has a learner or a solution notebook, in order."""
    solutions = notebooks / "solutions"
    stems = sorted(
        {p.stem for p in notebooks.glob(LESSON_GLOB)}
        | {p.stem for p in solutions.glob(LESSON_GLOB)}
    )
    lessons = []
    for stem in stems:
        learner, solution = notebooks / f"{stem}.ipynb", solutions / f"{stem}.ipynb"
        learner = learner if learner.exists() else None
        solution = solution if solution.exists() else None
        title, minutes = read_lesson_info(learner or solution)
        lessons.append(Lesson(stem[:2], stem, title, minutes, learner, solution))
    return lessons


# --------------------------------------------------------------------------- execution


def execute(path: Path) -> nbformat.NotebookNode:
    """Restart & Run All on a fresh kernel, in the notebook's folder; keeps widget state."""
    return make_notebooks.execute(nbformat.read(path, as_version=4), path.parent)


def _execute_to_json(path: str) -> tuple[str, str, float]:
    start = time.monotonic()
    nb = execute(Path(path))
    return path, nbformat.writes(nb), time.monotonic() - start


def execute_all(paths: list[Path], jobs: int) -> dict[Path, nbformat.NotebookNode]:
    """Run the notebooks, ``jobs`` at a time; fails on the first notebook that errors."""
    results = {}
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for path, text, seconds in pool.map(_execute_to_json, [str(p) for p in paths]):
            print(f"  ran {Path(path).relative_to(ROOT)} in {seconds:.1f} s", flush=True)
            results[Path(path)] = nbformat.reads(text, as_version=4)
    return results


# ---------------------------------------------------------------- widgets without a kernel


def widget_models(nb) -> dict:
    return nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})


def saved_widget_views(nb) -> int:
    """Widget outputs whose state the notebook saved (those a static page can show)."""
    models = widget_models(nb)
    return sum(
        1
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if out.get("data", {}).get(WIDGET_VIEW, {}).get("model_id") in models
    )


def _children(model: dict) -> list[str]:
    return [
        c.removeprefix("IPY_MODEL_")
        for c in model.get("state", {}).get("children", [])
        if isinstance(c, str)
    ]


def _walk(models: dict, model_id: str):
    """The model and all its descendants (a box's children), depth first."""
    model = models.get(model_id)
    if model is None:
        return
    yield model
    for child in _children(model):
        yield from _walk(models, child)


def _image_src(model: dict) -> str | None:
    fmt = model["state"].get("format", "png")
    for buffer in model.get("buffers", []):
        if buffer.get("path") == ["value"] and buffer.get("encoding") == "base64":
            return f"data:image/{'svg+xml' if fmt == 'svg' else fmt};base64,{buffer['data']}"
    return None


def _control_text(model: dict) -> str | None:
    """ "p = 0.5" for a control with a description and a value, as saved."""
    state = model.get("state", {})
    label = state.get("description") or ""
    if "_options_labels" in state and isinstance(state.get("index"), int):
        value = state["_options_labels"][state["index"]]
    elif isinstance(state.get("value"), bool | int | float | str) and "Image" not in model.get(
        "model_name", ""
    ):
        value = state["value"]
    else:
        return None
    if model.get("model_name") in ("HTMLModel", "HTMLMathModel", "LabelModel"):
        return None
    return f"{label} = {value}" if label else str(value)


def widget_fallback(models: dict, model_id: str) -> str:
    """Plain HTML for a widget view: its saved picture(s), settings and readout."""
    images, controls, readouts = [], [], []
    for model in _walk(models, model_id):
        name = model.get("model_name", "")
        if name == "ImageModel" and (src := _image_src(model)):
            images.append(src)
        elif name in ("HTMLModel", "HTMLMathModel") and model["state"].get("value"):
            readouts.append(model["state"]["value"])
        elif text := _control_text(model):
            controls.append(text)
    parts = ['<div class="xent-widget-fallback">']
    if controls:
        settings = ", ".join(html.escape(c) for c in controls)
        parts.append(f'<p class="xent-widget-settings">Saved with: {settings}</p>')
    parts += [f'<img src="{src}" alt="saved figure of an interactive widget">' for src in images]
    parts += [f'<div class="xent-widget-readout">{r}</div>' for r in readouts]
    parts.append("</div>")
    parts.append(f'<p class="xent-widget-note">{html.escape(KERNEL_NOTE)}</p>')
    return "\n".join(parts)


FALLBACK_STYLE = """
<style>
.xent-widget-fallback, .xent-widget-note { font-family: var(--jp-ui-font-family, system-ui); }
.xent-widget-fallback img { max-width: 100%; height: auto; display: block; }
.xent-widget-readout { font-size: 0.95em; }
.xent-widget-settings, .xent-widget-note { font-size: 0.85em; color: #555; margin: 0.3em 0; }
.xent-widget-note { font-style: italic; }
.xent-nav { font: 14px/1.4 system-ui, sans-serif; padding: 8px 16px; background: #f3f5f7;
  border-bottom: 1px solid #dde; }
.xent-nav a { margin-right: 1.2em; }
</style>
"""

# Once the widgets' HTML manager (from its CDN) has drawn a live view of the saved state next
# to a fallback, hide the fallback's picture: the live view shows the same one.
FALLBACK_SCRIPT = """
<script>
document.querySelectorAll('.xent-widget-fallback').forEach(function (fallback) {
  var host = fallback.parentElement;
  var hide = function () {
    if (host.querySelector('.widget-image, .jupyter-widgets.widget-box, .widget-inline-hbox')) {
      fallback.hidden = true;
      return true;
    }
    return false;
  };
  if (!hide()) {
    var observer = new MutationObserver(function () { if (hide()) observer.disconnect(); });
    observer.observe(host, {childList: true, subtree: true});
  }
});
</script>
"""


def add_widget_fallbacks(page: str, nb) -> tuple[str, int]:
    """Put each widget view's saved picture next to it; returns (page, how many)."""
    models = widget_models(nb)
    count = 0

    def replace(match):
        nonlocal count
        try:
            model_id = json.loads(match.group(2))["model_id"]
        except (ValueError, KeyError):
            return match.group(1)
        if model_id not in models:
            return match.group(1)
        count += 1
        return match.group(1) + "\n" + widget_fallback(models, model_id)

    page = VIEW_SCRIPT.sub(replace, page)
    return page, count


# ----------------------------------------------------------------------------- export


@dataclass
class PageInfo:
    """What a built page was made from: its notebook, and what that notebook showed."""

    notebook: Path
    widgets: int  # widget outputs given a saved picture
    widget_views: int  # widget outputs whose state the notebook saved
    figures: int  # image outputs (static figures)


def nav_bar(lesson: Lesson, kind: str, binder: str | None, solutions: bool = True) -> str:
    links = ['<a href="../index.html">Course index</a>']
    if kind == "learner" and lesson.solution and solutions:
        links.append(f'<a href="../solutions/{lesson.stem}.html">Same lesson with solutions</a>')
    if kind == "solution" and lesson.learner:
        links.append(f'<a href="../lessons/{lesson.stem}.html">Learner version</a>')
    if binder:
        links.append(
            f'<a href="{html.escape(binder_url(binder, lesson, kind))}">Run it on Binder</a>'
        )
    return f'<nav class="xent-nav">{" ".join(links)}</nav>'


def binder_url(repo: str, lesson: Lesson, kind: str) -> str:
    folder = "notebooks" if kind == "learner" else "notebooks/solutions"
    return f"https://mybinder.org/v2/gh/{repo}/HEAD?urlpath=lab/tree/{folder}/{lesson.stem}.ipynb"


def export(
    nb, lesson: Lesson, kind: str, binder: str | None, solutions: bool = True
) -> tuple[str, int]:
    """The notebook as one HTML page (lab template) with widget fallbacks and a nav bar."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab")
    label = "" if kind == "learner" else " (solutions)"
    page, _ = exporter.from_notebook_node(
        nb, resources={"metadata": {"name": f"{lesson.number} · {lesson.title}{label}"}}
    )
    page, widgets = add_widget_fallbacks(page, nb)
    page = page.replace("</head>", FALLBACK_STYLE + "</head>", 1)
    page = re.sub(
        r"(<body[^>]*>)",
        lambda m: m.group(1) + nav_bar(lesson, kind, binder, solutions),
        page,
        count=1,
    )
    page = page.replace("</body>", FALLBACK_SCRIPT + "</body>", 1)
    return page, widgets


INDEX_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Cross-entropy, from surprisal to training</title>
<style>
body {{ font: 16px/1.5 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem;
  color: #222; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ text-align: left; padding: 0.45rem 0.7rem; border-bottom: 1px solid #ddd; }}
th {{ background: #f3f5f7; }}
td.num {{ font-variant-numeric: tabular-nums; width: 3rem; }}
td.time {{ white-space: nowrap; }}
p.note {{ color: #555; font-size: 0.9em; }}
</style>
</head>
<body>
<h1>Cross-entropy, from surprisal to training</h1>
<p>An interactive notebook course. These pages show each lesson as it was last run: text,
code, outputs and figures. The widgets' controls and the exercises need Python: run the
notebooks in JupyterLab (<code>make lab</code>){binder_sentence}.</p>
<table id="lessons">
<thead><tr><th>Lesson</th><th>Title</th><th>Time</th><th>Learner version</th>{solutions_head}</tr></thead>
<tbody>
{rows}
</tbody>
</table>
<p class="note">Built {built} from the notebooks in <code>notebooks/</code>{how}.</p>
</body>
</html>
"""


def index_page(
    lessons: list[Lesson],
    built: set[tuple[str, str]],
    binder: str | None,
    executed: bool,
    solutions: bool = True,
) -> str:
    rows = []
    for lesson in lessons:

        def link(kind: str, folder: str, text: str, lesson=lesson) -> str:
            if (lesson.stem, kind) in built:
                return f'<a href="{folder}/{lesson.stem}.html">{text}</a>'
            return "—"

        minutes = f"{lesson.minutes} min" if lesson.minutes else ""
        rows.append(
            f'<tr><td class="num">{lesson.number}</td><td>{html.escape(lesson.title)}</td>'
            f'<td class="time">{minutes}</td>'
            f"<td>{link('learner', 'lessons', 'open')}</td>"
            + (f"<td>{link('solution', 'solutions', 'open')}</td>" if solutions else "")
            + "</tr>"
        )
    binder_sentence = (
        f' or on <a href="https://mybinder.org/v2/gh/{html.escape(binder)}/HEAD'
        f'?urlpath=lab/tree/notebooks/00_welcome.ipynb">Binder</a>'
        if binder
        else ""
    )
    return INDEX_TEMPLATE.format(
        rows="\n".join(rows),
        solutions_head="<th>With solutions</th>" if solutions else "",
        binder_sentence=binder_sentence,
        built=time.strftime("%Y-%m-%d"),
        how=", each run afresh" if executed else ", with their saved outputs",
    )


# ------------------------------------------------------------------------------- main


def build(
    out: Path = SITE,
    names: list[str] | None = None,
    execute_notebooks: bool = True,
    jobs: int = 2,
    binder: str | None = None,
    notebooks: Path = NOTEBOOKS,
    solutions: bool = True,
) -> dict:
    """Build the site into ``out``; returns ``{page path: PageInfo}``."""
    lessons = find_lessons(notebooks)
    chosen = [x for x in lessons if not names or x.stem in names or x.number in names]
    jobs_list = [
        (lesson, kind, path)
        for lesson in chosen
        for kind, path in (("learner", lesson.learner), ("solution", lesson.solution))
        if path is not None and (solutions or kind == "learner")
    ]
    if execute_notebooks:
        print(f"running {len(jobs_list)} notebooks on fresh kernels ({jobs} at a time)", flush=True)
        executed = execute_all([path for _, _, path in jobs_list], jobs)
    out.mkdir(parents=True, exist_ok=True)
    for sub in ("lessons", "solutions"):
        if not names or (sub == "solutions" and not solutions):
            shutil.rmtree(out / sub, ignore_errors=True)
        if sub == "lessons" or solutions:
            (out / sub).mkdir(exist_ok=True)
    pages = {}
    for lesson, kind, path in jobs_list:
        nb = executed[path] if execute_notebooks else nbformat.read(path, as_version=4)
        page, widgets = export(nb, lesson, kind, binder, solutions)
        target = out / ("lessons" if kind == "learner" else "solutions") / f"{lesson.stem}.html"
        target.write_text(page, encoding="utf-8")
        pages[target] = PageInfo(path, widgets, saved_widget_views(nb), image_outputs(nb))
        print(f"  wrote {target.relative_to(out.parent)} ({widgets} widgets)", flush=True)
    built = {
        (p.stem, "learner" if p.parent.name == "lessons" else "solution")
        for p in list((out / "lessons").glob("*.html")) + list(out.glob("solutions/*.html"))
    }
    index = index_page(lessons, built, binder, execute_notebooks, solutions)
    (out / "index.html").write_text(index, encoding="utf-8")
    return pages


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="only these lessons (e.g. 03_softmax or 03)")
    parser.add_argument("--out", type=Path, default=SITE, help="output folder (default: site/)")
    parser.add_argument("--no-execute", action="store_true", help="use the saved outputs")
    parser.add_argument("--no-check", action="store_true", help="skip the check in Chromium")
    parser.add_argument("--jobs", type=int, default=2, help="notebooks run at once (default 2)")
    parser.add_argument("--no-solutions", action="store_true", help="learner pages only")
    parser.add_argument("--binder", metavar="OWNER/REPO", help="add 'Run it on Binder' links")
    args = parser.parse_args(argv)
    start = time.monotonic()
    pages = build(
        args.out,
        args.names,
        not args.no_execute,
        args.jobs,
        args.binder,
        solutions=not args.no_solutions,
    )
    print(
        f"built {len(pages)} pages and {args.out / 'index.html'} in {time.monotonic() - start:.0f} s"
    )
    if args.no_check:
        return 0
    from site_check import check_site_or_explain

    return check_site_or_explain(args.out, pages)


if __name__ == "__main__":
    sys.exit(main())
