"""Lesson 16's options of the fused loss: ``z_loss`` and ``softcap`` against torch on the CPU.

``xl.linear_cross_entropy_grad(h, W, y, b, return_loss=True, z_loss=1e-4, softcap=30.0)``
against the same formula in torch ops (Liger Kernel's semantics: the logits capped to
``30 tanh(z / 30)``, then ``F.cross_entropy`` plus ``1e-4 * mean(logsumexp(z)**2)``) with
``loss.backward()`` on leaf tensors; and, for scale, our plain fused loss (no options) on
the same arrays. float32, GPT-2's vocabulary, a bias. Both sides are checked to agree before
the timing. Time only: the options keep the lesson-12 memory bound (one chunk of rows by V
at a time; the tests check that no (N, V) array is allocated).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from harness import Table, time_pair
from linear_cross_entropy_bench import Shape, make_inputs

import xent_lessons as xl

SHAPE = Shape(512, 256, 50257)  # a quarter of lesson 12's rows: the section stays short
Z_LOSS, SOFTCAP = 1e-4, 30.0


def ours_call(hidden, weight, bias, target, **options):
    return lambda: xl.linear_cross_entropy_grad(hidden, weight, target, bias, return_loss=True,
                                                **options)  # fmt: skip


def torch_call(hidden, weight, bias, target):
    h, w, b, y = (torch.from_numpy(a) for a in (hidden, weight, bias, target))

    def forward_backward():
        leaves = [a.detach().requires_grad_(True) for a in (h, w, b)]
        z = SOFTCAP * torch.tanh((leaves[0] @ leaves[1].T + leaves[2]) / SOFTCAP)
        loss = F.cross_entropy(z, y) + Z_LOSS * (torch.logsumexp(z, dim=1) ** 2).mean()
        loss.backward()
        return loss, *(leaf.grad for leaf in leaves)

    return forward_backward


def check_agreement(hidden, weight, bias, target) -> None:
    ours = ours_call(hidden, weight, bias, target, z_loss=Z_LOSS, softcap=SOFTCAP)()
    theirs = torch_call(hidden, weight, bias, target)()
    assert abs(ours[0] - theirs[0].item()) <= 1e-5 * abs(theirs[0].item())
    for a, t in zip(ours[1:], theirs[1:], strict=True):
        t = t.numpy()
        assert np.abs(a - t).max() <= 1e-4 * np.abs(t).max()


def run_section(options) -> Table:
    table = Table(
        title="z-loss and soft-capping in the fused loss, forward+grad, float32, with a bias",
        columns=["(N, H, V)", "ours, z_loss + softcap (ms)", "torch, same formula (ms)",
                 "ratio", "ours, plain (ms)", "options cost"],
    )  # fmt: skip
    arrays = make_inputs(SHAPE)
    check_agreement(*arrays)
    quick = getattr(options, "quick", False)
    settings = {"rounds": 1 if quick else 3, "warmup": 1, "repeats": 1 if quick else 3,
                "min_seconds": 0.0}  # fmt: skip
    ours, theirs = time_pair(ours_call(*arrays, z_loss=Z_LOSS, softcap=SOFTCAP),
                             torch_call(*arrays), **settings)  # fmt: skip
    plain, _ = time_pair(ours_call(*arrays), lambda: None, **settings)
    table.rows.append([
        SHAPE.label, f"{ours.median_ms:.0f}", f"{theirs.median_ms:.0f}",
        f"{ours.median_ms / theirs.median_ms:.2f}", f"{plain.median_ms:.0f}",
        f"{ours.median_ms / plain.median_ms:.2f}×",
    ])  # fmt: skip
    table.notes.append(
        f"z_loss = {Z_LOSS:g}, softcap = {SOFTCAP:g}; medians of the timed calls. The options "
        "take the simpler chunked path (a chunk of rows by all V logits, tanh and its "
        "derivative), not the tiled kernel of the plain loss."
    )
    return table


if __name__ == "__main__":
    import argparse

    print(run_section(argparse.Namespace(quick=False)).to_markdown())
