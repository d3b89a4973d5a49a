"""linear_cross_entropy's z_loss and softcap (Liger Kernel's lse_square_scale and softcap):
loss and gradients against torch autograd of the same formula, float64 and float32, with
every other option; bad values refused; the (N, V) logits never made."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

import xent_lessons as xl


def torch_reference(h, w, y, b=None, z_loss=0.0, softcap=None, ignore_index=-100,
                    reduction="mean", label_smoothing=0.0):  # fmt: skip
    """Liger's formula written in torch ops, differentiated by autograd."""
    import torch

    leaves = [torch.tensor(np.array(a), requires_grad=True) for a in (h, w)]
    if b is not None:
        leaves.append(torch.tensor(np.array(b), requires_grad=True))
    z = leaves[0] @ leaves[1].T
    if b is not None:
        z = z + leaves[2]
    if softcap is not None:
        z = softcap * torch.tanh(z / softcap)
    y_t = torch.from_numpy(np.asarray(y, dtype=np.int64))
    keep = y_t != ignore_index
    lse = torch.logsumexp(z, dim=1)
    z_y = z.gather(1, torch.where(keep, y_t, 0)[:, None])[:, 0]
    eps = label_smoothing
    rows = (1 - eps) * (lse - z_y) + eps * (lse - z.mean(dim=1)) + z_loss * lse**2
    rows = torch.where(keep, rows, torch.zeros_like(rows))
    if reduction == "mean":
        loss = rows.sum() / keep.sum()
    elif reduction == "sum":
        loss = rows.sum()
    else:
        loss = rows
    loss.backward(torch.ones_like(loss))
    return loss.detach().numpy(), tuple(leaf.grad.numpy() for leaf in leaves)


def close(got, expected, rtol):
    got, expected = np.asarray(got, np.float64), np.asarray(expected, np.float64)
    assert got.shape == expected.shape
    scale = max(float(np.abs(expected).max()), 1e-300)
    assert float(np.abs(got - expected).max()) <= rtol * scale


def problem(seed=0, n=29, hidden=5, classes=700, dtype=np.float64, scale=3.0):
    rng = np.random.default_rng(seed)
    h = (scale * rng.standard_normal((n, hidden))).astype(dtype)
    w = rng.standard_normal((classes, hidden)).astype(dtype)
    b = rng.standard_normal(classes).astype(dtype)
    y = rng.integers(0, classes, n)
    return h, w, y, b


OPTIONS = [
    {"z_loss": 1e-4},
    {"z_loss": 0.3},
    {"softcap": 5.0},
    {"softcap": 30.0, "z_loss": 1e-2},
    {"softcap": 4.0, "z_loss": 0.1, "label_smoothing": 0.2},
    {"softcap": 4.0, "z_loss": 0.1, "reduction": "sum"},
    {"softcap": 4.0, "z_loss": 0.1, "reduction": "none"},
    {"z_loss": 0.05, "label_smoothing": 0.1, "reduction": "none"},
]


@pytest.mark.parametrize("options", OPTIONS)
@pytest.mark.parametrize("with_bias", [True, False])
@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-12), (np.float32, 2e-5)])
def test_matches_torch_autograd(options, with_bias, dtype, rtol):
    h, w, y, b = problem(dtype=dtype)
    y[::7] = -100  # some padding
    b = b if with_bias else None
    expected_loss, expected_grads = torch_reference(h, w, y, b, **options)
    loss = xl.linear_cross_entropy(h, w, y, b, chunk_size=8, **options)
    got = xl.linear_cross_entropy_grad(h, w, y, b, chunk_size=8, return_loss=True, **options)
    close(loss, expected_loss, rtol)
    close(got[0], expected_loss, rtol)
    assert len(got) - 1 == len(expected_grads)
    for g, e in zip(got[1:], expected_grads, strict=True):
        assert g.dtype == dtype
        close(g, e, rtol)


def test_defaults_change_nothing():
    h, w, y, b = problem()
    plain = xl.linear_cross_entropy_grad(h, w, y, b, return_loss=True)
    same = xl.linear_cross_entropy_grad(h, w, y, b, return_loss=True, z_loss=0.0, softcap=None)
    assert plain[0] == same[0]
    for a, c in zip(plain[1:], same[1:], strict=True):
        np.testing.assert_array_equal(a, c)


def test_z_loss_adds_lambda_lse_squared():
    h, w, y, b = problem()
    lse = xl.logsumexp(h @ w.T + b, axis=1)
    plain = xl.linear_cross_entropy(h, w, y, b, reduction="none")
    with_z = xl.linear_cross_entropy(h, w, y, b, reduction="none", z_loss=0.01)
    np.testing.assert_allclose(with_z - plain, 0.01 * lse**2, rtol=1e-12)


def test_a_huge_cap_is_no_cap_and_a_capped_token_costs_at_most_log_v_plus_2c():
    h, w, y, b = problem(scale=50.0)
    plain = xl.linear_cross_entropy(h, w, y, b)
    assert abs(xl.linear_cross_entropy(h, w, y, b, softcap=1e9) - plain) < 1e-9 * plain
    worst = np.max(xl.linear_cross_entropy(h, w, y, b, reduction="none", softcap=2.0))
    assert worst <= np.log(w.shape[0]) + 2 * 2.0
    assert np.max(xl.linear_cross_entropy(h, w, y, b, reduction="none")) > 100  # uncapped


def test_no_n_by_v_logits():
    h, w, y, b = problem(n=2048, hidden=4, classes=2000)
    logits_bytes = h.shape[0] * w.shape[0] * 8
    tracemalloc.start()
    try:
        xl.linear_cross_entropy_grad(h, w, y, b, z_loss=1e-3, softcap=30.0, chunk_size=64)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < logits_bytes / 4, (peak, logits_bytes)


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        ({"z_loss": -0.1}, ValueError, "z_loss"),
        ({"z_loss": float("nan")}, ValueError, "z_loss"),
        ({"z_loss": True}, TypeError, "z_loss"),
        ({"z_loss": "1e-4"}, TypeError, "z_loss"),
        ({"softcap": 0.0}, ValueError, "softcap"),
        ({"softcap": -30}, ValueError, "softcap"),
        ({"softcap": float("inf")}, ValueError, "softcap"),
        ({"softcap": "30"}, TypeError, "softcap"),
    ],
)
def test_bad_values_are_refused(kwargs, error, words):
    h, w, y, b = problem(n=3, classes=5)
    for fn in (xl.linear_cross_entropy, xl.linear_cross_entropy_grad):
        with pytest.raises(error, match=words):
            fn(h, w, y, b, **kwargs)


@pytest.mark.parametrize("options", [{"z_loss": 1e-4}, {"softcap": 30.0}])
def test_class_weights_with_z_loss_or_softcap_are_refused_not_ignored(options):
    rng = np.random.default_rng(0)
    hidden, weight = rng.normal(size=(4, 3)), rng.normal(size=(5, 3))
    target, ce_weight = np.array([0, 1, 2, 4]), np.array([1.0, 2.0, 0.5, 1.0, 3.0])
    for fn in (xl.linear_cross_entropy, xl.linear_cross_entropy_grad):
        with pytest.raises(ValueError, match="ce_weight cannot be combined"):
            fn(hidden, weight, target, ce_weight=ce_weight, **options)
