"""How much memory a call needs at its peak: NumPy's allocations and the whole process's.

Two views of the same question, because each sees what the other misses:

- **traced**: the peak of NumPy's (and Python's) allocations during the call, from
  :mod:`tracemalloc`, above what was allocated before it. Exact and the same on every run
  and every platform, but blind to libraries that allocate on their own (PyTorch, the BLAS
  library's buffers).
- **resident**: the peak of the process's resident memory during the call above what was
  resident before it, from Linux's ``/proc/self/status`` (the kernel's high-water mark,
  reset with ``/proc/self/clear_refs``). It sees every library, but also the allocator's
  habits (memory freed earlier and reused is not counted again), and it exists only on
  Linux (``None`` elsewhere).
"""

from __future__ import annotations

import tracemalloc
from dataclasses import dataclass

__all__ = ["PeakMemory", "peak_memory"]


@dataclass(frozen=True)
class PeakMemory:
    """The result of the measured call and its extra peak memory, in bytes."""

    result: object
    traced_bytes: int
    resident_bytes: int | None  # None where the kernel's counters are not available


def _status_bytes(field: str) -> int | None:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024  # the kernel reports kB
    except OSError:
        return None
    return None


def _reset_resident_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")  # reset the resident high-water mark (Linux >= 4.0)
    except OSError:
        return False
    return True


def peak_memory(fn, *args, **kwargs) -> PeakMemory:
    """Call ``fn(*args, **kwargs)`` once and measure its extra peak memory.

    Parameters
    ----------
    fn : callable
        What to measure. Its result is kept until the measurement ends, so memory that
        the result itself holds counts (a gradient the call returns is part of its cost).
    *args, **kwargs
        Passed to ``fn``.

    Returns
    -------
    PeakMemory
        ``result``, ``traced_bytes`` (NumPy's allocations, from :mod:`tracemalloc`) and
        ``resident_bytes`` (the whole process, Linux only; ``None`` elsewhere).

    Notes
    -----
    Tracing is switched on only for the call (and off again after, unless it was on
    before). NumPy reports its array buffers to :mod:`tracemalloc`, so an array of
    ``n`` float64 numbers shows up as ``8 n`` bytes plus a few hundred for its header.

    Examples
    --------
    >>> import numpy as np
    >>> report = peak_memory(np.zeros, (1000, 1000))  # 8 MB of float64
    >>> round(report.traced_bytes / 1e6, 1)
    8.0
    """
    if not callable(fn):
        raise TypeError(f"fn must be callable; got {type(fn).__name__}")
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        traced_before, _ = tracemalloc.get_traced_memory()
        resident_before = _status_bytes("VmRSS") if _reset_resident_peak() else None
        result = fn(*args, **kwargs)
        _, traced_peak = tracemalloc.get_traced_memory()
        resident_peak = _status_bytes("VmHWM") if resident_before is not None else None
    finally:
        if not was_tracing:
            tracemalloc.stop()
    resident = None
    if resident_before is not None and resident_peak is not None:
        resident = max(0, resident_peak - resident_before)
    return PeakMemory(result, max(0, traced_peak - traced_before), resident)
