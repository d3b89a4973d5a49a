"""Measure the extra peak memory of one call, in this fresh process; print it as JSON.

Usage (``harness.measure_peak_memory`` runs it)::

    python benchmarks/memory_probe.py MODULE 'JSON_PARAMS'

``MODULE`` is a benchmark module in this folder with a function
``prepare_memory_case(**params) -> (warm_up, measured)``: it allocates and touches the
inputs and returns two callables. The probe calls ``warm_up()`` (a small input, so that
lazily created thread pools and caches are not counted), resets the kernel's high-water
mark of the resident set (``/proc/self/clear_refs``), reads the resident set (``VmRSS``),
calls ``measured()``, and reports ``VmHWM - VmRSS``: the extra peak over inputs, libraries
and everything else that was already resident. ``extra_bytes`` is null where this cannot be
measured (no ``/proc``, as on macOS).
"""

from __future__ import annotations

import importlib
import json
import sys


def _status_bytes(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024  # the kernel reports kB
    raise KeyError(field)


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # 5: reset the peak resident set size (Linux >= 4.0)
    except OSError:
        return False
    return True


def main(argv: list[str]) -> None:
    module_name, params = argv[0], json.loads(argv[1])
    module = importlib.import_module(module_name)
    warm_up, measured = module.prepare_memory_case(**params)
    warm_up()
    extra = None
    if _reset_peak():
        baseline = _status_bytes("VmRSS")
        result = measured()
        extra = max(0, _status_bytes("VmHWM") - baseline)
        del result
    print(json.dumps({"extra_bytes": extra}))


if __name__ == "__main__":
    main(sys.argv[1:])
