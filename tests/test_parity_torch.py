"""Parity with PyTorch in float64: losses, gradients (autograd) and activations.

Every combination of ``weight``, ``ignore_index``, ``label_smoothing``, ``reduction`` and
target kind is checked on random shapes (seeded, so every run sees the same cases), to a
largest absolute difference of 1e-12.
"""

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from conftest import (
    assert_close_to_torch,
    random_distributions,
    random_logits,
    torch_apply,
    torch_bce_with_logits,
    torch_binary_cross_entropy,
    torch_cross_entropy,
    torch_nll_loss,
)

import xent_lessons as xl

REDUCTIONS = ("mean", "sum", "none")
SEEDS = (0, 1, 2)
IGNORE_VALUE = -1  # a non-default ignore_index (the default is -100)


def _index_case(seed, ignore_mode, weighted, dtype=np.float64, shape=None):
    """Random logits and class-index targets; ``ignore_mode`` says which rows are ignored.

    "default": ignore_index left at -100, no row ignored.
    "unused": ignore_index=-1 given, but no row has it.
    "some": ignore_index=-1 on some rows (at least one, never all).
    "all": every row ignored (the mean is 0 / 0 = NaN in PyTorch; its gradient is 0).
    """
    rng = np.random.default_rng(seed)
    n, c = shape if shape is not None else (int(rng.integers(1, 8)), int(rng.integers(2, 7)))
    if ignore_mode == "some" and n == 1:
        n = 3
    logits = random_logits(rng, n, c, dtype)
    target = rng.integers(0, c, n)
    kwargs = {}
    if ignore_mode != "default":
        kwargs["ignore_index"] = IGNORE_VALUE
    if ignore_mode == "some":
        rows = rng.permutation(n)[: max(1, n // 3)]
        target[rows] = IGNORE_VALUE
    elif ignore_mode == "all":
        target[:] = IGNORE_VALUE
    if weighted:
        kwargs["weight"] = rng.uniform(0.2, 3.0, c)
    return logits, target, kwargs


def _check_ce_against_torch(logits, target, loss_rtol=0.0, **kwargs):
    expected_loss, expected_grad = torch_cross_entropy(logits, target, **kwargs)
    loss = xl.categorical_cross_entropy(logits, target, **kwargs)
    grad = xl.categorical_cross_entropy_grad(logits, target, **kwargs)
    fused_loss, fused_grad = xl.categorical_cross_entropy_grad(
        logits, target, return_loss=True, **kwargs
    )
    assert_close_to_torch(loss, expected_loss, rtol=loss_rtol)
    assert_close_to_torch(grad, expected_grad)
    assert_close_to_torch(fused_loss, expected_loss, rtol=loss_rtol)
    np.testing.assert_array_equal(fused_grad, grad)
    return loss, grad


# --------------------------------------------------------------- categorical (logits)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("ignore_mode", ["default", "unused", "some", "all"])
def test_cross_entropy_index_targets_match_torch(
    ignore_mode, weighted, label_smoothing, reduction, seed
):
    logits, target, kwargs = _index_case(seed, ignore_mode, weighted)
    _, grad = _check_ce_against_torch(
        logits, target, reduction=reduction, label_smoothing=label_smoothing, **kwargs
    )
    ignored = target == IGNORE_VALUE
    assert np.all(grad[ignored] == 0)
    assert np.any(grad[~ignored] != 0) or ignore_mode == "all"


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("with_zeros", [False, True], ids=["dense", "with-zeros"])
def test_cross_entropy_probability_targets_match_torch(
    with_zeros, weighted, label_smoothing, reduction, seed
):
    rng = np.random.default_rng(100 + seed)
    n, c = int(rng.integers(1, 8)), int(rng.integers(2, 7))
    logits = random_logits(rng, n, c)
    target = random_distributions(rng, n, c, with_zeros=with_zeros)
    weight = rng.uniform(0.2, 3.0, c) if weighted else None
    _check_ce_against_torch(
        logits, target, weight=weight, reduction=reduction, label_smoothing=label_smoothing
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_cross_entropy_ignore_index_that_is_a_real_class_matches_torch(
    weighted, label_smoothing, reduction
):
    logits, target, kwargs = _index_case(7, "default", weighted, shape=(9, 4))
    target[:3] = 2  # rows of class 2 are ignored: it is the ignore_index
    _, grad = _check_ce_against_torch(
        logits,
        target,
        ignore_index=2,
        reduction=reduction,
        label_smoothing=label_smoothing,
        **kwargs,
    )
    assert np.all(grad[target == 2] == 0)


@pytest.mark.parametrize(
    ("reduction", "label_smoothing", "ignore_mode"),
    [("mean", 0.1, "some"), ("sum", 0.0, "default"), ("none", 0.3, "some")],
)
def test_cross_entropy_large_batch_in_many_chunks_matches_torch(
    reduction, label_smoothing, ignore_mode
):
    """(1200, 1000) logits: many cache-sized chunks and more than one worker thread.

    A sum over 1200 rows is about 2e4, where one ulp is 3.6e-12 and the order of the
    additions (ours versus torch's) decides the last bits: the reduced loss is compared
    to a few ulps, relative. Per-row losses and every gradient entry still meet 1e-12.
    """
    logits, target, kwargs = _index_case(3, ignore_mode, True, shape=(1200, 1000))
    _check_ce_against_torch(
        logits,
        target,
        loss_rtol=4 * np.finfo(np.float64).eps,
        reduction=reduction,
        label_smoothing=label_smoothing,
        **kwargs,
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("label_smoothing", [0.0, 0.25])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("target_kind", ["index", "probs"])
def test_cross_entropy_single_sample_matches_torch(
    target_kind, weighted, label_smoothing, reduction
):
    rng = np.random.default_rng(5)
    logits = 2.0 * rng.standard_normal(5)
    target = np.int64(3) if target_kind == "index" else random_distributions(rng, 1, 5)[0]
    weight = rng.uniform(0.5, 2.0, 5) if weighted else None
    loss, grad = _check_ce_against_torch(
        logits, target, weight=weight, reduction=reduction, label_smoothing=label_smoothing
    )
    assert isinstance(loss, float)
    assert grad.shape == (5,)


def test_cross_entropy_single_sample_accepts_python_int_target():
    logits = np.array([0.3, -1.2, 2.0])
    expected_loss, expected_grad = torch_cross_entropy(logits, np.int64(1))
    assert_close_to_torch(xl.categorical_cross_entropy(logits, 1), expected_loss)
    assert_close_to_torch(xl.categorical_cross_entropy_grad(logits, 1), expected_grad)


def test_cross_entropy_with_minus_inf_logits_matches_torch():
    logits = np.array([[0.5, -np.inf, 2.0], [-np.inf, 1.0, -3.0], [4.0, 0.0, -np.inf]])
    target = np.array([0, 2, 1])
    _check_ce_against_torch(logits, target, reduction="none")
    _check_ce_against_torch(logits, target, weight=[1.0, 2.0, 0.5])


# ----------------------------------------------------------------------------- nll


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("ignore_mode", ["default", "unused", "some", "all"])
def test_nll_loss_matches_torch(ignore_mode, weighted, reduction, seed):
    logits, target, kwargs = _index_case(seed, ignore_mode, weighted)
    log_probs = xl.log_softmax(logits)
    expected = torch_nll_loss(log_probs, target, reduction=reduction, **kwargs)
    assert_close_to_torch(xl.nll_loss(log_probs, target, reduction=reduction, **kwargs), expected)


def test_nll_loss_single_sample_matches_torch():
    log_probs = np.log([0.2, 0.5, 0.3])
    expected = torch_nll_loss(log_probs, np.int64(1), weight=[1.0, 3.0, 2.0])
    assert_close_to_torch(xl.nll_loss(log_probs, 1, weight=[1.0, 3.0, 2.0]), expected)


# -------------------------------------------------------------------------- binary


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight_kind", [None, "per-element", "per-column"])
def test_binary_cross_entropy_matches_torch(weight_kind, reduction, seed):
    rng = np.random.default_rng(200 + seed)
    shape = (int(rng.integers(1, 6)), int(rng.integers(1, 5)))
    probs = rng.uniform(0.001, 0.999, shape)
    probs.flat[0] = 0.0  # exact 0 and 1: the log is clamped at -100, as in torch
    probs.flat[-1] = 1.0
    target = rng.integers(0, 2, shape).astype(np.float64)
    target.flat[: shape[1]] = rng.random(shape[1])  # some soft targets
    weight = {
        None: None,
        "per-element": rng.uniform(0.1, 2.0, shape),
        "per-column": rng.uniform(0.1, 2.0, shape[1]),
    }[weight_kind]
    expected = torch_binary_cross_entropy(probs, target, weight=weight, reduction=reduction)
    ours = xl.binary_cross_entropy(probs, target, weight=weight, reduction=reduction)
    assert_close_to_torch(ours, expected)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("pos_weighted", [False, True], ids=["no-pos-weight", "pos-weight"])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_binary_cross_entropy_with_logits_and_grad_match_torch(
    weighted, pos_weighted, reduction, seed
):
    rng = np.random.default_rng(300 + seed)
    shape = (int(rng.integers(1, 6)), int(rng.integers(1, 5)))
    logits = 4.0 * rng.standard_normal(shape)
    target = rng.integers(0, 2, shape).astype(np.float64)
    target.flat[0] = rng.random()  # a soft target
    kwargs = {
        "weight": rng.uniform(0.1, 2.0, shape) if weighted else None,
        "pos_weight": rng.uniform(0.5, 4.0, shape[1]) if pos_weighted else None,
        "reduction": reduction,
    }
    expected_loss, expected_grad = torch_bce_with_logits(logits, target, **kwargs)
    assert_close_to_torch(xl.binary_cross_entropy_with_logits(logits, target, **kwargs), expected_loss)
    grad = xl.binary_cross_entropy_with_logits_grad(logits, target, **kwargs)
    assert_close_to_torch(grad, expected_grad)
    fused_loss, fused_grad = xl.binary_cross_entropy_with_logits_grad(
        logits, target, return_loss=True, **kwargs
    )
    assert_close_to_torch(fused_loss, expected_loss)
    np.testing.assert_array_equal(fused_grad, grad)


@pytest.mark.parametrize("pos_weighted", [False, True], ids=["no-pos-weight", "pos-weight"])
def test_binary_cross_entropy_with_logits_at_minus_inf(pos_weighted):
    """A ``-inf`` logit is a certain negative: loss 0 for target 0, ``inf`` for any t > 0.

    PyTorch returns NaN for all three (it computes -inf + inf), so the loss is checked
    against those limits and only the finite parts and the gradient against torch.
    """
    logits = np.array([-np.inf, -np.inf, -np.inf, 2.0, -3.0])
    target = np.array([0.0, 1.0, 0.5, 1.0, 0.0])
    pos_weight = np.array([2.5]) if pos_weighted else None
    expected_loss, expected_grad = torch_bce_with_logits(
        logits, target, pos_weight=pos_weight, reduction="none"
    )
    loss = xl.binary_cross_entropy_with_logits(
        logits, target, pos_weight=pos_weight, reduction="none"
    )
    grad = xl.binary_cross_entropy_with_logits_grad(
        logits, target, pos_weight=pos_weight, reduction="none"
    )
    np.testing.assert_array_equal(loss[:3], [0.0, np.inf, np.inf])
    assert_close_to_torch(loss[3:], expected_loss[3:])
    assert_close_to_torch(grad, expected_grad)
    mean_of_two = xl.binary_cross_entropy_with_logits(
        logits[[0, 3]], target[[0, 3]], pos_weight=pos_weight
    )
    assert mean_of_two == pytest.approx(expected_loss[3] / 2, abs=1e-15)


# --------------------------------------------------------------------- activations


def _activation_input(seed, with_minus_inf=False):
    rng = np.random.default_rng(400 + seed)
    shape = tuple(int(s) for s in rng.integers(1, 6, size=int(rng.integers(1, 4))))
    z = 5.0 * rng.standard_normal(shape)
    if with_minus_inf and z.size > 1:
        z.flat[rng.integers(0, z.size)] = -np.inf
    return z


def _axes(z):
    return sorted({-1, *range(z.ndim)})


@pytest.mark.parametrize(("seed", "with_minus_inf"), list(itertools.product(range(4), [False, True])))
def test_softmax_log_softmax_and_logsumexp_match_torch_on_every_axis(seed, with_minus_inf):
    z = _activation_input(seed, with_minus_inf)
    for axis in _axes(z):
        if np.any(np.all(np.isneginf(z), axis=axis)):
            continue  # an all -inf row: rejected (tested in test_bad_input.py)
        assert_close_to_torch(xl.softmax(z, axis=axis), torch_apply(torch.softmax, z, axis))
        assert_close_to_torch(
            xl.log_softmax(z, axis=axis), torch_apply(torch.log_softmax, z, axis)
        )
        assert_close_to_torch(
            xl.logsumexp(z, axis=axis), torch_apply(torch.logsumexp, z, axis)
        )


@pytest.mark.parametrize("temperature", [0.1, 0.5, 2.0, 10.0])
def test_softmax_with_temperature_matches_torch_on_scaled_logits(temperature):
    z = _activation_input(1)
    assert_close_to_torch(
        xl.softmax(z, temperature=temperature), torch_apply(torch.softmax, z / temperature, -1)
    )
    assert_close_to_torch(
        xl.log_softmax(z, temperature=temperature),
        torch_apply(torch.log_softmax, z / temperature, -1),
    )


def test_sigmoid_and_log_sigmoid_match_torch():
    z = np.concatenate(
        [
            np.linspace(-60, 60, 241),
            [-1e4, -745.0, -710.0, -36.0, -1e-9, 0.0, 1e-9, 36.0, 710.0, 1e4, -np.inf],
        ]
    )
    assert_close_to_torch(xl.sigmoid(z), torch_apply(torch.sigmoid, z))
    assert_close_to_torch(xl.log_sigmoid(z), torch_apply(F.logsigmoid, z))


# ------------------------------------------------------------------------- float32


def test_float32_losses_and_gradients_stay_float32_and_match_torch():
    rng = np.random.default_rng(9)
    logits = random_logits(rng, 6, 4, np.float32)
    target = rng.integers(0, 4, 6)
    probs_target = random_distributions(rng, 6, 4, np.float32)
    weight = rng.uniform(0.5, 2.0, 4).astype(np.float32)
    for tgt in (target, probs_target):
        for kwargs in ({}, {"weight": weight, "label_smoothing": 0.1}):
            expected_loss, expected_grad = torch_cross_entropy(
                logits, tgt, reduction="none", **kwargs
            )
            loss = xl.categorical_cross_entropy(logits, tgt, reduction="none", **kwargs)
            grad = xl.categorical_cross_entropy_grad(logits, tgt, reduction="none", **kwargs)
            assert loss.dtype == np.float32 and grad.dtype == np.float32
            assert_close_to_torch(loss, expected_loss, atol=1e-6, rtol=1e-5)
            assert_close_to_torch(grad, expected_grad, atol=1e-6, rtol=1e-5)

    log_probs = xl.log_softmax(logits)
    assert log_probs.dtype == np.float32
    nll = xl.nll_loss(log_probs, target, reduction="none")
    assert nll.dtype == np.float32
    assert_close_to_torch(nll, torch_nll_loss(log_probs, target, reduction="none"), atol=1e-6)

    x = logits[:, 0]
    t = (target % 2).astype(np.float32)
    pos_weight = np.float32([2.0])
    expected_loss, expected_grad = torch_bce_with_logits(
        x, t, pos_weight=pos_weight, reduction="none"
    )
    loss = xl.binary_cross_entropy_with_logits(x, t, pos_weight=pos_weight, reduction="none")
    grad = xl.binary_cross_entropy_with_logits_grad(x, t, pos_weight=pos_weight, reduction="none")
    assert loss.dtype == np.float32 and grad.dtype == np.float32
    assert_close_to_torch(loss, expected_loss, atol=1e-6, rtol=1e-5)
    assert_close_to_torch(grad, expected_grad, atol=1e-6, rtol=1e-5)

    p = xl.sigmoid(x)
    bce = xl.binary_cross_entropy(p, t, reduction="none")
    assert p.dtype == np.float32 and bce.dtype == np.float32
    assert_close_to_torch(bce, torch_binary_cross_entropy(p, t, reduction="none"), atol=1e-5)


def test_float32_activations_stay_float32_and_match_torch():
    z = random_logits(np.random.default_rng(10), 5, 7, np.float32)
    cases = [
        (xl.softmax(z), torch_apply(torch.softmax, z, -1)),
        (xl.softmax(z, temperature=2.0), torch_apply(torch.softmax, z / 2, -1)),
        (xl.log_softmax(z), torch_apply(torch.log_softmax, z, -1)),
        (xl.logsumexp(z), torch_apply(torch.logsumexp, z, -1)),
        (xl.logsumexp(z, axis=0), torch_apply(torch.logsumexp, z, 0)),
        (xl.sigmoid(z), torch_apply(torch.sigmoid, z)),
        (xl.log_sigmoid(z), torch_apply(F.logsigmoid, z)),
    ]
    for ours, theirs in cases:
        assert ours.dtype == np.float32
        assert_close_to_torch(ours, theirs, atol=1e-6, rtol=1e-6)


def test_float32_information_measures_stay_float32():
    p = np.float32([[0.25, 0.25, 0.5], [0.7, 0.2, 0.1]])
    q = np.float32([[0.5, 0.25, 0.25], [0.6, 0.3, 0.1]])
    surprisal = xl.surprisal(p, base=2)
    assert surprisal.dtype == np.float32
    np.testing.assert_allclose(surprisal, -np.log2(p.astype(np.float64)), rtol=1e-6)
    for fn, args in ((xl.entropy, (p,)), (xl.cross_entropy, (p, q)), (xl.kl_divergence, (p, q))):
        out = fn(*args)
        assert out.dtype == np.float32, fn.__name__
        assert out.shape == (2,)
