"""Scoring rules: the Gaussian NLL against torch's ``F.gaussian_nll_loss``, and the
expected score against closed forms (cross-entropy, the Brier decomposition)."""

import math

import numpy as np
import pytest
from conftest import TORCH_ATOL

import xent_lessons as xl


def _torch_gaussian_nll(mu, y, var, **kwargs):
    import torch
    import torch.nn.functional as F

    v = var if isinstance(var, float) else torch.from_numpy(np.array(var))
    return F.gaussian_nll_loss(torch.from_numpy(np.array(mu)), torch.from_numpy(np.array(y)), v, **kwargs).numpy()


VAR_SHAPES = [(4, 3, 5), (4, 3), (4, 1, 5), (4, 3, 1)]


@pytest.mark.parametrize("var_shape", [None, *VAR_SHAPES], ids=lambda s: str(s))
@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_gaussian_nll_matches_torch(rng, var_shape, full, reduction):
    mu, y = rng.normal(size=(4, 3, 5)), rng.normal(size=(4, 3, 5))
    var = 0.7 if var_shape is None else rng.random(var_shape) + 0.05
    ours = xl.gaussian_nll_loss(mu, y, var, full=full, reduction=reduction)
    theirs = _torch_gaussian_nll(mu, y, var, full=full, reduction=reduction)
    np.testing.assert_allclose(ours, theirs, rtol=1e-14, atol=TORCH_ATOL)


def test_gaussian_nll_clamps_tiny_variances_at_eps_as_torch_does(rng):
    mu, y = rng.normal(size=6), rng.normal(size=6)
    var = np.array([0.0, 1e-9, 1e-3, 1.0, 2.0, 0.0])
    for eps in (1e-6, 1e-2):
        np.testing.assert_allclose(
            xl.gaussian_nll_loss(mu, y, var, eps=eps, reduction="none"),
            _torch_gaussian_nll(mu, y, var, eps=eps, reduction="none"),
            rtol=1e-14,
        )


def test_gaussian_nll_with_unit_variance_is_half_the_mse_and_full_adds_the_constant(rng):
    mu, y = rng.normal(size=100), rng.normal(size=100)
    mse = np.mean((mu - y) ** 2)
    assert xl.gaussian_nll_loss(mu, y, 1.0) == pytest.approx(mse / 2, rel=1e-14)
    full = xl.gaussian_nll_loss(mu, y, 1.0, full=True)
    assert full == pytest.approx(mse / 2 + 0.5 * math.log(2 * math.pi), rel=1e-14)


def test_gaussian_nll_broadcasts_a_target_and_keeps_float32(rng):
    mu = rng.normal(size=(3, 2)).astype(np.float32)
    out = xl.gaussian_nll_loss(mu, np.float32(0.5), np.ones((3, 2), np.float32), reduction="none")
    assert out.shape == (3, 2) and out.dtype == np.float32


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (lambda: xl.gaussian_nll_loss([0.0, 1.0], [0.0, 1.0], -1.0), ValueError, r"var must be >= 0"),
        (lambda: xl.gaussian_nll_loss([0.0, 1.0], [0.0, 1.0], [1.0, -0.1]), ValueError, r"var must hold variances >= 0"),
        (lambda: xl.gaussian_nll_loss(np.zeros((4, 3, 5)), np.zeros((4, 3, 5)), np.ones((3, 5))), ValueError, r"var of shape \(3, 5\) does not fit input"),
        (lambda: xl.gaussian_nll_loss(np.zeros((4, 3)), np.zeros((4, 3)), np.ones((2, 2))), ValueError, r"var of shape"),
        (lambda: xl.gaussian_nll_loss(np.zeros(3), np.zeros(4), 1.0), ValueError, r"target of shape \(4,\) cannot be broadcast"),
        (lambda: xl.gaussian_nll_loss([np.nan], [0.0], 1.0), ValueError, r"input contains NaN"),
        (lambda: xl.gaussian_nll_loss([0.0], [0.0], 1.0, eps=0.0), ValueError, r"eps must be a number > 0"),
        (lambda: xl.gaussian_nll_loss([0.0], [0.0], 1.0, reduction="avg"), ValueError, r"reduction must be one of"),
        (lambda: xl.expected_score("log", [0.5, 0.5], [0.5, 0.5]), TypeError, r"rule must be a function"),
        (lambda: xl.expected_score(lambda q, y: 0.0, [0.5, 0.6], [0.5, 0.5]), ValueError, r"q must sum to 1"),
        (lambda: xl.expected_score(lambda q, y: 0.0, [0.5, 0.5], [1.0]), ValueError, r"q and p must be 1-D distributions"),
        (lambda: xl.expected_score(lambda q, y: 0.0, [0.5, 0.5], [1.5, -0.5]), ValueError, r"p must hold probabilities"),
    ],
)
def test_bad_input_names_the_argument(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def _log_score(q, y):
    return -np.log(q[y])


def _brier(q, y):
    return float(np.sum((q - np.eye(len(q))[y]) ** 2))


def test_expected_log_score_is_the_cross_entropy(rng):
    for _ in range(10):
        p, q = rng.dirichlet(np.ones(4)), rng.dirichlet(np.ones(4))
        assert xl.expected_score(_log_score, q, p) == pytest.approx(xl.cross_entropy(p, q), rel=1e-13)


def test_expected_brier_decomposes_and_is_smallest_at_the_truth(rng):
    p = np.array([0.5, 0.3, 0.2])
    for _ in range(10):
        q = rng.dirichlet(np.ones(3))
        expected = np.sum((q - p) ** 2) + np.sum(p * (1 - p))
        assert xl.expected_score(_brier, q, p) == pytest.approx(expected, rel=1e-13)
        assert xl.expected_score(_brier, q, p) >= xl.expected_score(_brier, p, p)


def test_outcomes_that_never_happen_add_nothing_and_the_rule_sees_a_copy():
    seen = []

    def rule(q, y):
        seen.append(y)
        q[:] = 0.0  # a careless rule that edits its input
        return -np.log(q[y]) if q[y] > 0 else math.inf

    q = np.array([0.5, 0.5, 0.0])
    assert xl.expected_score(lambda q, y: _log_score(q, y), q, [0.6, 0.4, 0.0]) == pytest.approx(math.log(2))
    xl.expected_score(rule, q, [0.6, 0.4, 0.0])
    assert seen == [0, 1] and q.tolist() == [0.5, 0.5, 0.0]
