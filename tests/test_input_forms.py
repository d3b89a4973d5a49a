"""What every function accepts besides NumPy arrays, and the inputs it refuses with advice.

- PyTorch tensors, also with ``requires_grad=True`` (a model's output, or a softmax used
  as a soft target) or as ``nn.Parameter``: read as their values, everywhere.
- Masked arrays with masked entries: refused (NumPy's math would use the masked values),
  with what to do instead; ragged lists: refused, naming the argument.
- Unsigned class indices: range-checked before any cast (no wrap-around to ignore_index).
- Infinite weights: refused by every loss alike.
- Distributions that sum to 1 only to their own precision (float16, float32): accepted.
"""

import math

import numpy as np
import pytest
import torch
from conftest import assert_close_to_torch, torch_cross_entropy

import xent_lessons as xl

Z = np.array([[1.0, 2.0, 0.5], [0.3, -1.0, 2.0]])
Y = np.array([0, 2])
P = np.array([[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]])


def _grad_tensor(x):
    return torch.tensor(np.asarray(x), requires_grad=True)


# ------------------------------------------------------------------------- torch tensors

TENSOR_CALLS = [
    ("ce-index", lambda a: xl.categorical_cross_entropy(a(Z), a(Y) if a is torch.tensor else Y)),
    ("ce-probs", lambda a: xl.categorical_cross_entropy(a(Z), a(P), weight=a([1.0, 2.0, 0.5]))),
    ("ce-grad-probs", lambda a: xl.categorical_cross_entropy_grad(a(Z), a(P), label_smoothing=0.1)),
    ("ce-kdim-probs", lambda a: xl.categorical_cross_entropy(a(Z.T[None]), a(P.T[None]))),
    ("nll", lambda a: xl.nll_loss(a(np.log(P)), Y, weight=a([1.0, 2.0, 3.0]))),
    ("bce", lambda a: xl.binary_cross_entropy(a(P), a((P > 0.15) * 1.0), weight=a(P))),
    ("bce-logits-grad", lambda a: xl.binary_cross_entropy_with_logits_grad(a(Z), a(P), pos_weight=a([1.0, 2.0, 3.0]))),
    ("softmax", lambda a: xl.softmax(a(Z), temperature=2.0)),
    ("logsumexp", lambda a: xl.logsumexp(a(Z), axis=0)),
    ("sigmoid", lambda a: xl.sigmoid(a(Z))),
    ("entropy", lambda a: xl.entropy(a(P))),
    ("kl", lambda a: xl.kl_divergence(a(P), a(P[::-1].copy()))),
    ("surprisal", lambda a: xl.surprisal(a(P))),
]


@pytest.mark.parametrize("call", [c for _, c in TENSOR_CALLS], ids=[n for n, _ in TENSOR_CALLS])
def test_tensors_with_requires_grad_are_read_as_their_values_everywhere(call):
    expected = call(np.asarray)
    np.testing.assert_array_equal(call(_grad_tensor), expected)
    np.testing.assert_array_equal(call(lambda x: torch.nn.Parameter(torch.tensor(np.asarray(x, float)))), expected)


def test_a_softmax_with_requires_grad_as_a_soft_target_matches_torch():
    """The issue's case: a teacher's softmax, still attached to its graph, as the target."""
    teacher = torch.softmax(torch.tensor(Z * 0.5, requires_grad=True), dim=1)
    student = np.array([[0.1, 0.2, 0.3], [1.0, 0.0, -1.0]])
    expected_loss, expected_grad = torch_cross_entropy(student, teacher.detach().numpy())
    assert_close_to_torch(xl.categorical_cross_entropy(student, teacher), expected_loss)
    assert_close_to_torch(xl.categorical_cross_entropy_grad(student, teacher), expected_grad)


def test_bfloat16_tensors_are_read_exactly_as_float32():
    z = torch.tensor(Z, dtype=torch.bfloat16)
    out = xl.softmax(z)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, xl.softmax(z.float().numpy()))


# ----------------------------------------------------------------- masked and ragged input


@pytest.mark.parametrize(
    "call",
    [
        lambda m: xl.softmax(m),
        lambda m: xl.categorical_cross_entropy(m, Y),
        lambda m: xl.logsumexp(m),
    ],
    ids=["softmax", "ce-logits", "logsumexp"],
)
def test_masked_logits_are_refused_with_what_to_do(call):
    masked = np.ma.masked_array(Z, mask=[[0, 0, 1], [0, 0, 0]])
    with pytest.raises(TypeError, match=r"is a masked array with masked entries.*\.filled\(-np\.inf\) makes the masked classes impossible"):
        call(masked)


def test_masked_targets_are_refused_pointing_at_ignore_index():
    target = np.ma.masked_array(Y, mask=[0, 1])
    with pytest.raises(TypeError, match=r"target is a masked array.*fill with the ignore_index \(target\.filled\(-100\)\)"):
        xl.categorical_cross_entropy(Z, target)
    # What the message advises gives torch's answer for padding.
    filled = xl.categorical_cross_entropy(Z, target.filled(-100))
    assert filled == pytest.approx(xl.categorical_cross_entropy(Z[:1], Y[:1]), rel=1e-15)


def test_masked_arrays_without_masked_entries_are_plain_arrays():
    assert xl.categorical_cross_entropy(np.ma.masked_array(Z), np.ma.masked_array(Y)) == xl.categorical_cross_entropy(Z, Y)
    np.testing.assert_array_equal(xl.softmax(np.ma.masked_array(Z, mask=False)), xl.softmax(Z))


@pytest.mark.parametrize(
    "target",
    [[[0.5, 0.5], [1.0]], [0, [1]]],
    ids=["ragged-probabilities", "ragged-indices"],
)
@pytest.mark.parametrize(
    "fn", [xl.categorical_cross_entropy, xl.categorical_cross_entropy_grad, xl.nll_loss]
)
def test_ragged_targets_are_a_type_error_naming_target(fn, target):
    with pytest.raises(TypeError, match=r"^target must be array-like of numbers \(a ragged list\? every row must have the same length\); got list$"):
        fn(Z[:, :2], target)


# ------------------------------------------------------------------------- class indices


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.uint32, np.uint64, np.int8, np.int32])
def test_class_indices_of_any_integer_type_match_torch(dtype):
    expected_loss, expected_grad = torch_cross_entropy(Z, Y.astype(np.int64), reduction="none")
    assert_close_to_torch(xl.categorical_cross_entropy(Z, Y.astype(dtype), reduction="none"), expected_loss)
    assert_close_to_torch(xl.categorical_cross_entropy_grad(Z, Y.astype(dtype), reduction="none"), expected_grad)


def test_huge_unsigned_indices_are_out_of_range_not_wrapped_to_ignore_index():
    target = np.array([0, 2**64 - 100], dtype=np.uint64)  # as int64 this would be -100
    with pytest.raises(ValueError, match=r"target holds class index 18446744073709551516, out of range for 3 classes"):
        xl.categorical_cross_entropy(Z, target)
    with pytest.raises(ValueError, match=r"target holds class index 18446744073709551516"):
        xl.nll_loss(Z, target)
    with pytest.raises(ValueError, match=r"target holds class index 4294967295"):
        xl.categorical_cross_entropy_grad(Z, np.array([0, 2**32 - 1], dtype=np.uint32), ignore_index=-1)


# ---------------------------------------------------------------- weights and return_loss


@pytest.mark.parametrize("bad", [np.inf, -np.inf])
@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda w: xl.binary_cross_entropy(P, P, weight=w), "weight"),
        (lambda w: xl.binary_cross_entropy_with_logits(Z, P, weight=w), "weight"),
        (lambda w: xl.binary_cross_entropy_with_logits(Z, P, pos_weight=w), "pos_weight"),
        (lambda w: xl.binary_cross_entropy_with_logits_grad(Z, P, weight=w), "weight"),
        (lambda w: xl.binary_cross_entropy_with_logits_grad(Z, P, pos_weight=w), "pos_weight"),
        (lambda w: xl.categorical_cross_entropy(Z, Y, weight=w), "weight"),
        (lambda w: xl.categorical_cross_entropy_grad(Z, P, weight=w), "weight"),
        (lambda w: xl.nll_loss(Z, Y, weight=w), "weight"),
    ],
    ids=["bce", "bce-logits", "bce-logits-pos", "bce-grad", "bce-grad-pos", "ce", "ce-grad-probs", "nll"],
)
def test_infinite_weights_are_refused_by_every_loss(call, name, bad):
    weight = np.array([1.0, bad, 1.0])
    with pytest.raises(ValueError, match=rf"^{name} must be finite; got -?inf$"):
        call(weight)


@pytest.mark.parametrize("value", ["no", "False", 1, 0, None, [True]])
@pytest.mark.parametrize("fn", [xl.categorical_cross_entropy_grad, xl.binary_cross_entropy_with_logits_grad])
def test_return_loss_accepts_only_bools(fn, value):
    target = Y if fn is xl.categorical_cross_entropy_grad else P
    with pytest.raises(TypeError, match=r"return_loss must be True or False; got"):
        fn(Z, target, return_loss=value)


def test_return_loss_accepts_numpy_bools():
    loss, _ = xl.categorical_cross_entropy_grad(Z, Y, return_loss=np.bool_(True))
    assert loss == xl.categorical_cross_entropy(Z, Y)


@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
def test_weights_that_are_zero_at_every_target_give_torchs_nan_loss_and_gradient(label_smoothing):
    """0 / 0: the loss is NaN (it was inf with label smoothing) and so is the gradient of
    every counted row (it was 0); ignored rows keep a 0 gradient, as in autograd."""
    logits = np.random.default_rng(0).standard_normal((3, 4))
    target = np.array([0, -100, 0])
    kwargs = {"weight": np.array([0.0, 1.0, 1.0, 1.0]), "label_smoothing": label_smoothing}
    expected_loss, expected_grad = torch_cross_entropy(logits, target, **kwargs)
    loss, grad = xl.categorical_cross_entropy_grad(logits, target, return_loss=True, **kwargs)
    assert math.isnan(loss) and np.isnan(expected_loss)
    assert math.isnan(xl.categorical_cross_entropy(logits, target, **kwargs))
    assert_close_to_torch(grad, expected_grad)  # NaN where torch has NaN, 0 on the ignored row
    assert np.isnan(grad[[0, 2]]).all() and np.all(grad[1] == 0)


# ------------------------------------------------------------- sums to 1, to its precision


def test_a_float16_distribution_sums_to_one_to_float16s_precision():
    p = np.float16([0.1, 0.2, 0.7])  # sums to 1.00012 as stored
    assert p.astype(np.float64).sum() == pytest.approx(1.00012, abs=1e-5)
    assert xl.entropy(p) > 0
    logits = np.array([0.5, -1.0, 2.0])
    expected_loss, expected_grad = torch_cross_entropy(logits, p.astype(np.float64))
    assert_close_to_torch(xl.categorical_cross_entropy(logits, p), expected_loss)
    assert_close_to_torch(xl.categorical_cross_entropy_grad(logits, p), expected_grad)
    with pytest.raises(ValueError, match=r"p must sum to 1"):
        xl.entropy(np.float16([0.1, 0.2, 0.6]))


def test_a_float32_softmax_over_a_vocabulary_is_a_valid_target_of_float64_logits():
    rng = np.random.default_rng(2)
    teacher = torch.softmax(torch.from_numpy(rng.normal(0, 3, (8, 50257)).astype(np.float32)), -1)
    target = teacher.numpy()  # its rows sum to 1 within about 2e-6 (float32 rounding)
    logits = rng.standard_normal((8, 50257))
    # Off by 4e-6 for sure: beyond float64's tolerance (1e-6), well within float32's (1e-4).
    off = target * np.float32(1 + 4e-6)
    assert np.abs(off.sum(axis=1, dtype=np.float64) - 1).min() > 1e-6
    assert xl.categorical_cross_entropy(logits, off) > 0
    expected_loss, expected_grad = torch_cross_entropy(logits, target.astype(np.float64))
    assert_close_to_torch(xl.categorical_cross_entropy(logits, target), expected_loss)
    assert_close_to_torch(xl.categorical_cross_entropy_grad(logits, target), expected_grad)


def test_the_sum_message_shows_the_digits_it_complains_about():
    p = np.array([0.5, 0.500002])
    with pytest.raises(ValueError, match=r"found a sum of 1\.000001999\d*, \+2e-06 away from 1$"):
        xl.entropy(p)
    q = np.float32([0.5, 0.5002])  # the float32 tolerance is 1e-4
    with pytest.raises(ValueError, match=r"\(to within 0\.0001\); found a sum of 1\.00019\d*, \+0\.0002 away from 1$"):
        xl.entropy(q)
    rows = np.array([[0.5, 0.5], [0.25, 0.5]])
    with pytest.raises(ValueError, match=r"p must sum to 1 along axis 1 \(to within 1e-06\); found a sum of 0\.75 at index \(1,\), -0\.25 away from 1"):
        xl.entropy(rows)
