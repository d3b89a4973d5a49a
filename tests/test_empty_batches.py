"""Empty batches have PyTorch's semantics: a mean of NaN, a sum of 0, an empty ``"none"``.

``N = 0``, or a K-dimensional trailing dimension of size 0, is a batch with no positions;
the softmax family of an empty axis is what torch and SciPy define (an empty softmax, a
``logsumexp`` of ``-inf``). Each case is compared with torch, computed in the same test.
"""

import math

import numpy as np
import pytest
import torch
from conftest import assert_close_to_torch, torch_apply, torch_bce_with_logits, torch_cross_entropy

import xent_lessons as xl

REDUCTIONS = ("mean", "sum", "none")


def _assert_reduced_like_torch(ours, theirs, reduction):
    theirs = np.asarray(theirs)
    if reduction == "none":
        assert isinstance(ours, np.ndarray) and ours.shape == theirs.shape and ours.size == 0
    elif reduction == "sum":
        assert ours == 0.0 and theirs == 0.0
    else:
        assert math.isnan(ours) and np.isnan(theirs)


EMPTY_LOGIT_SHAPES = [(0, 4), (0, 4, 3), (2, 4, 0), (3, 4, 2, 0)]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(
    "kwargs",
    [{}, {"weight": [1.0, 2.0, 0.5, 1.0], "label_smoothing": 0.1}, {"ignore_index": 1}],
    ids=["plain", "weighted-smoothed", "ignore-index"],
)
@pytest.mark.parametrize("shape", EMPTY_LOGIT_SHAPES, ids=str)
def test_cross_entropy_of_an_empty_batch_of_index_targets_matches_torch(shape, kwargs, reduction):
    logits = np.empty(shape)
    target = np.empty((shape[0], *shape[2:]), dtype=np.int64)
    kwargs = {**kwargs, "reduction": reduction}
    if "weight" in kwargs:
        kwargs["weight"] = np.array(kwargs["weight"])
    expected_loss, expected_grad = torch_cross_entropy(logits, target, **kwargs)
    _assert_reduced_like_torch(xl.categorical_cross_entropy(logits, target, **kwargs), expected_loss, reduction)
    loss, grad = xl.categorical_cross_entropy_grad(logits, target, return_loss=True, **kwargs)
    _assert_reduced_like_torch(loss, expected_loss, reduction)
    assert grad.shape == expected_grad.shape == shape
    _assert_reduced_like_torch(
        xl.nll_loss(logits, target, **{k: v for k, v in kwargs.items() if k != "label_smoothing"}),
        expected_loss,
        reduction,
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(0, 4), (2, 4, 0)], ids=str)
def test_cross_entropy_of_an_empty_batch_of_probability_targets_matches_torch(shape, reduction):
    logits = np.empty(shape)
    target = np.empty(shape)
    expected_loss, expected_grad = torch_cross_entropy(logits, target, reduction=reduction)
    loss, grad = xl.categorical_cross_entropy_grad(
        logits, target, reduction=reduction, return_loss=True
    )
    _assert_reduced_like_torch(loss, expected_loss, reduction)
    assert grad.shape == expected_grad.shape


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(0,), (0, 3), (2, 0)], ids=str)
def test_binary_cross_entropy_of_an_empty_batch_matches_torch(shape, reduction):
    empty = np.empty(shape)
    expected_loss, expected_grad = torch_bce_with_logits(empty, empty, reduction=reduction)
    _assert_reduced_like_torch(
        xl.binary_cross_entropy_with_logits(empty, empty, reduction=reduction), expected_loss, reduction
    )
    loss, grad = xl.binary_cross_entropy_with_logits_grad(
        empty, empty, pos_weight=np.ones(shape[-1]), reduction=reduction, return_loss=True
    )
    _assert_reduced_like_torch(loss, expected_loss, reduction)
    assert grad.shape == expected_grad.shape
    torch_bce = torch.nn.functional.binary_cross_entropy(
        torch.from_numpy(empty), torch.from_numpy(empty), reduction=reduction
    )
    _assert_reduced_like_torch(xl.binary_cross_entropy(empty, empty, reduction=reduction), torch_bce.numpy(), reduction)


@pytest.mark.parametrize(("shape", "axis"), [((2, 0), -1), ((2, 0), 0), ((0, 3), -1), ((0, 3), 0), ((0,), 0), ((2, 0, 3), 1)])
def test_softmax_family_of_an_empty_axis_or_batch_matches_torch(shape, axis):
    z = np.empty(shape)
    for ours, theirs in [
        (xl.softmax(z, axis=axis), torch_apply(torch.softmax, z, axis)),
        (xl.log_softmax(z, axis=axis, temperature=0.5), torch_apply(torch.log_softmax, z, axis)),
        (xl.logsumexp(z, axis=axis), torch_apply(torch.logsumexp, z, axis)),
    ]:
        assert_close_to_torch(ours, theirs)  # same shape; -inf where torch has -inf


def test_logsumexp_of_an_empty_axis_is_minus_inf_as_in_scipy_and_torch():
    assert xl.logsumexp([]) == -np.inf
    np.testing.assert_array_equal(xl.logsumexp(np.empty((3, 0))), [-np.inf] * 3)
    assert xl.logsumexp(np.empty((3, 0), np.float32)).dtype == np.float32


def test_elementwise_functions_and_batches_of_distributions_keep_an_empty_shape():
    for out in (xl.sigmoid(np.empty((0, 2))), xl.log_sigmoid([]), xl.surprisal(np.empty((2, 0)))):
        assert out.size == 0
    empty_batch = np.empty((0, 3))
    for out in (
        xl.entropy(empty_batch),
        xl.cross_entropy(empty_batch, empty_batch),
        xl.kl_divergence(empty_batch, empty_batch),
    ):
        assert out.shape == (0,)
