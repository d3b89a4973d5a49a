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
# Up to 15 positions per sample the classes are moved last (rows); from 16 on
# (MIN_COLUMNS) the middle-axis kernels work on the columns in place.
SHAPES = [(3, 5, 4), (2, 4, 3, 2), (1, 3, 1), (4, 2, 6), (2, 3, 2, 1, 2)]
MIDDLE_AXIS_SHAPES = [(2, 5, 17), (3, 4, 4, 5), (1, 3, 40)]
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
@pytest.mark.parametrize("shape", SHAPES + MIDDLE_AXIS_SHAPES, ids=str)
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
@pytest.mark.parametrize("shape", SHAPES + MIDDLE_AXIS_SHAPES, ids=str)
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
    wide = np.repeat(logits, 10, axis=2)  # 20 positions: the middle-axis kernels
    _check_against_torch(wide, np.repeat(target, 10, axis=1), reduction="none")


@pytest.mark.parametrize("reduction", ["mean", "none"])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
def test_a_long_class_axis_summed_in_class_chunks_matches_torch(label_smoothing, reduction):
    """(1, 20000, 20) float64: one sample is 3.2 MB, so the kernels take its 20,000
    classes in contiguous chunks of 6,553 and add up the sums chunk by chunk."""
    rng = np.random.default_rng(4)
    logits = _logits(rng, (1, 20000, 20))
    target = _index_target(rng, (1, 20000, 20), ignored=True)
    _check_against_torch(
        logits,
        target,
        loss_rtol=4 * np.finfo(np.float64).eps,
        weight=rng.uniform(0.5, 2.0, 20000),
        ignore_index=IGNORE,
        reduction=reduction,
        label_smoothing=label_smoothing,
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
def test_extreme_and_confident_positions_match_the_row_kernels(dtype, label_smoothing):
    """Positions whose exp overflows (1e4), underflows (-1e4) or whose target is certain
    (a loss of 3.7e-44) are redone with the max shift or from r with log1p: the numbers
    are those of the row kernels, which tests/test_accuracy_mpmath.py checks exactly."""
    rng = np.random.default_rng(5)
    logits = rng.normal(0, 2, (3, 6, 20)).astype(dtype)
    target = rng.integers(0, 6, (3, 20))
    logits[0, :, 3] += dtype(1e4)  # exp overflows
    logits[1, :, 5] -= dtype(1e4)  # every exp underflows
    logits[2, target[2, 7], 7] = 100.0  # a certain target: loss ~ 6 exp(-100)
    logits[2, :, 8] = [1e4, -1e4, 0, 1, 2, 3]
    target[2, 8] = 0
    rows = np.ascontiguousarray(np.moveaxis(logits, 1, -1)).reshape(-1, 6)
    kwargs = {"label_smoothing": label_smoothing, "reduction": "none"}
    loss, grad = xl.categorical_cross_entropy_grad(logits, target, return_loss=True, **kwargs)
    row_loss, row_grad = xl.categorical_cross_entropy_grad(rows, target.reshape(-1), return_loss=True, **kwargs)
    assert loss[2, 7] > 0 and loss[2, 7] < 1e-40 if label_smoothing == 0 else True
    np.testing.assert_allclose(loss.reshape(-1), row_loss, rtol=8 * np.finfo(dtype).eps, atol=0)
    # Entries that come out of a cancellation (q_c against the smoothing's eps / C) are
    # compared to the gradient's scale: the kernels round exp(z) and exp(z - max) apart.
    eps = np.finfo(dtype).eps
    np.testing.assert_allclose(
        np.moveaxis(grad, 1, -1).reshape(-1, 6), row_grad, rtol=16 * eps, atol=16 * eps
    )
    forward = xl.categorical_cross_entropy(logits, target, **kwargs)
    np.testing.assert_allclose(forward.reshape(-1), row_loss, rtol=8 * np.finfo(dtype).eps, atol=0)


@pytest.mark.parametrize(
    ("value", "match"),
    [(np.nan, r"logits contains NaN"), (np.inf, r"logits contains \+inf"), (-np.inf, r"logits has a row whose entries are all -inf")],
    ids=["nan", "plus-inf", "all-minus-inf"],
)
@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
@pytest.mark.parametrize("fn", [xl.categorical_cross_entropy, xl.categorical_cross_entropy_grad])
def test_bad_logits_in_the_middle_axis_kernels_raise_the_row_kernels_errors(fn, label_smoothing, value, match):
    logits = np.zeros((2, 3, 20))
    if value == -np.inf:
        logits[1, :, 4] = value  # a whole column: no class possible
    else:
        logits[1, 2, 4] = value
    with pytest.raises(ValueError, match=match):
        fn(logits, np.zeros((2, 20), int), label_smoothing=label_smoothing)


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


@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
def test_a_confident_model_everywhere_matches_the_row_kernels(label_smoothing):
    """A trained model is confident at almost every position: a loss of about e^-20 each,
    which only r = sum exp(z_c - z_y) and log1p keep. The middle-axis kernels then redo
    whole blocks for r (they gather single columns when few positions need it)."""
    rng = np.random.default_rng(6)
    logits = rng.normal(0, 1, (4, 5, 30))
    target = rng.integers(0, 5, (4, 30))
    np.put_along_axis(logits, target[:, None, :], 20.0, axis=1)
    rows = np.ascontiguousarray(np.moveaxis(logits, 1, -1)).reshape(-1, 5)
    kwargs = {"label_smoothing": label_smoothing, "reduction": "none"}
    loss, grad = xl.categorical_cross_entropy_grad(logits, target, return_loss=True, **kwargs)
    row_loss, row_grad = xl.categorical_cross_entropy_grad(rows, target.reshape(-1), return_loss=True, **kwargs)
    eps = np.finfo(np.float64).eps
    np.testing.assert_allclose(loss.reshape(-1), row_loss, rtol=8 * eps, atol=0)
    np.testing.assert_allclose(xl.categorical_cross_entropy(logits, target, **kwargs).reshape(-1), row_loss, rtol=8 * eps, atol=0)
    at_target = np.take_along_axis(grad, target[:, None, :], axis=1).reshape(-1)
    np.testing.assert_allclose(at_target, row_grad[np.arange(120), target.reshape(-1)], rtol=8 * eps, atol=0)
    if label_smoothing == 0:
        assert np.all(loss < 1e-7) and np.all(loss > 0)
