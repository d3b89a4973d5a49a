"""What the browser tests share: one site build, two lanes, and the latency summary line.

- **Two lanes.** Every module is in one of two lanes, by its ``pytestmark``:
  ``jupyterlab_lane`` (the tests that drive JupyterLab, which wait on kernels most of their
  time) or ``site_lane`` (the static site: busy building and reading it). ``make browser``
  runs them as three pytest runs side by side: the JupyterLab lane, and the site lane in two
  (``test_site_widgets``, and the rest); plain ``pytest tests/browser`` runs them all, one
  after the other.
- **One site build a run.** ``test_site_pages`` and ``test_site_widgets`` read the same site
  (``site``: built once by ``tools/build_site.py``, the widgets' frames included, and
  shared between the pytest runs of one ``make browser``), instead of one build each.
- **The summary line:** the widgets' slider-to-picture latency at 2x in JupyterLab.
"""

from __future__ import annotations

import fcntl
import json
import os
import statistics
import time
from pathlib import Path

import pytest

LATENCY_FILE = (
    Path(__file__).resolve().parents[2] / "screenshots" / "browser" / "widget_latency.json"
)
LANES = ("jupyterlab_lane", "site_lane")
BINDER = "example/cross-entropy"  # the launch buttons' repository in the test's site


def pytest_collection_modifyitems(config, items):
    """Every test is in exactly one lane: a module without one would run in neither lane of
    ``make browser``."""
    for item in items:
        lanes = [lane for lane in LANES if item.get_closest_marker(lane)]
        assert len(lanes) == 1, (
            f"{item.nodeid}: in lanes {lanes}; give its module "
            "pytestmark = pytest.mark.jupyterlab_lane or pytest.mark.site_lane"
        )


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """The course site as ``make html`` builds it (learner and solution pages, the widgets'
    frames), with the launch buttons pointing at a repository: (folder, every lesson page).

    ``XENT_SHARED_SITE`` (set by ``make browser`` and ``make test``, a new folder each run)
    is where the site lanes' pytest runs share it: the first to get the lock builds it, the
    other waits and reads the same site. Without it, the session builds its own.
    """
    import build_site  # tools/, on the path by _browser

    shared = os.environ.get("XENT_SHARED_SITE")
    if not shared:
        work = tmp_path_factory.mktemp("site-build")
        pages = build_site.build(work / "site", work=work / "build", binder=BINDER)
        return work / "site", pages
    work = Path(shared)
    work.mkdir(parents=True, exist_ok=True)
    listing = work / "pages.json"
    with open(work / "build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not listing.is_file():
            pages = build_site.build(work / "site", work=work / "build", binder=BINDER)
            listing.write_text(json.dumps([str(page) for page in pages]))
    return work / "site", [Path(page) for page in json.loads(listing.read_text())]


LAB_ITEMS = pytest.StashKey[float | None]()


def pytest_collection_finish(session):
    """When this run, if it has JupyterLab tests, started them: only then is their summary
    line printed, from the latency file written since (by test_lessons_in_jupyterlab's
    ``latencies``, which removes an earlier run's first)."""
    lab = any(item.get_closest_marker("jupyterlab_lane") for item in session.items)
    session.config.stash[LAB_ITEMS] = time.time() if lab else None


def pytest_terminal_summary(terminalreporter):
    started = terminalreporter.config.stash.get(LAB_ITEMS, None)
    if started is None:
        return  # no JupyterLab test in this run: the figure is the JupyterLab lane's
    if not LATENCY_FILE.is_file() or LATENCY_FILE.stat().st_mtime < started:
        return  # not written by this run (its lessons' test did not run)
    found = json.loads(LATENCY_FILE.read_text())
    times = [t for lesson in found.values() for t in lesson]
    if not times:
        return
    terminalreporter.write_line(
        f"widgets in JupyterLab at 2x, key press on a slider to the new picture: median "
        f"{statistics.median(times):.0f} ms, max {max(times):.0f} ms over {len(times)} moves "
        f"of {len(found)} lessons (the kernel's round trip included; per lesson in "
        f"{LATENCY_FILE.relative_to(LATENCY_FILE.parents[2])})"
    )
