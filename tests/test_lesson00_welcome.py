"""Lesson 00: its checkers, its widget and its plots."""

import numpy as np
import pytest
from notebook_code import solution_function

import xent_lessons as xl

NB = "00_welcome"


def stub(*args):
    raise NotImplementedError("Exercise: replace this line with your code")


def assert_fails(result, *words):
    assert result.status == "failed", result.message
    for word in words:
        assert word in result.message, (word, result.message)


# ------------------------------------------------------------------- normalize_weights


def test_normalize_weights_accepts_the_reference_solution():
    result = xl.check.normalize_weights(solution_function(NB, "normalize_weights"))
    assert result.status == "passed", result.message


def test_normalize_weights_rejects_typical_mistakes():
    # The notebook's own deliberately wrong demo: divides by the largest weight.
    assert_fails(
        xl.check.normalize_weights(solution_function(NB, "normalize_weights_wrong")),
        "three weights", "total",
    )
    # Divides by the number of weights instead of their total.
    assert_fails(
        xl.check.normalize_weights(lambda w: np.asarray(w, dtype=float) / len(w)),
        "three weights", "total",
    )
    # Works on arrays only: a Python list has no .sum().
    assert_fails(
        xl.check.normalize_weights(lambda w: w / w.sum()),
        "Python list", "AttributeError", "np.asarray",
    )


def test_normalize_weights_stub_is_not_attempted():
    assert xl.check.normalize_weights(stub).status == "not attempted"


# ---------------------------------------------------------------------- normalize_rows


def test_normalize_rows_accepts_the_reference_solution():
    result = xl.check.normalize_rows(solution_function(NB, "normalize_rows"))
    assert result.status == "passed", result.message


def test_normalize_rows_rejects_typical_mistakes():
    # Sums down the columns.
    assert_fails(
        xl.check.normalize_rows(lambda w: w / w.sum(axis=0, keepdims=True)),
        "one row", "axis=-1",
    )
    # Divides by the total of the whole array.
    assert_fails(xl.check.normalize_rows(lambda w: w / w.sum()), "two rows", "own sum")
    # Forgets keepdims: an error for (2, 3) ...
    assert_fails(
        xl.check.normalize_rows(lambda w: w / w.sum(axis=-1)), "two rows", "keepdims=True"
    )
    # ... and silently wrong values for a square array, when the error is worked around.
    def no_keepdims_square_only(w):
        s = w.sum(axis=-1)
        return w / s if w.ndim == 2 and w.shape[0] == w.shape[1] else w / s[..., None]

    assert_fails(xl.check.normalize_rows(no_keepdims_square_only), "square", "keepdims")
    # axis=1 instead of axis=-1: fails on a single row.
    assert_fails(
        xl.check.normalize_rows(lambda w: w / w.sum(axis=1, keepdims=True)),
        "single row", "axis=-1",
    )


def test_normalize_rows_stub_is_not_attempted():
    assert xl.check.normalize_rows(stub).status == "not attempted"


# ---------------------------------------------------------------------- pick_log_probs


def test_pick_log_probs_accepts_the_reference_solution():
    result = xl.check.pick_log_probs(solution_function(NB, "pick_log_probs"))
    assert result.status == "passed", result.message


def test_pick_log_probs_rejects_typical_mistakes():
    # Whole columns instead of one entry per row.
    assert_fails(
        xl.check.pick_log_probs(lambda probs, y: np.log(probs[:, y])),
        "N = 3 samples", "wrong shape", "[:, y]",
    )
    # Forgets the log.
    assert_fails(
        xl.check.pick_log_probs(lambda probs, y: probs[np.arange(len(y)), y]),
        "N = 3 samples", "values differ", "np.log",
    )
    # Hard-codes N.
    assert_fails(
        xl.check.pick_log_probs(lambda probs, y: np.log(probs[np.arange(3), y])),
        "N = 4 samples", "hard-code",
    )
    # Uses the number of classes for the row numbers.
    assert_fails(
        xl.check.pick_log_probs(lambda probs, y: np.log(probs[np.arange(probs.shape[1]), y])),
        "N = 3 samples",
    )


def test_pick_log_probs_stub_is_not_attempted():
    assert xl.check.pick_log_probs(stub).status == "not attempted"


# ------------------------------------------------------------------------------ widget


def test_first_slider_moves_the_point_the_guides_and_the_readout():
    w = xl.widgets.first_slider(p=0.25)
    assert np.asarray(w.artists["point"].get_ydata()).tolist() == [2.0]
    assert w.readout_text == "p = 0.25  →  surprisal −log2(p) = 2.00 bits"
    before = bytes(w.image.value)
    w.controls["p"].value = 0.125
    assert np.asarray(w.artists["point"].get_xdata()).tolist() == [0.125]
    assert np.asarray(w.artists["point"].get_ydata()).tolist() == [3.0]
    assert np.asarray(w.artists["guides"].get_xdata()).tolist() == [0.125, 0.125, 0]
    assert np.asarray(w.artists["guides"].get_ydata()).tolist() == [0, 3.0, 3.0]
    assert w.readout_text == "p = 0.12  →  surprisal −log2(p) = 3.00 bits"
    assert bytes(w.image.value) != before
    w.controls["p"].value = 1.0
    assert np.asarray(w.artists["point"].get_ydata()).tolist() == [0.0]


def test_first_slider_rejects_a_start_outside_its_range():
    with pytest.raises(ValueError, match="p must be in"):
        xl.widgets.first_slider(p=0.0)


# ------------------------------------------------------------------------------- plots


def _axes():
    from matplotlib.figure import Figure

    return Figure().subplots()


def test_course_map_draws_seventeen_lessons_in_order_joined_by_sixteen_arrows():
    from xent_lessons.plots.welcome import COURSE_LESSONS, COURSE_STAGES

    ax = _axes()
    artists = xl.plots.course_map(ax, highlight=2)
    assert len(artists["boxes"]) == len(COURSE_LESSONS) == 17
    assert len(artists["arrows"]) == 16
    assert [number for number, *_ in COURSE_LESSONS] == [f"{k:02d}" for k in range(17)]
    titles = [t.get_text() for t in artists["titles"]]
    assert titles[:2] == ["Welcome", "Surprisal &\nentropy"]
    assert titles[8] == "Bits per\ncharacter" and titles[14] == "Choosing\na loss"
    widths = [box.get_linewidth() for box in artists["boxes"]]
    assert widths[2] > max(widths[:2] + widths[3:])  # the highlighted lesson stands out
    # Reading order: left to right along each row of five, then the next row below.
    xs = [box.get_x() for box in artists["boxes"]]
    ys = [box.get_y() for box in artists["boxes"]]
    for row in range(3):
        assert xs[5 * row : 5 * row + 5] == sorted(xs[5 * row : 5 * row + 5])
        assert len(set(ys[5 * row : 5 * row + 5])) == 1
    assert ys[0] > ys[5] > ys[10]
    assert len(artists["legend"].get_texts()) == len(COURSE_STAGES) == 7
    assert not ax.axison


def test_course_map_text_stays_inside_its_boxes():
    # Every title and key idea fits its box at the size lesson 00 draws the map.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 5.6), layout="constrained")
    canvas = FigureCanvasAgg(fig)
    ax = fig.subplots()
    artists = xl.plots.course_map(ax, highlight=0)
    canvas.draw()
    renderer = canvas.get_renderer()
    boxes = [box.get_window_extent(renderer) for box in artists["boxes"]]
    for text in ax.texts:
        extent = text.get_window_extent(renderer)
        inside = [b for b in boxes if b.x0 <= extent.x0 and extent.x1 <= b.x1
                  and b.y0 <= extent.y0 and extent.y1 <= b.y1]
        assert inside, f"{text.get_text()!r} sticks out of its box"


def test_curve_with_point_returns_its_artists_with_the_data():
    ax = _axes()
    x = np.linspace(0, 2, 5)
    artists = xl.plots.curve_with_point(ax, x, x**2, 1.0, 1.0, xlabel="x (units)")
    np.testing.assert_array_equal(artists["curve"].get_ydata(), x**2)
    assert artists["point"].get_xydata().tolist() == [[1.0, 1.0]]
    assert artists["guides"].get_xdata().tolist() == [1.0, 1.0, 0]
    assert ax.get_xlabel() == "x (units)"


# -------------------------------------------- wrong answers that used to pass, or were misnamed


def _in_place_normalize(w):
    w = np.asarray(w, dtype=float)  # no copy for a float array: the caller's array
    w /= w.sum()
    return w


@pytest.mark.parametrize(
    ("checker", "wrong", "words"),
    [
        # rounded probabilities used to pass: every case's answer had two decimals
        ("normalize_weights", lambda w: np.round(np.asarray(w) / np.sum(w), 2),
         ["weights 1 and 2 (thirds)", "rounded to 2 decimals", "round only where you print"]),
        ("normalize_weights", lambda w: np.exp(w) / np.sum(np.exp(w)), ["That is a softmax"]),
        ("normalize_weights", lambda w: np.asarray(w, dtype=float) / len(w),
         ["You divided by the number of weights"]),
        ("normalize_weights", _in_place_normalize,
         ["changed its argument `w` in place", "the caller still needs them"]),
        ("normalize_weights", lambda w: w / sum(w),
         ["a Python list", "TypeError", "lists do not compute elementwise"]),
        ("normalize_rows", lambda w: np.round(w / w.sum(axis=-1, keepdims=True), 2),
         ["rows that give thirds", "rounded to 2 decimals"]),
        ("normalize_rows", lambda w: w / w.max(axis=-1, keepdims=True), ["largest entry"]),
        ("normalize_rows", lambda w: w.__itruediv__(w.sum(axis=-1, keepdims=True)),
         ["changed its argument `w` in place"]),
        # the row's largest probability passed the first case (every target was the max)
        ("pick_log_probs", lambda probs, y: np.log(probs.max(axis=1)),
         ["N = 4 samples", "LARGEST probability", "TRUE class"]),
        ("pick_log_probs", lambda probs, y: np.mean(np.log(probs[np.arange(len(y)), y])),
         ["expected (3,), got ()", "You averaged the picked log-probabilities"]),
        ("pick_log_probs", lambda probs, y: -np.log(probs[np.arange(len(y)), y]),
         ["minus the answer", "the minus sign comes with the loss"]),
        ("pick_log_probs", lambda probs, y: np.log(probs[y, np.arange(len(y))]),
         ["IndexError", "take N and C from the input's shape"]),
    ],
)
def test_wrong_answers_are_caught_and_named(checker, wrong, words):
    assert_fails(getattr(xl.check, checker)(wrong), *words)
