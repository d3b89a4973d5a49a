"""Lesson 08 (bits per character): its checkers, widget and plot functions.

The checkers must accept the reference solutions of the solution notebook and reject the
typical wrong answers (bits per token, nats, a wrong alphabet size, no padding, a point
instead of an interval) with a message that names the slip.
"""

import math
import sys
from collections import Counter
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure

import xent_lessons as xl

sys.path.insert(0, str(Path(__file__).resolve().parent))  # for notebook_code
from notebook_code import solution_function

NOTEBOOK = "08_bits_per_character"


def _ax():
    return Figure().subplots()


def assert_fails(result, *words):
    assert result.status == "failed", result.message
    for word in words:
        assert word in result.message, (word, result.message)


def _stub(*args):
    raise NotImplementedError("Exercise: replace this line with your code")


# ------------------------------------------------------------------- bits_per_char


def test_bits_per_char_checker_accepts_the_reference_solution():
    result = xl.check.bits_per_char(solution_function(NOTEBOOK, "bits_per_char"))
    assert result.status == "passed", result.message


@pytest.mark.parametrize(
    ("wrong", "words"),
    [
        (lambda t, n: np.mean(t) / np.log(2), ["word tokens", "bits per token"]),
        (lambda t, n: np.sum(t) / n, ["one token per character", "nats per character"]),
        (lambda t, n: np.sum(t) * np.log(2) / n, ["not by ln 2"]),
        (lambda t, n: 2 ** (np.sum(t) / np.log(2) / n), ["perplexity"]),
        (lambda t, n: np.sum(t) / np.log10(2) / n, ["log10"]),
    ],
)
def test_bits_per_char_checker_names_the_mistake(wrong, words):
    assert_fails(xl.check.bits_per_char(wrong), *words)


def test_bits_per_char_checker_tells_the_stub_from_a_missing_return():
    assert xl.check.bits_per_char(_stub).status == "not attempted"
    assert_fails(xl.check.bits_per_char(lambda t, n: None), "did you forget `return`?")


# ------------------------------------------------------------ order_k_cross_entropy


def _order_k(train, test, k, alpha, pad=True, V=None, log=math.log2, denominator_v=True):
    """A from-scratch order-k model with one optional slip."""
    V = V(train, test) if V else len(set(train) | set(test) | {"\n"})
    pt = "\n" * k + train if pad else train
    qt = "\n" * k + test if pad else test
    start = k  # with the padding, position k of the padded text is the first character
    pairs = Counter((pt[i - k : i], pt[i]) for i in range(start, len(pt)))
    contexts = Counter(pt[i - k : i] for i in range(start, len(pt)))
    bits = []
    for i in range(start, len(qt)):
        s, c = qt[i - k : i], qt[i]
        bits.append(-log((pairs[s, c] + alpha) / (contexts[s] + alpha * (V if denominator_v else 1))))
    return float(np.mean(bits))


def test_order_k_checker_accepts_the_reference_solution_and_a_from_scratch_one():
    result = xl.check.order_k_cross_entropy(solution_function(NOTEBOOK, "order_k_cross_entropy"))
    assert result.status == "passed", result.message
    assert xl.check.order_k_cross_entropy(_order_k).status == "passed"


@pytest.mark.parametrize(
    ("wrong", "words"),
    [
        (lambda *a: _order_k(*a, pad=False), ["k = 1", "put k newlines in front"]),
        (lambda *a: _order_k(*a, V=lambda tr, te: len(set(tr))), ["whole alphabet"]),
        (lambda *a: _order_k(*a, V=lambda tr, te: len(set(tr) | set(te))),
         ["whole alphabet", "and the newline of the padding"]),
        (lambda *a: _order_k(*a, V=lambda tr, te: len(set(tr) | set(te)) + 1),
         ["texts that contain newlines", "counted the newline twice"]),
        (lambda *a: _order_k(*a, denominator_v=False), ["n(s) + alpha * V"]),
        (lambda *a: _order_k(*a, log=math.log), ["nats per character", "np.log2, math.log2"]),
    ],
)
def test_order_k_checker_names_the_mistake(wrong, words):
    assert_fails(xl.check.order_k_cross_entropy(wrong), *words)


def test_order_k_checker_reports_the_stub():
    assert xl.check.order_k_cross_entropy(_stub).status == "not attempted"


def test_the_reference_solution_gives_the_lessons_number_on_the_real_text():
    fn = solution_function(NOTEBOOK, "order_k_cross_entropy")
    train, held_out = xl.corpus.alice_split()
    assert fn(train, held_out, 3, 0.01) == pytest.approx(2.4819, abs=1e-4)


# ---------------------------------------------------------------- shortest_codeword


def test_shortest_codeword_checker_accepts_the_reference_solution():
    result = xl.check.shortest_codeword(solution_function(NOTEBOOK, "shortest_codeword"))
    assert result.status == "passed", result.message


def _point_inside(low, high):
    L = 0
    while True:
        L += 1
        m = math.ceil(low * 2**L)
        if Fraction(m, 2**L) < high:
            return format(m, f"0{L}b")


def _floats(low, high):
    L = 0
    while True:
        L += 1
        m = math.ceil(float(low) * 2**L)
        if (m + 1) / 2**L <= float(high):
            return format(m, f"0{L}b")


@pytest.mark.parametrize(
    ("wrong", "words"),
    [
        (_point_inside, ["(m + 1) / 2**L <= high"]),
        (lambda low, high: format(int(low * 256), "08b"), ["not fixed"]),
        (lambda low, high: bin(math.ceil(low * 4))[2:], ["[0.3, 0.4)", "try L = 1, 2, 3"]),
    ],
)
def test_shortest_codeword_checker_names_the_mistake(wrong, words):
    assert_fails(xl.check.shortest_codeword(wrong), *words)


def _strictly_below(low, high):
    L = 0
    while True:
        L += 1
        m = math.ceil(low * 2**L)
        if Fraction(m + 1, 2**L) < high:
            return format(m, f"0{L}b")


def test_shortest_codeword_checker_rejects_floats_with_a_hint_about_precision():
    assert_fails(xl.check.shortest_codeword(_floats), "width 2**-56", "float64 keeps 53 bits")
    assert xl.check.shortest_codeword(_stub).status == "not attempted"


def test_shortest_codeword_checker_names_a_strict_less_than():
    result = xl.check.shortest_codeword(_strictly_below)
    assert_fails(result, "[1/2, 3/4)", "(m + 1) / 2**L < high", "<= high")
    assert "return the bits as a string" not in result.message.lower()


def test_nats_per_character_hints_do_not_blame_a_log_that_was_not_taken():
    # bits_per_char: the learner takes no log at all (the losses come in nats)
    result = xl.check.bits_per_char(lambda t, n: np.sum(t) / n)
    assert_fails(result, "nats where bits were expected", "divide nats by ln 2")
    assert "np.log2, not np.log" not in result.message


def test_codeword_length_is_within_two_bits_of_the_interval_width():
    fn = solution_function(NOTEBOOK, "shortest_codeword")
    rng = np.random.default_rng(0)
    for _ in range(200):
        a, b = sorted(rng.integers(0, 10**6, size=2))
        if a == b:
            continue
        low, high = Fraction(int(a), 10**6), Fraction(int(b), 10**6)
        bits = fn(low, high)
        m, L = int(bits, 2), len(bits)
        assert low <= Fraction(m, 2**L) and Fraction(m + 1, 2**L) <= high
        assert L <= -math.log2(high - low) + 2


# ------------------------------------------------------------------- the widget


def test_order_k_explorer_moves_the_curves_the_marker_and_the_samples():
    w = xl.widgets.order_k_explorer(max_order=5, sample_chars=60)
    assert w.readout_text.startswith("k = 3, α = 0.01: held-out 2.482 bits/char (perplexity 5.59)")
    held = w.artists["held_out"].get_ydata().copy()
    np.testing.assert_allclose(held, [4.547, 3.523, 2.731, 2.482, 2.716, 3.176], atol=5e-4)
    assert list(w.artists["marker"].get_xdata()) == [3]
    assert list(w.artists["best"].get_xdata()) == [3]
    first = w.artists["sample"].get_text()
    w.controls["alpha"].value = 1.0
    assert "α = 1: held-out 3.148" in w.readout_text
    assert list(w.artists["best"].get_xdata()) == [2]  # Laplace's rule: best order 2
    assert w.artists["train"].get_ydata()[4] > w.artists["train"].get_ydata()[3]  # turns up
    w.controls["k"].value = 0
    assert list(w.artists["marker"].get_xdata()) == [0]
    assert w.artists["sample"].get_text() != first
    assert set(w.compressors) == {"zlib", "bz2", "lzma"}
    assert 2.0 < w.compressors["bz2"] < 2.2


def test_order_k_explorer_checks_its_arguments():
    with pytest.raises(ValueError, match="k must be in"):
        xl.widgets.order_k_explorer(k=9, max_order=8)
    with pytest.raises(ValueError, match="alpha must be in"):
        xl.widgets.order_k_explorer(alpha=0.0)


# ------------------------------------------------------------------------ plots


def test_next_char_bars_marks_what_came_and_adds_it_when_unlikely():
    art = xl.plots.next_char_bars(_ax(), [0.6, 0.3, 0.1], "abc", actual="c", top=2)
    assert art["shown"] == ["a", "b", "c"]
    assert [round(b.get_height(), 2) for b in art["bars"]] == [0.6, 0.3, 0.1]
    with pytest.raises(ValueError, match="one value per character"):
        xl.plots.next_char_bars(_ax(), [0.5, 0.5], "abc")


def test_char_surprisal_bars_and_its_mean():
    art = xl.plots.char_surprisal_bars(_ax(), "ab ", [1.0, 2.0, 3.0])
    assert [b.get_height() for b in art["bars"]] == [1.0, 2.0, 3.0]
    assert art["mean"].get_ydata()[0] == 2.0
    with pytest.raises(ValueError, match="one value per character"):
        xl.plots.char_surprisal_bars(_ax(), "ab", [1.0])


def test_bigram_heatmap_shows_the_chosen_corner():
    model = xl.ngram.CharNGramModel("abcab", 1, alpha=0.1)
    table = np.array([model.probabilities(c) for c in model.alphabet.chars])
    mesh = xl.plots.bigram_heatmap(_ax(), table, model.alphabet.chars, shown="ab")
    np.testing.assert_allclose(mesh.get_array().reshape(2, 2), table[1:3, 1:3])


def test_bpc_by_order_and_compression_bars():
    art = xl.plots.bpc_by_order(_ax(), [0, 1, 2], [4.0, 3.0, 3.5], [3.9, 2.5, 1.5],
                                compressors={"zlib": 3.2}, order=2)
    assert list(art["best"].get_xdata()) == [1]
    assert list(art["marker"].get_ydata()) == [3.5]
    assert list(art["compressors"]["zlib"].get_ydata()) == [3.2, 3.2]
    bars = xl.plots.compression_bars(_ax(), {"model": 100, "zlib": 150}, 400, bound=2.0)
    assert [b.get_width() for b in bars["bars"]] == [2.0, 3.0]


def test_interval_steps_ends_at_the_final_interval():
    q = [Fraction(1, 2), Fraction(1, 4), Fraction(1, 8), Fraction(1, 8)]
    art = xl.plots.interval_steps(_ax(), "bad", q, "abcd")
    assert (art["low"], art["width"]) == (Fraction(39, 64), Fraction(1, 64))
    assert len(art["rows"]) == 4


def test_sample_texts_wraps_and_cuts():
    art = xl.plots.sample_texts(_ax(), [("a", "x" * 100), ("b", "line\n\nnext")], width=40)
    assert art["bodies"][0].get_text().split("\n") == ["x" * 40, "x" * 40, "x" * 20]
    assert art["bodies"][1].get_text() == "line\n↵\nnext"
