"""Lesson 09 (cross-entropy over sequences): its checkers, widget and plot functions.

The checkers must accept the reference solutions of the solution notebook and reject the
typical wrong answers (no shift, an off-by-one mask, masked inputs, the mean of micro-batch
means, padding in the count) with a message that names the slip.
"""

import sys
from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure

import xent_lessons as xl

sys.path.insert(0, str(Path(__file__).resolve().parent))  # for notebook_code
from notebook_code import solution_function

NOTEBOOK = "09_sequence_cross_entropy"


def _ax():
    return Figure().subplots()


def assert_fails(result, *words):
    assert result.status == "failed", result.message
    for word in words:
        assert word in result.message, (word, result.message)


def _stub(*args):
    raise NotImplementedError("Exercise: replace this line with your code")


# ------------------------------------------------------------------ shift_and_mask


def test_shift_and_mask_checker_accepts_the_reference_solution():
    result = xl.check.shift_and_mask(solution_function(NOTEBOOK, "shift_and_mask"))
    assert result.status == "passed", result.message


def _shift(tokens, lengths, ignore_index=-100, offset=1, strict=True, mask_inputs=False,
           fixed=None):
    tokens, lengths = np.asarray(tokens), np.asarray(lengths)
    ignore = ignore_index if fixed is None else fixed
    inputs = tokens[:, :-1].copy()
    targets = tokens[:, offset:].copy() if offset else tokens[:, :-1].copy()
    positions = np.arange(1, tokens.shape[1])
    pad = positions[None, :] >= lengths[:, None] if strict else positions[None, :] > lengths[:, None]
    targets[pad] = ignore
    if mask_inputs:
        inputs[pad] = ignore
    return inputs, targets


@pytest.mark.parametrize(
    ("wrong", "words"),
    [
        (lambda t, n, i: _shift(t, n, i, offset=0), ["no padding", "shifted by one"]),
        (lambda t, n, i: _shift(t, n, i, strict=False), ["second padded", "off by one"]),
        (lambda t, n, i: (np.asarray(t)[:, :-1], np.asarray(t)[:, 1:]), ["must get ignore_index"]),
        (lambda t, n, i: _shift(t, n, i, mask_inputs=True), ["inputs:", "mask the targets only"]),
        (lambda t, n, i: _shift(t, n, i, fixed=-100), ["another ignore_index", "not the number -100"]),
    ],
)
def test_shift_and_mask_checker_names_the_mistake(wrong, words):
    assert_fails(xl.check.shift_and_mask(wrong), *words)


def _mask_by_value(tokens, lengths, ignore_index):
    """Masks the targets equal to the pad id 0: wrong, since 0 is also a real token ('\\n')."""
    targets = np.asarray(tokens)[:, 1:].copy()
    targets[targets == 0] = ignore_index
    return np.asarray(tokens)[:, :-1], targets


def test_shift_and_mask_checker_rejects_a_mask_by_the_pad_value():
    assert_fails(xl.check.shift_and_mask(_mask_by_value), "token 0 is a real character",
                 "VALUE is 0", "Mask by position with the lengths")


def test_shift_and_mask_checker_reports_the_stub():
    assert xl.check.shift_and_mask(_stub).status == "not attempted"


# ---------------------------------------------------------------- accumulated_loss


def test_accumulated_loss_checker_accepts_the_reference_solution():
    result = xl.check.accumulated_loss(solution_function(NOTEBOOK, "accumulated_loss"))
    assert result.status == "passed", result.message


def _mean_of_means(batches, ignore_index=-100):
    return np.mean([xl.categorical_cross_entropy(z, t, ignore_index=ignore_index)
                    for z, t in batches])


def _all_positions(batches, ignore_index=-100):
    total = sum(xl.categorical_cross_entropy(z, t, ignore_index=ignore_index, reduction="sum")
                for z, t in batches)
    return total / sum(t.size for _, t in batches)


def _per_sequence(batches, ignore_index=-100):
    total = sum(xl.categorical_cross_entropy(z, t, ignore_index=ignore_index, reduction="sum")
                for z, t in batches)
    return total / sum(t.shape[0] for _, t in batches)


@pytest.mark.parametrize(
    ("wrong", "words"),
    [
        (_mean_of_means, ["different numbers of real tokens", "mean of the micro-batch means"]),
        (_all_positions, ["counted the padded positions"]),
        (_per_sequence, ["number of sequences"]),
        (lambda b, i: float(np.nanmean([xl.categorical_cross_entropy(z, t) for z, t in b])),
         ["mean of the micro-batch means"]),
    ],
)
def test_accumulated_loss_checker_names_the_mistake(wrong, words):
    assert_fails(xl.check.accumulated_loss(wrong), *words)


def _counts_minus_100(batches, ignore_index):
    total = sum(xl.categorical_cross_entropy(z, t, ignore_index=ignore_index, reduction="sum")
                for z, t in batches)
    return total / sum(np.sum(t != -100) for _, t in batches)


def _ignore_index_not_passed(batches, ignore_index):
    total = sum(xl.categorical_cross_entropy(z, t, reduction="sum") for z, t in batches)
    return total / sum(np.sum(t != -100) for _, t in batches)


def _ignore_index_not_passed_nonnegative(batches, ignore_index):
    """Counts targets >= 0 as real: right for -100 and -1, wrong for an ignore_index of 7."""
    total = sum(xl.categorical_cross_entropy(z, t, ignore_index=ignore_index, reduction="sum")
                for z, t in batches)
    return total / sum(np.sum(t >= 0) for _, t in batches)


def _mean_times_count(batches, ignore_index):
    total = count = 0
    for z, t in batches:
        n = np.sum(t != ignore_index)
        total += xl.categorical_cross_entropy(z, t, ignore_index=ignore_index) * n
        count += n
    return total / count


def _flattened_without_moving_classes(batches, ignore_index):
    total = count = 0
    for z, t in batches:
        total += xl.categorical_cross_entropy(z.reshape(-1, z.shape[1]), t.reshape(-1),
                                              ignore_index=ignore_index, reduction="sum")
        count += np.sum(t != ignore_index)
    return total / count


@pytest.mark.parametrize(
    ("wrong", "words"),
    [
        (_counts_minus_100, ["ignore_index = -1", "-100 written out"]),
        (_ignore_index_not_passed, ["ignore_index = -1", "class index -1"]),
        (_ignore_index_not_passed_nonnegative, ["ignore_index = 7"]),
        (_mean_times_count, ["nothing but padding", "NaN * 0 = NaN", "reduction='sum'"]),
        (_flattened_without_moving_classes, ["classes are on axis 1", "np.moveaxis"]),
    ],
)
def test_accumulated_loss_checker_closes_the_ignore_index_and_nan_holes(wrong, words):
    assert_fails(xl.check.accumulated_loss(wrong), *words)


def test_accumulated_loss_checker_reports_the_stub():
    assert xl.check.accumulated_loss(_stub).status == "not attempted"


# ------------------------------------------------------------------- the widget


def test_accumulation_weights_widget_moves_the_steps():
    w = xl.widgets.accumulation_weights()
    assert w.readout_text.splitlines()[0] == (
        "N = 750 tokens: the token mean gives each 1/750 = 0.00133"
    )
    naive = w.artists["naive"].get_data()
    np.testing.assert_allclose(naive.values, 750 / (4 * np.array([50, 200, 100, 400])))
    np.testing.assert_allclose(naive.edges, np.array([0, 50, 250, 350, 750]) / 750)
    for name in ("n1", "n2", "n3", "n4"):
        w.controls[name].value = 100
    np.testing.assert_allclose(w.artists["naive"].get_data().values, 1.0)  # equal sizes: fair
    np.testing.assert_allclose(w.artists["right"].get_data().values, 1.0)
    w.controls["n1"].value = 1
    w.controls["n2"].value = w.controls["n3"].value = w.controls["n4"].value = 400
    assert w.artists["naive"].get_data().values[0] == pytest.approx(1201 / 4)
    assert w.readout_text.endswith("weighs 300.2 times its fair share 1/N, and 400.0 times one "
                                   "of micro-batch 2")  # the lesson's "300 times its share"
    # the 1-token micro-batch is a step 1/1201 wide: its marker shows its height anyway
    x, y = w.artists["tops"].get_data()
    assert x[0] == pytest.approx(0.5 / 1201) and y[0] == pytest.approx(1201 / 4)
    np.testing.assert_allclose(y[1:], 1201 / 1600)


def test_accumulation_weights_checks_its_arguments():
    with pytest.raises(ValueError, match="4 integers from 1 to 400"):
        xl.widgets.accumulation_weights(token_counts=(1, 2, 3))
    with pytest.raises(ValueError, match="4 integers from 1 to 400"):
        xl.widgets.accumulation_weights(token_counts=(0, 2, 3, 4))


# ------------------------------------------------------------------------ plots


def test_padded_targets_marks_the_ignored_cells():
    mesh = xl.plots.padded_targets(_ax(), [[1, 2, -100], [0, -100, -100]], "ab c")
    assert mesh.get_array().reshape(2, 3).tolist() == [[1.0, 1.0, 0.0], [1.0, 0.0, 0.0]]
    with pytest.raises(ValueError, match="integer token ids"):
        xl.plots.padded_targets(_ax(), [[0.5]], "ab")


def test_token_weight_steps_areas_are_the_total_weights():
    counts = [3, 1]
    naive, right = xl.sequences.micro_batch_token_weights(counts)
    art = xl.plots.token_weight_steps(_ax(), counts, naive, right)
    data = art["naive"].get_data()
    areas = data.values * np.diff(data.edges)
    np.testing.assert_allclose(areas, [0.5, 0.5])  # 1 / M each
    right_data = art["right"].get_data()
    np.testing.assert_allclose(right_data.values * np.diff(right_data.edges), [0.75, 0.25])


def test_training_bpc_curves_draws_the_references():
    art = xl.plots.training_bpc_curves(_ax(), [1, 2, 3], [5.0, 4.0, 3.6], ([1, 3], [5.1, 3.7]),
                                       references={"counts": 3.5})
    assert list(art["held_out"].get_ydata()) == [5.1, 3.7]
    assert list(art["references"]["counts"].get_ydata()) == [3.5, 3.5]


# ---------------------------------------------------------------- sliding_window_loss


def test_sliding_window_loss_checker_accepts_the_reference_solution():
    result = xl.check.sliding_window_loss(solution_function(NOTEBOOK, "sliding_window_loss"))
    assert result.status == "passed", result.message


def test_sliding_window_loss_checker_reports_the_stub():
    assert xl.check.sliding_window_loss(_stub).status == "not attempted"


def _windows(n_tokens, context_length, stride):
    """The learner's own window placement: (begin, end, first new target) per window."""
    out, scored_up_to = [], 1
    for begin in range(0, n_tokens, stride):
        end = min(begin + context_length, n_tokens)
        out.append((begin, end, scored_up_to))
        scored_up_to = end
        if end == n_tokens:
            break
    return out


def _mean_of_means(score_window, n, L, s):
    return float(np.mean([score_window(b, e)[f - b - 1:].mean() for b, e, f in _windows(n, L, s)]))


def _overlap_twice(score_window, n, L, s):
    return float(np.concatenate([score_window(b, e) for b, e, _ in _windows(n, L, s)]).mean())


def _off_by_one(score_window, n, L, s):
    kept = [score_window(b, e)[f - b:] for b, e, f in _windows(n, L, s)]
    return float(np.concatenate(kept).mean())


def _guide_weights(score_window, n, L, s):
    parts = [score_window(b, e)[f - b - 1:] for b, e, f in _windows(n, L, s)]
    weights = [p.size if k == 0 else p.size - 1 for k, p in enumerate(parts)]
    return float(np.average([p.mean() for p in parts], weights=weights))


def _end_to_end(score_window, n, L, s):
    parts = [score_window(b, min(b + L, n)) for b in range(0, n - 1, L)]
    return float(np.concatenate(parts).mean())


def _first_new_targets(score_window, n, L, s):
    """Keeps each window's FIRST (e - f) predictions: the right count, the least context."""
    parts = [score_window(b, e)[:e - f] for b, e, f in _windows(n, L, s)]
    return float(np.concatenate(parts).mean())


def _too_long_windows(score_window, n, L, s):
    """Reads one token too many per window: the checker's model refuses it."""
    parts = [score_window(b, min(b + L + 1, n))[f - b - 1:] for b, _, f in _windows(n, L, s)]
    return float(np.concatenate(parts).mean())


@pytest.mark.parametrize(
    ("wrong", "words"),
    [
        (_mean_of_means, ["mean of the windows' mean losses", "n_tokens - 1"]),
        (_overlap_twice, ["scored twice", "no earlier window scored"]),
        (_off_by_one, ["off by one", "t - begin - 1"]),
        (_guide_weights, ["minus one", "num_valid_tokens - batch_size"]),
        (_end_to_end, ["end to end", "never predicted"]),
        (lambda f, n, L, s: _mean_of_means(f, n, L, s) / np.log(2), ["1/ln 2"]),
        (_first_new_targets, ["FIRST new targets", "LAST ones"]),
        (_too_long_windows, ["reads at most context_length"]),
    ],
)
def test_sliding_window_loss_checker_names_the_mistake(wrong, words):
    assert_fails(xl.check.sliding_window_loss(wrong), *words)
