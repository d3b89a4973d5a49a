"""The calibration math: ECE and reliability bins, Brier score, temperature fit, prior correction.

References: ECE as torchmetrics computes it (torch.bucketize into equal-width bins, written
out here with torch ops), a plain loop over bins, brute-force minimisation for the
temperature, PyTorch autograd for its slope, and the mixture's exact Bayes posterior for
the prior correction.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from conftest import random_distributions

import xent_lessons as xl
from xent_lessons.calibration import temperature_nll


def torchmetrics_style_ece(probs, target, n_bins):
    """torchmetrics' ``_binning_bucketize`` + L1 calibration error, in plain torch."""
    p = torch.from_numpy(np.asarray(probs, dtype=np.float64))
    t = torch.from_numpy(np.asarray(target))
    if p.ndim == 1:
        conf, acc = p, t.double()
    else:
        conf, pred = p.max(dim=1)
        acc = (pred == t).double()
    boundaries = torch.linspace(0, 1, n_bins + 1, dtype=torch.float64)
    idx = torch.bucketize(conf, boundaries, right=True) - 1
    idx = idx.clamp(0, n_bins - 1)
    count = torch.zeros(n_bins, dtype=torch.float64).scatter_add_(0, idx, torch.ones_like(conf))
    conf_sum = torch.zeros(n_bins, dtype=torch.float64).scatter_add_(0, idx, conf)
    acc_sum = torch.zeros(n_bins, dtype=torch.float64).scatter_add_(0, idx, acc)
    full = count > 0
    gap = (acc_sum[full] / count[full] - conf_sum[full] / count[full]).abs()
    return float((count[full] / count.sum() * gap).sum())


def loop_ece(probs, target, n_bins):
    conf, hit = probs.max(axis=1), (probs.argmax(axis=1) == target)
    total = 0.0
    for k in range(n_bins):
        lo, hi = k / n_bins, (k + 1) / n_bins
        mine = (conf >= lo) & ((conf < hi) | ((k == n_bins - 1) & (conf <= hi)))
        if mine.any():
            total += mine.mean() * abs(hit[mine].mean() - conf[mine].mean())
    return total


# ------------------------------------------------------------------------ ECE


@pytest.mark.parametrize("n_bins", [1, 5, 15, 40])
@pytest.mark.parametrize("n_classes", [2, 3, 7])
def test_ece_matches_torchmetrics_binning(rng, n_bins, n_classes):
    probs = random_distributions(rng, 500, n_classes)
    target = rng.integers(0, n_classes, 500)
    ours = xl.expected_calibration_error(probs, target, n_bins=n_bins)
    assert ours == pytest.approx(torchmetrics_style_ece(probs, target, n_bins), abs=1e-12)
    assert ours == pytest.approx(loop_ece(probs, target, n_bins), abs=1e-12)


def test_binary_ece_compares_probability_with_fraction_of_positives(rng):
    p = rng.random(400)
    t = (rng.random(400) < p).astype(np.int64)
    ours = xl.expected_calibration_error(p, t, n_bins=10)
    assert ours == pytest.approx(torchmetrics_style_ece(p, t, 10), abs=1e-12)
    # float 0/1 targets (lesson 04's BCE targets) are the same labels; booleans are refused
    # (as everywhere in the package), with the fix in the message
    assert xl.expected_calibration_error(p, t.astype(float), n_bins=10) == ours
    with pytest.raises(TypeError, match=r"target is a boolean array.*target\.astype\(int\)"):
        xl.expected_calibration_error(p, t.astype(bool), n_bins=10)


def test_confidence_of_exactly_one_is_in_the_last_bin():
    probs = np.array([[1.0, 0.0], [1.0, 0.0], [0.55, 0.45]])
    bins = xl.reliability_bins(probs, [0, 1, 0], n_bins=4)
    assert bins.count.tolist() == [0, 0, 1, 2]
    assert bins.accuracy[3] == 0.5 and bins.confidence[3] == 1.0
    assert np.isnan(bins.accuracy[0])  # empty bins are NaN, and skipped by the ECE
    assert xl.expected_calibration_error(probs, [0, 1, 0], n_bins=4) == pytest.approx(
        (1 / 3) * 0.45 + (2 / 3) * 0.5
    )


def test_one_bin_is_the_gap_between_mean_confidence_and_accuracy(rng):
    probs = random_distributions(rng, 200, 4)
    y = rng.integers(0, 4, 200)
    expected = abs(np.mean(probs.argmax(axis=1) == y) - probs.max(axis=1).mean())
    assert xl.expected_calibration_error(probs, y, n_bins=1) == pytest.approx(expected, abs=1e-15)


def test_ece_ignores_the_order_of_samples_and_is_small_for_a_calibrated_model(rng):
    mix = xl.mixture.ring_mixture()
    X, y = mix.sample(20000, seed=2)
    q = mix.posterior(X)
    order = rng.permutation(len(y))
    ece = xl.expected_calibration_error(q, y)
    assert xl.expected_calibration_error(q[order], y[order]) == pytest.approx(ece, abs=1e-13)
    assert ece < 0.01
    # an over-confident version of the same model is clearly worse
    sharp = xl.softmax(3 * mix.posterior_logits(X), axis=1)
    assert xl.expected_calibration_error(sharp, y) > 3 * ece


def test_quantile_bins_hold_equal_shares(rng):
    probs = random_distributions(rng, 100, 3)
    y = rng.integers(0, 3, 100)
    bins = xl.reliability_bins(probs, y, n_bins=8, strategy="quantile")
    assert bins.count.sum() == 100 and bins.count.max() - bins.count.min() <= 1
    assert np.all(np.diff(bins.confidence) >= 0)  # bins in order of confidence
    assert 0 <= xl.expected_calibration_error(probs, y, 8, strategy="quantile") <= 1


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"probs": np.array([[2.0, -1.0]])}, ValueError, "softmax"),
        ({"probs": np.array([[0.5, 0.4]])}, ValueError, "sum to 1"),
        ({"probs": np.zeros((2, 2, 2))}, ValueError, "shape"),
        ({"probs": np.array([[np.nan, 1.0]])}, ValueError, "NaN"),
        ({"target": np.array([0.0, 1.0])}, TypeError, "integer"),
        ({"target": np.array([0, 1, 1])}, ValueError, "shape"),
        ({"target": np.array([0, 2])}, ValueError, "out of range"),
        ({"n_bins": 0}, ValueError, "n_bins"),
        ({"n_bins": 2.5}, ValueError, "n_bins"),
        ({"strategy": "equal"}, ValueError, "strategy"),
    ],
)
def test_ece_rejects_bad_input(kwargs, error, match):
    args = {"probs": np.array([[0.7, 0.3], [0.4, 0.6]]), "target": np.array([0, 1]), "n_bins": 5}
    args.update(kwargs)
    with pytest.raises(error, match=match):
        xl.expected_calibration_error(**args)


# ---------------------------------------------------------------------- Brier


def test_brier_score_matches_torch_and_the_binary_form(rng):
    probs = random_distributions(rng, 300, 5)
    y = rng.integers(0, 5, 300)
    onehot = F.one_hot(torch.from_numpy(y), 5).double()
    theirs = F.mse_loss(torch.from_numpy(probs), onehot, reduction="sum").item() / 300
    assert xl.brier_score(probs, y) == pytest.approx(theirs, abs=1e-12)
    per_sample = xl.brier_score(probs, y, reduction="none")
    assert per_sample.shape == (300,)
    assert xl.brier_score(probs, y, reduction="sum") == pytest.approx(per_sample.sum(), abs=1e-12)
    # Two classes: the multiclass score counts both classes' errors, twice the binary one.
    p = rng.random(50)
    t = rng.integers(0, 2, 50)
    two = np.stack([1 - p, p], axis=1)
    assert xl.brier_score(two, t) == pytest.approx(2 * xl.brier_score(p, t), abs=1e-14)
    assert xl.brier_score(p, t) == pytest.approx(np.mean((p - t) ** 2), abs=1e-15)


def test_brier_score_bounds_and_propriety():
    assert xl.brier_score([[1.0, 0.0]], [0]) == 0.0
    assert xl.brier_score([[0.0, 1.0]], [0]) == 2.0  # the worst: a certain mistake
    # proper: for labels drawn with probability 0.3, the expected score is lowest at q = 0.3
    qs = np.linspace(0.01, 0.99, 99)
    expected = [0.3 * (q - 1) ** 2 + 0.7 * q**2 for q in qs]
    assert qs[int(np.argmin(expected))] == pytest.approx(0.3)
    with pytest.raises(ValueError, match="reduction"):
        xl.brier_score([0.5], [1], reduction="avg")


# ----------------------------------------------------------------- temperature


def brute_force_temperature(z, y, lo=0.05, hi=50.0):
    grid = np.geomspace(lo, hi, 4001)
    best = grid[np.argmin(temperature_nll(z, y, grid))]
    fine = np.geomspace(best / 1.01, best * 1.01, 4001)
    return fine[np.argmin(temperature_nll(z, y, fine))]


@pytest.mark.parametrize("scale", [0.3, 1.0, 2.5, 8.0])
def test_fit_temperature_finds_the_minimum(scale):
    mix = xl.mixture.ring_mixture()
    X, y = mix.sample(1500, seed=4)
    z = scale * mix.posterior_logits(X)
    T = xl.fit_temperature(z, y)
    assert T == pytest.approx(brute_force_temperature(z, y), rel=2e-5)
    # the true model is the Bayes posterior: T undoes the scale (up to sampling noise)
    assert T == pytest.approx(scale, rel=0.15)
    # autograd's slope of the NLL in beta = 1 / T is 0 there
    beta = torch.tensor(1 / T, dtype=torch.float64, requires_grad=True)
    F.cross_entropy(torch.from_numpy(z) * beta, torch.from_numpy(y)).backward()
    assert abs(beta.grad.item()) < 1e-9


def test_fit_temperature_is_scale_equivariant_shift_invariant_and_keeps_predictions(rng):
    z = rng.normal(0, 3, (400, 4))
    y = np.where(rng.random(400) < 0.6, z.argmax(axis=1), rng.integers(0, 4, 400))
    T = xl.fit_temperature(z, y)
    assert xl.fit_temperature(5 * z, y) == pytest.approx(5 * T, rel=1e-9)
    assert xl.fit_temperature(z + 700.0, y) == pytest.approx(T, rel=1e-9)
    assert np.array_equal((z / T).argmax(axis=1), z.argmax(axis=1))
    assert temperature_nll(z, y, [T])[0] <= temperature_nll(z, y, [T * 1.001, T / 1.001]).min()


def test_fit_temperature_binary_logits_are_two_class_logits(rng):
    x = rng.normal(0, 4, 300)
    t = (rng.random(300) < xl.sigmoid(x / 2)).astype(np.int64)  # the truth is sigmoid(x / 2)
    T = xl.fit_temperature(x, t)
    two = np.stack([np.zeros_like(x), x], axis=1)
    assert T == pytest.approx(xl.fit_temperature(two, t), rel=1e-12)
    assert T == pytest.approx(2.0, rel=0.3)


def test_fit_temperature_returns_a_bound_when_the_best_t_is_beyond_it():
    z = np.array([[3.0, 0.0], [0.0, 3.0]])
    assert xl.fit_temperature(z, [0, 1], bounds=(0.1, 10.0)) == 0.1  # all right: T -> 0
    assert xl.fit_temperature(z, [1, 0], bounds=(0.1, 10.0)) == 10.0  # all wrong: T -> inf


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"logits": np.array([[np.inf, 0.0]])}, ValueError, "finite"),
        ({"logits": np.zeros((2, 2, 2))}, ValueError, "shape"),
        ({"target": np.array([0.5, 1.0])}, TypeError, "integer"),
        ({"target": np.array([0, 5])}, ValueError, "out of range"),
        ({"bounds": (2.0, 1.0)}, ValueError, "low < high"),
        ({"bounds": (0.0, 1.0)}, ValueError, "bounds"),
    ],
)
def test_fit_temperature_rejects_bad_input(kwargs, error, match):
    args = {"logits": np.array([[2.0, 0.0], [0.0, 1.0]]), "target": np.array([0, 0])}
    args.update(kwargs)
    with pytest.raises(error, match=match):
        xl.fit_temperature(**args)


# --------------------------------------------------------------- class priors


def test_correct_prior_is_bayes_rule_on_the_mixture():
    base = xl.mixture.ring_mixture()
    new_prior = np.array([0.6, 0.1, 0.3])
    X, _ = base.sample(300, seed=8)
    moved = xl.correct_prior(base.posterior(X), base.class_prior, new_prior)
    exact = base.with_prior(new_prior).posterior(X)
    np.testing.assert_allclose(moved, exact, rtol=0, atol=1e-12)


def test_correct_prior_properties(rng):
    p = random_distributions(rng, 50, 4, with_zeros=True)
    a, b = random_distributions(rng, 2, 4)
    np.testing.assert_allclose(xl.correct_prior(p, a, a), p, atol=1e-15)
    np.testing.assert_allclose(xl.correct_prior(xl.correct_prior(p, a, b), b, a), p, atol=1e-12)
    # in logits: adding log(new / train)
    z = rng.normal(size=(50, 4))
    np.testing.assert_allclose(
        xl.correct_prior(xl.softmax(z, axis=1), a, b), xl.softmax(z + np.log(b / a), axis=1),
        atol=1e-14,
    )
    np.testing.assert_allclose(xl.correct_prior(p, a, b).sum(axis=1), 1.0, atol=1e-14)
    impossible = xl.correct_prior(random_distributions(rng, 50, 4), a, [0.5, 0.5, 0.0, 0.0])
    assert np.all(impossible[:, 2:] == 0)


def test_correct_prior_mirrors_pos_weight():
    # pos_weight w multiplies the odds by w: a 0.5 from such a model is odds 1/w.
    w = 21.0
    fixed = xl.correct_prior([[0.5, 0.5]], train_prior=[1 / (1 + w), w / (1 + w)], new_prior=[0.5, 0.5])
    assert fixed[0, 1] == pytest.approx(1 / (1 + w))
    logit = 0.0 - np.log(w)  # lesson 04: subtract log w from the logit
    assert fixed[0, 1] == pytest.approx(xl.sigmoid(logit))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"train_prior": [0.5, 0.5, 0.0]}, "train_prior must be > 0"),
        ({"new_prior": [0.5, 0.6, 0.1]}, "sum to 1"),
        ({"new_prior": [0.5, 0.5]}, "shape"),
        ({"probs": [[0.5, 0.6, 0.1]]}, "sum to 1"),
        ({"new_prior": [0.0, 0.0, 1.0]}, "impossible"),
    ],
)
def test_correct_prior_rejects_bad_input(kwargs, match):
    args = {"probs": [[0.5, 0.5, 0.0]], "train_prior": [0.2, 0.3, 0.5], "new_prior": [0.3, 0.3, 0.4]}
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        xl.correct_prior(**args)
