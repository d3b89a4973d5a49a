"""Multi-label BCE (lesson 14): ``binary_cross_entropy_with_logits`` on (N, L) targets with a
``pos_weight`` per label, against ``torch.nn.functional.binary_cross_entropy_with_logits``.

PyTorch's semantics: ``pos_weight`` broadcasts against the target (shape (L,) for (N, L)
logits; (L, 1, 1) for (N, L, H, W)), multiplies only the positive term, and
``reduction="mean"`` averages over all N * L elements. Where the package deviates on purpose
(documented in :mod:`xent_lessons.losses`): a ``-inf`` logit costs exactly 0 with target 0 and
``inf`` with a positive target (torch: NaN), and a ``+inf`` logit is refused.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import xent_lessons as xl

# (logits' shape, pos_weight's shape): torch's broadcasting, one weight per label.
SHAPES = [
    ((5, 4), (4,)),  # (N, L), one weight per label
    ((4,), (4,)),  # one example
    ((3, 4), (1, 4)),  # a leading axis of 1
    ((3, 4), ()),  # a scalar weight for every label
    ((2, 3, 5), (3, 1)),  # (N, L, K): per label along axis 1, as torch's (C, 1, 1) for images
    ((0, 4), (4,)),  # an empty batch
]
TOLERANCE = {np.float16: 2e-2, np.float32: 2e-6, np.float64: 1e-12}


def _case(shape, pw_shape, dtype, seed):
    rng = np.random.default_rng(seed)
    logits = (6.0 * rng.standard_normal(shape)).astype(dtype)
    target = (rng.random(shape) < 0.3).astype(dtype)
    if target.size:
        target.flat[0] = 0.25  # a soft target too
    pos_weight = rng.uniform(0.2, 30.0, pw_shape).astype(dtype)
    return logits, target, pos_weight


def _torch_loss_and_grad(logits, target, pos_weight, reduction, weight=None):
    x = torch.tensor(logits, requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(
        x, torch.tensor(target), weight=None if weight is None else torch.tensor(weight),
        pos_weight=torch.tensor(pos_weight), reduction=reduction,
    )
    loss.backward(torch.ones_like(loss))
    return loss.detach().numpy(), x.grad.numpy()


def _assert_close(ours, theirs, dtype):
    theirs = np.asarray(theirs, dtype=np.float64)
    scale = np.abs(theirs).max() if theirs.size and np.isfinite(theirs).all() else 1.0
    tol = TOLERANCE[dtype]
    assert np.shape(ours) == theirs.shape
    np.testing.assert_allclose(np.asarray(ours, np.float64), theirs, rtol=tol, atol=tol * scale,
                               equal_nan=True)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64], ids=lambda d: d.__name__)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize(("shape", "pw_shape"), SHAPES, ids=[str(s) for s, _ in SHAPES])
def test_pos_weight_per_label_matches_torch(shape, pw_shape, reduction, dtype):
    logits, target, pos_weight = _case(shape, pw_shape, dtype, seed=len(shape) * 10 + len(pw_shape))
    expected_loss, expected_grad = _torch_loss_and_grad(logits, target, pos_weight, reduction)
    loss, grad = xl.binary_cross_entropy_with_logits_grad(
        logits, target, pos_weight=pos_weight, reduction=reduction, return_loss=True
    )
    _assert_close(xl.binary_cross_entropy_with_logits(logits, target, pos_weight=pos_weight,
                                                      reduction=reduction), expected_loss, dtype)
    _assert_close(loss, expected_loss, dtype)
    _assert_close(grad, expected_grad, dtype)
    if reduction == "none":
        assert loss.dtype == dtype and grad.dtype == dtype


def test_pos_weight_with_a_weight_and_large_logits_matches_torch():
    rng = np.random.default_rng(5)
    logits = rng.choice([-1e4, -40.0, -3.0, 0.0, 2.0, 40.0, 1e4], size=(6, 4))
    target = rng.integers(0, 2, (6, 4)).astype(float)
    pos_weight = np.array([1.0, 0.5, 2.0, 25.0])
    weight = rng.uniform(0.1, 2.0, (6, 1))  # one weight per example, broadcast over the labels
    for reduction in ("mean", "sum", "none"):
        expected_loss, expected_grad = _torch_loss_and_grad(logits, target, pos_weight,
                                                            reduction, weight)
        loss, grad = xl.binary_cross_entropy_with_logits_grad(
            logits, target, weight=weight, pos_weight=pos_weight, reduction=reduction,
            return_loss=True,
        )
        np.testing.assert_allclose(loss, expected_loss, rtol=1e-12, atol=1e-15)  # torch: 0 for 4e-19
        np.testing.assert_allclose(grad, expected_grad, rtol=1e-12, atol=1e-15)  # torch: 1 - sigmoid(40) = 0


def test_pos_weight_weighs_only_the_positive_term_and_mean_is_over_all_elements():
    x = np.array([[1.0, -2.0, 0.5], [0.0, 3.0, -1.0]])
    t = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    w = np.array([2.0, 3.0, 0.5])
    positive = w * t * np.logaddexp(0, -x)
    negative = (1 - t) * np.logaddexp(0, x)
    per_element = xl.binary_cross_entropy_with_logits(x, t, pos_weight=w, reduction="none")
    np.testing.assert_allclose(per_element, positive + negative, rtol=1e-15)
    mean = xl.binary_cross_entropy_with_logits(x, t, pos_weight=w)
    assert mean == pytest.approx((positive + negative).sum() / x.size, rel=1e-15)
    # an all-negative label does not see its pos_weight at all
    zeros = np.zeros_like(t)
    assert xl.binary_cross_entropy_with_logits(x, zeros, pos_weight=w) == pytest.approx(
        xl.binary_cross_entropy_with_logits(x, zeros), rel=1e-15)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=lambda d: d.__name__)
def test_minus_inf_logits_with_pos_weight(dtype):
    # A certain negative: 0 with target 0, inf with a positive target (torch: NaN for both).
    # The other elements, and every gradient, match torch.
    x = np.array([[-np.inf, 2.0, -np.inf], [-np.inf, -1.0, 0.5]], dtype=dtype)
    t = np.array([[0.0, 1.0, 1.0], [0.0, 0.0, 1.0]], dtype=dtype)
    w = np.array([3.0, 0.5, 2.0], dtype=dtype)
    loss = xl.binary_cross_entropy_with_logits(x, t, pos_weight=w, reduction="none")
    expected, expected_grad = _torch_loss_and_grad(x, t, w, "none")
    assert loss[0, 0] == 0 and loss[1, 0] == 0 and np.isposinf(loss[0, 2])
    finite = np.isfinite(x)
    np.testing.assert_allclose(loss[finite], expected[finite], rtol=TOLERANCE[dtype])
    grad = xl.binary_cross_entropy_with_logits_grad(x, t, pos_weight=w, reduction="none")
    np.testing.assert_allclose(grad, expected_grad, rtol=TOLERANCE[dtype])
    assert xl.binary_cross_entropy_with_logits(x[:, :2], t[:, :2], pos_weight=w[:2]) == (
        pytest.approx(float(expected[:, 1].sum()) / 4, rel=TOLERANCE[dtype]))


def test_plus_inf_logits_are_refused_naming_the_logits():
    # torch gives inf (t = 0) or NaN (t = 1, whose limit is 0): the package refuses +inf.
    with pytest.raises(ValueError, match=r"logits contains \+inf"):
        xl.binary_cross_entropy_with_logits([[np.inf, 0.0]], [[1.0, 0.0]], pos_weight=[2.0, 1.0])


@pytest.mark.parametrize(
    ("pos_weight", "error", "message"),
    [
        (np.ones(5), ValueError, r"pos_weight of shape \(5,\) cannot be broadcast to logits's shape \(5, 4\)"),
        (np.ones((2, 4)), ValueError, r"pos_weight of shape \(2, 4\) cannot be broadcast"),
        (np.array([1.0, np.nan, 1.0, 1.0]), ValueError, r"pos_weight contains NaN"),
        (np.array([1.0, np.inf, 1.0, 1.0]), ValueError, r"pos_weight must be finite"),
        (np.array(["a", "b", "c", "d"]), TypeError, r"pos_weight must be an array of real numbers"),
        (np.array([True, False, True, True]), TypeError, r"pos_weight is a boolean array"),
    ],
    ids=["one-per-example", "too-many-rows", "nan", "inf", "strings", "booleans"],
)
def test_bad_pos_weight_is_refused_naming_the_argument(pos_weight, error, message):
    x = np.zeros((5, 4))
    with pytest.raises(error, match=message):
        xl.binary_cross_entropy_with_logits(x, np.zeros((5, 4)), pos_weight=pos_weight)


def test_torch_also_refuses_a_pos_weight_that_does_not_broadcast_to_the_logits():
    # a pos_weight with more rows than the logits would grow the output: both refuse it
    x, t = torch.zeros(1, 3), torch.zeros(1, 3)
    with pytest.raises(RuntimeError):
        F.binary_cross_entropy_with_logits(x, t, pos_weight=torch.ones(2, 3))
    with pytest.raises(ValueError, match="pos_weight of shape"):
        xl.binary_cross_entropy_with_logits(x.numpy(), t.numpy(), pos_weight=np.ones((2, 3)))
