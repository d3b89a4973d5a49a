"""The Python side of every widget's update: set a control, time until the figure is redrawn.

Each builder of ``xl.widgets.all_builders()`` is built with its defaults; then each of its
controls is moved through its range (sliders), options (menus, toggle buttons) or states
(checkboxes), and each move is timed from setting ``control.value`` to the new PNG being in
the image widget: what a learner waits for, less the browser's round trip. The target is
50 ms per update. Wall-clock and CPU time are both reported: on a busy machine the wall
clock also counts other processes, the CPU time does not.
"""

from __future__ import annotations

import statistics
import time

import numpy as np
from harness import Table

import xent_lessons as xl

TARGET_MS = 50.0


def control_moves(control, n_steps: int):
    """A list of callables, each moving ``control`` to another value."""
    if hasattr(control, "index") and hasattr(control, "options"):  # menus, toggle buttons
        n = len(control.options)
        order = [i % n for i in range(control.index + 1, control.index + 1 + max(n_steps, n))]
        return [lambda i=i: setattr(control, "index", i) for i in order]
    if isinstance(control.value, bool):
        return [lambda: setattr(control, "value", not control.value) for _ in range(n_steps)]
    if hasattr(control, "min") and hasattr(control, "max"):
        values = np.linspace(control.min, control.max, n_steps)
        if isinstance(control.value, int):
            values = np.unique(np.round(values).astype(int))
        values = [v.item() for v in values if v != control.value]
        return [lambda v=v: setattr(control, "value", v) for v in values]
    return []


def time_widget(builder, n_steps: int):
    started = time.perf_counter()
    widget = builder()
    build_ms = 1e3 * (time.perf_counter() - started)
    wall, cpu = [], []
    for control in widget.controls.values():
        for move in control_moves(control, n_steps):
            w0, c0 = time.perf_counter(), time.process_time()
            move()
            wall.append(1e3 * (time.perf_counter() - w0))
            cpu.append(1e3 * (time.process_time() - c0))
    return build_ms, wall, cpu


def run_section(options) -> Table:
    n_steps = 5 if options.quick else 12
    table = Table(
        title="Widget updates (Python side: set a control → new PNG in the image widget)",
        columns=[
            "widget",
            "updates",
            "wall median (ms)",
            "wall max (ms)",
            "CPU median (ms)",
            "build (ms)",
            "≤ 50 ms",
        ],
    )
    for name, builder in xl.widgets.all_builders().items():
        build_ms, wall, cpu = time_widget(builder, n_steps)
        median_wall = statistics.median(wall)
        table.rows.append(
            [
                name,
                str(len(wall)),
                f"{median_wall:.1f}",
                f"{max(wall):.1f}",
                f"{statistics.median(cpu):.1f}",
                f"{build_ms:.0f}",
                "yes" if median_wall <= TARGET_MS else "NO",
            ]
        )
    table.notes.append(
        "Every control of every widget is moved through its range; the first build of a "
        "widget includes importing matplotlib and ipywidgets, and training_explorer's "
        "build precomputes its training runs."
    )
    return table
