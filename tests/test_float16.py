"""float16 in, float16 out: computed in float32, as PyTorch computes float16 on the CPU.

Every loss, gradient and member of the softmax family is compared with torch's float16
result, computed in the same test, to float16's tolerance: two units in its last place
(float16 has an 11-bit significand, a relative step of 9.8e-4), relative to each value
and, for entries that come out of a cancellation such as ``q - y``, to the largest entry.
torch rounds to float16 between autograd's steps, so its float16 gradient can be a unit
or so further from the exact value than ours, which is rounded once.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import xent_lessons as xl

HALF_RTOL = 2e-3  # two float16 steps


def _t(x):
    return torch.from_numpy(np.array(x))


def _assert_half_close(ours, theirs):
    theirs = theirs.detach().numpy() if isinstance(theirs, torch.Tensor) else np.asarray(theirs)
    if isinstance(ours, np.ndarray):
        assert ours.dtype == np.float16, ours.dtype
        assert ours.shape == theirs.shape
    theirs = theirs.astype(np.float64)
    atol = HALF_RTOL * (np.abs(theirs).max() if theirs.size else 0.0)
    np.testing.assert_allclose(np.asarray(ours, np.float64), theirs, rtol=HALF_RTOL, atol=atol)


@pytest.fixture
def half_case():
    rng = np.random.default_rng(16)
    logits = (2 * rng.standard_normal((6, 5))).astype(np.float16)
    target = rng.integers(0, 5, 6)
    probs = rng.random((6, 5)).astype(np.float16)
    probs = (probs / probs.sum(axis=1, keepdims=True, dtype=np.float32)).astype(np.float16)
    return logits, target, probs


@pytest.mark.parametrize("fn", ["softmax", "log_softmax", "logsumexp"])
@pytest.mark.parametrize("axis", [0, -1])
def test_softmax_family_in_float16(half_case, fn, axis):
    logits = half_case[0]
    theirs = getattr(torch, fn)(_t(logits), axis)
    _assert_half_close(getattr(xl, fn)(logits, axis=axis), theirs)


def test_sigmoid_and_log_sigmoid_in_float16(half_case):
    x = half_case[0]
    _assert_half_close(xl.sigmoid(x), torch.sigmoid(_t(x)))
    _assert_half_close(xl.log_sigmoid(x), F.logsigmoid(_t(x)))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize(
    "kwargs", [{}, {"label_smoothing": 0.1, "weight": [1.0, 2.0, 0.5, 1.0, 1.5]}], ids=["plain", "weighted-smoothed"]
)
@pytest.mark.parametrize("target_kind", ["index", "probs"])
def test_categorical_cross_entropy_and_gradient_in_float16(half_case, target_kind, kwargs, reduction):
    logits, index, probs = half_case
    target = index if target_kind == "index" else probs
    torch_kwargs = dict(kwargs)
    if "weight" in kwargs:
        kwargs = {**kwargs, "weight": np.float16(kwargs["weight"])}
        torch_kwargs["weight"] = _t(kwargs["weight"])
    leaf = _t(logits).requires_grad_(True)
    torch_loss = F.cross_entropy(leaf, _t(target), reduction=reduction, **torch_kwargs)
    torch_loss.backward(torch.ones_like(torch_loss))
    loss, grad = xl.categorical_cross_entropy_grad(
        logits, target, reduction=reduction, return_loss=True, **kwargs
    )
    _assert_half_close(loss, torch_loss)
    _assert_half_close(grad, leaf.grad)
    _assert_half_close(xl.categorical_cross_entropy(logits, target, reduction=reduction, **kwargs), torch_loss)


def test_kdim_cross_entropy_in_float16():
    rng = np.random.default_rng(17)
    logits = rng.standard_normal((2, 7, 5)).astype(np.float16)  # (batch, vocab, time)
    target = rng.integers(0, 7, (2, 5))
    leaf = _t(logits).requires_grad_(True)
    torch_loss = F.cross_entropy(leaf, _t(target), reduction="none")
    torch_loss.sum().backward()
    _assert_half_close(xl.categorical_cross_entropy(logits, target, reduction="none"), torch_loss)
    _assert_half_close(xl.categorical_cross_entropy_grad(logits, target, reduction="none"), leaf.grad)


def test_nll_loss_in_float16(half_case):
    logits, target, _ = half_case
    log_probs = xl.log_softmax(logits)
    for reduction in ("mean", "none"):
        _assert_half_close(
            xl.nll_loss(log_probs, target, reduction=reduction),
            F.nll_loss(_t(log_probs), _t(target), reduction=reduction),
        )


@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_binary_cross_entropy_and_gradient_in_float16(half_case, reduction):
    x = half_case[0]
    t = (x > 0).astype(np.float16)
    pos_weight = np.float16([1.0, 2.0, 0.5, 1.0, 3.0])
    leaf = _t(x).requires_grad_(True)
    torch_loss = F.binary_cross_entropy_with_logits(leaf, _t(t), pos_weight=_t(pos_weight), reduction=reduction)
    torch_loss.backward(torch.ones_like(torch_loss))
    loss, grad = xl.binary_cross_entropy_with_logits_grad(
        x, t, pos_weight=pos_weight, reduction=reduction, return_loss=True
    )
    _assert_half_close(loss, torch_loss)
    _assert_half_close(grad, leaf.grad)
    p = xl.sigmoid(x)
    _assert_half_close(
        xl.binary_cross_entropy(p, t, reduction=reduction),
        F.binary_cross_entropy(_t(p), _t(t), reduction=reduction),
    )


def test_information_measures_keep_float16():
    p = np.float16([[0.1, 0.2, 0.7], [0.5, 0.25, 0.25]])  # the first sums to 1.00012 in float16
    q = np.float16([[0.3, 0.3, 0.4], [0.25, 0.5, 0.25]])
    p64, q64 = p.astype(np.float64), q.astype(np.float64)  # the formulas, in float64:
    for fn, args, expected in (
        (xl.entropy, (p,), -(p64 * np.log(p64)).sum(axis=1)),
        (xl.cross_entropy, (p, q), -(p64 * np.log(q64)).sum(axis=1)),
        (xl.kl_divergence, (p, q), (p64 * np.log(p64 / q64)).sum(axis=1)),
        (xl.surprisal, (p,), -np.log(p64)),
    ):
        out = fn(*args)
        assert out.dtype == np.float16, fn.__name__
        np.testing.assert_allclose(out.astype(np.float64), expected, rtol=HALF_RTOL)
