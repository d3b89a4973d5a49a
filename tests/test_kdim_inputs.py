"""K-dimensional inputs, classes on dim 1: logits ``(N, C, d1, ..., dk)``, as in PyTorch.

A sequence model's ``(batch, vocab, time)`` output goes in as it is, with ``(batch, time)``
class-index targets or probability targets of the logits' shape. Every option
(``weight``, ``ignore_index``, ``label_smoothing``, each reduction) is compared with
``torch.nn.functional.cross_entropy`` / ``nll_loss`` and autograd, computed in the same
test: float64 to 1e-12, float32 to float32's tolerance.
"""

import numpy as np
import pytest
from conftest import (
    assert_close_to_torch,
    random_distributions,
    torch_cross_entropy,
    torch_nll_loss,
)

import xent_lessons as xl

REDUCTIONS = ("mean", "sum", "none")
# (N, C, d1, ..., dk): a sequence batch, an image batch, one step, a single class position.
SHAPES = [(3, 5, 4), (2, 4, 3, 2), (1, 3, 1), (4, 2, 6), (2, 3, 2, 1, 2)]
IGNORE = -1


def _logits(rng, shape, dtype=np.float64):
    return (3.0 * rng.standard_normal(shape)).astype(dtype)


def _index_target(rng, shape, ignored):
    n_classes = shape[1]
    target = rng.integers(0, n_classes, (shape[0], *shape[2:]))
    if ignored and target.size > 1:
        target.flat[:: max(2, target.size // 3)] = IGNORE
    return target


def _probability_target(rng, shape, dtype=np.float64):
    """Distributions along dim 1, some with exact zeros."""
    rows = random_distributions(rng, int(np.prod(shape)) // shape[1], shape[1], dtype, True)
    moved = rows.reshape(shape[0], *shape[2:], shape[1])
    return np.ascontiguousarray(np.moveaxis(moved, -1, 1))


def _check_against_torch(logits, target, atol=1e-12, rtol=0.0, loss_rtol=None, **kwargs):
    expected_loss, expected_grad = torch_cross_entropy(logits, target, **kwargs)
    loss = xl.categorical_cross_entropy(logits, target, **kwargs)
    grad = xl.categorical_cross_entropy_grad(logits, target, **kwargs)
    fused_loss, fused_grad = xl.categorical_cross_entropy_grad(
        logits, target, return_loss=True, **kwargs
    )
    loss_rtol = rtol if loss_rtol is None else loss_rtol
    assert_close_to_torch(loss, expected_loss, atol=atol, rtol=loss_rtol)
    assert_close_to_torch(fused_loss, expected_loss, atol=atol, rtol=loss_rtol)
    assert_close_to_torch(grad, expected_grad, atol=atol, rtol=rtol)
    np.testing.assert_array_equal(fused_grad, grad)
    assert grad.shape == np.shape(logits) and grad.dtype == np.asarray(logits).dtype
    return loss, grad


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("ignored", [False, True], ids=["all-count", "some-ignored"])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_index_targets_match_torch(shape, ignored, weighted, label_smoothing, reduction):
    rng = np.random.default_rng(sum(shape))
    logits = _logits(rng, shape)
    target = _index_target(rng, shape, ignored)
    kwargs = {"reduction": reduction, "label_smoothing": label_smoothing}
    if ignored:
        kwargs["ignore_index"] = IGNORE
    if weighted:
        kwargs["weight"] = rng.uniform(0.2, 3.0, shape[1])
    loss, grad = _check_against_torch(logits, target, **kwargs)
    if reduction == "none":
        assert loss.shape == target.shape  # (N, d1, ..., dk)
    ignored_positions = np.moveaxis(grad, 1, -1)[target == IGNORE]
    assert np.all(ignored_positions == 0)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("label_smoothing", [0.0, 0.3])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_probability_targets_match_torch(shape, weighted, label_smoothing, reduction):
    rng = np.random.default_rng(100 + sum(shape))
    logits = _logits(rng, shape)
    target = _probability_target(rng, shape)
    weight = rng.uniform(0.2, 3.0, shape[1]) if weighted else None
    loss, _ = _check_against_torch(
        logits, target, weight=weight, reduction=reduction, label_smoothing=label_smoothing
    )
    if reduction == "none":
        assert loss.shape == (shape[0], *shape[2:])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_nll_loss_matches_torch(shape, weighted, reduction):
    rng = np.random.default_rng(200 + sum(shape))
    log_probs = xl.log_softmax(_logits(rng, shape), axis=1)
    target = _index_target(rng, shape, ignored=True)
    weight = rng.uniform(0.2, 3.0, shape[1]) if weighted else None
    expected = torch_nll_loss(
        log_probs, target, weight=weight, ignore_index=IGNORE, reduction=reduction
    )
    ours = xl.nll_loss(log_probs, target, weight=weight, ignore_index=IGNORE, reduction=reduction)
    assert_close_to_torch(ours, expected)


def test_a_sequence_models_batch_vocab_time_output_goes_in_as_it_is():
    """(batch, time, vocab) scores transposed to (batch, vocab, time), a view, not a copy."""
    rng = np.random.default_rng(1)
    batch, time, vocab = 4, 7, 11
    scores = rng.standard_normal((batch, time, vocab))
    logits = scores.transpose(0, 2, 1)  # (batch, vocab, time), not C-contiguous
    target = rng.integers(0, vocab, (batch, time))
    target[:, -2:] = -100  # padding at the end of every sequence
    loss, grad = _check_against_torch(logits, target, reduction="mean")
    per_step = xl.categorical_cross_entropy(logits, target, reduction="none")
    assert per_step.shape == (batch, time)
    assert np.all(per_step[:, -2:] == 0)
    # The same numbers as rows with the classes last, the 2-D form.
    rows_loss = xl.categorical_cross_entropy(scores.reshape(-1, vocab), target.reshape(-1))
    assert loss == pytest.approx(rows_loss, rel=1e-14)
    rows_grad = xl.categorical_cross_entropy_grad(scores.reshape(-1, vocab), target.reshape(-1))
    np.testing.assert_allclose(
        grad.transpose(0, 2, 1).reshape(-1, vocab), rows_grad, rtol=0, atol=1e-16
    )


@pytest.mark.parametrize("target_kind", ["index", "probs"])
def test_float32_kdim_matches_torch_and_stays_float32(target_kind):
    rng = np.random.default_rng(2)
    shape = (3, 6, 5)
    logits = _logits(rng, shape, np.float32)
    if target_kind == "index":
        target = _index_target(rng, shape, ignored=False)
    else:
        target = _probability_target(rng, shape, np.float32)
    for kwargs in ({}, {"weight": rng.uniform(0.5, 2, 6).astype(np.float32), "label_smoothing": 0.1}):
        loss, grad = _check_against_torch(
            logits, target, atol=1e-6, rtol=1e-5, reduction="none", **kwargs
        )
        assert loss.dtype == np.float32 and grad.dtype == np.float32


@pytest.mark.parametrize(
    ("reduction", "label_smoothing"), [("mean", 0.1), ("sum", 0.0), ("none", 0.2)]
)
def test_large_kdim_batch_in_many_chunks_matches_torch(reduction, label_smoothing):
    """(4, 1000, 300): 1200 positions of 1000 classes, more than one chunk and thread."""
    rng = np.random.default_rng(3)
    shape = (4, 1000, 300)
    logits = _logits(rng, shape)
    target = _index_target(rng, shape, ignored=True)
    _check_against_torch(
        logits,
        target,
        loss_rtol=4 * np.finfo(np.float64).eps,
        weight=rng.uniform(0.5, 2.0, 1000),
        ignore_index=IGNORE,
        reduction=reduction,
        label_smoothing=label_smoothing,
    )


def test_minus_inf_logits_in_kdim_input_match_torch():
    logits = np.array([[[0.5, -np.inf], [-np.inf, 1.0], [2.0, -3.0]]])  # (1, 3, 2)
    target = np.array([[0, 2]])
    _check_against_torch(logits, target, reduction="none")


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda z: xl.categorical_cross_entropy(z, np.zeros((2, 3), int)), r"target must have shape \(2, 4\), the logits' shape without its class axis"),
        (lambda z: xl.categorical_cross_entropy(z, np.zeros((2,), int)), r"target must have shape \(2, 4\)"),
        (lambda z: xl.categorical_cross_entropy_grad(z, np.zeros((2, 4, 1), int)), r"target must have shape \(2, 4\)"),
        (lambda z: xl.nll_loss(z, np.zeros((4, 2), int)), r"target must have shape \(2, 4\)"),
        (lambda z: xl.categorical_cross_entropy(z, np.full((2, 4), 3)), r"target holds class index 3, out of range for 3 classes"),
        (lambda z: xl.categorical_cross_entropy(z, np.full((2, 4, 3), 1 / 3)), r"target of class probabilities must have the logits' shape \(2, 3, 4\); got \(2, 4, 3\)"),
        (lambda z: xl.categorical_cross_entropy(z, np.full((2, 3, 4), 0.5)), r"target must sum to 1 along axis 1"),
        (lambda z: xl.categorical_cross_entropy(z, np.zeros((2, 4))), r"target of class probabilities must have the logits' shape .*use target.astype\(int\)"),
        (lambda z: xl.categorical_cross_entropy(z, np.zeros((2, 4), int), weight=np.ones(4)), r"weight must have shape \(3,\)"),
    ],
    ids=["too-short", "2d-target", "extra-dim", "nll-swapped", "index-range", "probs-classes-last", "probs-not-summing", "float-indices", "weight"],
)
def test_kdim_shape_errors_name_the_expected_shape(call, match):
    logits = np.zeros((2, 3, 4))  # (N, C, T) = 2 sequences, 3 classes, 4 steps
    with pytest.raises(ValueError, match=match):
        call(logits)
