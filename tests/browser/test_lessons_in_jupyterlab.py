"""Every lesson, run in JupyterLab in a real (headless) browser, the way a learner runs it.

For each learner notebook ``notebooks/NN_*.ipynb``: open it in JupyterLab, Clear All
Outputs, Run All Cells, wait for every cell to run, and check that no cell shows an error
and no widget fails to display; then, for every course widget (controls, a figure, a
readout), move its controls as a learner would (keyboard on a slider, a click on an option)
and check that the figure on screen changes. One JupyterLab server and one Chromium serve
the whole module; each notebook gets a fresh page, and its kernel is shut down after it.

Screenshots go to ``screenshots/browser/<notebook>/``. Set XENT_BROWSER_NOTEBOOKS to test
the notebooks of another folder (for developing the test itself).
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from _browser import REPO, SCREENSHOTS, open_browser, skip_without_browser

skip_without_browser(pytest)

import nbformat  # noqa: E402
from _lab_page import (  # noqa: E402
    COURSE_WIDGET,
    cell_states,
    errors_in,
    exercise_widget,
    open_notebook,
    run_all,
)
from _lab_server import LabServer  # noqa: E402

NOTEBOOKS = Path(os.environ.get("XENT_BROWSER_NOTEBOOKS") or REPO / "notebooks").resolve()
LESSONS = sorted(path.name for path in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
WIDGET_TEXT = "[interactive widget:"  # the plain-text form of a course widget


@pytest.fixture(scope="module")
def browser():
    with open_browser() as browser:
        yield browser


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    server = LabServer(NOTEBOOKS, tmp_path_factory.mktemp("jupyter"))
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
def page(browser, lab, request):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        yield page
    finally:
        context.close()
        notebook = getattr(request.node, "callspec", None)
        if notebook is not None:
            try:
                lab.shutdown_kernel_of(notebook.params["lesson"])
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


@pytest.mark.parametrize(
    "lesson",
    LESSONS
    or [pytest.param(None, marks=pytest.mark.skip(reason=f"no lesson notebooks in {NOTEBOOKS}"))],
)
def test_lesson_runs_and_its_widgets_respond(lesson, lab, page):
    path = NOTEBOOKS / lesson
    runnable, may_raise, saved_widgets = expected_from_file(path)
    shots = SCREENSHOTS / "browser" / path.stem
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir(parents=True)
    started = time.monotonic()

    # As the learner first sees it: the saved outputs, no errors, no broken widgets.
    open_notebook(page, lab.url(f"/lab/tree/{lesson}", reset=""), len(runnable))
    assert lab.wait_for_kernel_state(lesson, "idle") == "idle"
    page.screenshot(path=str(shots / "opened.png"))
    assert errors_in(cell_states(page), may_raise) == []

    # Clear All Outputs, Run All Cells: every cell runs, none shows an error.
    states = run_all(page, runnable, may_raise)
    page.screenshot(path=str(shots / "ran.png"))
    assert errors_in(states, may_raise) == []
    ran = time.monotonic() - started

    # Every course widget is there, and moving its controls changes its figure.
    widgets = page.locator(COURSE_WIDGET)
    count = widgets.count()
    assert count >= saved_widgets, (
        f"{count} course widgets rendered; the saved notebook shows {saved_widgets}"
    )
    moves = [exercise_widget(widgets.nth(i), i, shots) for i in range(count)]
    for move in moves:
        assert move.moved, f"widget {move.index}: no control the test knows how to move"
        assert move.changed_by, f"widget {move.index}: tried {move.moved}; the figure never changed"
        assert move.pixels_changed, (
            f"widget {move.index}: a new image came, the screen did not change"
        )
    assert errors_in(cell_states(page), may_raise) == []
    page.screenshot(path=str(shots / "moved.png"))

    # The test ran the repository's own notebook: JupyterLab must not have saved it.
    log = lab.log_path.read_text(errors="replace").splitlines()
    assert not [line for line in log if "Saving file at" in line and lesson in line]
    print(
        f"{lesson}: ran in {ran:.1f} s; {count} widgets: "
        + "; ".join(f"#{m.index} {m.changed_by}" for m in moves)
    )
