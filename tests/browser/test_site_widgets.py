"""Every widget of every lesson moves on the static site: offline, with the keyboard.

The site is the one ``test_site_pages`` reads (conftest.py's ``site``, built once a run by
``tools/build_site.py``; the frames come from ``build/widget-frames/`` when a build has made
them already), and every lesson page, learner and solution, is opened
from disk in headless Chromium with the network refused. For every widget:

- every widget cell of the notebook became a widget that moves (none fell back to the saved
  picture), and every frame file its page names is in the site;
- Tab reaches each control that moves, in order; each has an accessible name and a visible
  focus ring; the picture has alt text naming what it shows and the settings;
- each control that moves is moved with the keyboard (an arrow key, or Space for a
  checkbox): the picture and the readout change, and they are those the Python side renders
  for the new values (the same pixels, the same text). The Python side is the notebook's
  own widget cell, run in this process (a cell that uses only ``xl``) or in a kernel after
  the cells before it (a cell that needs the notebook's state).
"""

from __future__ import annotations

import ast
import json
import re
import sys
import threading
from pathlib import Path

import pytest
from _browser import REPO, SCREENSHOTS, skip_without_browser

skip_without_browser(pytest)

# The site lane (conftest.py).
pytestmark = pytest.mark.site_lane

from site_check import offline_context, open_browser  # noqa: E402

sys.path.insert(0, str(REPO / "book" / "_ext"))
import xent_widget_frames as frames_ext  # noqa: E402

from xent_lessons.widgets._frames import pixel_hash  # noqa: E402

NOTEBOOKS = REPO / "notebooks"
LESSONS = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
SOLUTIONS = sorted((NOTEBOOKS / "solutions").glob("[0-9][0-9]_*.ipynb"))
PAGES = [p.relative_to(NOTEBOOKS).with_suffix(".html") for p in LESSONS + SOLUTIONS]
PAGES = [p for p in PAGES if frames_ext.widget_cells(NOTEBOOKS / p.with_suffix(".ipynb"))]


def source_notebook(page: Path) -> Path:
    """The notebook the page's widgets are rendered from: the solution, if there is one."""
    solution = NOTEBOOKS / "solutions" / page.name.replace(".html", ".ipynb")
    return solution if solution.is_file() else NOTEBOOKS / page.with_suffix(".ipynb")


@pytest.fixture(scope="module")
def context():
    with open_browser() as browser:
        context = offline_context(browser)
        try:
            yield context
        finally:
            context.close()


# ------------------------------------------------------------------- the Python side

_PYTHON_SIDE: dict = {}
_KEY_LOCKS: dict = {}  # one a widget cell: its points are rendered by one thread at a time
_LOCKS_LOCK = threading.Lock()
_IN_PROCESS = threading.Lock()  # matplotlib's pyplot: one thread draws at a time

RENDER_POINTS = """
import json as _json
from xent_lessons.widgets._frames import pixel_hash as _ph, render_frame as _rf
_out = []
for _values in _json.loads({points!r}):
    _png, _text = _rf(_xent_widget, _values)
    _out.append([_ph(_png), _text])
print("XENT-FRAMES " + _json.dumps(_out))
"""


def python_side(notebook: Path, cell: frames_ext.WidgetCell, points: list[dict]) -> list:
    """[(pixel hash, readout)] of the notebook's own widget at each point of ``points``."""
    key = (str(notebook), cell.index)
    with _LOCKS_LOCK:
        lock = _KEY_LOCKS.setdefault(key, threading.Lock())
    with lock:  # if the background (``planned``) is rendering them, wait for it
        found = _PYTHON_SIDE.setdefault(key, {})
        todo = [p for p in points if json.dumps(p, sort_keys=True) not in found]
        if todo:
            if cell.needs_state:
                results = _in_kernel(notebook, cell, todo)
            else:
                with _IN_PROCESS:
                    results = _in_process(cell, todo)
            for point, result in zip(todo, results, strict=True):
                found[json.dumps(point, sort_keys=True)] = tuple(result)
        return [found[json.dumps(p, sort_keys=True)] for p in points]


FRAMES_DATA = re.compile(
    r'<script type="application/json" class="xent-frames-data">(.*?)</script>', re.S
)


def _as_from_the_page(text: str) -> float | int:
    """A number of the page's data as the browser hands it back (JavaScript has one number
    type: 1.0 comes back as 1), so that the planned points are the very ones the walk asks."""
    number = float(text)
    return int(number) if number.is_integer() else number


def planned_walk(data: dict) -> list[dict]:
    """The values the test's walk will visit: the notebook's setting, then each control that
    moves one step in turn, as ``_key_for``'s keys move it (back from the last value, else
    on; a checkbox's two values the same way)."""
    point = [axis["start"] for axis in data["axes"]]
    walk = [_values(data, point)]
    for k, axis in enumerate(data["axes"]):
        if axis["offline"]:
            point = list(point)
            point[k] += -1 if point[k] == len(axis["labels"]) - 1 else 1
            walk.append(_values(data, point))
    return walk


@pytest.fixture(scope="module")
def planned(site):
    """The Python side of every widget's walk, rendered in two background threads (the
    cells run in a kernel, and those evaluated here) while the browser moves the widgets of
    the pages before: the test then finds them done (``python_side``), or renders what the
    walk visited that was not planned. The same renders as the test's own, earlier."""
    out, _ = site
    jobs: dict[bool, list] = {True: [], False: []}
    for page in PAGES:
        if not (out / page).is_file():
            continue
        notebook = source_notebook(page)
        datas = FRAMES_DATA.findall((out / page).read_text(encoding="utf-8"))
        for cell, raw in zip(frames_ext.widget_cells(notebook), datas, strict=False):
            data = json.loads(raw, parse_float=_as_from_the_page)
            jobs[cell.needs_state].append((notebook, cell, planned_walk(data)))
    stop = threading.Event()

    def render(todo):
        for notebook, cell, points in todo:
            if stop.is_set():
                return
            try:
                python_side(notebook, cell, points)
            except Exception:  # the test renders it again, and says why
                continue

    threads = [threading.Thread(target=render, args=(todo,), daemon=True) for todo in jobs.values()]
    for thread in threads:
        thread.start()
    try:
        yield
    finally:
        stop.set()  # a kernel already running finishes its notebook, then it is shut down
        for thread in threads:
            thread.join(timeout=600)


def _in_process(cell, points):
    import xent_lessons as xl
    from xent_lessons.widgets._frames import render_frame

    namespace = {"xl": xl}
    tree = ast.parse(cell.source)
    exec(compile(ast.Module(body=tree.body[:-1], type_ignores=[]), "<cell>", "exec"), namespace)
    widget = eval(compile(ast.Expression(tree.body[-1].value), "<cell>", "eval"), namespace)
    results = []
    for values in points:
        png, text = render_frame(widget, values)
        results.append((pixel_hash(png), text))
    return results


def _in_kernel(notebook, cell, points):
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(str(notebook), as_version=4)
    cells = [c for c in nb.cells[: cell.index + 1] if c.cell_type == "code"]
    cells[-1].source = frames_ext._assign_last_expression(cells[-1].source, "_xent_widget")
    cells.append(nbformat.v4.new_code_cell(RENDER_POINTS.format(points=json.dumps(points))))
    nb.cells = cells
    NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        extra_arguments=["--IPKernelApp.log_level=ERROR"],
        resources={"metadata": {"path": str(notebook.parent)}},
    ).execute()
    for output in nb.cells[-1].outputs:
        for line in output.get("text", "").splitlines():
            if line.startswith("XENT-FRAMES "):
                return json.loads(line.removeprefix("XENT-FRAMES "))
    raise AssertionError(f"the kernel rendered nothing for {notebook.name}")


# --------------------------------------------------------------------------- the page

STATE = """root => {
  const data = JSON.parse(root.querySelector('.xent-frames-data').textContent);
  const img = root.querySelector('.xent-frames-picture');
  return {
    data: data,
    point: (root.getAttribute('data-point') || '').split(',').map(Number),
    src: img.getAttribute('src'),
    alt: img.getAttribute('alt') || '',
    loaded: img.complete && img.naturalWidth > 0,
    readout: root.querySelector('.xent-frames-readout').textContent,
  };
}"""

NAMES = """root => Array.from(root.querySelectorAll('input, select')).map(el => {
  let name = el.labels && el.labels.length ? el.labels[0].textContent.trim() : '';
  if (el.type === 'radio') {
    const legend = el.closest('fieldset')?.querySelector('legend');
    name = (legend ? legend.textContent.trim() + ': ' : '') + name;
  }
  return {id: el.id || el.name, type: el.type, name: name};
})"""

FOCUS = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  return {axis: el.getAttribute('data-axis'), type: el.type,
          outline: style.outlineStyle, width: parseFloat(style.outlineWidth)};
}"""


def _key_for(axis: dict, index: int, kind: str) -> str:
    if kind == "checkbox":
        return "Space"
    last = len(axis["labels"]) - 1
    if kind == "select-one":
        return "ArrowUp" if index == last else "ArrowDown"
    return "ArrowLeft" if index == last else "ArrowRight"


def _values(data: dict, point: list[int]) -> dict:
    return {
        axis["name"]: axis["values"][point[k]]
        for k, axis in enumerate(data["axes"])
        if axis["offline"]
    }


def _frame_on_disk(out: Path, page: Path, src: str) -> Path:
    return (out / page).parent / src


@pytest.mark.parametrize("page", PAGES, ids=[str(p.with_suffix("")) for p in PAGES])
def test_every_widget_moves_offline_with_the_keyboard(site, context, planned, page):
    out, _ = site
    notebook = NOTEBOOKS / page.with_suffix(".ipynb")
    source_nb = source_notebook(page)
    cells = frames_ext.widget_cells(source_nb)
    tab = context.new_page()
    try:
        tab.goto((out / page).as_uri())
        roots = tab.locator(".xent-frames")
        assert roots.count() == len(frames_ext.widget_cells(notebook)), (
            "a widget of this page does not move on the site (it fell back to its saved picture)"
        )
        for k in range(roots.count()):
            root = roots.nth(k)
            root.scroll_into_view_if_needed()
            state = root.evaluate(STATE)
            data = state["data"]
            title = data["title"]
            # Every frame the page names is in the site.
            missing = {
                f
                for f in data["files"]
                if not _frame_on_disk(out, page, state["src"]).with_name(f).is_file()
            }
            assert not missing, f"{title}: missing frames {sorted(missing)[:3]}"
            tab.wait_for_function(
                "img => img.complete && img.naturalWidth > 0",
                arg=root.locator("img").element_handle(),
            )
            # Names, alt text.
            for control in root.evaluate(NAMES):
                assert control["name"], f"{title}: control {control['id']} has no accessible name"
            assert title in state["alt"] and state["alt"].startswith("The picture of"), state["alt"]
            for axis in data["axes"]:
                assert f"{axis['label']} {axis['labels'][axis['start']]}" in state["alt"]
            # Tab reaches each control that moves, in order, with a visible focus ring.
            root.evaluate("root => { root.tabIndex = -1; root.focus(); }")
            offline = [i for i, axis in enumerate(data["axes"]) if axis["offline"]]
            reached = []
            for _ in offline:
                tab.keyboard.press("Tab")
                focus = tab.evaluate(FOCUS)
                assert focus["outline"] != "none" and focus["width"] >= 2, (title, focus)
                reached.append(int(focus["axis"]))
            assert reached == offline, f"{title}: Tab reached {reached}, expected {offline}"
            # Move each control with the keyboard, from where the notebook left it.
            root.evaluate("root => { root.tabIndex = -1; root.focus(); }")
            visited = [(state["point"], state["src"], state["readout"])]
            for axis_index in offline:
                tab.keyboard.press("Tab")
                before = root.evaluate(STATE)
                kind = tab.evaluate("() => document.activeElement.type")
                axis = data["axes"][axis_index]
                key = _key_for(axis, before["point"][axis_index], kind)
                tab.keyboard.press(key)
                after = root.evaluate(STATE)
                assert after["point"] != before["point"], (
                    f"{title}: {key} did not move {axis['label']}"
                )
                tab.wait_for_function(
                    "img => img.complete && img.naturalWidth > 0",
                    arg=root.locator("img").element_handle(),
                )
                assert after["src"] != before["src"], f"{title}: the picture did not change"
                assert after["alt"] != before["alt"], f"{title}: the alt text did not change"
                visited.append((after["point"], after["src"], after["readout"]))
            # The pictures and readouts are the widget's own for those values.
            points = [_values(data, point) for point, _, _ in visited]
            expected = python_side(source_nb, cells[k], points)
            for (point, src, readout), (pixels, text) in zip(visited, expected, strict=True):
                shown = pixel_hash(_frame_on_disk(out, page, src).read_bytes())
                assert shown == pixels, (
                    f"{title} at {point}: the page's picture is not the widget's"
                )
                assert readout == text, f"{title} at {point}: readout {readout!r} != {text!r}"
        if page.parts[0] != "solutions" and roots.count():
            SCREENSHOTS.joinpath("site").mkdir(parents=True, exist_ok=True)
            roots.nth(roots.count() - 1).screenshot(
                path=str(SCREENSHOTS / "site" / f"widget-moved-{page.stem}.png")
            )
    finally:
        tab.close()
