"""The course's worked examples reproduce the figures published with them."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import xent_lessons as xl

# ------------------------------------------------- three samples, three classes (logits)

LOGITS = [[9.7785, 0.9195, 2.10], [3.133, -3.05, 1.02], [0.12, 0.432518, 0.470]]
TARGETS = [0, 0, 2]
PUBLISHED_FLOAT32 = 0.36594846844673157  # torch, float32 (a float32 printed as a double)
PUBLISHED_FLOAT64 = 0.36594851568931036  # float64, as published

# The float64 figure was published from another platform. PyTorch on this machine gives
# 0.36594851568931047, 1.1e-16 (one ulp at 0.37 is 5.6e-17, so two ulps) above it: the
# mean adds three row losses, and the order of that sum and of each row's exp-sum (SIMD
# width, pairwise versus sequential) decides the last bits. Both are correctly computed
# to within rounding, so ours must equal this machine's torch to 1e-15 and the published
# figure to an absolute 1e-15, a few ulps, not to the last digit.


def test_three_sample_example_float32_matches_the_published_torch_figure():
    torch_f32 = F.cross_entropy(torch.tensor(LOGITS), torch.tensor(TARGETS)).item()
    # Exact here; up to ~1 float32 ulp of slack (3e-8 at 0.37) for another summation order.
    assert torch_f32 == pytest.approx(PUBLISHED_FLOAT32, rel=1e-7, abs=0)
    ours = xl.categorical_cross_entropy(np.float32(LOGITS), TARGETS)
    # Our float32 row losses are summed in float64, torch's in float32: 1.7e-7 apart here.
    assert ours == pytest.approx(PUBLISHED_FLOAT32, rel=1e-6, abs=0)
    assert ours != pytest.approx(PUBLISHED_FLOAT64, rel=1e-9)  # really a float32 result


def test_three_sample_example_float64_matches_torch_and_the_published_figure():
    torch_f64 = F.cross_entropy(
        torch.tensor(LOGITS, dtype=torch.float64), torch.tensor(TARGETS)
    ).item()
    ours = xl.categorical_cross_entropy(LOGITS, TARGETS)
    fused, _ = xl.categorical_cross_entropy_grad(LOGITS, TARGETS, return_loss=True)
    assert isinstance(ours, float)
    assert ours == pytest.approx(torch_f64, rel=0, abs=1e-15)
    assert fused == pytest.approx(torch_f64, rel=0, abs=1e-15)
    assert ours == pytest.approx(PUBLISHED_FLOAT64, rel=0, abs=1e-15)
    assert torch_f64 == pytest.approx(PUBLISHED_FLOAT64, rel=0, abs=1e-15)
    # and by hand: the mean of -log softmax(z)[y]
    by_hand = np.mean([-xl.log_softmax(row)[y] for row, y in zip(LOGITS, TARGETS, strict=True)])
    assert ours == pytest.approx(by_hand, rel=0, abs=1e-15)


def test_random_normal_logits_from_torch_seed_zero_give_1_4412():
    torch.manual_seed(0)
    logits = torch.randn(4, 3)
    targets = torch.tensor([0, 1, 2, 1])
    torch_loss = F.cross_entropy(logits, targets).item()
    ours = xl.categorical_cross_entropy(logits.numpy(), targets.numpy())
    ours_f64 = xl.categorical_cross_entropy(logits.numpy().astype(np.float64), targets.numpy())
    assert round(torch_loss, 4) == 1.4412
    assert round(ours, 4) == 1.4412
    assert round(ours_f64, 4) == 1.4412
    assert ours == pytest.approx(torch_loss, rel=1e-6)


# --------------------------------------------------------------- binary, probabilities

BCE_TARGETS = [0, 1, 1, 0, 0, 1, 1]
BCE_PROBS = [0.07, 0.91, 0.74, 0.23, 0.85, 0.17, 0.94]


def test_binary_cross_entropy_summed_over_seven_predictions():
    total = xl.binary_cross_entropy(BCE_PROBS, BCE_TARGETS, reduction="sum")
    assert total == pytest.approx(4.460303459760249, rel=0, abs=1e-15)
    by_hand = -sum(
        math.log(p) if t else math.log(1 - p) for p, t in zip(BCE_PROBS, BCE_TARGETS, strict=True)
    )
    assert total == pytest.approx(by_hand, rel=1e-15)
    assert xl.binary_cross_entropy(BCE_PROBS, BCE_TARGETS) == pytest.approx(4.460303459760249 / 7)


# --------------------------------------------------------- one-hot rows, probabilities

ONE_HOT = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0]], dtype=float)
LABELS = ONE_HOT.argmax(axis=1)
PROBS = np.array([[0.91, 0.04, 0.05], [0.11, 0.8, 0.09], [0.3, 0.1, 0.6], [0.25, 0.4, 0.35]])
PER_ROW = [0.0943, 0.2231, 0.5108, 1.3863]  # -log 0.91, -log 0.8, -log 0.6, -log 0.25


def test_categorical_cross_entropy_of_one_hot_rows_as_nll_of_log_probs():
    total = xl.nll_loss(np.log(PROBS), LABELS, reduction="sum")
    assert total == pytest.approx(2.214574215671332, rel=0, abs=1e-15)
    per_row = xl.nll_loss(np.log(PROBS), LABELS, reduction="none")
    np.testing.assert_allclose(per_row, PER_ROW, rtol=0, atol=5e-5)
    # -sum(y * log q), written out
    assert total == pytest.approx(-np.sum(ONE_HOT * np.log(PROBS)), rel=1e-15)


def test_categorical_cross_entropy_of_one_hot_rows_as_cross_entropy_per_row():
    per_row = xl.cross_entropy(ONE_HOT, PROBS)
    assert per_row.shape == (4,)
    np.testing.assert_allclose(per_row, PER_ROW, rtol=0, atol=5e-5)
    assert per_row.sum() == pytest.approx(2.214574215671332, rel=0, abs=1e-15)
    # the same numbers from log-probabilities used as logits (their logsumexp is 0)
    as_logits = xl.categorical_cross_entropy(np.log(PROBS), LABELS, reduction="sum")
    assert as_logits == pytest.approx(2.214574215671332, rel=0, abs=1e-14)


def test_per_row_losses_of_two_predictions():
    probs = np.array([[0.1, 0.3, 0.6], [0.2, 0.3, 0.5]])
    labels = np.array([0, 2])
    expected = [2.30258509, 0.69314718]
    np.testing.assert_allclose(xl.nll_loss(np.log(probs), labels, reduction="none"), expected, atol=5e-9)
    np.testing.assert_allclose(xl.cross_entropy(np.eye(3)[labels], probs), expected, atol=5e-9)
    np.testing.assert_allclose(
        xl.categorical_cross_entropy(np.log(probs), labels, reduction="none"), expected, atol=5e-9
    )
    np.testing.assert_allclose(
        xl.nll_loss(np.log(probs), labels, reduction="none"), [math.log(10), math.log(2)], rtol=1e-15
    )
