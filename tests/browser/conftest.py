"""What the browser tests share: one site build, two lanes, and the latency summary line.

- **One site build a run.** ``test_site_pages`` and ``test_site_widgets`` read the same site
  (``site``, built once for the session by ``tools/build_site.py``, the widgets' frames
  included), instead of one build each.
- **Two lanes.** Under pytest-xdist (``make browser`` runs two workers) the tests that drive
  JupyterLab and those that read the static site are two groups (``--dist loadgroup``), so
  each group's servers, browser and site are made once, in one worker, and the JupyterLab
  lane, which waits on kernels most of its time, runs beside the site lane, which is busy.
- **The summary line:** the widgets' slider-to-picture latency at 2x in JupyterLab.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import pytest

LATENCY_FILE = (
    Path(__file__).resolve().parents[2] / "screenshots" / "browser" / "widget_latency.json"
)

# The module of each lane (file name -> xdist group); a new module says where it belongs.
LANES = {
    "test_lessons_in_jupyterlab.py": "jupyterlab",
    "test_lab_a11y.py": "jupyterlab",
    "test_make_lab.py": "jupyterlab",
    "test_site_pages.py": "site",
    "test_site_widgets.py": "site",
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        lane = LANES.get(item.path.name)
        assert lane, f"{item.path.name}: say in tests/browser/conftest.py's LANES which lane"
        item.add_marker(pytest.mark.xdist_group(lane))


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """The course site as ``make html`` builds it (learner and solution pages, the widgets'
    frames), with the launch buttons pointing at a repository: (folder, every lesson page)."""
    import build_site  # tools/, on the path by _browser

    work = tmp_path_factory.mktemp("site-build")
    out = work / "site"
    pages = build_site.build(out, work=work / "build", binder="example/cross-entropy")
    return out, pages


def _is_controller(config) -> bool:
    return not hasattr(config, "workerinput")


def pytest_sessionstart(session):
    if _is_controller(session.config):
        LATENCY_FILE.unlink(missing_ok=True)


def pytest_terminal_summary(terminalreporter):
    if not LATENCY_FILE.is_file():
        return
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
