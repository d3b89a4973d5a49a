"""Run a command and say what it cost: ``python tools/timed.py NAME -- COMMAND ...``.

`make test` runs its parts (lanes) side by side; each one is run through this, so that each
says, when it ends, its wall time and its CPU time (user + sys of the command and every
process it waited for: pytest, its kernels, Chromium). With ``XENT_LANE_TIMES`` set to a
file, the line is also appended there, and `make test` prints them together at the end:
the per-part table of a run. The command's exit status is passed on.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[1] != "--":
        print("usage: timed.py NAME -- COMMAND [ARG ...]", file=sys.stderr)
        return 2
    name, command = argv[0], argv[2:]
    started = time.perf_counter()
    status = subprocess.call(command)
    wall = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = (
        f"{name:<22} {wall:7.1f} s wall {usage.ru_utime + usage.ru_stime:7.1f} s CPU"
        f"  ({'passed' if status == 0 else f'FAILED, exit status {status}'})"
    )
    print(f"[time] {line}", flush=True)
    if os.environ.get("XENT_LANE_TIMES"):
        with open(os.environ["XENT_LANE_TIMES"], "a", encoding="utf-8") as times:
            times.write(line + "\n")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
