"""Mathematical properties of the information measures, activations, losses and gradients.

Hypothesis draws the inputs (deterministically: see the profile in conftest.py). Each test
states an identity or inequality that a wrong implementation breaks.
"""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import xent_lessons as xl

LN2 = math.log(2)


@st.composite
def distribution_pairs(draw, positive_q=True, min_size=1, max_size=8):
    """Two distributions of the same length from integer masses (exact zeros in ``p``)."""
    n = draw(st.integers(min_size, max_size))
    p = np.array(draw(st.lists(st.integers(0, 1000), min_size=n, max_size=n)), float)
    q = np.array(
        draw(st.lists(st.integers(1 if positive_q else 0, 1000), min_size=n, max_size=n)), float
    )
    p[draw(st.integers(0, n - 1))] += 1  # no all-zero row
    q[draw(st.integers(0, n - 1))] += 1
    return p / p.sum(), q / q.sum()


def logit_rows(min_rows=1, max_rows=6, min_classes=2, max_classes=6, bound=30.0):
    shapes = st.tuples(st.integers(min_rows, max_rows), st.integers(min_classes, max_classes))
    return shapes.flatmap(
        lambda shape: hnp.arrays(np.float64, shape, elements=st.floats(-bound, bound))
    )


@st.composite
def ce_cases(draw, bound=10.0):
    """Logits, a target (indices or probabilities) and every keyword of the loss."""
    logits = draw(logit_rows(bound=bound))
    n, c = logits.shape
    kwargs = {
        "label_smoothing": draw(st.sampled_from([0.0, 0.1, 0.5])),
        "reduction": draw(st.sampled_from(["mean", "sum", "none"])),
    }
    if draw(st.booleans()):
        kwargs["weight"] = np.array(draw(st.lists(st.floats(0.25, 4.0), min_size=c, max_size=c)))
    if draw(st.booleans()):
        target = np.array(draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)))
        if draw(st.booleans()):
            kwargs["ignore_index"] = -1
            target[0] = -1  # at least one ignored row
    else:
        masses = np.array(draw(st.lists(st.integers(0, 50), min_size=n * c, max_size=n * c)))
        masses = masses.reshape(n, c).astype(float)
        masses[:, 0] += 1
        target = masses / masses.sum(axis=1, keepdims=True)
    return logits, target, kwargs


# -------------------------------------------------------------------- information


@given(distribution_pairs())
def test_cross_entropy_is_entropy_plus_kl_divergence(pair):
    p, q = pair
    assert xl.cross_entropy(p, q) == pytest.approx(
        xl.entropy(p) + xl.kl_divergence(p, q), rel=1e-12, abs=1e-12
    )


@given(distribution_pairs())
def test_kl_divergence_is_at_least_pinskers_bound(pair):
    """KL >= 2 TV^2 >= 0 (Pinsker): positive whenever p and q differ at all."""
    p, q = pair
    total_variation = 0.5 * np.abs(p - q).sum()
    kl = xl.kl_divergence(p, q)
    assert kl >= 0
    assert kl >= 2 * total_variation**2 - 1e-12


@given(distribution_pairs())
def test_kl_divergence_is_exactly_zero_for_identical_distributions(pair):
    p, _ = pair
    assert xl.kl_divergence(p, p) == 0.0
    assert xl.cross_entropy(p, p) == pytest.approx(xl.entropy(p), rel=1e-13, abs=1e-15)


def test_kl_divergence_is_positive_for_clearly_different_distributions():
    assert xl.kl_divergence([0.5, 0.5], [0.9, 0.1]) == pytest.approx(0.5108256237659907)
    assert xl.kl_divergence([0.9, 0.1], [0.5, 0.5]) == pytest.approx(0.3680642071684971)
    assert xl.kl_divergence([0.5, 0.5], [0.51, 0.49]) > 1e-4


@given(distribution_pairs())
def test_cross_entropy_is_at_least_entropy(pair):
    """Gibbs' inequality: no code beats the one built for the true distribution."""
    p, q = pair
    assert xl.cross_entropy(p, q) >= xl.entropy(p) - 1e-12


@pytest.mark.parametrize("base", [2, 10, math.e, 0.5])
def test_bits_and_other_bases_are_nats_divided_by_log_base(base):
    p = np.array([[0.5, 0.25, 0.25, 0.0], [0.1, 0.2, 0.3, 0.4]])
    q = np.array([[0.25, 0.25, 0.25, 0.25], [0.4, 0.3, 0.2, 0.1]])
    ln_base = math.log(base)
    np.testing.assert_allclose(xl.surprisal(p, base=base), xl.surprisal(p) / ln_base, rtol=1e-15)
    np.testing.assert_allclose(xl.entropy(p, base=base), xl.entropy(p) / ln_base, rtol=1e-15)
    for fn in (xl.cross_entropy, xl.kl_divergence):
        np.testing.assert_allclose(fn(p, q, base=base), fn(p, q) / ln_base, rtol=1e-15)


def test_bits_of_textbook_distributions():
    assert xl.surprisal(0.5, base=2) == 1.0
    assert xl.surprisal(1 / 1024, base=2) == pytest.approx(10.0, rel=1e-15)
    assert xl.entropy([0.25] * 4, base=2) == 2.0
    assert xl.entropy([0.5, 0.25, 0.125, 0.125], base=2) == pytest.approx(1.75, rel=1e-15)
    assert xl.entropy([0.5, 0.5]) == pytest.approx(LN2, rel=1e-15)


def test_zero_log_zero_is_zero():
    assert xl.entropy([1.0, 0.0]) == 0.0
    assert xl.entropy([0.5, 0.0, 0.5]) == pytest.approx(LN2, rel=1e-15)
    assert xl.cross_entropy([1.0, 0.0], [1.0, 0.0]) == 0.0
    assert xl.cross_entropy([0.5, 0.5, 0.0], [0.25, 0.25, 0.5]) == pytest.approx(math.log(4))
    assert xl.kl_divergence([1.0, 0.0], [0.5, 0.5]) == pytest.approx(LN2, rel=1e-15)
    assert xl.kl_divergence([0.5, 0.5, 0.0], [0.5, 0.5, 0.0]) == 0.0
    # a probability target of 0 on an impossible class (-inf logit) costs nothing
    assert xl.categorical_cross_entropy([[0.0, -np.inf]], [[1.0, 0.0]]) == 0.0
    assert xl.categorical_cross_entropy([[2.0, -np.inf, 2.0]], [[0.5, 0.0, 0.5]]) == (
        pytest.approx(LN2, rel=1e-15)
    )


def test_zero_probability_for_a_possible_outcome_costs_inf_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning at all fails the test
        assert xl.surprisal(0.0) == np.inf
        assert xl.surprisal([0.0, 1.0], base=2).tolist() == [np.inf, 0.0]
        assert xl.cross_entropy([0.5, 0.5], [1.0, 0.0]) == np.inf
        assert xl.kl_divergence([0.5, 0.5], [1.0, 0.0]) == np.inf
        assert xl.kl_divergence([0.5, 0.5], [1.0, 0.0], base=2) == np.inf
        rows = xl.cross_entropy([[0.5, 0.5], [1.0, 0.0]], [[1.0, 0.0], [1.0, 0.0]])
        assert rows.tolist() == [np.inf, 0.0]
        assert xl.categorical_cross_entropy([[0.0, -np.inf]], [1]) == np.inf
        assert xl.categorical_cross_entropy([[0.0, -np.inf]], [[0.5, 0.5]]) == np.inf
        assert xl.nll_loss([[0.0, -np.inf]], [1]) == np.inf


# ---------------------------------------------------------------------- activations


@given(logit_rows(), st.floats(-1e3, 1e3))
def test_softmax_is_invariant_to_adding_a_constant(z, shift):
    np.testing.assert_allclose(xl.softmax(z + shift), xl.softmax(z), rtol=0, atol=1e-12)
    np.testing.assert_allclose(
        xl.log_softmax(z + shift), xl.log_softmax(z), rtol=0, atol=1e-12 * (1 + abs(shift))
    )


@given(logit_rows(), st.sampled_from([0.25, 0.5, 2.0, 4.0]))
def test_temperature_divides_the_logits_and_is_not_a_shift(z, temperature):
    hot = xl.softmax(z, temperature=temperature)
    np.testing.assert_allclose(hot, xl.softmax(z / temperature), rtol=0, atol=1e-15)
    spread = z.max(axis=1) - z.min(axis=1)
    varied = spread > 0.5  # rows whose logits are not (nearly) all equal
    # Scaling the logits changes the distribution (unlike a shift) ...
    change = np.abs(hot - xl.softmax(z)).max(axis=1)
    assert np.all(change[varied] > 0)
    # ... and in one direction: a higher temperature spreads it out (more entropy).
    h_hot, h_cold = xl.entropy(hot), xl.entropy(xl.softmax(z))
    if temperature > 1:
        assert np.all(h_hot[varied] > h_cold[varied])
    else:
        assert np.all(h_hot[varied] < h_cold[varied])


def test_softmax_of_scaled_logits_differs_by_a_known_amount():
    z = np.array([1.0, 2.0, 3.0])
    assert xl.softmax(z)[2] == pytest.approx(0.6652409557748219, rel=1e-15)
    assert xl.softmax(2 * z)[2] == pytest.approx(0.8668133321973349, rel=1e-15)
    assert xl.softmax(z, temperature=0.5)[2] == pytest.approx(0.8668133321973349, rel=1e-15)


@given(logit_rows(bound=700.0))
def test_softmax_rows_are_distributions_and_log_softmax_is_their_log(z):
    q = xl.softmax(z)
    np.testing.assert_allclose(q.sum(axis=1), 1.0, rtol=0, atol=1e-14)
    log_q = xl.log_softmax(z)
    assert np.all(log_q <= 0)
    np.testing.assert_allclose(np.exp(log_q), q, rtol=1e-12, atol=1e-300)
    lse = xl.logsumexp(z)
    assert np.all(np.abs((z - lse[:, None]) - log_q) <= 1e-12 * (1 + np.abs(z)))
    assert np.all(lse >= z.max(axis=1))
    assert np.all(lse <= z.max(axis=1) + math.log(z.shape[1]) + 1e-12)


@given(hnp.arrays(np.float64, st.integers(1, 20), elements=st.floats(-700, 700)))
def test_sigmoid_is_the_two_class_softmax_and_symmetric(x):
    s = xl.sigmoid(x)
    np.testing.assert_allclose(s + xl.sigmoid(-x), 1.0, rtol=0, atol=1e-15)
    two_class = xl.softmax(np.stack([np.zeros_like(x), x], axis=1))[:, 1]
    np.testing.assert_allclose(s, two_class, rtol=1e-14, atol=1e-300)
    np.testing.assert_allclose(
        xl.log_sigmoid(x), xl.log_softmax(np.stack([np.zeros_like(x), x], axis=1))[:, 1],
        rtol=1e-14, atol=1e-300,
    )


# --------------------------------------------------------------------------- losses


@given(
    hnp.arrays(np.float64, st.integers(1, 12), elements=st.floats(-40, 40)),
    st.data(),
)
def test_bce_with_logits_is_two_class_categorical_cross_entropy(x, data):
    t = np.array(data.draw(st.lists(st.integers(0, 1), min_size=x.size, max_size=x.size)))
    two_class = np.stack([np.zeros_like(x), x], axis=1)
    bce = xl.binary_cross_entropy_with_logits(x, t.astype(float), reduction="none")
    ce = xl.categorical_cross_entropy(two_class, t, reduction="none")
    np.testing.assert_allclose(bce, ce, rtol=1e-13, atol=1e-300)
    bce_grad = xl.binary_cross_entropy_with_logits_grad(x, t.astype(float), reduction="none")
    ce_grad = xl.categorical_cross_entropy_grad(two_class, t, reduction="none")
    np.testing.assert_allclose(ce_grad[:, 1], bce_grad, rtol=1e-13, atol=1e-300)
    np.testing.assert_allclose(ce_grad[:, 0], -bce_grad, rtol=1e-13, atol=1e-300)


@given(ce_cases())
def test_categorical_cross_entropy_is_nll_of_log_softmax(case):
    logits, target, kwargs = case
    kwargs.pop("label_smoothing")  # nll_loss has none
    if target.dtype.kind == "f":  # probability targets: -sum(w y log q) per row
        expected = -(target * (kwargs.get("weight", 1.0) * xl.log_softmax(logits))).sum(axis=1)
        ours = xl.categorical_cross_entropy(logits, target, **{**kwargs, "reduction": "none"})
        np.testing.assert_allclose(ours, expected, rtol=1e-13, atol=1e-15)
        return
    expected = xl.nll_loss(xl.log_softmax(logits), target, **kwargs)
    ours = xl.categorical_cross_entropy(logits, target, **kwargs)
    np.testing.assert_allclose(ours, expected, rtol=1e-13, atol=1e-15, equal_nan=True)


def test_mean_over_rows_that_are_all_ignored_is_nan_with_zero_gradient():
    logits = np.array([[1.0, 2.0], [0.5, -0.5]])
    target = np.array([-100, -100])
    assert math.isnan(xl.categorical_cross_entropy(logits, target))
    assert xl.categorical_cross_entropy(logits, target, reduction="sum") == 0.0
    assert np.all(xl.categorical_cross_entropy_grad(logits, target) == 0)


def test_label_smoothing_one_is_the_loss_against_the_uniform_distribution():
    logits = np.array([[2.0, -1.0, 0.5], [0.0, 3.0, 1.0]])
    uniform = np.full((2, 3), 1 / 3)
    smoothed = xl.categorical_cross_entropy(logits, [0, 2], label_smoothing=1.0, reduction="none")
    np.testing.assert_allclose(
        smoothed, xl.categorical_cross_entropy(logits, uniform, reduction="none"), rtol=1e-14
    )


# ------------------------------------------------------------------------ gradients


@given(ce_cases())
def test_gradient_rows_sum_to_zero_with_any_weights_and_label_smoothing(case):
    """Each term of the loss is a weighted -log q_c, whose gradient q - e_c sums to 0."""
    logits, target, kwargs = case
    grad = xl.categorical_cross_entropy_grad(logits, target, **kwargs)
    scale = np.abs(grad).sum(axis=1)
    assert np.all(np.abs(grad.sum(axis=1)) <= 1e-14 * (1 + scale))
    # All zero only where every row is ignored or the model already is the target.
    model_is_target = target.ndim == 2 and np.allclose(xl.softmax(logits), target, atol=1e-15)
    assert np.any(grad != 0) or kwargs.get("ignore_index") == -1 or model_is_target


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("target_kind", ["index", "index-with-ignored-rows", "probs"])
def test_cross_entropy_gradient_agrees_with_finite_differences(
    target_kind, weighted, label_smoothing, reduction
):
    """Seeded normal logits rather than Hypothesis: a relative check needs every gradient
    entry well away from 0, where finite differences' ~1e-10 of rounding noise dominates."""
    rng = np.random.default_rng(12)
    logits = rng.standard_normal((4, 3))
    kwargs = {"label_smoothing": label_smoothing, "reduction": reduction}
    if weighted:
        kwargs["weight"] = np.array([0.5, 2.0, 1.25])
    if target_kind == "probs":
        target = rng.dirichlet(np.ones(3), size=4)
    else:
        target = np.array([0, 2, 1, 2])
    if target_kind == "index-with-ignored-rows":
        target[1] = -1
        kwargs["ignore_index"] = -1

    def f(z):
        return float(np.sum(xl.categorical_cross_entropy(z, target, **kwargs)))

    def grad_f(z):
        return xl.categorical_cross_entropy_grad(z, target, **kwargs)

    assert xl.gradient_check(f, grad_f, logits) < 1e-6


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("pos_weighted", [False, True])
def test_bce_with_logits_gradient_agrees_with_finite_differences(
    reduction, weighted, pos_weighted
):
    rng = np.random.default_rng(11)
    x = 2.0 * rng.standard_normal((4, 3))
    t = rng.integers(0, 2, (4, 3)).astype(float)
    t[0, 0] = 0.3
    kwargs = {
        "weight": rng.uniform(0.5, 2.0, (4, 3)) if weighted else None,
        "pos_weight": rng.uniform(0.5, 3.0, 3) if pos_weighted else None,
        "reduction": reduction,
    }

    def f(z):
        return float(np.sum(xl.binary_cross_entropy_with_logits(z, t, **kwargs)))

    def grad_f(z):
        return xl.binary_cross_entropy_with_logits_grad(z, t, **kwargs)

    assert xl.gradient_check(f, grad_f, x) < 1e-6


def test_gradient_check_catches_a_wrong_gradient():
    """The check the tests above rely on is not vacuous: a gradient off by 1/N fails it."""
    logits = np.array([[1.0, -0.5, 0.3], [0.2, 0.1, -1.0]])
    target = np.array([0, 2])

    def f(z):
        return xl.categorical_cross_entropy(z, target)

    def grad_without_mean(z):
        return xl.categorical_cross_entropy_grad(z, target, reduction="sum")

    def grad_right(z):
        return xl.categorical_cross_entropy_grad(z, target)

    assert xl.gradient_check(f, grad_right, logits) < 1e-8
    assert xl.gradient_check(f, grad_without_mean, logits) > 0.1


def test_numerical_gradient_matches_known_derivatives_and_leaves_x_alone():
    x = np.array([0.5, -1.0, 2.0])
    before = x.copy()
    grad = xl.numerical_gradient(lambda v: float(np.sum(np.sin(v))), x)
    np.testing.assert_allclose(grad, np.cos(x), rtol=0, atol=1e-9)
    np.testing.assert_array_equal(x, before)
