"""Lesson 13 (contrastive learning): its checkers, widget and plot functions.

The checkers must accept the reference solutions of the solution notebook and reject the
typical wrong answers (one direction only, the rows' targets for the columns, a sum of the
two, τ multiplied, bits, log K or log N for log(K + 1), rounding down, e^I rounded up past
a whole number, an off-by-one loop) with a message that names the mistake.
"""

import math
import sys
from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure

import xent_lessons as xl

sys.path.insert(0, str(Path(__file__).resolve().parent))  # for notebook_code
from notebook_code import solution_function

NOTEBOOK = "13_contrastive_learning"


def _stub(*args):
    raise NotImplementedError("Exercise: replace this line with your code")


def assert_fails(result, *words):
    assert result.status == "failed", result.message
    for word in words:
        assert word in result.message, (word, result.message)


def _ce(z):
    return xl.categorical_cross_entropy(z, np.arange(len(z)))


# ------------------------------------------------------------------------ clip_loss


def test_clip_loss_checker_accepts_the_reference_solution():
    result = xl.check.clip_loss(solution_function(NOTEBOOK, "clip_loss"))
    assert result.status == "passed", result.message


def _rows(s, t, perm):
    return xl.categorical_cross_entropy(s / t, perm)


def _cols(s, t, perm):
    return xl.categorical_cross_entropy(s.T / t, np.argsort(perm))


def _naive_clip(s, temperature, perm):
    z = s / temperature
    rows = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    cols = np.exp(z) / np.exp(z).sum(axis=0, keepdims=True)
    n = np.arange(len(s))
    return -(np.log(rows[n, perm]).mean() + np.log(cols[n, perm]).mean()) / 2


@pytest.mark.parametrize(
    ("wrong", "words"),
    [
        (lambda s, t, perm: xl.clip_loss(s, t), ["cycle", "diagonal", "np.argsort"]),
        (lambda s, t, perm: (_rows(s, t, perm) + xl.categorical_cross_entropy(s.T / t, perm)) / 2,
         ["cycle", "columns got the rows' targets", "inverse permutation"]),
        (lambda s, t, perm: _rows(s, t, perm), ["3 x 3", "rows' loss only"]),
        (lambda s, t, perm: _cols(s, t, perm), ["3 x 3", "columns' loss only"]),
        (lambda s, t, perm: _rows(s, t, perm) + _cols(s, t, perm), ["added", "mean"]),
        (lambda s, t, perm: (_rows(s * t * t, t, perm) + _cols(s * t * t, t, perm)) / 2,
         ["temperature 2", "multiplied by the temperature"]),
        (lambda s, t, perm: len(s) * (_rows(s, t, perm) + _cols(s, t, perm)) / 2,
         ["N times too big"]),
        (lambda s, t, perm: (_rows(s, t, perm) + _cols(s, t, perm)) / 2 / math.log(2), ["bits"]),
        (_naive_clip, ["scores of 1000", "overflows"]),
    ],
)
def test_clip_loss_checker_rejects_typical_mistakes(wrong, words):
    assert_fails(xl.check.clip_loss(wrong), *words)


def test_clip_loss_checker_reports_the_stub():
    assert xl.check.clip_loss(_stub).status == "not attempted"


# -------------------------------------------------------------------- infonce_bound


def test_infonce_bound_checker_accepts_the_reference_solution():
    result = xl.check.infonce_bound(solution_function(NOTEBOOK, "infonce_bound"))
    assert result.status == "passed", result.message


def _loss_k(pos, neg):
    logits = np.column_stack([pos, neg])
    return xl.categorical_cross_entropy(logits, np.zeros(len(pos), dtype=int))


@pytest.mark.parametrize(
    ("wrong", "words"),
    [
        (lambda pos, neg: np.log(neg.shape[1]) - _loss_k(pos, neg), ["K = 2", "log(K + 1), not log K"]),
        (lambda pos, neg: np.log(len(pos)) - _loss_k(pos, neg), ["K = 2", "log N, the number of rows"]),
        (lambda pos, neg: np.log(neg.shape[1] + 1) - np.mean(xl.logsumexp(neg, axis=1) - pos),
         ["positive is missing from the denominator"]),
        (lambda pos, neg: -_loss_k(pos, neg), ["log(K + 1) is missing"]),
        (lambda pos, neg: _loss_k(pos, neg) - np.log(neg.shape[1] + 1), ["sign is flipped"]),
        (lambda pos, neg: np.log2(neg.shape[1] + 1) - _loss_k(pos, neg), ["bits"]),
        (lambda pos, neg: np.log(neg.shape[1] + 1) - len(pos) * _loss_k(pos, neg),
         ["mean over the N rows"]),
    ],
)
def test_infonce_bound_checker_rejects_typical_mistakes(wrong, words):
    assert_fails(xl.check.infonce_bound(wrong), *words)


def test_infonce_bound_checker_catches_overflow_and_reports_the_stub():
    def naive(pos, neg):
        p = np.exp(pos) / (np.exp(pos) + np.exp(neg).sum(axis=1))
        return np.log(neg.shape[1] + 1) + np.mean(np.log(p))

    assert_fails(xl.check.infonce_bound(naive), "scores of 1000", "overflows")
    assert xl.check.infonce_bound(_stub).status == "not attempted"


# -------------------------------------------------------------- smallest_batch_size


def test_smallest_batch_size_checker_accepts_the_reference_solution():
    result = xl.check.smallest_batch_size(solution_function(NOTEBOOK, "smallest_batch_size"))
    assert result.status == "passed", result.message


@pytest.mark.parametrize(
    ("wrong", "words"),
    [
        (lambda mi: math.ceil(2**mi), ["7.834 nats", "2 to the power"]),
        (lambda mi: int(math.exp(mi)), ["Rounded down"]),
        (lambda mi: round(math.exp(mi)), ["7.834 nats", "Rounded down", "round()"]),
        (lambda mi: math.exp(mi), ["whole number"]),
        # e^I rounded up: exp(log 10) = 10.000000000000002, whose ceil is 11 (issue 22)
        (lambda mi: max(1, math.ceil(math.exp(mi))), ["log 10", "10.000000000000002", "step down"]),
        (lambda mi: int(np.ceil(np.exp(mi))) or 1, ["log 10", "10.000000000000002"]),
    ],
)
def test_smallest_batch_size_checker_rejects_typical_mistakes(wrong, words):
    assert_fails(xl.check.smallest_batch_size(wrong), *words)


def test_smallest_batch_size_names_an_off_by_one_loop():
    def strictly_above(mi):  # `<=` where `<` belongs: stops one too late when log N == I
        n = 1
        while np.log(n) <= mi:
            n += 1
        return n

    result = xl.check.smallest_batch_size(strictly_above)
    assert_fails(result, "no information at all", "Off by one", "log N >= I")
    assert "twice" not in result.message.split("hint:")[1]


def test_smallest_batch_size_reference_is_exact_at_every_case():
    solution = solution_function(NOTEBOOK, "smallest_batch_size")
    for mi in (0.0, 0.5, 2.0, 7.834, 10.0, math.log(16), math.log(10), math.log(100), math.log(1000)):
        n = solution(mi)
        assert math.log(n) >= mi and (n == 1 or math.log(n - 1) < mi)
    assert xl.check.smallest_batch_size(_stub).status == "not attempted"


# ---------------------------------------------------------------------- siglip_loss


def test_siglip_loss_checker_accepts_the_reference_solution_and_the_package():
    result = xl.check.siglip_loss(solution_function(NOTEBOOK, "siglip_loss"))
    assert result.status == "passed", result.message
    assert xl.check.siglip_loss(xl.siglip_loss).status == "passed"
    assert xl.check.siglip_loss(_stub).status == "not attempted"


def _pairs(s, log_scale, bias, labels=None, with_bias=True, scale=None):
    s = np.asarray(s, dtype=float)
    t = np.exp(log_scale) if scale is None else scale
    z = t * s + (bias if with_bias else 0.0)
    labels = 2 * np.eye(len(s)) - 1 if labels is None else labels
    return np.logaddexp(0.0, -labels * z)


def _naive_siglip(s, log_scale, bias):
    z = np.exp(log_scale) * s + bias
    labels = 2 * np.eye(len(s)) - 1
    with np.errstate(over="ignore", divide="ignore"):
        return -np.log(1 / (1 + np.exp(-labels * z))).sum() / len(s)


@pytest.mark.parametrize(
    ("wrong", "words"),
    [
        (lambda s, t, b: _pairs(s, t, b, with_bias=False).sum() / len(s), ["b = -10", "bias b is missing"]),
        (lambda s, t, b: _pairs(s, t, np.exp(t) * b).sum() / len(s), ["t * (S + b)"]),
        (lambda s, t, b: _pairs(s, t, b, scale=t).sum() / len(s), ["np.exp(log_scale)"]),
        (lambda s, t, b: _pairs(s, t, b, labels=np.eye(len(s))).sum() / len(s), ["0/1", "log 2", "2 * np.eye(N) - 1"]),
        (lambda s, t, b: _pairs(s, t, b, labels=1 - 2 * np.eye(len(s))).sum() / len(s), ["swapped"]),
        (lambda s, t, b: np.trace(_pairs(s, t, b)) / len(s), ["Only the diagonal"]),
        (lambda s, t, b: xl.clip_loss(np.exp(t) * np.asarray(s) + b), ["CLIP's softmax"]),
        (lambda s, t, b: _pairs(s, t, b).mean(), ["N squared"]),
        (lambda s, t, b: _pairs(s, t, b).sum(), ["sum over all pairs"]),
        (lambda s, t, b: _pairs(s, t, b).sum() / len(s) / np.log(2), ["bits"]),
        (_naive_siglip, ["logits of ±1000", "overflows", "logaddexp"]),
    ],
)
def test_siglip_loss_checker_rejects_typical_mistakes(wrong, words):
    assert_fails(xl.check.siglip_loss(wrong), *words)


def test_siglip_loss_checker_reports_a_function_that_changes_its_input():
    def in_place(s, log_scale, bias):
        s *= np.exp(log_scale)
        s += bias
        return float(np.logaddexp(0.0, -(2 * np.eye(len(s)) - 1) * s).sum() / len(s))

    result = xl.check.siglip_loss(in_place)
    assert result.status == "failed"
    assert "in place" in result.message


# -------------------------------------------------------------------------- widget


def test_info_nce_explorer_curve_matches_the_package_bound():
    from xent_lessons.widgets.contrastive import BATCH_SIZES

    w = xl.widgets.info_nce_explorer()
    x, y = xl.correlated_gaussians(1024, 0.99, dim=4, seed=0)
    expected = [
        xl.info_nce_bound(xl.gaussian_critic(x.reshape(-1, n, 4), y.reshape(-1, n, 4), 0.99))
        for n in BATCH_SIZES
    ]
    np.testing.assert_allclose(w.artists["estimate"].get_ydata(), expected, atol=1e-12)
    assert "true I(X; Y) = 7.83 nats" in w.readout_text
    assert "N = 128: ceiling log N = 4.85 nats" in w.readout_text


def test_info_nce_explorer_moves_with_every_control():
    w = xl.widgets.info_nce_explorer()
    w.controls["rho"].value = 0.9
    assert w.artists["truth"].get_ydata()[0] == pytest.approx(xl.gaussian_mutual_information(0.9, 4))
    w.controls["n"].value = 1024
    assert "(critic optimal, τ = 1.00, 1 batch)" in w.readout_text
    marker_y = w.artists["marker"].get_ydata()[0]
    assert marker_y == pytest.approx(w.artists["estimate"].get_ydata()[-1])
    w.controls["critic"].value = "bilinear"
    assert w.artists["estimate"].get_ydata()[-1] < 2.0  # the bilinear critic stalls
    w.controls["temperature"].value = 0.05
    w.controls["critic"].value = "cosine"
    t = w.controls["temperature"].value
    x, y = xl.correlated_gaussians(1024, 0.9, dim=4, seed=0)
    xn = x / np.linalg.norm(x, axis=1, keepdims=True)
    yn = y / np.linalg.norm(y, axis=1, keepdims=True)
    assert w.artists["estimate"].get_ydata()[-1] == pytest.approx(xl.info_nce_bound(xn @ yn.T, t), abs=1e-12)
    w.controls["n"].value = 4  # a batch smaller than the heatmap: only 4 frames
    assert sum(frame.get_visible() for frame in w.artists["targets"]) == 4
    assert [text.get_text() != "" for text in w.artists["diagonal_texts"]] == [True] * 4 + [False] * 4


def test_info_nce_explorer_reaches_the_cosine_critics_best_temperature_and_keeps_negative_bounds():
    from xent_lessons.widgets.contrastive import AXIS_BOTTOM

    w = xl.widgets.info_nce_explorer(critic="cosine", n=1024)
    slider = w.controls["temperature"]
    assert 10**slider.min == pytest.approx(0.005)
    curve = {}
    for t in (0.05, 0.015, 0.005):
        slider.value = t
        curve[t] = w.estimates()[-1]
    assert curve[0.015] > curve[0.05] and curve[0.015] > curve[0.005]  # best near 0.01-0.02
    assert "(critic cosine, τ = 0.005, 1 batch)" in w.readout_text  # three decimals below 0.1
    w.controls["critic"].value = "optimal"  # scores in the hundreds / 0.005: far below 0
    values = w.estimates()
    assert values[-1] < AXIS_BOTTOM
    np.testing.assert_allclose(w.artists["estimate"].get_ydata(), np.maximum(values, AXIS_BOTTOM))
    assert "below the axis: a negative bound says nothing" in w.readout_text


def test_fast_bounds_match_the_package_also_for_rows_far_above_their_diagonal(rng):
    from xent_lessons.widgets.contrastive import BATCH_SIZES, _bounds_at_all_batch_sizes

    x, y = xl.correlated_gaussians(1024, 0.99, dim=4, seed=1)
    for scores in (xl.gaussian_critic(x, y, 0.99) / 0.05, (x @ y.T) / 0.01, rng.normal(0, 1, (1024, 1024))):
        fast = _bounds_at_all_batch_sizes(scores, BATCH_SIZES)
        blocks = [np.stack([scores[k:k + n, k:k + n] for k in range(0, 1024, n)]) for n in BATCH_SIZES]
        exact = [xl.info_nce_bound(b) for b in blocks]
        np.testing.assert_allclose(fast, exact, rtol=1e-12, atol=1e-9)


def test_fast_bounds_in_place_equal_the_copying_ones(rng):
    from xent_lessons.widgets.contrastive import BATCH_SIZES, _bounds_at_all_batch_sizes

    x, y = xl.correlated_gaussians(1024, 0.99, dim=4, seed=1)
    for scores in (xl.gaussian_critic(x, y, 0.99) / 0.005, rng.normal(0, 1, (1024, 1024))):
        copying = _bounds_at_all_batch_sizes(scores, BATCH_SIZES)
        kept = scores.copy()
        np.testing.assert_array_equal(_bounds_at_all_batch_sizes(scores, BATCH_SIZES), copying)
        np.testing.assert_array_equal(scores, kept)  # without overwrite, the input is kept
        np.testing.assert_array_equal(
            _bounds_at_all_batch_sizes(scores.copy(), BATCH_SIZES, overwrite=True), copying
        )


def test_info_nce_explorer_moving_the_temperature_alone_gives_the_full_computation():
    # The widget keeps the pool's scores while only τ moves: the curve must be what a fresh
    # widget at the same values draws.
    w = xl.widgets.info_nce_explorer(critic="bilinear")
    for t in (0.05, 3.0):
        w.controls["temperature"].value = t
        t = w.controls["temperature"].value
        fresh = xl.widgets.info_nce_explorer(critic="bilinear", temperature=t)
        np.testing.assert_array_equal(w.estimates(), fresh.estimates())
        assert w.readout_text == fresh.readout_text


def test_widget_critic_scores_equal_the_package_and_numpy(rng):
    # The widget's scores are computed 64 rows at a time (one thread): the same numbers.
    from xent_lessons.widgets.contrastive import _critic_scores

    x, y = xl.correlated_gaussians(1024, 0.9, dim=4, seed=2)
    for rho in (0.0, 0.9, 0.999):
        np.testing.assert_allclose(_critic_scores("optimal", x, y, rho), xl.gaussian_critic(x, y, rho), rtol=1e-13, atol=1e-12)
    np.testing.assert_allclose(_critic_scores("bilinear", x, y, 0.9), x @ y.T, rtol=1e-13, atol=1e-13)
    xn = x / np.linalg.norm(x, axis=1, keepdims=True)
    yn = y / np.linalg.norm(y, axis=1, keepdims=True)
    np.testing.assert_allclose(_critic_scores("cosine", x, y, 0.9), xn @ yn.T, rtol=1e-13, atol=1e-13)
    odd = rng.normal(size=(100, 3))  # not a multiple of the block's 64 rows
    np.testing.assert_allclose(_critic_scores("bilinear", odd, odd[::-1], 0.5), odd @ odd[::-1].T, atol=1e-13)


def test_info_nce_explorer_rejects_values_outside_its_sliders():
    with pytest.raises(ValueError, match="n must be one of"):
        xl.widgets.info_nce_explorer(n=100)
    with pytest.raises(ValueError, match="critic must be one of"):
        xl.widgets.info_nce_explorer(critic="mlp")
    with pytest.raises(ValueError, match="rho must be in"):
        xl.widgets.info_nce_explorer(rho=1.0)


# --------------------------------------------------------------------------- plots


def test_batch_probability_heatmap_shows_row_softmax_and_frames_the_diagonal():
    ax = Figure().subplots()
    s = np.array([[2.0, 0.0, 1.0], [0.0, 3.0, 0.0], [1.0, 1.0, 1.0]])
    art = xl.plots.batch_probability_heatmap(ax, s, temperature=0.5)
    shown = np.asarray(art["mesh"].get_array()).reshape(3, 3)
    np.testing.assert_allclose(shown, xl.softmax(s / 0.5, axis=1))
    assert [r.get_xy() for r in art["targets"]] == [(0, 0), (1, 1), (2, 2)]
    assert len(art["texts"]) == 9


def test_batch_probability_heatmap_crops_big_batches_but_normalises_whole_rows(rng):
    ax = Figure().subplots()
    s = rng.normal(0, 1, (50, 50))
    art = xl.plots.batch_probability_heatmap(ax, s, max_pairs=8, colorbar=False)
    shown = np.asarray(art["mesh"].get_array()).reshape(8, 8)
    np.testing.assert_allclose(shown, xl.softmax(s, axis=1)[:8, :8])
    with pytest.raises(ValueError, match="scores must be a square"):
        xl.plots.batch_probability_heatmap(ax, np.zeros((2, 3)))


def test_info_nce_curves_draws_the_ceiling_the_truth_and_each_critic():
    ax = Figure().subplots()
    sizes = [2, 4, 8, 16]
    art = xl.plots.info_nce_curves(ax, sizes, {"a": [0.5, 1, 1.5, 2], "b": [0.1, 0.2, 0.3, 0.4]},
                                   true_mi=3.0, current=8)
    np.testing.assert_allclose(art["ceiling"].get_ydata(), np.log(sizes))
    assert list(art["estimates"]) == ["a", "b"]
    assert art["truth"].get_ydata()[0] == 3.0
    assert art["marker"].get_ydata()[0] == 1.5
    assert ax.get_ylim()[1] > 3.0  # room for the legend above the truth
    with pytest.raises(ValueError, match="one value per batch size"):
        xl.plots.info_nce_curves(ax, sizes, [1.0, 2.0])


def test_the_lessons_numbers_are_the_ones_its_text_quotes():
    """The solution notebook prints the bound at N = 16, 128, 1024 that its text discusses."""
    import nbformat

    nb = nbformat.read(Path(__file__).resolve().parents[1] / "notebooks" / "solutions" / f"{NOTEBOOK}.ipynb", as_version=4)
    outputs = "\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    for line in ("   16      512      2.76           2.77     7.83",
                 "  128       64      4.77           4.85     7.83",
                 " 1024        8      6.44           6.93     7.83"):
        assert line in outputs


def test_the_siglip_sections_numbers_are_the_ones_their_text_quotes():
    """SigLIP vs CLIP, the log Q correction and alignment/uniformity: printed as discussed."""
    import nbformat

    nb = nbformat.read(Path(__file__).resolve().parents[1] / "notebooks" / "solutions" / f"{NOTEBOOK}.ipynb", as_version=4)
    outputs = "\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    for printed in ("accuracy at N = 128: 0.965, at N = 1024: 0.805",
                    "accuracy at N = 128: 0.963, at N = 1024: 0.796",
                    "b = -10.73", "the untrained towers: 0.010",
                    "full softmax over all 1000 items:   4.7245 nats",
                    "without correction     5.6513 nats;  push / pull by rank: [3.74 1.88 0.71",
                    "with log Q correction  4.7244 nats",
                    "CLIP            0.032           -2.638",
                    "SigLIP          0.946           -2.223",
                    "loss  270.01 nats, of which the 128 true pairs 0.83",
                    "share of |dL/dS|: 0.7100"):
        assert printed in outputs, printed
    for quoted in ("0.965 (CLIP) and 0.963 (SigLIP)", "0.805 and 0.796", "-b/t = 0.55",
                   "5.65 nats against the", "4.7244 against 4.7245", "alignment 0.95", "($-2.64$"):
        assert quoted in text, quoted
