"""Accuracy at extreme logits against exact references from mpmath (50 digits).

Each reference is computed from the inputs exactly as the test's dtype stores them, then
rounded to that dtype (through float64 for float32: a double rounding far below the
tolerance). Where the true value underflows (``exp(-1e4)``) the correctly
rounded reference is 0, and 0 is what must come out; where it is finite, the result must be
finite (no NaN, no inf) and within a relative 1e-12 (float64) or 1e-5 (float32).
"""

import mpmath
import numpy as np
import pytest

import xent_lessons as xl

mpmath.mp.dps = 50

RTOL = {np.float64: 1e-12, np.float32: 1e-5}

# Rows of logits; the float32 ones sit where exp overflows float32 (exp(88.73) > 3.4e38).
EXTREME_ROWS = {
    "plus-1e4": [1e4, 1e4 - 1.0, 1e4 - 30.0],
    "minus-1e4": [-1e4, -1e4 + 2.0, -1e4 - 5.0],
    "mixed-1e4": [1e4, -1e4, 0.0],
    "mixed-1e4-reversed": [-1e4, 0.0, 1e4],
    "all-equal-1e4": [1e4, 1e4, 1e4, 1e4],
    "all-equal-minus-1e4": [-1e4, -1e4, -1e4],
    "all-equal-zero": [0.0, 0.0, 0.0, 0.0, 0.0],
    "one-minus-inf": [2.0, -np.inf, -1.0],
    "minus-inf-and-1e4": [-np.inf, 1e4, -1e4],
    "near-float32-overflow": [88.72, 89.0, 100.0],
    "near-float32-overflow-negative": [-88.72, -89.0, -100.0],
    "float32-overflow-pair": [100.0, 0.0],
}
DTYPES = [np.float64, np.float32]


def _exact_inputs(values, dtype):
    """The inputs as stored in ``dtype``, and the same numbers as exact mpmath values."""
    stored = np.asarray(values, dtype=dtype)
    return stored, [mpmath.mpf(float(v)) for v in stored]


def _mp_log_softmax(zs):
    """Exact log-probabilities, free of cancellation even at 50 digits.

    ``z_c - logsumexp(z)`` would cancel for the top class of ``[100, 0]`` (-3.7e-44 from
    100 - 100.000...037), so it is computed as ``(z_c - m) - log1p(r)``, with ``m`` the
    largest logit and ``r`` the sum of ``exp(z - m)`` over the other entries.
    """
    top = max(range(len(zs)), key=lambda i: zs[i])
    m = zs[top]
    r = mpmath.fsum(mpmath.exp(z - m) for i, z in enumerate(zs) if i != top)
    return [(z - m) - mpmath.log1p(r) for z in zs]


def _mp_logsumexp(zs):
    return max(zs) - max(_mp_log_softmax(zs))  # m + log1p(r)


def _mp_softmax(zs):
    return [mpmath.exp(v) for v in _mp_log_softmax(zs)]


def assert_accurate(actual, exact, dtype):
    """``actual`` has ``dtype``, is finite exactly where ``exact`` is, and is close to it."""
    actual = np.asarray(actual)
    assert actual.dtype == dtype
    reference = np.asarray([float(v) for v in np.ravel(exact)], dtype=np.float64)
    reference = reference.astype(dtype).reshape(actual.shape)
    assert not np.isnan(actual).any()
    np.testing.assert_array_equal(np.isfinite(actual), np.isfinite(reference))
    infinite = ~np.isfinite(reference)
    np.testing.assert_array_equal(actual[infinite], reference[infinite])
    # Below the normal range (float32 subnormals) only absolute accuracy is possible.
    atol = 2 * np.finfo(dtype).smallest_subnormal
    error = np.abs(actual[~infinite].astype(np.float64) - reference[~infinite])
    bound = RTOL[dtype] * np.abs(reference[~infinite].astype(np.float64)) + atol
    assert np.all(error <= bound), (actual, reference)


rows = pytest.mark.parametrize("row", EXTREME_ROWS.values(), ids=EXTREME_ROWS.keys())
dtypes = pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])


@dtypes
@rows
def test_logsumexp_is_exact_at_extreme_logits(row, dtype):
    z, exact = _exact_inputs(row, dtype)
    result = xl.logsumexp(z[None, :])
    assert_accurate(result, [_mp_logsumexp(exact)], dtype)


@dtypes
@rows
def test_softmax_is_exact_at_extreme_logits(row, dtype):
    z, exact = _exact_inputs(row, dtype)
    assert_accurate(xl.softmax(z), _mp_softmax(exact), dtype)


@dtypes
@rows
def test_log_softmax_is_exact_at_extreme_logits(row, dtype):
    z, exact = _exact_inputs(row, dtype)
    assert_accurate(xl.log_softmax(z), _mp_log_softmax(exact), dtype)


@dtypes
@rows
def test_cross_entropy_and_grad_are_exact_at_extreme_logits_for_every_target(row, dtype):
    z, exact = _exact_inputs(row, dtype)
    log_q = _mp_log_softmax(exact)
    q = [mpmath.exp(v) for v in log_q]
    for y in range(len(row)):
        exact_loss = -log_q[y]  # inf where z[y] is -inf: the class said impossible
        # q_y - 1 as minus the other classes' probabilities: no cancellation
        exact_grad = [qc if c != y else -mpmath.fsum(q[:y] + q[y + 1 :]) for c, qc in enumerate(q)]

        loss = xl.categorical_cross_entropy(z[None, :], [y], reduction="none")
        assert_accurate(loss, [exact_loss], dtype)
        single = xl.categorical_cross_entropy(z, y)  # a Python float made from a `dtype`
        assert_accurate(np.asarray([single], dtype=dtype), [exact_loss], dtype)
        assert_accurate(xl.categorical_cross_entropy_grad(z[None, :], [y]), [exact_grad], dtype)
        fused_loss, _ = xl.categorical_cross_entropy_grad(z, y, return_loss=True)
        assert_accurate(np.asarray([fused_loss], dtype=dtype), [exact_loss], dtype)

        one_hot = np.zeros_like(z)[None, :]
        one_hot[0, y] = 1
        probs_loss = xl.categorical_cross_entropy(z[None, :], one_hot, reduction="none")
        assert_accurate(probs_loss, [exact_loss], dtype)
        if np.isfinite(z[y]):  # a certain target on an impossible class has no gradient
            probs_grad = xl.categorical_cross_entropy_grad(z[None, :], one_hot)
            assert_accurate(probs_grad, [exact_grad], dtype)


@dtypes
@rows
def test_weighted_label_smoothed_cross_entropy_and_grad_are_exact_at_extreme_logits(row, dtype):
    """PyTorch's weighted, label-smoothed loss of one row; the mean divides by w[y]."""
    z, exact = _exact_inputs(row, dtype)
    n = len(row)
    eps = mpmath.mpf(float(np.asarray(0.1, dtype=dtype)))
    weight = np.linspace(0.5, 2.0, n).astype(dtype)
    if -np.inf in row:  # smoothing puts mass on the impossible class: an infinite loss
        for y in np.flatnonzero(np.isfinite(z)):
            loss = xl.categorical_cross_entropy(z, y, weight=weight, label_smoothing=float(eps))
            assert loss == np.inf
        return
    w = [mpmath.mpf(float(v)) for v in weight]
    total_w = mpmath.fsum(w)
    log_q = _mp_log_softmax(exact)
    q = [mpmath.exp(v) for v in log_q]
    for y in range(n):
        smooth = -mpmath.fsum(wc * lq for wc, lq in zip(w, log_q, strict=True))
        exact_loss = ((1 - eps) * w[y] * -log_q[y] + eps / n * smooth) / w[y]
        one_minus_q_y = mpmath.fsum(q[:y] + q[y + 1 :])
        exact_grad = [
            ((1 - eps) * w[y] * q[c] + eps / n * (q[c] * total_w - w[c])) / w[y]
            if c != y
            else (
                -(1 - eps) * w[y] * one_minus_q_y
                + eps / n * ((total_w - w[y]) - total_w * one_minus_q_y)
            )
            / w[y]
            for c in range(n)
        ]
        kwargs = {"weight": weight, "label_smoothing": float(eps)}
        loss, grad = xl.categorical_cross_entropy_grad(
            z[None, :], [y], return_loss=True, **kwargs
        )
        assert_accurate(np.asarray([loss], dtype=dtype), [exact_loss], dtype)
        assert_accurate(grad, [exact_grad], dtype)


@dtypes
@pytest.mark.parametrize("x", [1e4, -1e4, 100.0, -100.0, 89.0, -89.0, 88.72, -88.72])
@pytest.mark.parametrize("t", [0.0, 1.0, 0.25])
def test_binary_cross_entropy_with_logits_is_exact_at_large_logits(x, t, dtype):
    xs, (x_exact,) = _exact_inputs([x], dtype)
    t_exact = mpmath.mpf(t)
    # -t log sigmoid(x) - (1 - t) log(1 - sigmoid(x)), with log sigmoid(x) = -log(1 + e^-x)
    exact = t_exact * mpmath.log1p(mpmath.exp(-x_exact)) + (1 - t_exact) * mpmath.log1p(
        mpmath.exp(x_exact)
    )
    loss = xl.binary_cross_entropy_with_logits(xs, np.asarray([t], dtype), reduction="none")
    assert_accurate(loss, [exact], dtype)
    # sigma(x) - t as (1 - t) sigma(x) - t sigma(-x): no cancellation at 50 digits either
    exact_grad = (1 - t_exact) / (1 + mpmath.exp(-x_exact)) - t_exact / (1 + mpmath.exp(x_exact))
    grad = xl.binary_cross_entropy_with_logits_grad(xs, np.asarray([t], dtype), reduction="sum")
    assert_accurate(grad, [exact_grad], dtype)


SIGMOID_INPUTS = [-1e4, -100.0, -89.0, -88.72, -30.0, -1.0, 0.0, 1e-8, 1.0, 30.0, 88.72, 89.0, 100.0, 1e4]


@dtypes
def test_sigmoid_is_exact_over_the_whole_range(dtype):
    z, exact = _exact_inputs([*SIGMOID_INPUTS, -np.inf], dtype)
    assert_accurate(xl.sigmoid(z), [1 / (1 + mpmath.exp(-v)) for v in exact[:-1]] + [0], dtype)


@dtypes
def test_log_sigmoid_is_exact_over_the_whole_range(dtype):
    z, exact = _exact_inputs([*SIGMOID_INPUTS, -np.inf], dtype)
    expected = [-mpmath.log1p(mpmath.exp(-v)) for v in exact[:-1]] + [mpmath.mpf("-inf")]
    assert_accurate(xl.log_sigmoid(z), expected, dtype)
