"""The distillation math: kl_div with torch's semantics, the distillation loss and its gradient,
the high-temperature limit, forward and reverse KL fits; and the mixture and MLP trainer
both lessons use (against torch's nn.Linear + Adam, and the exact Gaussian densities)."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from conftest import random_distributions, random_logits

import xent_lessons as xl
from xent_lessons.distillation import fit_gaussian_kl, gaussian_on_grid


def torch_distillation(s, t, T, reduction="batchmean"):
    s_t = torch.from_numpy(np.array(s)).requires_grad_(True)
    log_q = F.log_softmax(s_t / T, dim=1)
    p = F.softmax(torch.from_numpy(np.array(t)) / T, dim=1)
    loss = T**2 * F.kl_div(log_q, p, reduction=reduction)
    loss.backward(torch.ones_like(loss))
    return loss.detach().numpy(), s_t.grad.numpy()


# -------------------------------------------------------------------- kl_div


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides")  # torch's own warning
@pytest.mark.parametrize("reduction", ["none", "batchmean", "sum", "mean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_matches_torch(rng, reduction, log_target):
    log_q = xl.log_softmax(random_logits(rng, 6, 5), axis=1)
    p = random_distributions(rng, 6, 5)
    target = np.log(p) if log_target else p
    ours = xl.kl_div(log_q, target, reduction=reduction, log_target=log_target)
    theirs = F.kl_div(
        torch.from_numpy(log_q), torch.from_numpy(target), reduction=reduction, log_target=log_target
    ).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)


def test_kl_div_float32_and_zeros(rng):
    log_q = xl.log_softmax(random_logits(rng, 4, 3, dtype=np.float32), axis=1)
    p = random_distributions(rng, 4, 3, dtype=np.float32, with_zeros=True)
    ours = xl.kl_div(log_q, p, reduction="none")
    assert ours.dtype == np.float32
    theirs = F.kl_div(torch.from_numpy(log_q), torch.from_numpy(p), reduction="none").numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
    assert np.all(ours[p == 0] == 0)
    # a target of 0 where the input is -inf: 0, where torch gives nan
    assert xl.kl_div([[0.0, -np.inf]], [[1.0, 0.0]], reduction="sum") == 0.0
    assert np.isnan(F.kl_div(torch.tensor([[0.0, -np.inf]]), torch.tensor([[1.0, 0.0]]), reduction="sum").item())


def test_kl_div_batchmean_is_the_mean_kl_divergence(rng):
    p, q = random_distributions(rng, 7, 4), random_distributions(rng, 7, 4)
    batchmean = xl.kl_div(np.log(q), p, reduction="batchmean")
    assert batchmean == pytest.approx(np.mean(xl.kl_divergence(p, q)), abs=1e-14)
    assert xl.kl_div(np.log(q), p, reduction="mean") == pytest.approx(batchmean / 4, abs=1e-14)


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        (([[0.6, 0.4]], [[0.5, 0.5]]), {}, "log-probabilities"),  # probabilities passed
        (([[-0.5, -1.0]], [[1.5, -0.5]]), {}, r"\[0, 1\]"),
        (([[-0.5, -1.0]], [[0.5, 0.5, 0.0]]), {}, "same shape"),
        (([[-0.5, -1.0]], [[0.1, -0.1]]), {"log_target": True}, "log_target"),
        (([[-0.5, -1.0]], [[0.5, 0.5]]), {"reduction": "avg"}, "reduction"),
    ],
)
def test_kl_div_rejects_bad_input(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        xl.kl_div(*args, **kwargs)


# ------------------------------------------------------------ distillation loss


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides")
@pytest.mark.parametrize("T", [0.5, 1.0, 2.0, 7.0])
@pytest.mark.parametrize("reduction", ["batchmean", "sum", "mean", "none"])
def test_distillation_loss_and_grad_match_torch(rng, T, reduction):
    s, t = random_logits(rng, 5, 4), random_logits(rng, 5, 4, scale=5.0)
    loss, grad = torch_distillation(s, t, T, reduction)
    ours = xl.distillation_loss(s, t, temperature=T, reduction=reduction)
    np.testing.assert_allclose(ours, loss, rtol=0, atol=1e-12)
    ours_loss, ours_grad = xl.distillation_loss_grad(s, t, T, reduction, return_loss=True)
    np.testing.assert_allclose(ours_grad, grad, rtol=0, atol=1e-12)
    np.testing.assert_allclose(ours_loss, loss, rtol=0, atol=1e-12)


def test_distillation_loss_float32_large_logits_and_zero(rng):
    s = np.array([[1000.0, 0.0, -1000.0]], dtype=np.float32)
    t = np.array([[0.0, 1000.0, 990.0]], dtype=np.float32)
    loss, _ = torch_distillation(s.astype(np.float64), t.astype(np.float64), 0.5)
    assert xl.distillation_loss(s, t, 0.5) == pytest.approx(float(loss), rel=1e-6)
    assert np.isfinite(xl.distillation_loss_grad(s, t, 0.5)).all()
    same = random_logits(rng, 3, 4)
    assert xl.distillation_loss(same, same, temperature=3.0) == 0.0
    assert xl.distillation_loss(same + 5.0, same, temperature=3.0) == 0.0  # softmax ignores shifts


def test_distillation_gradient_is_the_cross_entropy_gradient(rng):
    s, t = random_logits(rng, 4, 3), random_logits(rng, 4, 3)
    T = 3.0
    soft = xl.softmax(t, axis=1, temperature=T)
    # d/ds [T^2 CE(softmax(s / T), soft)] = T * (q - p) / N: the chain rule through s / T
    ce_grad = xl.categorical_cross_entropy_grad(s / T, soft) * T
    np.testing.assert_allclose(xl.distillation_loss_grad(s, t, T), ce_grad, atol=1e-15)


def test_high_temperature_limit_is_logit_matching(rng):
    s, t = random_logits(rng, 6, 5), random_logits(rng, 6, 5)
    ds, dt = s - s.mean(axis=1, keepdims=True), t - t.mean(axis=1, keepdims=True)
    matching = np.mean(np.sum((ds - dt) ** 2, axis=1)) / (2 * 5)
    gaps = [abs(xl.distillation_loss(s, t, T) - matching) for T in (10.0, 100.0, 1000.0)]
    assert gaps[2] < gaps[1] < gaps[0] and gaps[2] < 1e-2 * matching
    grad = xl.distillation_loss_grad(s, t, 1000.0)
    np.testing.assert_allclose(grad, (ds - dt) / 5 / 6, rtol=0, atol=1e-3 * np.abs(ds - dt).max())


def test_soft_gradient_without_t_squared_falls_as_one_over_t_squared(rng):
    s, t = random_logits(rng, 8, 3), random_logits(rng, 8, 3)
    plain, scaled = xl.plots.gradient_norms(s, t, [50.0, 100.0])
    assert plain[0] / plain[1] == pytest.approx(4.0, rel=0.02)
    assert scaled[0] / scaled[1] == pytest.approx(1.0, rel=0.02)


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        (([1.0, 0.0], [0.0, 1.0]), {}, "shape"),  # 1-D logits
        (([[1.0, 0.0]], [[0.0, 1.0, 2.0]]), {}, "same shape"),
        (([[1.0, np.inf]], [[0.0, 1.0]]), {}, "finite"),
        (([[1.0, 0.0]], [[0.0, 1.0]]), {"temperature": 0.0}, "temperature"),
        (([[1.0, 0.0]], [[0.0, 1.0]]), {"reduction": "avg"}, "reduction"),
    ],
)
def test_distillation_loss_rejects_bad_input(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        xl.distillation_loss(*args, **kwargs)


# ---------------------------------------------------------- forward / reverse KL


def test_forward_kl_fit_matches_moments_and_reverse_picks_a_mode():
    x = np.linspace(-8, 8, 801)
    p = 0.7 * gaussian_on_grid(x, -2.0, 0.5) + 0.3 * gaussian_on_grid(x, 3.0, 0.5)
    means, stds = np.linspace(-3, 3, 61), np.linspace(0.2, 4.0, 39)
    mean, std = fit_gaussian_kl(p, x, means, stds, "forward")
    true_mean = np.sum(p * x)
    true_std = np.sqrt(np.sum(p * x**2) - true_mean**2)
    assert mean == pytest.approx(true_mean, abs=0.05)
    assert std == pytest.approx(true_std, abs=0.1)
    assert fit_gaussian_kl(p, x, means, stds, "reverse") == pytest.approx((-2.0, 0.5), abs=1e-9)


def test_gaussian_on_grid_and_fit_validation():
    q = gaussian_on_grid(np.linspace(-50, 50, 11), 0.0, 0.5)
    assert q.sum() == pytest.approx(1.0) and q[0] == 0.0  # far tails are exactly 0, no nan
    with pytest.raises(ValueError, match="direction"):
        fit_gaussian_kl([0.5, 0.5], [0.0, 1.0], [0.0], [1.0], "backward")
    with pytest.raises(ValueError, match="std"):
        gaussian_on_grid([0.0, 1.0], 0.0, -1.0)


# ------------------------------------------------------------------- mixture


def test_mixture_posterior_is_bayes_rule_with_the_gaussian_densities(rng):
    mix = xl.mixture.ring_mixture(class_prior=[0.5, 0.2, 0.3])
    X = rng.normal(0, 3, (50, 2))
    s2 = mix.spread**2
    dens = np.exp(-((X[:, None, :] - mix.means[None]) ** 2).sum(-1) / (2 * s2)) / (2 * np.pi * s2)
    joint = np.stack(
        [mix.class_prior[c] * dens[:, mix.blob_class == c].mean(axis=1) for c in range(3)], axis=1
    )
    np.testing.assert_allclose(mix.posterior(X), joint / joint.sum(axis=1, keepdims=True), atol=1e-12)


def test_mixture_sampling_is_seeded_and_follows_the_prior():
    mix = xl.mixture.ring_mixture(class_prior=[0.7, 0.2, 0.1])
    X, y = mix.sample(20000, seed=1)
    X2, y2 = mix.sample(20000, seed=1)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    np.testing.assert_allclose(np.bincount(y) / len(y), [0.7, 0.2, 0.1], atol=0.01)
    base = xl.mixture.ring_mixture()
    Xb, yb = base.sample(40000, seed=0)
    assert xl.categorical_cross_entropy(base.posterior_logits(Xb), yb) == pytest.approx(0.117, abs=0.005)
    with pytest.raises(ValueError, match="class_prior"):
        xl.mixture.ring_mixture(class_prior=[0.5, 0.5])
    with pytest.raises(ValueError, match="n"):
        base.sample(0)


# ----------------------------------------------------------------- MLP trainer


def torch_reference_run(X, y, hidden, epochs, lr, seed):
    torch.manual_seed(seed)
    sizes = (X.shape[1], *hidden, int(y.max()) + 1)
    layers = []
    for k in range(len(sizes) - 1):
        layers.append(torch.nn.Linear(sizes[k], sizes[k + 1], dtype=torch.float64))
        if k < len(sizes) - 2:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    X_t, y_t = torch.from_numpy(X), torch.from_numpy(y)
    losses = []
    for _ in range(epochs + 1):
        opt.zero_grad()
        loss = F.cross_entropy(model(X_t), y_t)
        losses.append(loss.item())
        loss.backward()
        opt.step()
    return np.array(losses[: epochs + 1])


def test_train_mlp_follows_torch_adam():
    X, y = xl.mixture.ring_mixture().sample(80, seed=3)
    h = xl.mlp.train_mlp(X, y, hidden=(8, 8), epochs=40, lr=0.01, seed=2, record_every=1,
                         eval_sets={"train": (X, y)})
    np.testing.assert_allclose(h.objective, torch_reference_run(X, y, (8, 8), 40, 0.01, 2), atol=1e-10)
    np.testing.assert_allclose(h.loss["train"], h.objective, atol=1e-12)
    # the saved weights reproduce the recorded logits
    np.testing.assert_allclose(xl.mlp.mlp_logits(h.params[-1], X), h.logits["train"][-1], atol=1e-12)
    assert h.index(40) == 40
    with pytest.raises(ValueError, match="not recorded"):
        h.index(41)


def test_train_mlp_objectives_are_the_package_losses():
    mix = xl.mixture.ring_mixture()
    X, y = mix.sample(60, seed=4)
    soft = mix.posterior_logits(X)
    h = xl.mlp.train_mlp(X, xl.softmax(soft, axis=1, temperature=3.0), temperature=3.0, hidden=(6,),
                         epochs=10, record_every=5, eval_sets={"train": (X, y)})
    z = h.logits["train"][1]
    assert h.objective[1] == pytest.approx(xl.distillation_loss(z, soft, 3.0), abs=1e-12)
    mixed = xl.mlp.train_mlp(X, xl.softmax(soft, axis=1, temperature=3.0), temperature=3.0,
                             hard_target=y, hard_weight=0.25, scale_by_t_squared=False,
                             hidden=(6,), epochs=0, eval_sets={"train": (X, y)})
    z0 = mixed.logits["train"][0]
    expected = 0.25 * xl.categorical_cross_entropy(z0, y) + 0.75 * xl.distillation_loss(z0, soft, 3.0) / 9
    assert mixed.objective[0] == pytest.approx(expected, abs=1e-12)
    smooth = xl.mlp.train_mlp(X, y, label_smoothing=0.2, hidden=(6,), epochs=0, eval_sets={"train": (X, y)})
    z0 = smooth.logits["train"][0]
    assert smooth.objective[0] == pytest.approx(
        xl.categorical_cross_entropy(z0, y, label_smoothing=0.2), abs=1e-12
    )
    assert torch.get_num_threads() >= 1


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"X": np.zeros(4)}, "shape"),
        ({"target": np.array([0.0, 1.0, 1.0, 0.0])}, "soft target"),
        ({"temperature": 2.0}, "temperature"),
        ({"hard_target": np.array([0, 1, 0, 1])}, "hard_target"),
        ({"eval_sets": {"x": np.zeros((2, 2))}}, "pair"),
        ({"lr": 0.0}, "lr"),
    ],
)
def test_train_mlp_rejects_bad_input(kwargs, match):
    args = {"X": np.zeros((4, 2)), "target": np.array([0, 1, 1, 0]), "epochs": 1}
    args.update(kwargs)
    with pytest.raises((ValueError, TypeError), match=match):
        xl.mlp.train_mlp(**args)


# ------------------------------------------------------ generalised JSD (Liger's)


def torch_liger_jsd(log_q, log_p, beta):
    """Liger Kernel's reference JSD of its test suite (test/transformers/test_jsd.py), in
    torch: KLDivLoss(log_target=True) terms, forward KL at beta = 0, reverse at 1, else
    beta KL(p || m) + (1 - beta) KL(q || m) with m = lerp(q, p, beta); summed over the
    vocabulary and divided by the number of rows."""
    kl = torch.nn.KLDivLoss(reduction="none", log_target=True)
    if beta == 0.0:
        loss = kl(log_q, log_p).sum(dim=-1)
    elif beta == 1.0:
        loss = kl(log_p, log_q).sum(dim=-1)
    else:
        m = torch.lerp(torch.exp(log_q), torch.exp(log_p), beta)
        loss = beta * kl(torch.log(m), log_p).sum(dim=-1) + (1 - beta) * kl(torch.log(m), log_q).sum(dim=-1)
    return (loss / log_q.shape[0]).sum()


@pytest.mark.parametrize("beta", [0.0, 1e-3, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0 - 1e-3, 1.0])
@pytest.mark.parametrize(("n", "c", "scale"), [(1, 2, 1.0), (7, 5, 3.0), (16, 50, 5.0), (3, 1000, 2.0)])
def test_generalized_jsd_matches_ligers_reference(rng, beta, n, c, scale):
    s, t = random_logits(rng, n, c, scale=scale), random_logits(rng, n, c, scale=scale)
    log_q = torch.from_numpy(s).log_softmax(dim=-1)
    log_p = torch.from_numpy(t).log_softmax(dim=-1)
    theirs = torch_liger_jsd(log_q, log_p, beta).item()
    assert xl.generalized_jsd(s, t, beta=beta) == pytest.approx(theirs, rel=1e-10, abs=1e-13)
    # log-probabilities in, as LigerJSD takes them: the same value
    assert xl.generalized_jsd(log_q.numpy(), log_p.numpy(), beta=beta) == pytest.approx(theirs, rel=1e-10, abs=1e-13)


@pytest.mark.parametrize("beta", [0.0, 0.3, 1.0])
@pytest.mark.parametrize("T", [0.5, 1.0, 4.0])
def test_generalized_jsd_temperature_and_reductions(rng, beta, T):
    s, t = random_logits(rng, 6, 9), random_logits(rng, 6, 9)
    log_q = (torch.from_numpy(s) / T).log_softmax(dim=-1)  # LigerFusedLinearJSD divides by T
    log_p = (torch.from_numpy(t) / T).log_softmax(dim=-1)
    theirs = torch_liger_jsd(log_q, log_p, beta).item()
    rows = xl.generalized_jsd(s, t, beta=beta, temperature=T, reduction="none")
    assert rows.shape == (6,)
    np.testing.assert_allclose(rows.mean(), theirs, rtol=1e-10)
    assert xl.generalized_jsd(s, t, beta, T) == pytest.approx(theirs, rel=1e-10)
    assert xl.generalized_jsd(s, t, beta, T, reduction="sum") == pytest.approx(6 * theirs, rel=1e-10)


def test_generalized_jsd_ends_are_the_two_kls(rng):
    s, t = random_logits(rng, 5, 7), random_logits(rng, 5, 7)
    forward = xl.distillation_loss(s, t, temperature=2.0) / 4.0  # KL(p || q) at T = 2, no T^2
    assert xl.generalized_jsd(s, t, beta=0.0, temperature=2.0) == pytest.approx(forward, rel=1e-12)
    reverse = xl.distillation_loss(t, s, temperature=2.0) / 4.0  # KL(q || p)
    assert xl.generalized_jsd(s, t, beta=1.0, temperature=2.0) == pytest.approx(reverse, rel=1e-12)
    # near the ends the divergence vanishes like beta times the KL (the scaled limits)
    eps = 1e-8  # the next term is about eps times a chi-squared divergence
    assert xl.generalized_jsd(s, t, beta=eps) / eps == pytest.approx(xl.generalized_jsd(s, t, 0.0), rel=1e-4)
    assert xl.generalized_jsd(s, t, beta=1 - eps) / eps == pytest.approx(xl.generalized_jsd(s, t, 1.0), rel=1e-4)


def test_generalized_jsd_is_bounded_and_symmetric_at_one_half(rng):
    s, t = random_logits(rng, 8, 4, scale=30.0), random_logits(rng, 8, 4, scale=30.0)
    for beta in [0.1, 0.5, 0.8]:
        bound = -(beta * np.log(beta) + (1 - beta) * np.log(1 - beta))
        assert np.all(xl.generalized_jsd(s, t, beta, reduction="none") <= bound + 1e-12)
    np.testing.assert_allclose(xl.generalized_jsd(s, t, 0.5, reduction="none"),
                               xl.generalized_jsd(t, s, 0.5, reduction="none"), rtol=1e-12)
    assert xl.generalized_jsd(s, s, 0.5) == pytest.approx(0.0, abs=1e-15)


def test_generalized_jsd_minus_inf_is_probability_zero():
    s = np.array([[0.0, -np.inf, 1.0]])   # the student rules out token 1
    t = np.array([[0.0, 0.5, 1.0]])
    assert xl.generalized_jsd(s, t, beta=0.0) == np.inf       # forward KL: the teacher allows it
    reverse = xl.generalized_jsd(s, t, beta=1.0)               # reverse KL: a 0 of q costs nothing
    log_q = torch.tensor(s).log_softmax(-1)
    q = log_q.exp()
    log_p = torch.tensor(t).log_softmax(-1)
    assert reverse == pytest.approx(torch.sum(torch.where(q > 0, q * (log_q - log_p), 0.0)).item(), rel=1e-12)
    assert np.isfinite(xl.generalized_jsd(s, t, beta=0.5))     # the mixture covers both
    # a top-k teacher: the rest at -inf
    assert np.isfinite(xl.generalized_jsd(t, s, beta=0.0))


def test_generalized_jsd_float32_and_empty_batches(rng):
    s, t = random_logits(rng, 4, 6, dtype=np.float32), random_logits(rng, 4, 6, dtype=np.float32)
    rows = xl.generalized_jsd(s, t, 0.5, reduction="none")
    assert rows.dtype == np.float32
    np.testing.assert_allclose(rows, xl.generalized_jsd(s.astype(float), t.astype(float), 0.5, reduction="none"), rtol=1e-4)
    empty = np.zeros((0, 6))
    assert np.isnan(xl.generalized_jsd(empty, empty))
    assert xl.generalized_jsd(empty, empty, reduction="sum") == 0.0
    assert xl.generalized_jsd(empty, empty, reduction="none").shape == (0,)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"beta": True}, TypeError, "beta must be a real number"),
        ({"beta": 1.5}, ValueError, r"beta must be in \[0, 1\]"),
        ({"beta": -0.1}, ValueError, r"beta must be in \[0, 1\]"),
        ({"temperature": 0.0}, ValueError, "temperature"),
        ({"temperature": False}, TypeError, "temperature"),
        ({"reduction": "mean"}, ValueError, "reduction"),
        ({"student_logits": [1.0, 2.0]}, ValueError, r"shape \(N, C\)"),
        ({"student_logits": [[1.0, np.inf]]}, ValueError, r"\+inf"),
        ({"teacher_logits": [[-np.inf, -np.inf]]}, ValueError, "all -inf"),
        ({"teacher_logits": [[1.0, np.nan]]}, ValueError, "NaN"),
        ({"teacher_logits": [[1.0, 2.0, 3.0]]}, ValueError, "same shape"),
        ({"teacher_logits": [[True, False]]}, TypeError, "boolean"),
    ],
)
def test_generalized_jsd_rejects_bad_input(kwargs, error, match):
    args = {"student_logits": [[0.0, 1.0]], "teacher_logits": [[1.0, 0.0]], **kwargs}
    with pytest.raises(error, match=match):
        xl.generalized_jsd(**args)
