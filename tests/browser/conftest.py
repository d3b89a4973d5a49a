"""The browser tests' summary line: the widgets' slider-to-picture latency at 2x."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

LATENCY_FILE = (
    Path(__file__).resolve().parents[2] / "screenshots" / "browser" / "widget_latency.json"
)


def pytest_sessionstart(session):
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
        f"of {len(found)} lessons (target: median <= 60 ms; per lesson in "
        f"{LATENCY_FILE.relative_to(LATENCY_FILE.parents[2])})"
    )
