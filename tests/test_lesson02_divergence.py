"""Lesson 02 (cross-entropy and KL): its checkers, widgets and plot functions.

The checkers must accept the reference solutions of the solution notebook and reject the
typical wrong answers with a message that names the failing case and the likely slip.
"""

import sys
from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure

import xent_lessons as xl

sys.path.insert(0, str(Path(__file__).resolve().parent))  # for notebook_code
from notebook_code import solution_function

NOTEBOOK = "02_cross_entropy_and_kl"


def _ax():
    return Figure().subplots()


def _stub(*args):
    raise NotImplementedError("Exercise: replace this line with your code")


def assert_fails(result, *words):
    """The check failed, and its message contains every one of ``words``."""
    assert result.status == "failed", result.message
    for word in words:
        assert word in result.message, (word, result.message)


# ------------------------------------------------------------------- cross_entropy


def test_cross_entropy_checker_accepts_the_reference_solution():
    result = xl.check.cross_entropy(solution_function(NOTEBOOK, "cross_entropy"))
    assert result.status == "passed", result.message


@pytest.mark.parametrize(
    ("wrong", "words"),
    [
        # bits instead of nats
        (lambda p, q: -np.sum(p * np.log2(q), axis=-1), ["uniform", "natural log"]),
        # p and q swapped
        (lambda p, q: -np.sum(q * np.log(p), axis=-1), ["p different from q", "swap"]),
        # 0 * log 0 gives NaN
        (lambda p, q: -np.sum(p * np.log(q), axis=-1), ["a zero in p", "NaN", "0 · log 0"]),
        # q clipped away from 0: finite where the answer is inf
        (
            lambda p, q: -np.sum(np.where(p > 0, p * np.log(np.clip(q, 1e-12, 1)), 0.0), axis=-1),
            ["q = 0 where p > 0", "epsilon"],
        ),
        # one number for the whole batch
        (
            lambda p, q: -np.sum(np.where(p > 0, p * np.log(np.where(p > 0, q, 1.0)), 0.0)),
            ["shape (2, 3)", "wrong shape", "axis=-1"],
        ),
        # summed over the examples (axis 0)
        (
            lambda p, q: -np.sum(np.where(p > 0, p * np.log(np.where(p > 0, q, 1.0)), 0.0), axis=0),
            ["shape (2, 3)", "wrong shape", "axis=-1"],
        ),
    ],
)
def test_cross_entropy_checker_rejects_typical_mistakes(wrong, words):
    assert_fails(xl.check.cross_entropy(wrong), *words)


def test_cross_entropy_checker_reports_the_stub_as_not_attempted():
    assert xl.check.cross_entropy(_stub).status == "not attempted"
    forgot_return = xl.check.cross_entropy(lambda p, q: None)
    assert forgot_return.status == "failed" and "forget `return`" in forgot_return.message


# ------------------------------------------------------------------- kl_divergence


def test_kl_checker_accepts_the_reference_solution():
    result = xl.check.kl_divergence(solution_function(NOTEBOOK, "kl_divergence"))
    assert result.status == "passed", result.message


def _kl_rowwise(p, q, log=np.log):
    """A correct KL except for the log, for building the wrong answers below."""
    seen = p > 0
    with np.errstate(divide="ignore"):
        ratio = log(np.where(seen, p, 1.0)) - log(np.where(seen, q, 1.0))
    return np.sum(np.where(seen, p * ratio, 0.0), axis=-1)


@pytest.mark.parametrize(
    ("wrong", "words"),
    [
        # the cross-entropy instead of the KL
        (lambda p, q: -np.sum(p * np.log(q), axis=-1), ["q equal to p", "not the cross-entropy"]),
        # bits instead of nats
        (lambda p, q: _kl_rowwise(p, q, np.log2), ["mirrored pair", "natural log"]),
        # p and q swapped
        (lambda p, q: _kl_rowwise(q, p), ["p different from q", "swap"]),
        # 0 * log(0 / q) gives NaN
        (lambda p, q: np.sum(p * np.log(p / q), axis=-1), ["zeros in p", "NaN"]),
        # q clipped: finite where the answer is inf
        (lambda p, q: _kl_rowwise(p, np.clip(q, 1e-12, 1)), ["q = 0 where p > 0", "inf"]),
        # over axis 0
        (lambda p, q: _kl_rowwise(p.T, q.T), ["shape (2, 3)", "axis=-1"]),
    ],
)
def test_kl_checker_rejects_typical_mistakes(wrong, words):
    assert_fails(xl.check.kl_divergence(wrong), *words)


def test_kl_checker_reports_the_stub_as_not_attempted():
    assert xl.check.kl_divergence(_stub).status == "not attempted"


# -------------------------------------------------------------- smallest_gibbs_gap


def test_gibbs_checker_accepts_the_reference_solution():
    result = xl.check.smallest_gibbs_gap(solution_function(NOTEBOOK, "smallest_gibbs_gap"))
    assert result.status == "passed", result.message


def _gibbs_variant(reduce=np.min, swap=False, sign=1.0, log=np.log, axis=-1):
    def gap(p, q):
        if swap:
            p, q = q, p
        return reduce(sign * np.sum(p * (log(p) - log(q)), axis=axis))

    return gap


@pytest.mark.parametrize(
    ("wrong", "words"),
    [
        (_gibbs_variant(reduce=np.max), ["q = p", "smallest"]),
        (_gibbs_variant(reduce=np.mean), ["q = p", "not the largest or the mean"]),
        (_gibbs_variant(swap=True), ["1 pair", "p the truth"]),
        (_gibbs_variant(sign=-1.0, reduce=np.max), ["1 pair", "never negative"]),
        (_gibbs_variant(log=np.log2), ["1 pair", "natural log"]),
        (_gibbs_variant(axis=None), ["q = p", "axis=-1"]),
    ],
)
def test_gibbs_checker_rejects_typical_mistakes(wrong, words):
    assert_fails(xl.check.smallest_gibbs_gap(wrong), *words)


def test_gibbs_checker_reports_the_stub_as_not_attempted():
    assert xl.check.smallest_gibbs_gap(_stub).status == "not attempted"


def test_the_reference_gibbs_gap_is_small_and_positive():
    rng = np.random.default_rng(0)
    p, q = rng.dirichlet(np.ones(3), size=(2, 1000))
    gap = solution_function(NOTEBOOK, "smallest_gibbs_gap")(p, q)
    assert 0 < gap < 0.01


# ------------------------------------------------------------------------- widgets


def test_kl_asymmetry_widget_moves_its_bars_and_readout():
    w = xl.widgets.kl_asymmetry(p=0.5, q=0.9)
    before = w.artists["kl_qp"].get_height()
    w.controls["q"].value = 0.3
    p, q = np.array([0.5, 0.5]), np.array([0.3, 0.7])
    kl_pq = xl.kl_divergence(p, q, base=2)
    kl_qp = xl.kl_divergence(q, p, base=2)
    assert w.artists["q_bars"][0].get_height() == pytest.approx(0.3)
    assert w.artists["q_bars"][1].get_height() == pytest.approx(0.7)
    assert w.artists["stack_entropy"].get_height() == pytest.approx(1.0)
    assert w.artists["stack_kl"].get_y() == pytest.approx(1.0)
    assert w.artists["stack_kl"].get_height() == pytest.approx(kl_pq)
    assert w.artists["kl_qp"].get_height() == pytest.approx(kl_qp)
    assert w.artists["kl_qp"].get_height() != pytest.approx(before)
    assert w.artists["texts"][1].get_text() == f"{1 + kl_pq:.3f}"
    assert f"D_KL(q ‖ p) = {kl_qp:.3f} bits" in w.readout_text

    w.controls["p"].value = 0.3
    assert w.artists["p_bars"][0].get_height() == pytest.approx(0.3)
    assert w.artists["entropy"].get_height() == pytest.approx(xl.entropy([0.3, 0.7], base=2))
    # The axis grows with the tallest bar, so a bar never leaves the picture.
    top = max(w.artists["stack_kl"].get_y() + w.artists["stack_kl"].get_height(), kl_qp)
    assert w.figure.axes[1].get_ylim()[1] > top


def test_kl_asymmetry_widget_in_nats_and_bad_input():
    w = xl.widgets.kl_asymmetry(p=0.5, q=0.9, base=None)
    assert "nats" in w.readout_text
    assert w.artists["kl_pq"].get_height() == pytest.approx(
        xl.kl_divergence([0.5, 0.5], [0.9, 0.1])
    )
    with pytest.raises(ValueError, match="slider's range"):
        xl.widgets.kl_asymmetry(p=0.0)


def test_cross_entropy_minimum_widget_follows_p_and_q():
    w = xl.widgets.cross_entropy_minimum(p=0.3, q=0.7)
    w.controls["p"].value = 0.6
    q_grid, curve = w.artists["curve"].get_data()
    assert q_grid[np.argmin(curve)] == pytest.approx(0.6)
    h_p = xl.entropy([0.6, 0.4])
    assert w.artists["minimum"].get_xdata()[0] == pytest.approx(0.6)
    assert w.artists["floor"].get_ydata()[0] == pytest.approx(h_p)

    w.controls["q"].value = 0.2
    h_pq = xl.cross_entropy([0.6, 0.4], [0.2, 0.8])
    assert w.artists["marker"].get_ydata()[0] == pytest.approx(h_pq)
    np.testing.assert_allclose(w.artists["gap"].get_ydata(), [h_p, h_pq])
    assert f"D_KL(p ‖ q) = {h_pq - h_p:.3f} nats" in w.readout_text

    w.controls["q"].value = 0.6
    assert "D_KL(p ‖ q) = 0.000 nats" in w.readout_text


# --------------------------------------------------------------------------- plots


def test_distribution_pair_draws_p_and_q():
    artists = xl.plots.distribution_pair(_ax(), [0.5, 0.25, 0.25], [0.2, 0.3, 0.5])
    assert [b.get_height() for b in artists["p_bars"]] == [0.5, 0.25, 0.25]
    assert [b.get_height() for b in artists["q_bars"]] == [0.2, 0.3, 0.5]
    with pytest.raises(ValueError, match="sum to 1"):
        xl.plots.distribution_pair(_ax(), [0.5, 0.6], [0.5, 0.5])


def test_divergence_bars_stack_entropy_and_kl():
    p, q = [0.5, 0.25, 0.25], [0.25, 0.25, 0.5]
    artists = xl.plots.divergence_bars(_ax(), p, q, base=2)
    assert artists["entropy"].get_height() == pytest.approx(1.5)
    assert artists["stack_entropy"].get_height() == pytest.approx(1.5)
    assert artists["stack_kl"].get_y() == pytest.approx(1.5)
    assert artists["stack_kl"].get_height() == pytest.approx(0.25)
    assert [t.get_text() for t in artists["texts"]] == ["1.500", "1.750", "0.250", "0.250"]
    with pytest.raises(ValueError, match="infinite"):
        xl.plots.divergence_bars(_ax(), [0.5, 0.5], [1.0, 0.0])


def test_cross_entropy_curve_without_q_has_no_marker():
    artists = xl.plots.cross_entropy_curve(_ax(), 0.8, base=2)
    assert set(artists) == {"curve", "floor", "minimum"}
    q_grid, curve = artists["curve"].get_data()
    assert q_grid[np.argmin(curve)] == pytest.approx(0.8)
    assert curve.min() == pytest.approx(xl.entropy([0.8, 0.2], base=2))


def test_cross_entropy_curve_gives_every_artist_a_legend_entry():
    ax = _ax()
    artists = xl.plots.cross_entropy_curve(ax, 0.3, q=0.7)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["H(p, q), as q varies", "H(p): the floor", "the minimum, at q = p",
                      "H(p, q) at the model's q", "D_KL(p ‖ q)"]
    assert artists["marker"].get_label() in labels  # the orange point is named


def test_cross_entropy_curve_speaks_of_theta_when_theta_varies():
    ax = _ax()
    xl.plots.cross_entropy_curve(ax, 0.7, truth="p̂", variable="θ", model="q_θ")
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["H(p̂, q_θ), as θ varies", "H(p̂): the floor", "the minimum, at θ = p̂"]
    assert not any(" q " in label or "q =" in label for label in labels)
    assert ax.get_ylabel() == "cross-entropy H(p̂, q_θ) (nats)"
    assert ax.get_xlabel() == ""  # the caller names θ's axis


# ------------------------------------------------------------- conditional entropy


def _entropy_of(p):
    return xl.entropy(np.asarray(p, dtype=float).ravel())


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_notebook_conditional_entropy_is_the_chain_rule(seed):
    # H(Y | X) = H(X, Y) - H(X) on random joint tables, some with impossible pairs.
    conditional_entropy = solution_function(NOTEBOOK, "conditional_entropy")
    rng = np.random.default_rng(seed)
    joint = rng.dirichlet(np.ones(12)).reshape(4, 3)
    joint[rng.random((4, 3)) < 0.25] = 0.0
    joint /= joint.sum()
    expected = _entropy_of(joint) - _entropy_of(joint.sum(axis=1))
    assert conditional_entropy(joint) == pytest.approx(expected, abs=1e-12)


def test_notebook_conditional_entropy_extremes():
    conditional_entropy = solution_function(NOTEBOOK, "conditional_entropy")
    # An input that decides the target: nothing is left to predict (memorisation's floor).
    assert conditional_entropy(np.eye(5) / 5) == 0.0
    # An input that says nothing: H(Y | X) = H(Y).
    p_y = np.array([0.5, 0.25, 0.25])
    independent = np.outer([0.3, 0.7], p_y)
    assert conditional_entropy(independent) == pytest.approx(xl.entropy(p_y), abs=1e-12)
    # Seville by season, as the lesson prints it: 1.199 bits, below H(Y) = 1.5 bits.
    joint = np.array([[0.8, 0.15, 0.05], [0.2, 0.35, 0.45]]) / 2
    assert conditional_entropy(joint) / np.log(2) == pytest.approx(1.1985, abs=1e-4)


def test_gibbs_scatter_places_each_pair():
    h_p, h_pq = np.array([0.2, 1.0]), np.array([0.5, 1.1])
    artists = xl.plots.gibbs_scatter(_ax(), h_p, h_pq)
    np.testing.assert_allclose(artists["points"].get_offsets(), np.column_stack([h_p, h_pq]))
    x, y = artists["diagonal"].get_data()
    np.testing.assert_allclose(x, y)


def test_likelihood_underflow_stops_the_product_at_zero():
    n = np.arange(1, 1501)
    probs = np.full(1500, 0.5)
    artists = xl.plots.likelihood_underflow(_ax(), n, np.cumprod(probs), np.cumsum(np.log(probs)))
    x_product = artists["product"].get_xdata()
    assert x_product.max() == 1074  # 0.5 ** 1074 is the smallest positive float64
    assert artists["underflow"].get_xdata()[0] == 1075
    np.testing.assert_allclose(artists["sum_of_logs"].get_ydata(), n * np.log10(0.5))
    few = xl.plots.likelihood_underflow(_ax(), n[:10], np.cumprod(probs[:10]), n[:10] * np.log(0.5))
    assert "underflow" not in few


# -------------------------------------------- wrong answers that used to pass, or were misnamed


@pytest.mark.parametrize(
    ("checker", "wrong", "words"),
    [
        ("cross_entropy", lambda p, q: xl.kl_divergence(p, q), ["uniform", "That is the KL divergence"]),
        ("cross_entropy", lambda p, q: xl.entropy(p), ["That is the entropy of p alone"]),
        ("kl_divergence", lambda p, q: (xl.kl_divergence(p, q) + xl.kl_divergence(q, p)) / 2,
         ["p different from q", "You averaged both directions"]),
        ("kl_divergence", lambda p, q: xl.entropy(p) - xl.cross_entropy(p, q),
         ["minus the answer", "The sign is flipped"]),
        ("smallest_gibbs_gap", lambda p, q: np.argmin(xl.kl_divergence(p, q)),
         ["That is np.argmin, the POSITION"]),
        ("smallest_gibbs_gap", lambda p, q: np.min(xl.cross_entropy(p, q)) - np.min(xl.entropy(p)),
         ["3 pairs", "come from different pairs"]),
        ("smallest_gibbs_gap", lambda p, q: np.min(xl.cross_entropy(p, q) - xl.entropy(q)),
         ["You subtracted the entropy of q"]),
    ],
)
def test_wrong_answers_are_caught_and_named(checker, wrong, words):
    assert_fails(getattr(xl.check, checker)(wrong), *words)


@pytest.mark.parametrize("builder", ["kl_asymmetry", "cross_entropy_minimum"])
def test_divergence_widgets_rescale_by_blitting_with_matplotlibs_pixels(builder):
    """Their y-axis follows the values: a move redraws what follows the limits (not the
    whole figure), from cached text, and shows what matplotlib's own full draw shows."""
    w = xl.widgets.all_builders()[builder]()
    renderer = w._renderer
    for q in (0.05, 0.95):
        w.controls["q"].value = q
    for q in (0.02,):
        w.controls["q"].value = q
        assert renderer.last_draw == "blit"
        shown = np.asarray(w._canvas.buffer_rgba()).copy()
        assert np.array_equal(shown, renderer.full_picture())
    assert "draw_text" in vars(w._canvas.get_renderer())  # the text caches are in use
