"""Lesson 01: its checkers, widgets, plots and the letter-frequency table."""

import math

import nbformat
import numpy as np
import pytest
from notebook_code import SOLUTIONS, solution_function

import xent_lessons as xl

NB = "01_surprisal_and_entropy"


def stub(*args):
    raise NotImplementedError("Exercise: replace this line with your code")


def assert_fails(result, *words):
    assert result.status == "failed", result.message
    for word in words:
        assert word in result.message, (word, result.message)


def heights(bars):
    return np.array([bar.get_height() for bar in bars], dtype=float)


# ---------------------------------------------------------------------- surprisal_bits


def test_surprisal_bits_accepts_the_reference_solution():
    result = xl.check.surprisal_bits(solution_function(NB, "surprisal_bits"))
    assert result.status == "passed", result.message


def test_surprisal_bits_rejects_typical_mistakes():
    # Nats instead of bits.
    assert_fails(xl.check.surprisal_bits(lambda p: -np.log(p)), "p = 0.5", "np.log2")
    # Forgot the minus sign.
    assert_fails(xl.check.surprisal_bits(lambda p: np.log2(p)), "p = 0.5", "minus sign")
    # log10: neither bits nor nats.
    assert_fails(xl.check.surprisal_bits(lambda p: -np.log10(p)), "p = 0.5")
    # math.log2 only takes one number.
    assert_fails(
        xl.check.surprisal_bits(lambda p: -math.log2(p)), "an array", "TypeError", "math.log2"
    )
    # An epsilon hides the infinite surprisal of an impossible event.
    assert_fails(
        xl.check.surprisal_bits(lambda p: -np.log2(np.asarray(p) + 1e-12)),
        "impossible event", "inf",
    )
    # A loop over the rows: fine for 1-D input, breaks on a 2-D array.
    assert_fails(
        xl.check.surprisal_bits(
            lambda p: -np.log2(p) if np.ndim(p) == 0 else np.array([-math.log2(x) for x in p])
        ),
        "(2, 2)", "elementwise",
    )


def test_surprisal_bits_stub_is_not_attempted():
    assert xl.check.surprisal_bits(stub).status == "not attempted"


# ------------------------------------------------------------------------ safe_entropy


def test_safe_entropy_accepts_the_reference_solution():
    result = xl.check.safe_entropy(solution_function(NB, "safe_entropy"))
    assert result.status == "passed", result.message


def test_safe_entropy_rejects_typical_mistakes():
    # The naive formula: 0 * log 0 = nan.
    assert_fails(
        xl.check.safe_entropy(lambda p: -np.sum(p * np.log(p), axis=-1)),
        "with a zero", "NaN", "np.where",
    )
    # Bits instead of nats.
    assert_fails(
        xl.check.safe_entropy(lambda p: -np.nansum(p * np.log2(p), axis=-1)),
        "fair coin", "nats",
    )
    # One number for the whole batch.
    assert_fails(
        xl.check.safe_entropy(lambda p: -np.nansum(p * np.log(p))),
        "batch of 2", "wrong shape", "axis=-1",
    )
    # Sums the columns: right shape for a square batch, wrong values.
    def columns(p):
        p = np.asarray(p)
        return -np.nansum(p * np.log(p), axis=0 if p.ndim > 1 else -1)

    assert_fails(xl.check.safe_entropy(columns), "batch of 2", "wrong shape")

    def columns_of_squares(p):  # would pass the (2, 3) case if it were transposed there
        p = np.asarray(p)
        axis = 0 if p.ndim == 2 and p.shape[0] == p.shape[1] else -1
        return -np.nansum(p * np.log(p), axis=axis)

    assert_fails(xl.check.safe_entropy(columns_of_squares), "square batch", "axis=0")
    # axis=1 works for 2-D but not for 3-D batches.
    assert_fails(
        xl.check.safe_entropy(
            lambda p: -np.nansum(p * np.log(p), axis=1 if np.ndim(p) > 1 else 0)
        ),
        "(2, 2, 3)", "any number of batch axes",
    )


def test_safe_entropy_stub_is_not_attempted():
    assert xl.check.safe_entropy(stub).status == "not attempted"


# ------------------------------------------------------------------------ most_entropy


def test_most_entropy_accepts_the_reference_answer_and_matches_the_notebook():
    from xent_lessons.check.information import MOST_ENTROPY_CHOICES

    nb = nbformat.read(SOLUTIONS / f"{NB}.ipynb", as_version=4)
    namespace = {"np": np, "xl": xl}
    choices_cell = next(c for c in nb.cells if c.source.startswith("choices = {"))
    exec(choices_cell.source, namespace)
    choices, answer = namespace["choices"], solution_function(NB, "most_entropy_answer")
    assert {k: tuple(v) for k, v in choices.items()} == MOST_ENTROPY_CHOICES
    assert xl.check.most_entropy(answer).status == "passed"
    assert xl.check.most_entropy(lambda: " b ").status == "passed"  # case and spaces don't matter
    assert xl.check.most_entropy("B").status == "passed"  # the letter itself is fine too
    best = max(choices, key=lambda k: xl.entropy(choices[k]))
    assert answer() == best


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        ("A", "only 2 outcomes"),
        ("C", "most even"),
        ("D", "almost certain"),
        ("E", "Compute both"),
        ("F", "one of the letters"),
        (1.85, "one of the letters"),
        # the probabilities of B instead of its letter
        ([0.4, 0.3, 0.2, 0.1], 'Those are the probabilities of distribution B: answer with its letter, "B"'),
        # two letters in an array: a friendly report, not a crash
        (np.array(["A", "B"]), "a string was expected"),
    ],
)
def test_most_entropy_rejects_wrong_answers_with_a_hint_about_them(answer, words):
    assert_fails(xl.check.most_entropy(lambda: answer), words)


def test_most_entropy_stub_is_not_attempted_and_a_forgotten_return_is_named():
    def most_entropy_answer():
        raise NotImplementedError("Exercise: replace this line with your code")

    assert xl.check.most_entropy(most_entropy_answer).status == "not attempted"
    assert_fails(xl.check.most_entropy(lambda: None), "did you forget `return`?")
    # The learner's notebook holds that stub, not an `answer = ...` placeholder.
    nb = nbformat.read(SOLUTIONS.parent / f"{NB}.ipynb", as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "def most_entropy_answer():" in code and "answer = ..." not in code


# ----------------------------------------------------------------------------- widgets


def test_coin_entropy_moves_the_point_the_bars_and_the_readout():
    w = xl.widgets.coin_entropy(bias=0.5)
    assert np.asarray(w.artists["point"].get_ydata()).tolist() == [1.0]
    w.controls["bias"].value = 0.25
    assert np.asarray(w.artists["point"].get_xdata()).tolist() == [0.25]
    h = xl.entropy([0.25, 0.75], base=2)
    assert np.asarray(w.artists["point"].get_ydata())[0] == pytest.approx(h)
    np.testing.assert_allclose(heights(w.artists["bars"]), [2.0, -np.log2(0.75)])
    np.testing.assert_allclose(w.artists["entropy_line"].get_ydata(), [h, h])
    assert [t.get_text() for t in w.artists["values"]] == ["2.00 bits", "0.42 bits"]
    assert "H = 0.25 × 2.00 + 0.75 × 0.42 = 0.811 bits" in w.readout_text


def test_coin_entropy_axis_fits_its_bars_and_steps_up_for_rare_sides():
    w = xl.widgets.coin_entropy(bias=0.7)
    ax_bars = w.figure.axes[1]
    top = ax_bars.get_ylim()[1]
    tallest = max(heights(w.artists["bars"]))  # 1.74 bits for tails
    assert tallest < top < 2 * tallest  # not an axis to 8.75 bits for bars under 2
    w.controls["bias"].value = 0.99  # tails: 6.64 bits, which must stay in the picture
    tallest = max(heights(w.artists["bars"]))
    assert tallest == pytest.approx(-np.log2(0.01))
    assert tallest < ax_bars.get_ylim()[1] < 2 * tallest
    w.controls["bias"].value = 0.7
    assert ax_bars.get_ylim()[1] == top  # back to the same step


def test_coin_entropy_at_a_certain_coin_caps_the_infinite_bar_and_gives_zero():
    w = xl.widgets.coin_entropy(bias=0.7)
    w.controls["bias"].value = 0.0
    bars = heights(w.artists["bars"])
    top = w.figure.axes[1].get_ylim()[1]
    # The infinite bar reaches the cap, the tallest a finite bar could be, inside the axes.
    assert np.isfinite(bars).all() and 0 < bars[0] < top and bars[1] == 0.0
    assert w.artists["values"][0].get_text() == "∞"
    assert np.asarray(w.artists["point"].get_ydata()).tolist() == [0.0]
    assert "= 0.000 bits" in w.readout_text and "0 × ∞ counts as 0" in w.readout_text


def test_loaded_die_normalises_the_weights_and_shows_the_entropy():
    w = xl.widgets.loaded_die(weights=(1, 1, 1, 1, 1, 5))
    np.testing.assert_allclose(heights(w.artists["bars"]), [0.1] * 5 + [0.5])
    assert w.artists["gauge"].get_height() == pytest.approx(
        xl.entropy([0.1] * 5 + [0.5], base=2)
    )
    w.controls["6"].value = 1  # now fair: the maximum
    np.testing.assert_allclose(heights(w.artists["bars"]), [1 / 6] * 6)
    assert w.artists["gauge"].get_height() == pytest.approx(np.log2(6))
    assert w.artists["gauge_value"].get_text() == "H(p) = 2.585"
    assert "H(p) = 2.585 bits" in w.readout_text and "(100% of it here)" in w.readout_text


def test_loaded_die_with_all_weights_zero_says_so():
    w = xl.widgets.loaded_die(weights=(0, 0, 0, 0, 0, 1))
    assert w.artists["gauge"].get_height() == 0.0
    w.controls["6"].value = 0
    assert heights(w.artists["bars"]).tolist() == [0.0] * 6
    assert "not a distribution" in w.readout_text


@pytest.mark.parametrize("weights", [(1, 2, 3), (1, 1, 1, 1, 1, 11), (1, 1, 1, 1, 1, 0.5)])
def test_loaded_die_rejects_bad_weights(weights):
    with pytest.raises(ValueError, match="weights"):
        xl.widgets.loaded_die(weights=weights)


def test_huffman_explorer_shows_the_code_and_both_averages():
    w = xl.widgets.huffman_explorer(weights=(8, 4, 2, 1, 1))
    assert [t.get_text() for t in w.artists["codewords"]] == ["0", "10", "110", "1110", "1111"]
    h0 = w.artists["entropy_line"].get_ydata()[0]
    assert w.artists["length_line"].get_ydata()[0] == pytest.approx(h0)  # powers of 1/2
    assert w.artists["overhead_band"].get_height() == pytest.approx(0.0)
    assert w.artists["overhead_title"].get_text().endswith("L − H = 0.000 bits")
    for name, value in zip("ABCDE", (3, 5, 5, 4, 20), strict=True):
        w.controls[name].value = value
    p = np.array([3, 5, 5, 4, 20]) / 37
    code = xl.huffman.huffman_code(p, symbols="ABCDE")
    assert [t.get_text() for t in w.artists["codewords"]] == list(code.codewords)
    np.testing.assert_allclose(heights(w.artists["lengths"]), code.lengths)
    np.testing.assert_allclose(heights(w.artists["ideal"]), -np.log2(p))
    h, length = xl.entropy(p, base=2), code.average_length
    assert w.artists["entropy_line"].get_ydata()[0] == pytest.approx(h)
    assert w.artists["length_line"].get_ydata()[0] == pytest.approx(length)
    assert h < length < h + 1
    # The overhead is a band from H to L, on the axes that zooms in on the averages, with
    # the bound H + 1 above it; none of those lines crosses the bars and their codewords.
    band = w.artists["overhead_band"]
    assert band.get_y() == pytest.approx(h)
    assert band.get_height() == pytest.approx(length - h)
    assert w.artists["bound_line"].get_ydata()[0] == pytest.approx(h + 1)
    assert w.artists["overhead_title"].get_text().endswith(f"L − H = {length - h:.3f} bits")
    ax_bars, ax_averages = w.figure.axes
    low, high = ax_averages.get_ylim()
    assert low < h and h + 1 < high and high - low < 1.5  # zoomed: the band is visible
    assert band.axes is ax_averages and not ax_bars.lines
    assert all(t.axes is ax_bars for t in w.artists["codewords"])
    assert code.table() in w.readout_text
    assert f"L = {length:.3f} bits" in w.readout_text


# ------------------------------------------------------------------------------- plots


def _axes():
    from matplotlib.figure import Figure

    return Figure().subplots()


def test_surprisal_curve_marks_its_points():
    ax = _axes()
    artists = xl.plots.surprisal_curve(ax, base=2, marked=(1, 0.5, 0.125))
    np.testing.assert_allclose(artists["points"].get_ydata(), [0, 1, 3])
    assert [t.get_text() for t in artists["labels"]][2] == "p = 0.125: 3.00 bits"
    assert ax.get_ylabel() == "surprisal (bits)"
    nats = xl.plots.surprisal_curve(_axes(), base=None, marked=(0.5,))
    np.testing.assert_allclose(nats["points"].get_ydata(), [np.log(2)])


def test_binary_entropy_curve_peaks_at_one_bit_for_a_fair_coin():
    ax = _axes()
    artists = xl.plots.binary_entropy_curve(ax, bias=0.9)
    x, y = artists["curve"].get_xdata(), artists["curve"].get_ydata()
    assert x[np.argmax(y)] == pytest.approx(0.5) and y.max() == pytest.approx(1.0)
    assert y[0] == 0.0 and y[-1] == 0.0
    assert artists["point"].get_ydata()[0] == pytest.approx(xl.entropy([0.9, 0.1], base=2))


def test_surprisal_bars_axis_steps_to_fit_the_tallest_finite_bar():
    ax = _axes()
    artists = xl.plots.surprisal_bars(ax, [0.7, 0.3], ["heads", "tails"])
    assert artists["cap"] == 2.5 and ax.get_ylim()[1] == pytest.approx(3.25)
    xl.plots.information.update_surprisal_bars(ax, artists, np.array([0.75, 0.25]))
    assert artists["cap"] == 2.5  # no step for a small move around the lesson's 0.7
    xl.plots.information.update_surprisal_bars(ax, artists, np.array([0.99, 0.01]))
    assert artists["cap"] == 10.0  # 6.64 bits for tails
    xl.plots.information.update_surprisal_bars(ax, artists, np.array([1.0, 0.0]))
    assert artists["cap"] == 2.5 and heights(artists["bars"])[1] == 2.5  # ∞ drawn at the cap


def test_surprisal_bars_and_their_average():
    ax = _axes()
    artists = xl.plots.surprisal_bars(ax, [0.5, 0.25, 0.25, 0.0], list("abcd"), cap=5.0)
    np.testing.assert_allclose(heights(artists["bars"]), [1, 2, 2, 5])  # inf drawn at cap
    assert [t.get_text() for t in artists["values"]] == ["1.00 bits", "2.00 bits",
                                                         "2.00 bits", "∞"]
    np.testing.assert_allclose(artists["entropy_line"].get_ydata(), [1.5, 1.5])
    assert artists["entropy_label"].get_text() == "average = H(p) = 1.50 bits"
    assert ax.get_xticklabels()[0].get_text() == "a\np = 0.50"


def test_outcome_probabilities_and_entropy_gauge():
    ax = _axes()
    artists = xl.plots.outcome_probabilities(ax, [0.2, 0.8], ["x", "y"], reference=0.5)
    np.testing.assert_allclose(heights(artists["bars"]), [0.2, 0.8])
    np.testing.assert_allclose(artists["reference"].get_ydata(), [0.5, 0.5])
    gauge = xl.plots.entropy_gauge(_axes(), 1.25, 2.0)
    assert gauge["bar"].get_height() == 1.25
    np.testing.assert_allclose(gauge["max_line"].get_ydata(), [2.0, 2.0])
    assert gauge["value"].get_text() == "H(p) = 1.250"


def test_code_lengths_draws_ideal_and_actual_lengths_on_an_axis_that_fits_them():
    ax = _axes()
    p = np.array([0.4, 0.3, 0.2, 0.1])
    code = xl.huffman.huffman_code(p)
    artists = xl.plots.code_lengths(ax, p, code.codewords, "ABCD")
    np.testing.assert_allclose(heights(artists["ideal"]), -np.log2(p))
    np.testing.assert_allclose(heights(artists["lengths"]), code.lengths)
    assert [t.get_text() for t in artists["codewords"]] == list(code.codewords)
    tallest = max(heights(artists["ideal"]).max(), max(code.lengths))  # 3.32 bits
    assert tallest < ax.get_ylim()[1] <= 5
    fixed = xl.plots.code_lengths(_axes(), p, code.codewords, "ABCD", ylim=8.5)
    assert fixed["ideal"][0].axes.get_ylim()[1] == 8.5


def test_code_overhead_zooms_in_on_h_l_and_the_bound():
    ax = _axes()
    artists = xl.plots.code_overhead(ax, 2.1531, 2.2)
    assert artists["entropy_line"].get_ydata()[0] == pytest.approx(2.1531)
    assert artists["length_line"].get_ydata()[0] == pytest.approx(2.2)
    assert artists["bound_line"].get_ydata()[0] == pytest.approx(3.1531)
    assert artists["band"].get_y() == pytest.approx(2.1531)
    assert artists["band"].get_height() == pytest.approx(0.0469)
    assert [t.get_text() for t in artists["texts"]] == ["H = 2.153", "L = 2.200",
                                                        "H + 1 = 3.153"]
    assert artists["title"].get_text() == "the averages\nL − H = 0.047 bits"
    low, high = ax.get_ylim()
    assert low < 2.1531 and 3.1531 < high and high - low < 1.5
    # The two lines differ in colour and in dash, so they can be told apart.
    h_line, l_line = artists["entropy_line"], artists["length_line"]
    assert h_line.get_color() != l_line.get_color()
    assert h_line.get_linestyle() != l_line.get_linestyle()


# ------------------------------------------------------------------ letter frequencies


def test_letter_table_is_lewands_and_its_entropy_is_about_4_18_bits():
    from xent_lessons.letter_frequencies import (
        ENGLISH_LETTER_FREQUENCIES,
        ENGLISH_LETTER_PERCENT,
        LETTERS,
        english_letters,
    )

    assert list(ENGLISH_LETTER_PERCENT) == list(LETTERS) and len(LETTERS) == 26
    # The published figures add up to 99.999 %: a typo in any of them would change this.
    assert sum(ENGLISH_LETTER_PERCENT.values()) == pytest.approx(99.999, abs=1e-9)
    assert ENGLISH_LETTER_PERCENT["e"] == 12.702 and ENGLISH_LETTER_PERCENT["z"] == 0.074
    assert ENGLISH_LETTER_FREQUENCIES.sum() == pytest.approx(1.0)
    assert not ENGLISH_LETTER_FREQUENCIES.flags.writeable
    h = xl.entropy(ENGLISH_LETTER_FREQUENCIES, base=2)
    assert 4.1 < h < 4.2 < np.log2(26)
    letters, p = english_letters("frequency")
    assert letters.startswith("etaoin") and np.all(np.diff(p) <= 0)
    p[0] = 0.0  # a copy: the table itself is unchanged
    assert ENGLISH_LETTER_FREQUENCIES[4] == pytest.approx(0.12702 / 0.99999)
    with pytest.raises(ValueError, match="order"):
        english_letters("random")


# -------------------------------------------- wrong answers that used to pass, or were misnamed


def _where_positive(p, value):
    p = np.asarray(p, dtype=float)
    return np.where(p > 0, value(np.where(p > 0, p, 1.0)), 0.0)


@pytest.mark.parametrize(
    ("checker", "wrong", "words"),
    [
        # rounded to 3 decimals used to pass: every p was a power of 2
        ("surprisal_bits", lambda p: np.round(-np.log2(p), 3),
         ["not powers of 2", "rounded to 3 decimals"]),
        ("surprisal_bits", lambda p: _where_positive(p, lambda q: -np.log2(q)),
         ["impossible event", "expected inf", "for the TERMS of an entropy"]),
        ("surprisal_bits", lambda p: 1 / np.asarray(p, dtype=float), ["That is 1/p"]),
        ("safe_entropy", lambda p: -np.mean(_where_positive(p, lambda q: q * np.log(q)), axis=-1),
         ["exactly 1/2 of the answer", "You averaged the terms", "SUM"]),
        ("safe_entropy", lambda p: -np.sum(_where_positive(p, np.log), axis=-1),
         ["The weights p_i are missing"]),
    ],
)
def test_wrong_answers_are_caught_and_named(checker, wrong, words):
    assert_fails(getattr(xl.check, checker)(wrong), *words)


def test_most_entropy_given_an_array_of_letters_reports_it_without_a_crash():
    result = xl.check.most_entropy(np.array(["A", "B"]))  # the value itself, not a function
    assert_fails(result, "a string was expected", "one of the letters")


def test_huffman_explorer_rescales_without_redrawing_its_titles():
    """Each move rescales the zoomed axes (and often the bars' axes): what follows the limits
    is redrawn over a background that keeps the titles; the picture is still matplotlib's
    own full draw (drawn without the widgets' text caches)."""
    w = xl.widgets.huffman_explorer()
    renderer = w._renderer
    for name, value in (("A", 1), ("A", 20), ("B", 3)):  # finding what moves (full draws)
        w.controls[name].value = value
    for name, value in (("B", 17), ("A", 7)):
        w.controls[name].value = value
        assert renderer.last_draw == "blit"
        shown = np.asarray(w._canvas.buffer_rgba()).copy()
        assert np.array_equal(shown, renderer.full_picture())
    plan = next(iter(renderer._plans.values()))
    assert not any(ax in plan.draw_list for ax in w.figure.axes)  # no Axes drawn whole
    assert not any(ax.title in plan.draw_list for ax in w.figure.axes[:1])
