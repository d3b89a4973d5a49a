"""xent_lessons.preference: Bradley-Terry, DPO (TRL's sigmoid loss) and sequence log-probabilities.

Checked against a torch autograd implementation of the same formulas in float64, against
hand values, at margins where log(sigmoid(x)) underflows, and on bad input.
"""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import xent_lessons as xl
from xent_lessons import preference


def torch_dpo(pc, pr, rc, rr, beta, eps):
    """TRL's DPOTrainer.dpo_loss, loss_type="sigmoid" (v0.24), in float64 with autograd."""
    pc = torch.tensor(pc, dtype=torch.float64, requires_grad=True)
    pr = torch.tensor(pr, dtype=torch.float64, requires_grad=True)
    logits = (pc - pr) - (torch.tensor(rc) - torch.tensor(rr))
    losses = (-F.logsigmoid(beta * logits) * (1 - eps) - F.logsigmoid(-beta * logits) * eps)
    loss = losses.mean()
    loss.backward()
    return loss.item(), losses.detach().numpy(), pc.grad.numpy(), pr.grad.numpy()


def random_logps(rng, n, scale=20.0):
    return [-np.abs(rng.normal(0, scale, n)) for _ in range(4)]


@pytest.mark.parametrize("beta", [0.01, 0.1, 1.0, 7.5])
@pytest.mark.parametrize("eps", [0.0, 0.1, 0.5])
def test_dpo_loss_and_grad_match_torch_autograd(beta, eps):
    rng = np.random.default_rng(int(beta * 100) + int(eps * 10))
    pc, pr, rc, rr = random_logps(rng, 64)
    loss, losses, g_c, g_r = torch_dpo(pc, pr, rc, rr, beta, eps)
    assert xl.dpo_loss(pc, pr, rc, rr, beta, eps) == pytest.approx(loss, rel=1e-13)
    np.testing.assert_allclose(xl.dpo_loss(pc, pr, rc, rr, beta, eps, reduction="none"),
                               losses, rtol=1e-13)
    assert xl.dpo_loss(pc, pr, rc, rr, beta, eps, reduction="sum") == pytest.approx(
        losses.sum(), rel=1e-13)
    ours_c, ours_r = xl.dpo_loss_grad(pc, pr, rc, rr, beta, eps)
    np.testing.assert_allclose(ours_c, g_c, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(ours_r, g_r, rtol=1e-12, atol=1e-300)
    value, (again_c, _) = xl.dpo_loss_grad(pc, pr, rc, rr, beta, eps, reduction="sum",
                                           return_loss=True)
    assert value == pytest.approx(losses.sum(), rel=1e-13)
    np.testing.assert_allclose(again_c, g_c * 64, rtol=1e-12)


def test_dpo_loss_hand_values():
    # margin 0: log 2 whatever beta and epsilon
    assert xl.dpo_loss([-3.0], [-7.0], [-3.0], [-7.0], beta=3.0, label_smoothing=0.2) == \
        pytest.approx(math.log(2), rel=1e-15)
    # margin 2, beta 0.5: softplus(-1)
    assert xl.dpo_loss([-10.0], [-12.0], [-11.0], [-11.0], beta=0.5) == pytest.approx(
        math.log1p(math.exp(-1.0)), rel=1e-15)
    # label smoothing 0.25 at beta * margin = 1: 0.75 softplus(-1) + 0.25 softplus(1)
    expected = 0.75 * math.log1p(math.exp(-1)) + 0.25 * math.log1p(math.exp(1))
    assert xl.dpo_loss([-10.0], [-12.0], [-11.0], [-11.0], 0.5, 0.25) == pytest.approx(
        expected, rel=1e-15)
    # the reference counts: the same policy numbers, another reference, another loss
    assert xl.dpo_loss([-1.0], [-2.0], [-1.0], [-2.0]) == pytest.approx(math.log(2))
    assert xl.dpo_loss([-1.0], [-2.0], [-5.0], [-1.0]) < math.log(2) - 0.2


def test_exact_at_any_margin_where_log_sigmoid_fails():
    huge = [-1.0], [-20001.0], [-1.0], [-1.0]
    assert xl.dpo_loss(*huge, beta=1.0) == 0.0
    assert xl.dpo_loss([-20001.0], [-1.0], [-1.0], [-1.0], beta=1.0) == pytest.approx(
        20000.0, rel=1e-15)
    with np.errstate(divide="ignore", over="ignore"):
        naive = -np.log(1 / (1 + np.exp(20000.0)))
    assert np.isinf(naive)  # what the exact form avoids
    assert xl.bradley_terry_loss([-1000.0], [0.0]) == 1000.0
    assert xl.bradley_terry_loss([40.0], [0.0]) == pytest.approx(math.exp(-40.0), rel=1e-15)
    g_c, _ = xl.dpo_loss_grad([-20001.0], [-1.0], [-1.0], [-1.0], beta=1.0)
    assert g_c[0] == pytest.approx(-1.0, rel=1e-15)


def test_bradley_terry_matches_torch_bce_with_logits():
    rng = np.random.default_rng(5)
    c, r = rng.normal(0, 3, 50), rng.normal(0, 3, 50)
    theirs = F.binary_cross_entropy_with_logits(torch.tensor(c - r), torch.ones(50, dtype=torch.float64))
    assert xl.bradley_terry_loss(c, r) == pytest.approx(theirs.item(), rel=1e-14)
    assert xl.bradley_terry_loss(c + 100.0, r + 100.0) == pytest.approx(theirs.item(), rel=1e-12)
    np.testing.assert_allclose(xl.bradley_terry_loss(c, r, reduction="none"),
                               xl.binary_cross_entropy_with_logits(c - r, np.ones(50), reduction="none"),
                               rtol=1e-14)
    assert xl.bradley_terry_loss([1.0, 0.0], [0.0, 0.0], "sum") == pytest.approx(
        math.log1p(math.exp(-1)) + math.log(2))


def test_dpo_is_bradley_terry_on_the_implicit_rewards():
    rng = np.random.default_rng(2)
    pc, pr, rc, rr = random_logps(rng, 20)
    rew_c = xl.preference.dpo_implicit_rewards(pc, rc, beta=0.3)
    rew_r = xl.preference.dpo_implicit_rewards(pr, rr, beta=0.3)
    assert xl.dpo_loss(pc, pr, rc, rr, beta=0.3) == pytest.approx(
        xl.bradley_terry_loss(rew_c, rew_r), rel=1e-13)


def test_grad_is_a_finite_difference_of_the_loss():
    rng = np.random.default_rng(9)
    pc, pr, rc, rr = random_logps(rng, 5, scale=3.0)
    g_c, g_r = xl.dpo_loss_grad(pc, pr, rc, rr, beta=0.7, label_smoothing=0.1)
    h = 1e-6
    for i in range(5):
        up, down = pc.copy(), pc.copy()
        up[i] += h
        down[i] -= h
        fd = (xl.dpo_loss(up, pr, rc, rr, 0.7, 0.1) - xl.dpo_loss(down, pr, rc, rr, 0.7, 0.1)) / (2 * h)
        assert fd == pytest.approx(g_c[i], rel=1e-6)
    np.testing.assert_array_equal(g_r, -g_c)


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"beta": 0.0}, ValueError, "beta"),
        ({"beta": -1.0}, ValueError, "beta"),
        ({"label_smoothing": 0.6}, ValueError, "label_smoothing"),
        ({"label_smoothing": -0.1}, ValueError, "label_smoothing"),
        ({"reduction": "batchmean"}, ValueError, "reduction"),
    ],
)
def test_dpo_bad_settings(kwargs, error, words):
    args = [-1.0], [-2.0], [-1.0], [-2.0]
    with pytest.raises(error, match=words):
        xl.dpo_loss(*args, **kwargs)
    if "reduction" not in kwargs or kwargs["reduction"] != "batchmean":
        with pytest.raises(error, match=words):
            xl.dpo_loss_grad(*args, **kwargs)


def test_dpo_bad_arrays_name_the_argument():
    ok = np.array([-1.0, -2.0])
    with pytest.raises(ValueError, match="reference_rejected_logps must have the same shape"):
        xl.dpo_loss(ok, ok, ok, ok[:1])
    with pytest.raises(ValueError, match="policy_rejected_logps contains NaN"):
        xl.dpo_loss(ok, [-1.0, np.nan], ok, ok)
    with pytest.raises(TypeError, match=r"reference_chosen_logps must hold numbers.*bool"):
        xl.dpo_loss(ok, ok, np.array([True, False]), ok)
    with pytest.raises(ValueError, match="policy_chosen_logps must hold log-probabilities"):
        xl.dpo_loss([0.5, -1.0], ok, ok, ok)
    with pytest.raises(ValueError, match="rejected must have the same shape as chosen"):
        xl.bradley_terry_loss([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="chosen contains NaN"):
        xl.bradley_terry_loss([np.nan], [1.0])
    with pytest.raises(TypeError, match="rejected must hold numbers"):
        xl.bradley_terry_loss([1.0], [True])
    with pytest.raises(TypeError, match="label_smoothing"):
        xl.dpo_loss(ok, ok, ok, ok, label_smoothing=True)


def test_sequence_log_probs_match_torch_cross_entropy():
    rng = np.random.default_rng(3)
    z = rng.normal(0, 3, (4, 7, 6))
    y = rng.integers(0, 7, (4, 6))
    y[1, 3:] = -100
    y[3, :] = -100
    per_token = F.cross_entropy(torch.tensor(z), torch.tensor(y), ignore_index=-100, reduction="none")
    summed = -per_token.sum(dim=1).numpy()
    np.testing.assert_allclose(xl.preference.sequence_log_probs(z, y), summed, rtol=1e-13)
    counts = (y != -100).sum(axis=1)
    averaged = xl.preference.sequence_log_probs(z, y, average=True)
    np.testing.assert_allclose(averaged[:3], summed[:3] / counts[:3], rtol=1e-13)
    assert np.isnan(averaged[3])
    y7 = np.where(y == -100, 7, y)
    np.testing.assert_allclose(xl.preference.sequence_log_probs(z, y7, ignore_index=7), summed,
                               rtol=1e-13)


def test_sequence_log_probs_bad_input():
    z = np.zeros((2, 3, 4))
    with pytest.raises(ValueError, match="targets must have shape"):
        xl.preference.sequence_log_probs(z, np.zeros((2, 3), dtype=int))
    with pytest.raises(TypeError, match="targets must hold integer"):
        xl.preference.sequence_log_probs(z, np.zeros((2, 4)))
    with pytest.raises(ValueError, match="logits must have shape"):
        xl.preference.sequence_log_probs(z[0], np.zeros((2, 4), dtype=int))
    with pytest.raises(TypeError, match="average"):
        xl.preference.sequence_log_probs(z, np.zeros((2, 4), dtype=int), average="sum")


def test_bigram_sequence_log_probs_by_hand():
    W = np.log(np.array([[0.5, 0.5, 1e-300], [0.1, 0.2, 0.7], [1 / 3, 1 / 3, 1 / 3]]))
    lp = preference.bigram_sequence_log_probs(W, [[0, 1, 2], [1, 0]])
    np.testing.assert_allclose(lp, [np.log(0.5) + np.log(0.7), np.log(0.1)], rtol=1e-13)
    avg = preference.bigram_sequence_log_probs(W, [[0, 1, 2], [1, 0]], average=True)
    np.testing.assert_allclose(avg, [(np.log(0.5) + np.log(0.7)) / 2, np.log(0.1)], rtol=1e-13)


def test_log_sigmoid_exact():
    x = np.array([-800.0, -1.0, 0.0, 1.0, 50.0])
    np.testing.assert_allclose(xl.preference.log_sigmoid_exact(x),
                               F.logsigmoid(torch.tensor(x)).numpy(), rtol=1e-15)
