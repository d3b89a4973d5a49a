"""Cross-entropy of class-index targets: ``xent_lessons`` against PyTorch on the CPU.

Both sides get the same float32 logits (one array: the torch tensor shares its memory) and
int64 targets, with reduction "mean":

- forward: ``xl.categorical_cross_entropy(logits, target)`` against
  ``torch.nn.functional.cross_entropy(logits, target)``;
- forward+grad: ``xl.categorical_cross_entropy_grad(logits, target, return_loss=True)``
  against the same torch loss on a leaf tensor with ``requires_grad`` and
  ``loss.backward()`` (the gradient lands in ``.grad``).
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from harness import PeakMemory, Table, measure_peak_memory, time_pair

import xent_lessons as xl
from xent_lessons import _rowwise

FORWARD = "forward"
FORWARD_GRAD = "forward+grad"


@dataclass(frozen=True)
class Case:
    """One benchmarked shape and mode, with the ratio (ours / torch) it should stay under."""

    n_rows: int
    n_classes: int
    mode: str
    target_ratio: float

    @property
    def logits_bytes(self) -> int:
        return self.n_rows * self.n_classes * np.dtype(np.float32).itemsize


# Language-model vocabularies (GPT-2's 50,257 and Llama 3's 128,256 tokens), where the
# logits are hundreds of MB, and an ImageNet-sized classifier, where each call is short
# and fixed per-call costs (argument checks, thread hand-offs) weigh more.
CASES = [
    Case(1024, 50257, FORWARD, 1.0),
    Case(1024, 50257, FORWARD_GRAD, 0.8),
    Case(256, 128256, FORWARD, 1.0),
    Case(256, 128256, FORWARD_GRAD, 0.8),
    Case(4096, 1000, FORWARD, 2.5),
    Case(4096, 1000, FORWARD_GRAD, 2.5),
]


def make_inputs(n_rows: int, n_classes: int, seed: int = 0):
    """Float32 logits (standard normal times 2, every page written) and int64 targets."""
    rng = np.random.default_rng(seed)
    logits = rng.standard_normal((n_rows, n_classes), dtype=np.float32)
    logits *= 2
    target = rng.integers(0, n_classes, n_rows)
    return logits, target


def ours_call(mode: str, logits: np.ndarray, target: np.ndarray):
    """A no-argument callable for ``xent_lessons``'s side of ``mode``."""
    if mode == FORWARD:
        return lambda: xl.categorical_cross_entropy(logits, target)
    return lambda: xl.categorical_cross_entropy_grad(logits, target, return_loss=True)


def torch_call(mode: str, logits: np.ndarray, target: np.ndarray):
    """A no-argument callable for PyTorch's side of ``mode`` (the tensors share the arrays)."""
    logits_t = torch.from_numpy(logits)
    target_t = torch.from_numpy(target)
    if mode == FORWARD:
        return lambda: F.cross_entropy(logits_t, target_t)

    def forward_backward():
        leaf = logits_t.detach().requires_grad_(True)
        loss = F.cross_entropy(leaf, target_t)
        loss.backward()
        return loss, leaf.grad

    return forward_backward


def kernel_call(mode: str, logits: np.ndarray, target: np.ndarray):
    """The row kernel alone (no argument checks), for the memory notes below the table."""
    del mode, target  # the forward kernel needs neither
    return lambda: _rowwise.row_logsumexp(logits)


_CALLS = {"ours": ours_call, "torch": torch_call, "kernel": kernel_call}


def prepare_memory_case(impl: str, mode: str, n_rows: int, n_classes: int):
    """Inputs and callables for ``memory_probe.py``: ``(warm_up, measured)``.

    The warm-up runs the same code on the first rows only (at least 2**20 elements, so that
    it also starts the thread pools): enough to initialise both libraries without raising
    the resident set by much.
    """
    logits, target = make_inputs(n_rows, n_classes)
    warm_rows = min(n_rows, -(-(1 << 20) // n_classes))
    make = _CALLS[impl]
    return make(mode, logits[:warm_rows], target[:warm_rows]), make(mode, logits, target)


def check_agreement(logits: np.ndarray, target: np.ndarray) -> None:
    """Both sides compute the same loss and gradient (float32 tolerances)."""
    loss, grad = ours_call(FORWARD_GRAD, logits, target)()
    torch_loss, torch_grad = torch_call(FORWARD_GRAD, logits, target)()
    forward_loss = ours_call(FORWARD, logits, target)()
    np.testing.assert_allclose([loss, forward_loss], torch_loss.item(), rtol=1e-5)
    torch_grad = torch_grad.numpy()
    np.testing.assert_allclose(grad, torch_grad, rtol=0, atol=1e-5 * np.abs(torch_grad).max())


def _speed_settings(quick: bool) -> dict:
    if quick:
        return {"rounds": 1, "warmup": 2, "repeats": 3, "min_seconds": 0.0}
    return {"rounds": 3, "warmup": 3, "repeats": 5, "min_seconds": 0.25}


def run_section(options) -> Table:
    """Time and measure every case in ``CASES``; return the table.

    ``options`` needs ``quick`` (fewer repetitions), ``stat`` ("median" or "min") and
    ``memory`` (False skips the subprocess measurements).
    """
    table = Table(
        title="Cross-entropy, class-index targets, float32, reduction='mean'",
        columns=[
            "shape (N, C)",
            "mode",
            "ours (ms)",
            "torch (ms)",
            "ratio",
            "target",
            "met",
            "ours extra peak",
            "torch extra peak",
        ],
    )
    settings = _speed_settings(options.quick)
    timings = {}
    shapes = list(dict.fromkeys((case.n_rows, case.n_classes) for case in CASES))
    for n_rows, n_classes in shapes:
        logits, target = make_inputs(n_rows, n_classes)
        check_agreement(logits, target)
        for case in [c for c in CASES if (c.n_rows, c.n_classes) == (n_rows, n_classes)]:
            timings[case] = time_pair(
                ours_call(case.mode, logits, target),
                torch_call(case.mode, logits, target),
                **settings,
            )
        del logits, target
    # After all the timing, so that no probe runs beside a timed call.
    memory = _peak_memories() if options.memory else {}
    for case, (ours, theirs) in timings.items():
        ours_ms, torch_ms = ours.ms(options.stat), theirs.ms(options.stat)
        ratio = ours_ms / torch_ms
        unmeasured = PeakMemory(None, case.logits_bytes)
        table.rows.append(
            [
                f"({case.n_rows}, {case.n_classes})",
                case.mode,
                f"{ours_ms:.2f}",
                f"{torch_ms:.2f}",
                f"{ratio:.2f}",
                f"≤ {case.target_ratio:.1f}",
                "yes" if ratio <= case.target_ratio else "NO",
                memory.get(("ours", case), unmeasured).describe(),
                memory.get(("torch", case), unmeasured).describe(),
            ]
        )
    table.notes.append(
        f"Times: {options.stat} of the timed calls; ratio = ours / torch. Extra peak: "
        "resident memory above what was resident before the call (inputs included there), "
        "in MB and as a multiple of the float32 logits' size."
    )
    if options.memory:
        kernel = ", ".join(
            f"({case.n_rows}, {case.n_classes}): {peak.describe()}"
            for (impl, case), peak in memory.items()
            if impl == "kernel"
        )
        table.notes.append(
            f"The forward's row kernel alone (_rowwise.row_logsumexp) peaks at {kernel}."
        )
    table.notes.append(
        f"torch {torch.__version__} with {torch.get_num_threads()} intra-op threads; "
        f"NumPy {np.__version__}; xent_lessons row kernels on {_rowwise._n_workers()} threads."
    )
    return table


def _peak_memories() -> dict:
    """``{(impl, case): PeakMemory}``, one fresh subprocess each, as many at once as cores.

    Each probe reads only its own process's resident set, so running them side by side
    does not change what they measure; it only saves the wall time of importing torch.
    """
    jobs = [(impl, case) for case in CASES for impl in ("ours", "torch")]
    jobs += [("kernel", case) for case in CASES if case.mode == FORWARD]

    def probe(job):
        impl, case = job
        params = {
            "impl": impl,
            "mode": case.mode,
            "n_rows": case.n_rows,
            "n_classes": case.n_classes,
        }
        return measure_peak_memory(["cross_entropy_bench", json.dumps(params)], case.logits_bytes)

    with ThreadPoolExecutor(max_workers=_rowwise._n_workers()) as pool:
        return dict(zip(jobs, pool.map(probe, jobs), strict=True))
