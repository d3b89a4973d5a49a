"""The focal loss against torchvision's ``sigmoid_focal_loss``, written out in PyTorch.

torchvision cannot be installed beside the pinned torch, so the reference is its formula
(torchvision/ops/focal_loss.py), line for line, run with autograd for the gradient. Extreme
logits are checked against mpmath; the forecast the loss rewards against a brute-force
search.
"""

import mpmath
import numpy as np
import pytest
from conftest import assert_close_to_torch

import xent_lessons as xl

mpmath.mp.dps = 50


def torchvision_sigmoid_focal_loss(inputs, targets, alpha=0.25, gamma=2.0, reduction="none"):
    """torchvision.ops.sigmoid_focal_loss, as its source computes it."""
    import torch
    import torch.nn.functional as F

    p = torch.sigmoid(inputs)
    ce_loss = F.binary_cross_entropy_with_logits(inputs, targets, reduction="none")
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = ce_loss * ((1 - p_t) ** gamma)
    if alpha >= 0:
        alpha_t = alpha * targets + (1 - alpha) * (1 - targets)
        loss = alpha_t * loss
    if reduction == "mean":
        loss = loss.mean()
    elif reduction == "sum":
        loss = loss.sum()
    return loss


def _torch_loss_and_grad(x, t, alpha, gamma, reduction="none"):
    import torch

    x_t = torch.from_numpy(np.array(x)).requires_grad_(True)
    loss = torchvision_sigmoid_focal_loss(x_t, torch.from_numpy(np.array(t)), alpha, gamma, reduction)
    loss.backward(torch.ones_like(loss))
    return loss.detach().numpy(), x_t.grad.numpy()


ALPHA_GAMMA = [(0.25, 2.0), (-1.0, 0.0), (0.5, 0.5), (0.9, 5.0), (0.25, 1.0), (0.0, 3.0), (1.0, 2.0)]


@pytest.mark.parametrize(("alpha", "gamma"), ALPHA_GAMMA)
def test_loss_and_gradient_match_torchvisions_formula_in_float64(rng, alpha, gamma):
    x = rng.normal(0.0, 6.0, 500)
    t = rng.random(500)
    t[:300] = t[:300] > 0.5  # hard targets, then soft ones
    loss_t, grad_t = _torch_loss_and_grad(x, t, alpha, gamma)
    assert_close_to_torch(xl.sigmoid_focal_loss(x, t, alpha, gamma), loss_t)
    assert_close_to_torch(xl.sigmoid_focal_loss_grad(x, t, alpha, gamma), grad_t)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_reductions_match_torchvision(rng, reduction):
    x = rng.normal(0.0, 3.0, (4, 5))
    t = (rng.random((4, 5)) < 0.3).astype(float)
    loss_t, grad_t = _torch_loss_and_grad(x, t, 0.25, 2.0, reduction)
    assert xl.sigmoid_focal_loss(x, t, reduction=reduction) == pytest.approx(float(loss_t), abs=1e-12)
    assert_close_to_torch(xl.sigmoid_focal_loss_grad(x, t, reduction=reduction), grad_t)


def test_defaults_are_torchvisions():
    x, t = np.array([0.3, -1.2]), np.array([1.0, 0.0])
    loss_t, _ = _torch_loss_and_grad(x, t, 0.25, 2.0)
    out = xl.sigmoid_focal_loss(x, t)
    assert out.shape == (2,)  # reduction="none" by default
    assert_close_to_torch(out, loss_t)


def test_float32_keeps_float32(rng):
    x = rng.normal(0.0, 4.0, 64).astype(np.float32)
    t = (rng.random(64) < 0.5).astype(np.float32)
    loss_t, grad_t = _torch_loss_and_grad(x, t, 0.25, 2.0)
    out, grad = xl.sigmoid_focal_loss(x, t), xl.sigmoid_focal_loss_grad(x, t)
    assert out.dtype == np.float32 and grad.dtype == np.float32
    assert_close_to_torch(out, loss_t, atol=1e-6)
    assert_close_to_torch(grad, grad_t, atol=1e-6)


def test_gamma_zero_is_weighted_bce(rng):
    x = rng.normal(0.0, 3.0, 50)
    t = rng.random(50)
    bce = xl.binary_cross_entropy_with_logits(x, t, reduction="none")
    np.testing.assert_allclose(xl.sigmoid_focal_loss(x, t, alpha=-1, gamma=0.0), bce, rtol=1e-15)
    alpha_t = 0.3 * t + 0.7 * (1 - t)
    np.testing.assert_allclose(xl.sigmoid_focal_loss(x, t, alpha=0.3, gamma=0.0), alpha_t * bce, rtol=1e-14)
    np.testing.assert_allclose(
        xl.sigmoid_focal_loss_grad(x, t, alpha=-1, gamma=0.0), xl.sigmoid(x) - t, atol=1e-15
    )


def _exact_focal(x, t, alpha, gamma):
    """-alpha_t (1 - p_t)^gamma log p_t in 50 digits, from the true class's logit x_t: then
    p_t = 1 / (1 + e^-x_t) and 1 - p_t = 1 / (1 + e^x_t), with no cancellation."""
    x_t = mpmath.mpf(x) if t == 1 else -mpmath.mpf(x)
    one_minus_p_t = 1 / (1 + mpmath.exp(x_t))
    minus_log_p_t = mpmath.log1p(mpmath.exp(-x_t))
    a_t = 1 if alpha < 0 else (alpha if t == 1 else 1 - alpha)
    return float(a_t * one_minus_p_t**gamma * minus_log_p_t)


@pytest.mark.parametrize("x", [40.0, -40.0, 100.0, -100.0, 1e4, -1e4, 700.0, -745.0])
@pytest.mark.parametrize("t", [0.0, 1.0])
def test_exact_at_extreme_logits_where_torchvision_rounds(x, t):
    """1 - p_t is a sigmoid, never 1 minus something near 1: confident right answers keep
    their tiny losses (torchvision returns 0 for x = 40, t = 1), mistakes cost alpha_t |x|."""
    expected = _exact_focal(x, t, 0.25, 2.0)
    got = xl.sigmoid_focal_loss([x], [t])[0]
    assert np.isfinite(got)
    assert got == pytest.approx(expected, rel=1e-12, abs=0.0) if expected else got == 0.0


def test_gradient_matches_finite_differences_near_saturation_and_small_gamma():
    for gamma in (0.3, 0.5, 2.0):
        for t in (0.0, 1.0, 0.3):
            for x0 in (-30.0, -3.0, 0.0, 4.0, 25.0):
                f = lambda v, t=t, gamma=gamma: float(xl.sigmoid_focal_loss(v, [t], 0.4, gamma)[0])  # noqa: E731
                x = np.array([x0])
                num = xl.numerical_gradient(f, x, eps=1e-6)
                grad = xl.sigmoid_focal_loss_grad(x, [t], 0.4, gamma)
                assert grad == pytest.approx(num, rel=1e-5, abs=1e-12), (gamma, t, x0)


def test_gradient_stays_finite_where_autograd_gives_nan():
    """For gamma < 1, d/dx (1 - p_t)^gamma is infinite where 1 - p_t rounds to 0: autograd of
    torchvision's formula gives NaN there, while the true gradient tends to 0."""
    x, t = np.array([1e4, -1e4, 800.0]), np.array([1.0, 0.0, 1.0])
    grad = xl.sigmoid_focal_loss_grad(x, t, alpha=0.25, gamma=0.5)
    assert np.array_equal(grad, np.zeros(3))
    _, grad_torch = _torch_loss_and_grad(x, t, 0.25, 0.5)
    assert np.isnan(grad_torch).any()


def test_minus_infinity_logits():
    out = xl.sigmoid_focal_loss([-np.inf, -np.inf], [0.0, 1.0], alpha=0.25, gamma=2.0)
    assert out[0] == 0.0 and out[1] == np.inf
    assert xl.sigmoid_focal_loss_grad([-np.inf], [0.0])[0] == 0.0


@pytest.mark.parametrize(("alpha", "gamma"), [(-1.0, 2.0), (0.25, 2.0), (0.5, 5.0), (0.8, 1.0)])
def test_optimal_forecast_is_the_minimum_of_the_expected_loss(alpha, gamma):
    p = np.array([0.02, 0.1, 0.3, 0.5, 0.7, 0.95])
    q_star = xl.focal_optimal_forecast(p, gamma=gamma, alpha=alpha)
    q = np.linspace(1e-5, 1 - 1e-5, 200_001)
    x = np.log(q) - np.log1p(-q)
    pos = xl.sigmoid_focal_loss(x, np.ones_like(q), alpha, gamma)
    neg = xl.sigmoid_focal_loss(x, np.zeros_like(q), alpha, gamma)
    brute = np.array([q[np.argmin(pi * pos + (1 - pi) * neg)] for pi in p])
    np.testing.assert_allclose(q_star, brute, atol=2e-5)


def test_optimal_forecast_of_bce_is_the_truth_and_focal_pulls_to_one_half():
    p = np.linspace(0, 1, 11)
    np.testing.assert_allclose(xl.focal_optimal_forecast(p, gamma=0.0, alpha=-1), p, atol=1e-12)
    q = xl.focal_optimal_forecast(p, gamma=2.0, alpha=-1)
    assert q[0] == 0.0 and q[-1] == 1.0 and q[5] == pytest.approx(0.5, abs=1e-12)
    assert np.all(np.abs(q[1:5] - 0.5) < np.abs(p[1:5] - 0.5))  # pulled toward 0.5
    assert isinstance(xl.focal_optimal_forecast(0.3), float)


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (lambda: xl.sigmoid_focal_loss([0.0], [1.0], alpha=1.5), ValueError, r"alpha must be in \[0, 1\]"),
        (lambda: xl.sigmoid_focal_loss([0.0], [1.0], gamma=-1.0), ValueError, r"gamma must be a finite number >= 0"),
        (lambda: xl.sigmoid_focal_loss([0.0], [1.0], gamma="2"), TypeError, r"gamma must be a real number"),
        (lambda: xl.sigmoid_focal_loss([0.0, 1.0], [1.0]), ValueError, r"targets must have the same shape as inputs"),
        (lambda: xl.sigmoid_focal_loss([np.inf], [1.0]), ValueError, r"inputs contains \+inf"),
        (lambda: xl.sigmoid_focal_loss([np.nan], [1.0]), ValueError, r"inputs contains NaN"),
        (lambda: xl.sigmoid_focal_loss([0.0], [2.0]), ValueError, r"targets must hold probabilities in \[0, 1\]"),
        (lambda: xl.sigmoid_focal_loss([0.0], [1.0], reduction="avg"), ValueError, r"reduction must be one of"),
        (lambda: xl.sigmoid_focal_loss_grad([0.0], [1.0], alpha=np.nan), ValueError, r"alpha must be in"),
        (lambda: xl.focal_optimal_forecast([1.2]), ValueError, r"p must hold probabilities in \[0, 1\]"),
    ],
)
def test_bad_input_names_the_argument(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
