"""Timing, peak-memory and table helpers shared by the benchmark sections.

Timing runs in this process: a few warm-up calls, then repeated calls timed with
``time.perf_counter``, in blocks (all of one implementation's calls, then all of the
other's), so that each side is timed in its own steady state, with its data in the caches
and its threads awake. Interleaving single calls would make each call pay for the other
library's cache traffic: measured at (4096, 1000), our forward took twice as long right
after a torch call (or a NumPy pass over 32 MB) as in a loop of its own.

Peak memory runs in a fresh subprocess per measurement (``memory_probe.py``): the logits are
allocated and touched, the code is warmed up on a small slice, the kernel's high-water mark
of the resident set (``VmHWM``) is reset, and the probe reports how far the next call lifts
it above the resident set at that moment. That sees every allocation, NumPy's and torch's
alike (``tracemalloc`` sees only NumPy's).
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

BENCHMARKS_DIR = Path(__file__).resolve().parent
MEMORY_PROBE = BENCHMARKS_DIR / "memory_probe.py"


# ---------------------------------------------------------------------------- timing


@dataclass
class Timing:
    """Wall-clock times of repeated calls, in seconds."""

    seconds: list[float]

    @property
    def median_ms(self) -> float:
        return 1e3 * statistics.median(self.seconds)

    @property
    def min_ms(self) -> float:
        return 1e3 * min(self.seconds)

    def ms(self, stat: str) -> float:
        """The median or the minimum, in milliseconds (``stat`` is "median" or "min")."""
        return self.median_ms if stat == "median" else self.min_ms


def time_block(
    fn: Callable[[], object], *, warmup: int, repeats: int, min_seconds: float
) -> list[float]:
    """Call ``fn`` ``warmup`` times, then time at least ``repeats`` calls (``min_seconds`` total)."""
    for _ in range(warmup):
        fn()
    seconds = []
    started = time.perf_counter()
    while len(seconds) < repeats or time.perf_counter() - started < min_seconds:
        t0 = time.perf_counter()
        fn()
        seconds.append(time.perf_counter() - t0)
    return seconds


def time_pair(
    ours: Callable[[], object],
    theirs: Callable[[], object],
    *,
    rounds: int = 3,
    warmup: int = 3,
    repeats: int = 5,
    min_seconds: float = 0.25,
) -> tuple[Timing, Timing]:
    """Time two implementations of the same thing in alternating blocks.

    Each of ``rounds`` rounds times a block of ``ours`` and then a block of ``theirs``;
    every block starts with ``warmup`` untimed calls, which bring the side's data back into
    the caches after the other side's block. All timed calls of a side are pooled.
    """
    ours_s: list[float] = []
    theirs_s: list[float] = []
    for _ in range(rounds):
        ours_s += time_block(ours, warmup=warmup, repeats=repeats, min_seconds=min_seconds)
        theirs_s += time_block(theirs, warmup=warmup, repeats=repeats, min_seconds=min_seconds)
    return Timing(ours_s), Timing(theirs_s)


class OtherLoad:
    """CPU time that other processes used while the ``with`` block ran (Linux only).

    Busy time of the whole machine (``/proc/stat``) minus the CPU time of this process and
    its finished children (the memory probes). When other processes run during the
    benchmark, the timings are noisier and slower.
    """

    def __init__(self) -> None:
        self.cores_busy: float | None = None  # average number of cores others kept busy

    @staticmethod
    def _machine_busy_seconds() -> float | None:
        try:
            with open("/proc/stat") as f:
                fields = [int(v) for v in f.readline().split()[1:]]
        except (OSError, ValueError):
            return None
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
        return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")

    def __enter__(self):
        self._wall = time.perf_counter()
        self._busy = self._machine_busy_seconds()
        self._own = sum(os.times()[:4])
        return self

    def __exit__(self, *exc_info) -> None:
        busy = self._machine_busy_seconds()
        if busy is None or self._busy is None:
            return
        others = (busy - self._busy) - (sum(os.times()[:4]) - self._own)
        self.cores_busy = max(0.0, others) / (time.perf_counter() - self._wall)


# ---------------------------------------------------------------------------- memory


@dataclass
class PeakMemory:
    """Extra peak resident memory of one call, over the resident set just before it."""

    extra_bytes: int | None  # None where it cannot be measured (not Linux)
    reference_bytes: int  # what the multiple is of (the logits' size)

    def describe(self) -> str:
        if self.extra_bytes is None:
            return "n/a"
        mb = self.extra_bytes / 1e6
        return f"{mb:,.1f} MB ({self.extra_bytes / self.reference_bytes:.2f}×)"


# glibc's malloc raises its mmap threshold (up to 32 MiB) each time a large block is
# freed, and later blocks below it come from the heap, which keeps freed memory resident.
# Then a warm-up would change what the measured call costs. A fixed threshold makes every
# block of 128 KiB or more its own mapping, returned on free, for NumPy and torch alike:
# the peak is then the memory that was alive at once.
_PROBE_ENV = {"MALLOC_MMAP_THRESHOLD_": str(128 * 1024)}


def measure_peak_memory(probe_args: Sequence[str], reference_bytes: int) -> PeakMemory:
    """Run ``memory_probe.py`` with ``probe_args`` in a fresh interpreter; read its JSON."""
    result = subprocess.run(
        [sys.executable, str(MEMORY_PROBE), *probe_args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **_PROBE_ENV},
    )
    if result.returncode != 0:
        raise RuntimeError(f"memory probe {' '.join(probe_args)} failed:\n{result.stderr.strip()}")
    report = json.loads(result.stdout.strip().splitlines()[-1])
    return PeakMemory(report["extra_bytes"], reference_bytes)


# ---------------------------------------------------------------------------- output


@dataclass
class Table:
    """A titled table of strings, printed as Markdown (readable as plain text too)."""

    title: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_markdown(self) -> str:
        widths = [
            max(len(col), *(len(row[i]) for row in self.rows)) if self.rows else len(col)
            for i, col in enumerate(self.columns)
        ]

        def line(cells):
            return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

        out = [f"### {self.title}", "", line(self.columns)]
        out.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
        out += [line(row) for row in self.rows]
        if self.notes:
            out.append("")
            out += self.notes
        return "\n".join(out)


def machine_description() -> str:
    """CPU model, cores and memory, and the Python version, in one line."""
    cpuinfo = {}
    try:
        with open("/proc/cpuinfo") as f:
            for entry in f:
                key, _, value = entry.partition(":")
                cpuinfo.setdefault(key.strip(), value.strip())
    except OSError:
        pass
    model = cpuinfo.get("model name") or platform.processor() or platform.machine()
    if "cpu family" in cpuinfo:
        model += f" (family {cpuinfo['cpu family']}, model {cpuinfo.get('model', '?')})"
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count()
    memory = ""
    if hasattr(os, "sysconf") and "SC_PHYS_PAGES" in os.sysconf_names:
        memory = f", {os.sysconf('SC_PHYS_PAGES') * os.sysconf('SC_PAGE_SIZE') / 2**30:.0f} GiB"
    line = f"CPU: {model}, {cores} cores available{memory}; Python {platform.python_version()}"
    return line + blas_description()


def blas_description() -> str:
    """NumPy's BLAS and the kernel it runs, from threadpoolctl when it is installed.

    OPENBLAS_CORETYPE (with OPENBLAS_L2_SIZE), set on some machines because older
    OpenBLAS builds compute wrong results there, makes a current NumPy's OpenBLAS run an
    older, slower kernel: say so, so that a reader can tell which one was measured.
    """
    import numpy as np

    forced = {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if k in os.environ}
    text = f"; NumPy {np.__version__}"
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        info = []
    else:
        info = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    if info:
        text += f", {info[0].get('internal_api')} {info[0].get('version')} running its "
        text += f"{info[0].get('architecture')} kernel"
    if forced:
        text += " (forced by " + ", ".join(f"{k}={v}" for k, v in forced.items()) + ")"
    return text
