"""Every lesson in JupyterLab in a real (headless) browser at 2x, the way a learner uses it.

JupyterLab runs with its default settings (news aside): autosave on, every 120 s, and it
saves only a notebook marked changed (the dot on its tab); the widget manager's "saveState"
is off, so a save leaves the widget state in the file as it was. For each learner notebook
``notebooks/NN_*.ipynb`` (a copy of the folder is served, so that saving is harmless):

1. **Opening changes nothing.** Open it; with its kernel up and idle, JupyterLab must not
   mark it changed (so autosave will never write it) and must not have saved it. Then
   File > Save, which writes what autosave would: byte for byte the committed file
   (tools/notebook_format.py writes what JupyterLab writes; every notebook, the solution
   versions too, is a fixed point of it: tests/test_notebook_format.py).
2. **It runs.** Clear All Outputs, Run All Cells: every cell runs, none shows an error, no
   widget fails to display.
3. **Its widgets work and are usable.** For every course widget (controls, a picture, a
   readout): moving its controls changes the picture on screen; every slider track is at
   least 150 px, no label, readout or button is cut off, no dropdown is too narrow, no
   control overlaps another or leaves the cell; the picture is shown at its intended size
   (half its pixel width, at 2x: one pixel per device pixel, not stretched), as is the
   static figure before it. The time from a key press on a slider to the new picture on
   screen is recorded (screenshots/browser/widget_latency.json; summary at the end).
4. **Run and left alone, it saves only what a run changes.** A run marks a notebook changed
   (JupyterLab does so for any execution), so autosave will write it; File > Save writes
   the same: it must differ from the committed file in nothing but the widgets' model ids,
   which are new in every kernel.

One JupyterLab server and one Chromium serve the module; each notebook gets a fresh page,
and its kernel is shut down after it. Screenshots go to ``screenshots/browser/<notebook>/``:
the whole window at one pixel per CSS pixel (a picture for people, five times cheaper than
at 2x), each widget and its picture before and after a move at 2x (those are compared).
Set XENT_BROWSER_NOTEBOOKS to test the notebooks of another folder.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import shutil
import statistics
import time
from pathlib import Path

import pytest
from _browser import REPO, SCREENSHOTS, open_browser, skip_without_browser

skip_without_browser(pytest)

# The jupyterlab lane (conftest.py).
pytestmark = pytest.mark.jupyterlab_lane

import nbformat  # noqa: E402
from _lab_page import (  # noqa: E402
    COURSE_WIDGET,
    cell_states,
    control_problems,
    errors_in,
    exercise_widget,
    is_dirty,
    open_notebook,
    picture_sizes,
    run_all,
    save_now,
    slider_latencies,
    wait_for_save,
)
from _lab_server import LabServer  # noqa: E402

NOTEBOOKS = Path(os.environ.get("XENT_BROWSER_NOTEBOOKS") or REPO / "notebooks").resolve()
LESSONS = sorted(path.name for path in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
WIDGET_TEXT = "[interactive widget:"  # the plain-text form of a course widget
LATENCY_FILE = SCREENSHOTS / "browser" / "widget_latency.json"
MODEL_ID = re.compile(r'"model_id": "([0-9a-f]{32})"')


@pytest.fixture(scope="module")
def browser():
    with open_browser() as browser:
        yield browser


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A copy of the notebooks folder: what JupyterLab serves and may write to."""
    root = tmp_path_factory.mktemp("served") / "notebooks"
    shutil.copytree(NOTEBOOKS, root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return root


@pytest.fixture(scope="module")
def lab(served, tmp_path_factory):
    server = LabServer(served, tmp_path_factory.mktemp("jupyter"))
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def latencies():
    """Slider-to-picture times of every widget, written out when the module is done (an
    earlier run's file removed first: the summary line reads this run's only)."""
    LATENCY_FILE.unlink(missing_ok=True)
    found: dict[str, list[float]] = {}
    yield found
    if found:
        LATENCY_FILE.parent.mkdir(parents=True, exist_ok=True)
        LATENCY_FILE.write_text(json.dumps(found, indent=1))


@pytest.fixture
def page(browser, lab, request):
    # A 2x screen, as on most laptops: the widgets' pictures must be sharp there.
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, device_scale_factor=2)
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        yield page
    finally:
        context.close()
        notebook = getattr(request.node, "callspec", None)
        if notebook is not None:
            try:
                lab.shutdown_kernel_of(notebook.params["notebook"])
            except OSError:
                pass


def expected_from_file(path: Path):
    """From the saved notebook: which cells are code with code in it, which may raise, and
    how many course widgets its saved outputs show."""
    nb = nbformat.read(path, as_version=4)
    runnable = [c.cell_type == "code" and bool(c.source.strip()) for c in nb.cells]
    may_raise = frozenset(
        i for i, c in enumerate(nb.cells) if "raises-exception" in c.metadata.get("tags", [])
    )
    widgets = sum(
        1
        for c in nb.cells
        if c.cell_type == "code"
        for out in c.get("outputs", [])
        if str(out.get("data", {}).get("text/plain", "")).startswith(WIDGET_TEXT)
    )
    return runnable, may_raise, widgets


def diff(expected: str, got: str, limit: int = 40) -> str:
    lines = difflib.unified_diff(
        expected.splitlines(), got.splitlines(), "committed", "saved by JupyterLab", lineterm=""
    )
    return "\n".join(list(lines)[:limit])


def open_unchanged(page, lab, served: Path, notebook: str, n_cells: int) -> str:
    """Step 1: open the notebook; it is not marked changed, not saved, and File > Save
    writes the very same bytes. Returns the file's text."""
    path = served / notebook
    original = path.read_text(encoding="utf-8")
    saves = lab.saves_of(notebook)
    open_notebook(page, lab.url(f"/lab/tree/{notebook}", reset=""), n_cells)
    assert lab.wait_for_kernel_state(notebook, "idle") == "idle"
    time.sleep(2)  # the widget manager restores the saved widgets once the kernel is up
    assert not is_dirty(page), f"{notebook}: JupyterLab marks the notebook changed on opening"
    assert lab.saves_of(notebook) == saves, f"{notebook}: JupyterLab saved it on opening"
    assert path.read_text(encoding="utf-8") == original
    save_now(page)
    wait_for_save(lab, path, notebook, saves)
    saved = path.read_text(encoding="utf-8")
    assert saved == original, (
        f"{notebook}: JupyterLab saves it differently:\n{diff(original, saved)}"
    )
    return original


def same_but_model_ids(original: str, saved: str) -> str:
    """The saved text with the widget views' new model ids put back to the committed ones
    (matched by order of appearance), to compare the rest byte for byte."""
    old, new = MODEL_ID.findall(original), MODEL_ID.findall(saved)
    assert len(old) == len(new), f"{len(new)} widget outputs saved, {len(old)} committed"
    for new_id, old_id in zip(new, old, strict=True):
        saved = saved.replace(new_id, old_id)
    return saved


@pytest.mark.parametrize(
    "notebook",
    LESSONS
    or [pytest.param(None, marks=pytest.mark.skip(reason=f"no lesson notebooks in {NOTEBOOKS}"))],
)
def test_lesson_opens_unchanged_runs_and_its_widgets_work(notebook, lab, served, page, latencies):
    path = served / notebook
    runnable, may_raise, saved_widgets = expected_from_file(path)
    shots = SCREENSHOTS / "browser" / path.stem
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir(parents=True)
    started = time.monotonic()

    # 1. As the learner first sees it: no errors, no broken widgets, nothing changed.
    original = open_unchanged(page, lab, served, notebook, len(runnable))
    page.screenshot(path=str(shots / "opened.png"), scale="css")
    assert errors_in(cell_states(page), may_raise) == []

    # 2. Clear All Outputs, Run All Cells: every cell runs, none shows an error.
    states = run_all(page, runnable, may_raise)
    page.screenshot(path=str(shots / "ran.png"), scale="css")
    assert errors_in(states, may_raise) == []
    ran = time.monotonic() - started

    # 3. Every course widget is there, moving its controls changes its picture, its
    # controls are usable and its picture is sharp and at its size.
    widgets = page.locator(COURSE_WIDGET)
    count = widgets.count()
    assert count >= saved_widgets, (
        f"{count} course widgets rendered; the saved notebook shows {saved_widgets}"
    )
    problems, times, notes = [], [], []
    for i in range(count):
        widget = widgets.nth(i)
        move = exercise_widget(widget, i, shots)
        if not move.moved:
            problems.append(f"widget {i}: no control the test knows how to move")
        elif not move.changed_by:
            problems.append(f"widget {i}: tried {move.moved}; the picture never changed")
        elif not move.pixels_changed:
            problems.append(f"widget {i}: a new image came, the screen did not change")
        widget.screenshot(path=str(shots / f"widget{i}.png"))
        controls = control_problems(widget)
        problems += [f"widget {i}: {p}" for p in controls["problems"]]
        sizes = picture_sizes(widget)
        intended = sizes["natural_width"] / 2  # rendered for a 2x screen
        if abs(sizes["css_width"] - intended) > 1 and sizes["cell_width"] > intended:
            problems.append(
                f"widget {i}: picture shown {sizes['css_width']:.0f} px wide; its size is "
                f"{intended:.0f} px ({sizes['natural_width']} pixels for a 2x screen)"
            )
        # The static figure before it is shown at its own size too: both at 100 CSS px per
        # inch of figure, so their fonts and lines match. (The inline backend crops a static
        # figure to its tight box, so the two widths can differ by its margins.)
        static = sizes["static_natural_width"]
        if static and sizes["cell_width"] > static:
            if abs(sizes["static_css_width"] - static) > 1:
                problems.append(
                    f"the figure before widget {i} is shown {sizes['static_css_width']:.0f} px "
                    f"wide, not at its {static} px"
                )
            notes.append(f"widget {i} {intended:.0f} px wide, the figure before it {static} px")
        times += slider_latencies(widget)
    assert problems == [], "\n".join(problems)
    assert errors_in(cell_states(page), may_raise) == []
    page.screenshot(path=str(shots / "moved.png"), scale="css")
    latencies[notebook] = times

    # 4. Left alone after the run: a save (autosave's, or File > Save) writes what the run
    # changed, and only that.
    assert is_dirty(page), "after Run All JupyterLab does not mark the notebook changed"
    saves = lab.saves_of(notebook)
    save_now(page)
    wait_for_save(lab, path, notebook, saves)
    saved = path.read_text(encoding="utf-8")
    assert same_but_model_ids(original, saved) == original, (
        "after Run All JupyterLab saves a file that differs from the committed one in more "
        f"than the widgets' model ids:\n{diff(original, same_but_model_ids(original, saved))}"
    )
    median = f"{statistics.median(times):.0f} ms" if times else "-"
    print(
        f"{notebook}: ran in {ran:.1f} s; {count} widgets; slider to picture at 2x: "
        f"median {median} over {len(times)} moves" + (f"; {'; '.join(notes)}" if notes else "")
    )
