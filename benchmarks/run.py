"""Speed and memory benchmarks of xent_lessons (``make bench``).

Each entry of ``SECTIONS`` is one benchmark: a name, and a function that takes the parsed
command-line options and returns a ``harness.Table``. To add one (widget-update timings,
say), write a module next to this file with a ``run_section(options)`` function and list
it here; ``harness.py`` has the timing, memory and table helpers.

Usage::

    python benchmarks/run.py                     # every section
    python benchmarks/run.py --quick             # fewer repetitions: a smoke test
    python benchmarks/run.py --section cross-entropy --stat min --no-memory
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import cross_entropy_bench
import linear_cross_entropy_bench
import site_widget_bench
import widget_bench
import z_loss_softcap_bench
from harness import OtherLoad, Table, machine_description


@dataclass(frozen=True)
class Section:
    name: str
    run: Callable[[argparse.Namespace], Table]


SECTIONS = [
    Section("cross-entropy", cross_entropy_bench.run_section),
    Section("linear-cross-entropy", linear_cross_entropy_bench.run_section),
    Section("z-loss-softcap", z_loss_softcap_bench.run_section),
    Section("widgets", widget_bench.run_section),
    Section("widgets-browser", widget_bench.run_browser_section),
    Section("widgets-site", site_widget_bench.run_section),
]


def parse_options(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--section",
        action="append",
        choices=[section.name for section in SECTIONS],
        help="run only this section (repeatable); default: all",
    )
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument(
        "--stat",
        choices=["median", "min"],
        default="median",
        help="which statistic of the repeated calls to report (default: median)",
    )
    parser.add_argument(
        "--no-memory",
        dest="memory",
        action="store_false",
        help="skip the peak-memory measurements (one subprocess each)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    options = parse_options(argv)
    selected = [s for s in SECTIONS if not options.section or s.name in options.section]
    started = time.perf_counter()
    print(machine_description(), flush=True)
    for section in selected:
        section_started = time.perf_counter()
        with OtherLoad() as load:
            table = section.run(options)
        print()
        print(table.to_markdown())
        if load.cores_busy is not None and load.cores_busy > 0.1:
            print(
                f"Warning: other processes kept {load.cores_busy:.1f} cores busy on average "
                "during this section; its timings are noisier than on an idle machine."
            )
        print(f"({section.name}: {time.perf_counter() - section_started:.0f} s)", flush=True)
    print(f"\nTotal: {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
