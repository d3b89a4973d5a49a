"""Fused linear cross-entropy: ``xl.linear_cross_entropy(_grad)`` against PyTorch on the CPU.

A language model's output layer and loss, ``F.cross_entropy(h @ W.T + b, y)``, at two
vocabulary sizes (GPT-2's 50,257 tokens and Llama 3's 128,256), float32, reduction "mean".
Both sides get the same arrays (the torch tensors share their memory):

- forward: ``xl.linear_cross_entropy(h, W, y, b)`` against torch's loss under
  ``torch.no_grad()`` (the logits are made, then the loss; nothing is kept for a backward);
- forward+grad: ``xl.linear_cross_entropy_grad(h, W, y, b, return_loss=True)`` against the
  same torch loss on leaf tensors with ``requires_grad`` and ``loss.backward()``: the loss
  and ``(d_h, d_W, d_b)`` on both sides.

Timing: rounds of a block of our calls and a block of torch's (``harness.time_block``);
the ratio of each round's medians shows the spread that other load on the machine causes.
Memory: the extra peak resident memory of one call in a fresh process
(``memory_probe.py``), the returned gradients included on both sides.
"""

from __future__ import annotations

import ctypes
import json
import os
import statistics
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from harness import Table, measure_peak_memory, time_block

import xent_lessons as xl
from xent_lessons import _blas, _linear_chunks

FORWARD = "forward"
FORWARD_GRAD = "forward+grad"
TIME_TARGET = 0.8  # ours / torch
MEMORY_TARGET = 0.1  # ours / torch, extra peak memory


@dataclass(frozen=True)
class Shape:
    n_rows: int
    n_hidden: int
    n_classes: int

    @property
    def label(self) -> str:
        return f"({self.n_rows}, {self.n_hidden}, {self.n_classes})"

    def gradient_bytes(self, mode: str) -> int:
        """What the results take: (d_h, d_W, d_b) for forward+grad, nothing for forward."""
        if mode == FORWARD:
            return 0
        n, h, v = self.n_rows, self.n_hidden, self.n_classes
        return 4 * (n * h + v * h + v)


SHAPES = [Shape(2048, 256, 50257), Shape(1024, 512, 128256)]
MODES = [FORWARD, FORWARD_GRAD]


def make_inputs(shape: Shape, seed: int = 0):
    """Float32 hidden states ~ N(0, 1), weights ~ N(0, 1/H) (logits ~ N(0, 1)), a small
    bias and uniform targets; every page written."""
    rng = np.random.default_rng(seed)
    n, h, v = shape.n_rows, shape.n_hidden, shape.n_classes
    hidden = rng.standard_normal((n, h), dtype=np.float32)
    weight = rng.standard_normal((v, h), dtype=np.float32)
    weight *= np.float32(1 / np.sqrt(h))
    bias = rng.standard_normal(v, dtype=np.float32)
    bias *= np.float32(0.1)
    target = rng.integers(0, v, n)
    return hidden, weight, bias, target


def ours_call(mode, hidden, weight, bias, target):
    if mode == FORWARD:
        return lambda: xl.linear_cross_entropy(hidden, weight, target, bias)
    return lambda: xl.linear_cross_entropy_grad(hidden, weight, target, bias, return_loss=True)


def torch_call(mode, hidden, weight, bias, target):
    h, w, b, y = (torch.from_numpy(a) for a in (hidden, weight, bias, target))
    if mode == FORWARD:

        def forward():
            with torch.no_grad():
                return F.cross_entropy(h @ w.T + b, y)

        return forward

    def forward_backward():
        leaves = [a.detach().requires_grad_(True) for a in (h, w, b)]
        loss = F.cross_entropy(leaves[0] @ leaves[1].T + leaves[2], y)
        loss.backward()
        return loss, *(leaf.grad for leaf in leaves)

    return forward_backward


_CALLS = {"ours": ours_call, "torch": torch_call}


def prepare_memory_case(impl: str, mode: str, n_rows: int, n_hidden: int, n_classes: int):
    """``(warm_up, measured)`` for ``memory_probe.py``; the warm-up runs the same code on
    16 rows and 4096 classes (threads, BLAS and autograd start up there, not in the call)."""
    hidden, weight, bias, target = make_inputs(Shape(n_rows, n_hidden, n_classes))
    make = _CALLS[impl]
    small = make(mode, hidden[:16], weight[:4096], bias[:4096], target[:16] % 4096)
    return small, make(mode, hidden, weight, bias, target)


def check_agreement(hidden, weight, bias, target) -> None:
    """Both sides give the same loss and gradients (float32 tolerances)."""
    ours = ours_call(FORWARD_GRAD, hidden, weight, bias, target)()
    theirs = [t.numpy() if t.ndim else t.item() for t in
              torch_call(FORWARD_GRAD, hidden, weight, bias, target)()]  # fmt: skip
    forward = ours_call(FORWARD, hidden, weight, bias, target)()
    np.testing.assert_allclose([ours[0], forward], theirs[0], rtol=1e-5)
    for got, expected in zip(ours[1:], theirs[1:], strict=True):
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-4 * np.abs(expected).max())


def _speed_settings(quick: bool) -> dict:
    if quick:
        return {"rounds": 1, "warmup": 1, "repeats": 2, "min_seconds": 0.0}
    return {"rounds": 3, "warmup": 1, "repeats": 3, "min_seconds": 0.0}


def time_rounds(ours, theirs, *, rounds, warmup, repeats, min_seconds):
    """Per round: (median of our block, median of torch's block), in seconds."""
    out = []
    for _ in range(rounds):
        a = time_block(ours, warmup=warmup, repeats=repeats, min_seconds=min_seconds)
        b = time_block(theirs, warmup=warmup, repeats=repeats, min_seconds=min_seconds)
        out.append((statistics.median(a), statistics.median(b), min(a), min(b)))
    return out


def blas_description() -> str:
    """Which OpenBLAS kernel NumPy runs, its threads, and the OPENBLAS_* variables set."""
    core = threads = "?"
    for path in _blas._candidate_libraries():
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix, suffix in (("scipy_", "64_"), ("", "64_"), ("", "")):
            get_core = getattr(lib, f"{prefix}openblas_get_corename{suffix}", None)
            get_threads = getattr(lib, f"{prefix}openblas_get_num_threads{suffix}", None)
            if get_core is not None and get_threads is not None:
                get_core.restype = ctypes.c_char_p
                core, threads = get_core().decode(), get_threads()
                break
        if core != "?":
            break
    env = [f"{k}={os.environ[k]}" for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if k in os.environ]
    return (
        f"NumPy {np.__version__}'s OpenBLAS kernel {core} on {threads} threads "
        f"(in-place gemm: {'yes' if _blas.have_inplace_gemm(np.float32) else 'no, NumPy fallback'}; "
        f"{', '.join(env) if env else 'no OPENBLAS_CORETYPE or OPENBLAS_L2_SIZE set'}); "
        f"torch {torch.__version__} on {torch.get_num_threads()} intra-op threads"
    )


def run_section(options) -> Table:
    table = Table(
        title="Fused linear cross-entropy, (N, H, V), float32, with a bias, reduction='mean'",
        columns=[
            "(N, H, V)",
            "mode",
            "ours (ms)",
            "torch (ms)",
            "ratio (spread)",
            f"≤ {TIME_TARGET}",
            "ours extra peak",
            "torch extra peak",
            "ratio",
            f"≤ {MEMORY_TARGET}",
            "beyond the gradients",
        ],
    )
    settings = _speed_settings(options.quick)
    timings = {}
    for shape in SHAPES:
        arrays = make_inputs(shape)
        check_agreement(*arrays)
        for mode in MODES:
            timings[shape, mode] = time_rounds(
                ours_call(mode, *arrays), torch_call(mode, *arrays), **settings
            )
        del arrays
    memory = _peak_memories() if options.memory else {}
    for (shape, mode), rounds in timings.items():
        pick = 0 if options.stat == "median" else 2
        ours_ms = 1e3 * statistics.median(r[pick] for r in rounds)
        torch_ms = 1e3 * statistics.median(r[pick + 1] for r in rounds)
        ratios = [r[pick] / r[pick + 1] for r in rounds]
        ratio = ours_ms / torch_ms
        spread = f"{min(ratios):.2f}-{max(ratios):.2f}" if len(ratios) > 1 else "-"
        row = [
            shape.label,
            mode,
            f"{ours_ms:.0f}",
            f"{torch_ms:.0f}",
            f"{ratio:.2f} ({spread})",
            "yes" if ratio <= TIME_TARGET else "NO",
        ]
        ours_peak, torch_peak = memory.get(("ours", shape, mode)), memory.get(("torch", shape, mode))
        if ours_peak is None or torch_peak is None or ours_peak.extra_bytes is None:
            row += ["n/a"] * 5
        else:
            ours_b, torch_b = ours_peak.extra_bytes, torch_peak.extra_bytes
            grads = shape.gradient_bytes(mode)
            mem_ratio = ours_b / torch_b
            beyond = f"{(ours_b - grads) / 1e6:,.1f} vs {(torch_b - grads) / 1e6:,.1f} MB"
            if torch_b > grads:
                beyond += f" ({max(0, ours_b - grads) / (torch_b - grads):.3f})"
            row += [
                f"{ours_b / 1e6:,.1f} MB",
                f"{torch_b / 1e6:,.1f} MB",
                f"{mem_ratio:.3f}",
                "yes" if mem_ratio <= MEMORY_TARGET else "NO",
                beyond,
            ]
        table.rows.append(row)
    n_rounds = settings["rounds"]
    grads = " and ".join(f"{s.gradient_bytes(FORWARD_GRAD) / 1e6:.1f} MB" for s in SHAPES)
    table.notes += [
        f"Times: {options.stat} over {n_rounds} rounds of each round's {options.stat} call "
        f"(blocks of {settings['repeats']} timed calls after {settings['warmup']} warm-up); "
        "the spread is the range of the rounds' ratios. Extra peak: resident memory above "
        "what was resident before the call, in a fresh process, the returned gradients "
        f"(d_h, d_W, d_b: {grads} in float32) included on both sides; 'beyond "
        "the gradients' subtracts them from both.",
        blas_description() + ".",
        f"Our gradient's chunk of logits: {_linear_chunks.DEFAULT_CHUNK_BYTES >> 20} MiB "
        "(chunk_size=None).",
    ]
    return table


def _peak_memories() -> dict:
    """``{(impl, shape, mode): PeakMemory}``, one fresh subprocess each, one at a time
    (two of them side by side would need 3 GB and slow each other's page faults)."""
    jobs = [(impl, shape, mode) for shape in SHAPES for mode in MODES for impl in _CALLS]

    def probe(job):
        impl, shape, mode = job
        params = {
            "impl": impl,
            "mode": mode,
            "n_rows": shape.n_rows,
            "n_hidden": shape.n_hidden,
            "n_classes": shape.n_classes,
        }
        logits_bytes = 4 * shape.n_rows * shape.n_classes
        return measure_peak_memory(
            ["linear_cross_entropy_bench", json.dumps(params)], logits_bytes
        )

    with ThreadPoolExecutor(max_workers=1) as pool:
        return dict(zip(jobs, pool.map(probe, jobs), strict=True))
