"""Cross-entropy of class-index targets: ``xent_lessons`` against PyTorch on the CPU.

Both sides get the same float32 logits (one array: the torch tensor shares its memory) and
int64 targets, with reduction "mean":

- forward: ``xl.categorical_cross_entropy(logits, target)`` against
  ``torch.nn.functional.cross_entropy(logits, target)``;
- forward+grad: ``xl.categorical_cross_entropy_grad(logits, target, return_loss=True)``
  against the same torch loss on a leaf tensor with ``requires_grad`` and
  ``loss.backward()`` (the gradient lands in ``.grad``).

Two-dimensional logits ``(N, C)`` run the row kernels (``_rowwise``); K-dimensional ones
``(N, C, d1, ..., dk)``, classes on dim 1 as torch takes them, the middle-axis kernels
(``_middle_axis``).
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
from xent_lessons import _middle_axis, _rowwise

FORWARD = "forward"
FORWARD_GRAD = "forward+grad"


@dataclass(frozen=True)
class Case:
    """One benchmarked logits shape and mode, with the ratio (ours / torch) to stay under."""

    shape: tuple[int, ...]  # (N, C) or (N, C, d1, ..., dk)
    mode: str
    target_ratio: float

    @property
    def logits_bytes(self) -> int:
        return int(np.prod(self.shape)) * np.dtype(np.float32).itemsize

    @property
    def label(self) -> str:
        return "(" + ", ".join(str(n) for n in self.shape) + ")"


# Language-model vocabularies (GPT-2's 50,257 and Llama 3's 128,256 tokens), where the
# logits are hundreds of MB, and an ImageNet-sized classifier, where each call is short
# and fixed per-call costs (argument checks, thread hand-offs) weigh more. Then the same
# as K-dimensional input, classes on dim 1: a sequence model's (batch, vocab, time), with
# 4096 and 1024 positions like the 2-D cases, and a segmentation model's (N, C, H, W),
# 21 classes (PASCAL VOC) at 128 x 128 pixels.
CASES = [
    Case((1024, 50257), FORWARD, 0.5),
    Case((1024, 50257), FORWARD_GRAD, 0.8),
    Case((256, 128256), FORWARD, 0.5),
    Case((256, 128256), FORWARD_GRAD, 0.8),
    Case((4096, 1000), FORWARD, 1.2),
    Case((4096, 1000), FORWARD_GRAD, 1.2),
    Case((32, 1000, 128), FORWARD, 1.5),
    Case((32, 1000, 128), FORWARD_GRAD, 1.5),
    Case((16, 50257, 64), FORWARD, 1.5),
    Case((16, 50257, 64), FORWARD_GRAD, 1.5),
    Case((8, 21, 128, 128), FORWARD, 1.0),
    Case((8, 21, 128, 128), FORWARD_GRAD, 1.0),
]


def make_inputs(shape, seed: int = 0):
    """Float32 logits (standard normal times 2, every page written) and int64 targets
    (of the logits' shape without dim 1)."""
    shape = tuple(shape)
    rng = np.random.default_rng(seed)
    logits = rng.standard_normal(shape, dtype=np.float32)
    logits *= 2
    target = rng.integers(0, shape[1], (shape[0], *shape[2:]))
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
    """The forward's kernel alone (no argument checks), for the memory notes below the table."""
    del mode, target  # the forward kernel needs neither
    if logits.ndim == 2:
        return lambda: _rowwise.row_logsumexp_unshifted(logits)
    n, c = logits.shape[:2]
    return lambda: _middle_axis.MiddleAxisLogits(logits.reshape(n, c, -1)).logsumexp_parts()


_CALLS = {"ours": ours_call, "torch": torch_call, "kernel": kernel_call}


def prepare_memory_case(impl: str, mode: str, shape: list[int]):
    """Inputs and callables for ``memory_probe.py``: ``(warm_up, measured)``.

    The warm-up runs the same code on the first samples only (at least 2**20 elements, so
    that it also starts the thread pools): enough to initialise both libraries without
    raising the resident set by much.
    """
    logits, target = make_inputs(shape)
    per_sample = logits[0].size
    warm = min(logits.shape[0], -(-(1 << 20) // per_sample))
    make = _CALLS[impl]
    return make(mode, logits[:warm], target[:warm]), make(mode, logits, target)


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
            "logits shape",
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
    shapes = list(dict.fromkeys(case.shape for case in CASES))
    for shape in shapes:
        logits, target = make_inputs(shape)
        check_agreement(logits, target)
        for case in [c for c in CASES if c.shape == shape]:
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
                case.label,
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
            f"{case.label}: {peak.describe()}"
            for (impl, case), peak in memory.items()
            if impl == "kernel"
        )
        table.notes.append(
            "The forward's kernel alone (_rowwise.row_logsumexp_unshifted, "
            f"_middle_axis.MiddleAxisLogits.logsumexp_parts) peaks at {kernel}."
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
        params = {"impl": impl, "mode": case.mode, "shape": list(case.shape)}
        return measure_peak_memory(["cross_entropy_bench", json.dumps(params)], case.logits_bytes)

    with ThreadPoolExecutor(max_workers=_rowwise._n_workers()) as pool:
        return dict(zip(jobs, pool.map(probe, jobs), strict=True))
