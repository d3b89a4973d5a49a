"""The vocabulary-parallel cross-entropy on 1, 2 and 4 gloo processes of this machine
(127.0.0.1): loss and gradients equal to F.cross_entropy of the gathered logits in float64,
with ignore_index, every reduction and label smoothing; Megatron's label smoothing; every
process ended, also when a run fails; importing the package does not import torch."""

from __future__ import annotations

import itertools
import multiprocessing
import subprocess
import sys
import time

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import torch.distributed as dist  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from xent_lessons import vocab_parallel as vp  # noqa: E402

TOL = 1e-12


def problem(seed, n=9, hidden=5, classes=23):
    rng = np.random.default_rng(seed)
    h = 3.0 * rng.standard_normal((n, hidden))
    w = rng.standard_normal((classes, hidden))
    b = rng.standard_normal(classes)
    y = rng.integers(0, classes, n)
    y[2] = -100
    y[5] = classes - 1  # the last class: on the last process
    return h, w, y, b


def gathered(h, w, y, b, **options):
    """Loss and gradients of F.cross_entropy on the whole logits, by autograd."""
    leaves = [torch.tensor(a, requires_grad=True) for a in (h, w, b)]
    loss = F.cross_entropy(leaves[0] @ leaves[1].T + leaves[2], torch.tensor(y), **options)
    loss.backward(torch.ones_like(loss))
    return loss.detach().numpy(), [leaf.grad.numpy() for leaf in leaves]


def assert_close(got, expected):
    got, expected = np.asarray(got, np.float64), np.asarray(expected, np.float64)
    assert got.shape == expected.shape
    scale = max(1.0, float(np.abs(expected).max()))
    assert float(np.abs(got - expected).max()) <= TOL * scale


@pytest.mark.parametrize(
    "world_size, options",
    [
        (2, {}),
        (2, {"reduction": "sum", "label_smoothing": 0.1}),
        (4, {"reduction": "none"}),
        (4, {"label_smoothing": 0.2}),
    ],
)
def test_equals_the_gathered_loss_and_gradients(world_size, options):
    h, w, y, b = problem(world_size)
    start = time.perf_counter()
    out = vp.run_vocab_parallel(h, w, y, b, world_size=world_size, timeout=30, **options)
    elapsed = time.perf_counter() - start
    loss, (d_h, d_w, d_b) = gathered(h, w, y, b, **options)
    for rank_loss in out["loss"]:  # every process has the same loss
        assert_close(rank_loss, loss)
    assert_close(out["d_hidden"], d_h)
    assert_close(out["d_weight"], d_w)
    assert_close(out["d_bias"], d_b)
    # three all-reduces (four numbers a row with label smoothing: the sums go together)
    per_row = 4 if options.get("label_smoothing") else 3
    assert out["all_reduce_calls"] == 3
    assert out["all_reduce_bytes"] == per_row * len(y) * 8
    widths = [shape[1] for shape in out["local_logits_shapes"]]
    assert sum(widths) == w.shape[0] and len(widths) == world_size
    assert elapsed < 30
    assert not multiprocessing.active_children()


def test_a_failing_process_is_reported_and_every_process_ends():
    h, w, y, b = problem(0)
    y[0] = 99  # no class 99: every process refuses it
    with pytest.raises(RuntimeError, match="target must be class indices"):
        vp.run_vocab_parallel(h, w, y, b, world_size=2, timeout=30)
    assert not multiprocessing.active_children()


def _silent_worker(*args):
    time.sleep(120)  # never answers


def test_a_process_that_never_answers_is_ended_after_the_timeout(monkeypatch):
    monkeypatch.setattr(vp, "_worker", _silent_worker)  # the forked children run it
    h, w, y, b = problem(1)
    start = time.perf_counter()
    with pytest.raises(TimeoutError, match="did not finish in 1"):
        vp.run_vocab_parallel(h, w, y, b, world_size=2, timeout=1, start_method="fork")
    assert time.perf_counter() - start < 15
    assert not multiprocessing.active_children()


@pytest.fixture
def one_process_group():
    dist.init_process_group(
        "gloo", init_method=f"tcp://127.0.0.1:{vp.free_port()}", rank=0, world_size=1
    )
    try:
        yield
    finally:
        dist.destroy_process_group()


def test_megatron_label_smoothing_is_torch_with_eps_alpha_v_over_v_minus_1(one_process_group):
    rng = np.random.default_rng(3)
    z = torch.tensor(rng.normal(0.0, 2.0, (6, 10)))
    y = torch.tensor(rng.integers(0, 10, 6))
    alpha, n_classes = 0.1, 10
    # Megatron's formula, on one process (its slice is the whole vocabulary)
    smoothing = alpha * n_classes / (n_classes - 1)
    log_probs = torch.log_softmax(z, dim=1)
    ce = -log_probs[torch.arange(6), y]
    megatron = (1.0 - smoothing) * ce - smoothing * log_probs.mean(dim=-1)
    ours = vp.vocab_parallel_cross_entropy(z, y, reduction="none", label_smoothing=smoothing)
    assert torch.allclose(ours, megatron, rtol=0, atol=1e-13)


def test_one_process_backward_is_softmax_minus_y(one_process_group):
    rng = np.random.default_rng(4)
    z = torch.tensor(rng.normal(0.0, 2.0, (5, 7)), requires_grad=True)
    y = torch.tensor([0, 6, -100, 3, 3])
    vp.vocab_parallel_cross_entropy(z, y).backward()
    z2 = z.detach().clone().requires_grad_(True)
    F.cross_entropy(z2, y).backward()
    assert torch.allclose(z.grad, z2.grad, rtol=0, atol=1e-15)


def test_every_row_ignored_gives_nan_as_torch(one_process_group):
    z = torch.zeros(2, 3, dtype=torch.float64)
    y = torch.tensor([-100, -100])
    assert torch.isnan(vp.vocab_parallel_cross_entropy(z, y))
    assert torch.isnan(F.cross_entropy(z, y))


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        ({"reduction": "avg"}, ValueError, "reduction"),
        ({"label_smoothing": 1.0}, ValueError, "label_smoothing"),
    ],
)
def test_bad_options_are_refused(one_process_group, kwargs, error, words):
    z, y = torch.zeros(2, 3), torch.tensor([0, 1])
    with pytest.raises(error, match=words):
        vp.vocab_parallel_cross_entropy(z, y, **kwargs)


def test_bad_inputs_are_refused(one_process_group):
    with pytest.raises(TypeError, match="local_logits"):
        vp.vocab_parallel_cross_entropy(np.zeros((2, 3)), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="target"):
        vp.vocab_parallel_cross_entropy(torch.zeros(2, 3), torch.tensor([0, 1, 2]))
    with pytest.raises(TypeError, match="target"):
        vp.vocab_parallel_cross_entropy(torch.zeros(2, 3), torch.tensor([0.0, 1.0]))


def test_vocab_range_covers_the_vocabulary_once():
    for n_classes in (4, 10, 23):
        for world_size in (1, 2, 3, 4):
            ranges = [vp.vocab_range(n_classes, r, world_size) for r in range(world_size)]
            assert ranges[0][0] == 0 and ranges[-1][1] == n_classes
            assert all(a[1] == b[0] for a, b in itertools.pairwise(ranges))


def test_importing_the_package_does_not_import_torch():
    code = "import sys, xent_lessons as xl; xl.vocab_parallel_cross_entropy; print('torch' in sys.modules)"
    lazy = "import sys, xent_lessons; print('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", lazy], capture_output=True, text=True,
                          check=True).stdout.strip() == "False"  # fmt: skip
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.strip() == "True"  # fmt: skip
