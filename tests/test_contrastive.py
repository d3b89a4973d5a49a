"""The math of lesson 13: InfoNCE, CLIP's loss, the MI bound and correlated Gaussians.

PyTorch is the reference for the losses (``F.cross_entropy`` with the targets
``arange(N)``, on the rows and on the transposed matrix); closed forms and brute force for
the Gaussians (mpmath for the mutual information at tiny correlations).
"""

import mpmath
import numpy as np
import pytest
from conftest import TORCH_ATOL, assert_close_to_torch

import xent_lessons as xl


def _torch_info_nce(scores, temperature=1.0, reduction="mean"):
    import torch
    import torch.nn.functional as F

    s = torch.from_numpy(np.array(scores)) / temperature
    return F.cross_entropy(s, torch.arange(s.shape[0]), reduction=reduction).numpy()


def _torch_clip(scores, temperature=1.0):
    import torch
    import torch.nn.functional as F

    s = torch.from_numpy(np.array(scores)) / temperature
    t = torch.arange(s.shape[0])
    return ((F.cross_entropy(s, t) + F.cross_entropy(s.T, t)) / 2).item()


# ----------------------------------------------------------------- torch parity


@pytest.mark.parametrize("temperature", [1.0, 0.07, 3.0])
@pytest.mark.parametrize("n", [1, 2, 7, 64])
def test_info_nce_matches_torch_cross_entropy_in_float64(rng, n, temperature):
    s = rng.normal(0.0, 3.0, (n, n))
    assert_close_to_torch(xl.info_nce_loss(s, temperature), _torch_info_nce(s, temperature))
    for reduction in ("sum", "none"):
        assert_close_to_torch(
            xl.info_nce_loss(s, temperature, reduction=reduction),
            _torch_info_nce(s, temperature, reduction),
        )


def test_info_nce_in_float32_keeps_float32_and_matches_torch(rng):
    s = rng.normal(0.0, 3.0, (16, 16)).astype(np.float32)
    per_row = xl.info_nce_loss(s, reduction="none")
    assert per_row.dtype == np.float32
    assert_close_to_torch(per_row, _torch_info_nce(s, reduction="none"), atol=1e-5)


@pytest.mark.parametrize("temperature", [1.0, 0.05])
def test_clip_loss_matches_torch_rows_and_columns(rng, temperature):
    s = rng.normal(0.0, 2.0, (9, 9))  # not symmetric: the two directions differ
    assert xl.info_nce_loss(s) != pytest.approx(xl.info_nce_loss(s.T))
    assert xl.clip_loss(s, temperature) == pytest.approx(_torch_clip(s, temperature), abs=TORCH_ATOL)


def test_clip_loss_reductions_are_the_mean_of_the_two_directions(rng):
    s = rng.normal(0.0, 2.0, (5, 5))
    per_pair = xl.clip_loss(s, reduction="none")
    rows = xl.info_nce_loss(s, reduction="none")
    columns = xl.info_nce_loss(s.T, reduction="none")
    np.testing.assert_allclose(per_pair, (rows + columns) / 2, atol=1e-15)
    assert xl.clip_loss(s, reduction="sum") == pytest.approx(per_pair.sum(), abs=1e-13)
    assert xl.clip_loss(s) == pytest.approx(per_pair.mean(), abs=1e-14)


def test_a_stack_of_batches_is_the_mean_over_every_row(rng):
    stack = rng.normal(0.0, 2.0, (4, 6, 6))
    per_row = xl.info_nce_loss(stack, reduction="none")
    assert per_row.shape == (4, 6)
    for b in range(4):
        assert_close_to_torch(per_row[b], _torch_info_nce(stack[b], reduction="none"))
    assert xl.info_nce_loss(stack) == pytest.approx(per_row.mean(), abs=1e-14)
    bounds = [np.log(6) - xl.info_nce_loss(stack[b]) for b in range(4)]
    assert xl.info_nce_bound(stack) == pytest.approx(np.mean(bounds), abs=1e-13)
    clip = np.mean([xl.clip_loss(stack[b]) for b in range(4)])
    assert xl.clip_loss(stack) == pytest.approx(clip, abs=1e-13)


# ------------------------------------------------------------------- properties


def test_the_bound_is_zero_for_a_critic_that_knows_nothing_and_log_n_at_most(rng):
    assert xl.info_nce_bound(np.zeros((10, 10))) == pytest.approx(0.0, abs=1e-15)
    assert xl.info_nce_loss(np.full((10, 10), 3.7)) == pytest.approx(np.log(10), abs=1e-14)
    for _ in range(20):
        s = rng.normal(0.0, 10.0, (8, 8))
        assert xl.info_nce_bound(s) <= np.log(8)
    assert xl.info_nce_bound(1e3 * np.eye(8)) == pytest.approx(np.log(8), abs=1e-14)


def test_the_temperature_divides_the_scores(rng):
    s = rng.normal(0.0, 1.0, (5, 5))
    assert xl.info_nce_loss(s, temperature=0.1) == pytest.approx(xl.info_nce_loss(s / 0.1), abs=1e-13)
    assert xl.info_nce_bound(s, 0.1) == pytest.approx(np.log(5) - xl.info_nce_loss(s / 0.1), abs=1e-13)


def test_huge_scores_and_masked_negatives_stay_exact():
    s = np.array([[1e4, 0.0, 1e4 - 5.0], [0.0, 1e4, -np.inf], [1e4, 1e4, 1e4]])
    # row 0: log(1 + e^-1e4 + e^-5) = log1p(e^-5); row 1: its one finite rival is 1e4 below,
    # e^-1e4 rounds to 0; row 2: three equal scores, log 3
    expected = np.array([np.log1p(np.exp(-5.0)), 0.0, np.log(3)])
    np.testing.assert_allclose(xl.info_nce_loss(s, reduction="none"), expected, rtol=1e-14, atol=0)


# ----------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (lambda: xl.info_nce_loss(np.zeros((3, 4))), ValueError, r"scores must be a square \(N, N\)"),
        (lambda: xl.info_nce_loss(np.zeros(3)), ValueError, r"scores must be a square"),
        (lambda: xl.clip_loss(np.zeros((2, 3))), ValueError, r"scores must be a square"),
        (lambda: xl.info_nce_loss(np.diag([0.0, -np.inf])), ValueError, r"scores must have a finite diagonal"),
        (lambda: xl.info_nce_loss([[np.nan, 0.0], [0.0, 1.0]]), ValueError, r"scores contains NaN"),
        (lambda: xl.info_nce_loss([[np.inf, 0.0], [0.0, 1.0]]), ValueError, r"scores must have a finite diagonal"),
        (lambda: xl.info_nce_loss([[1.0, np.inf], [0.0, 1.0]]), ValueError, r"logits contains \+inf"),
        (lambda: xl.info_nce_loss(np.eye(2), temperature=0.0), ValueError, r"temperature must be a finite number > 0"),
        (lambda: xl.clip_loss(np.eye(2), temperature=-1.0), ValueError, r"temperature must be"),
        (lambda: xl.info_nce_bound(np.eye(2), temperature="hot"), TypeError, r"temperature must be a real number"),
        (lambda: xl.info_nce_loss(np.eye(2), reduction="avg"), ValueError, r"reduction must be one of"),
        (lambda: xl.gaussian_mutual_information(1.0), ValueError, r"rho must be a correlation strictly between -1 and 1"),
        (lambda: xl.gaussian_mutual_information(0.5, dim=0), ValueError, r"dim must be >= 1"),
        (lambda: xl.gaussian_mutual_information(0.5, dim=2.0), TypeError, r"dim must be an integer"),
        (lambda: xl.correlated_gaussians(0, 0.5), ValueError, r"n must be >= 1"),
        (lambda: xl.correlated_gaussians(3, -1.5), ValueError, r"rho must be a correlation"),
        (lambda: xl.gaussian_critic(np.zeros((3, 2)), np.zeros((3, 3)), 0.5), ValueError, r"x and y must have the same shape"),
        (lambda: xl.gaussian_critic(np.zeros(3), np.zeros(3), 0.5), ValueError, r"x and y must have the same shape"),
        (lambda: xl.gaussian_critic([[np.inf]], [[0.0]], 0.5), ValueError, r"x and y must be finite"),
    ],
)
def test_bad_input_names_the_argument(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


# --------------------------------------------------------- correlated Gaussians


def test_gaussian_mutual_information_closed_form_and_tiny_correlations():
    assert xl.gaussian_mutual_information(0.99, dim=4) == pytest.approx(-2 * np.log(1 - 0.99**2), rel=1e-15)
    assert xl.gaussian_mutual_information(0.0) == 0.0
    assert xl.gaussian_mutual_information(-0.6, 3) == xl.gaussian_mutual_information(0.6, 3)
    rho = 1e-9  # 1 - rho**2 rounds to 1 - 1e-18 = 1.0: only log1p keeps the answer
    exact = float(-mpmath.log(1 - mpmath.mpf(rho) ** 2) / 2)
    assert xl.gaussian_mutual_information(rho) == pytest.approx(exact, rel=1e-12)


def test_correlated_gaussians_are_seeded_and_have_the_correlation():
    x, y = xl.correlated_gaussians(50_000, 0.8, dim=3, seed=7)
    x2, y2 = xl.correlated_gaussians(50_000, 0.8, dim=3, seed=7)
    assert np.array_equal(x, x2) and np.array_equal(y, y2)
    for k in range(3):
        assert np.corrcoef(x[:, k], y[:, k])[0, 1] == pytest.approx(0.8, abs=0.01)
    assert y.std(axis=0) == pytest.approx(np.ones(3), abs=0.02)
    gen = np.random.default_rng(3)
    a, _ = xl.correlated_gaussians(4, 0.5, seed=gen)
    b, _ = xl.correlated_gaussians(4, 0.5, seed=gen)
    assert not np.array_equal(a, b)  # a Generator is used, and advanced


def _log_normal(v, mean, var):
    return (-0.5 * (v - mean) ** 2 / var - 0.5 * np.log(2 * np.pi * var)).sum(axis=-1)


def test_gaussian_critic_is_the_log_density_ratio(rng):
    rho = 0.7
    x, y = xl.correlated_gaussians(6, rho, dim=3, seed=1)
    brute = np.array([[_log_normal(y[j], rho * x[i], 1 - rho**2) - _log_normal(y[j], 0.0, 1.0)
                       for j in range(6)] for i in range(6)])
    np.testing.assert_allclose(xl.gaussian_critic(x, y, rho), brute, rtol=1e-12, atol=1e-12)
    stack = xl.gaussian_critic(np.stack([x, y]), np.stack([y, x]), rho)
    np.testing.assert_allclose(stack[0], brute, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(stack[1], xl.gaussian_critic(y, x, rho), rtol=1e-12, atol=1e-12)


def test_the_optimal_critic_recovers_the_mutual_information_and_nearly_reaches_the_ceiling():
    rho, d = 0.9, 2
    x, y = xl.correlated_gaussians(200_000, rho, dim=d, seed=2)
    pmi = xl.gaussian_critic(x[:, None, :], y[:, None, :], rho)[:, 0, 0]
    assert pmi.mean() == pytest.approx(xl.gaussian_mutual_information(rho, d), abs=0.02)
    # At rho = 0.99, d = 4 (MI 7.83 nats) the bound sits just under its ceiling log N.
    x, y = xl.correlated_gaussians(8192, 0.99, dim=4, seed=1)
    for n, low in [(16, 2.74), (128, 4.70), (1024, 6.35)]:
        bound = xl.info_nce_bound(xl.gaussian_critic(x.reshape(-1, n, 4), y.reshape(-1, n, 4), 0.99))
        assert low < bound < np.log(n)


# ----------------------------------------------------------------- SigLIP


def _torch_siglip_pseudocode(img_emb, txt_emb, t_prime, b):
    """The paper's pseudocode (Zhai et al. 2023, Algorithm 1), line for line in torch."""
    import torch
    import torch.nn.functional as F

    img_emb, txt_emb = torch.from_numpy(np.array(img_emb)), torch.from_numpy(np.array(txt_emb))
    n = img_emb.shape[0]
    t = torch.exp(torch.tensor(t_prime, dtype=img_emb.dtype))
    zimg = F.normalize(img_emb, dim=-1)
    ztxt = F.normalize(txt_emb, dim=-1)
    logits = zimg @ ztxt.T * t + b
    labels = 2 * torch.eye(n, dtype=img_emb.dtype) - torch.ones(n, n, dtype=img_emb.dtype)
    return (-torch.sum(F.logsigmoid(labels * logits)) / n).item()


def _cosines(img_emb, txt_emb):
    zi = img_emb / np.linalg.norm(img_emb, axis=-1, keepdims=True)
    zt = txt_emb / np.linalg.norm(txt_emb, axis=-1, keepdims=True)
    return zi @ np.swapaxes(zt, -1, -2)


@pytest.mark.parametrize("n", [1, 2, 5, 32, 129])
@pytest.mark.parametrize(("t_prime", "b"), [(np.log(10.0), -10.0), (0.0, 0.0), (np.log(112.0), -16.5), (2.0, 3.0)])
def test_siglip_loss_matches_the_papers_pseudocode_in_torch(rng, n, t_prime, b):
    img, txt = rng.normal(size=(n, 8)), rng.normal(size=(n, 8))
    txt[: n // 2] += 2.0 * img[: n // 2]  # some true pairs aligned, some not
    expected = _torch_siglip_pseudocode(img, txt, t_prime, b)
    assert xl.siglip_loss(_cosines(img, txt), log_scale=t_prime, bias=b) == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_siglip_loss_hand_computed_tiny_cases():
    # N = 1: one positive pair, -log sigmoid(t s + b)
    assert xl.siglip_loss([[0.5]], log_scale=0.0, bias=0.0) == pytest.approx(np.log1p(np.exp(-0.5)), abs=1e-15)
    # all scores 0, t = 1, b = 0: every pair costs log 2; N^2 pairs / N = N log 2
    assert xl.siglip_loss(np.zeros((3, 3)), log_scale=0.0, bias=0.0) == pytest.approx(3 * np.log(2), abs=1e-15)
    # the default t = 10, b = -10 on [[0.9, 0.1], [-0.2, 0.8]]: logits [[-1, -9], [-12, -2]]
    s = np.array([[0.9, 0.1], [-0.2, 0.8]])
    softplus = lambda u: np.log1p(np.exp(u))  # noqa: E731  (-log sigmoid(-u))
    rows = np.array([softplus(1.0) + softplus(-9.0), softplus(-12.0) + softplus(2.0)])
    np.testing.assert_allclose(xl.siglip_loss(s, reduction="none"), rows, rtol=1e-14)
    assert xl.siglip_loss(s) == pytest.approx(rows.sum() / 2, rel=1e-14)
    assert xl.siglip_loss(s, reduction="sum") == pytest.approx(rows.sum(), rel=1e-14)


def test_siglip_loss_is_exact_for_huge_logits_and_keeps_float32(rng):
    s = np.array([[1.0, -1.0], [-1.0, 1.0]])
    # t = e^10 ~ 22026: right pairs cost ~0, and one wrong sign costs the logit itself
    assert xl.siglip_loss(s, log_scale=10.0, bias=0.0) == pytest.approx(0.0, abs=1e-300)
    flipped = xl.siglip_loss(-s, log_scale=10.0, bias=0.0, reduction="sum")
    assert flipped == pytest.approx(4 * np.exp(10.0), rel=1e-12)
    s32 = rng.uniform(-1, 1, (6, 6)).astype(np.float32)
    rows = xl.siglip_loss(s32, reduction="none")
    assert rows.dtype == np.float32
    np.testing.assert_allclose(rows, xl.siglip_loss(s32.astype(np.float64), reduction="none"), rtol=1e-5)


def test_siglip_loss_of_a_stack_and_of_blocks_is_the_sum_of_its_parts(rng):
    stack = rng.uniform(-1, 1, (4, 6, 6))
    per_batch = [xl.siglip_loss(stack[k]) for k in range(4)]
    assert xl.siglip_loss(stack) == pytest.approx(np.mean(per_batch), rel=1e-13)
    assert xl.siglip_loss(stack, reduction="none").shape == (4, 6)
    # no softmax couples the pairs: a 2 x 2 grid of blocks (two devices' images against their
    # own texts and the other device's) sums to the whole batch's loss
    s = stack[0]
    t, b = np.log(10.0), -10.0
    z = np.exp(t) * s + b
    labels = 2 * np.eye(6) - 1
    blocks = sum(
        np.logaddexp(0, -(labels * z)[r, c]).sum() for r in (slice(0, 3), slice(3, 6)) for c in (slice(0, 3), slice(3, 6))
    )
    assert xl.siglip_loss(s, reduction="sum") == pytest.approx(blocks, rel=1e-13)


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (lambda: xl.siglip_loss(np.zeros((2, 3))), ValueError, r"scores must be a square"),
        (lambda: xl.siglip_loss(np.zeros((0, 0))), ValueError, r"scores"),
        (lambda: xl.siglip_loss(np.zeros(4)), ValueError, r"scores must be a square"),
        (lambda: xl.siglip_loss(np.eye(2), log_scale=True), TypeError, r"log_scale must be a real number"),
        (lambda: xl.siglip_loss(np.eye(2), bias=False), TypeError, r"bias must be a real number"),
        (lambda: xl.siglip_loss(np.eye(2), bias="-10"), TypeError, r"bias must be a real number"),
        (lambda: xl.siglip_loss(np.eye(2), bias=np.nan), ValueError, r"bias must be finite"),
        (lambda: xl.siglip_loss(np.eye(2), log_scale=1e4), ValueError, r"log_scale is too large"),
        (lambda: xl.siglip_loss(np.eye(2), reduction="avg"), ValueError, r"reduction"),
        (lambda: xl.siglip_loss(np.array([[np.nan, 0.0], [0.0, 1.0]])), ValueError, r"scores contains NaN"),
        (lambda: xl.siglip_loss(np.array([[np.inf, 0.0], [0.0, 1.0]])), ValueError, r"finite diagonal"),
    ],
)
def test_siglip_loss_refuses_bad_input_and_names_the_argument(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
