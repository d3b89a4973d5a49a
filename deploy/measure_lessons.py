"""Measure what running each lesson costs a learner's kernel: peak memory, CPU time, wall time.

    .venv/bin/python deploy/measure_lessons.py            # every learner notebook
    .venv/bin/python deploy/measure_lessons.py 07_training_a_classifier
    .venv/bin/python deploy/measure_lessons.py --write    # and save deploy/z2jh/lesson-needs.json

Each notebook runs top to bottom on a fresh kernel (as "Restart & Run All" does), and the
kernel's peak resident memory (Linux: VmHWM) and CPU time are read before it is shut down.
The Kubernetes values (deploy/z2jh/values.yaml) size each learner's memory and CPU from
these figures plus the learner's JupyterLab server (about 170 MB, measured by the
classroom test); tests/classroom/test_kubernetes_values.py checks them against
``lesson-needs.json``, which ``--write`` saves. The notebooks themselves are run in memory and
never written.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
NEEDS = Path(__file__).resolve().parent / "z2jh" / "lesson-needs.json"


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise LookupError(field)


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def measure(path: Path) -> dict:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=300,
        kernel_name="python3",
        extra_arguments=["--IPKernelApp.log_level=ERROR"],
        resources={"metadata": {"path": str(path.parent)}},
    )
    with client.setup_kernel():
        pid = client.km.provisioner.process.pid
        before = _cpu_seconds(pid)
        started = time.perf_counter()
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)
        wall = time.perf_counter() - started
        return {
            "notebook": path.name,
            "wall_s": wall,
            "cpu_s": _cpu_seconds(pid) - before,
            "peak_mb": _status_kb(pid, "VmHWM") / 1024,
            "rss_mb": _status_kb(pid, "VmRSS") / 1024,
        }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="only these lessons (e.g. 03_softmax)")
    parser.add_argument("--write", action="store_true", help=f"save the figures in {NEEDS.name}")
    args = parser.parse_args(argv)
    if not Path("/proc/self/status").exists():
        print("needs Linux (/proc) to read a kernel's memory", file=sys.stderr)
        return 1
    paths = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    paths = [p for p in paths if not args.names or p.stem in args.names]
    print(f"{'notebook':40} {'wall s':>7} {'CPU s':>7} {'peak MB':>8} {'end MB':>7}")
    rows = []
    for path in paths:
        row = measure(path)
        rows.append(row)
        print(
            f"{row['notebook']:40} {row['wall_s']:7.1f} {row['cpu_s']:7.1f} "
            f"{row['peak_mb']:8.0f} {row['rss_mb']:7.0f}",
            flush=True,
        )
    if rows:
        print(
            f"largest peak: {max(r['peak_mb'] for r in rows):.0f} MB; "
            f"most CPU: {max(r['cpu_s'] for r in rows):.1f} s"
        )
    if args.write:
        saved = json.loads(NEEDS.read_text()) if NEEDS.exists() else {"lessons": {}}
        saved["about"] = (
            "A lesson's kernel, run top to bottom on a fresh kernel: peak resident memory (MB) "
            "and CPU time (s). Written by deploy/measure_lessons.py --write."
        )
        for row in rows:
            saved["lessons"][row["notebook"]] = {
                "peak_mb": round(row["peak_mb"]),
                "cpu_s": round(row["cpu_s"], 1),
            }
        saved["lessons"] = dict(sorted(saved["lessons"].items()))
        NEEDS.write_text(json.dumps(saved, indent=1) + "\n")
        print(f"wrote {NEEDS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
