"""Lesson 08's smoothing that works: interpolated Kneser-Ney, and bits per byte.

``xl.ngram.KneserNeyModel`` is checked against numbers worked out by hand, against a
from-definition implementation written here with dictionaries, and against NLTK's
``nltk.lm.KneserNeyInterpolated`` (the recursion, discounting and continuation counts are
NLTK's own; only its bottom level, which NLTK leaves undiscounted, is given the uniform
distribution that Chen and Goodman's version, and ours, interpolate with).
"""

import math
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

import xent_lessons as xl
from xent_lessons.corpus import Alphabet
from xent_lessons.ngram import FREQUENCY_BITS, KneserNeyModel, bits_per_byte

sys.path.insert(0, str(Path(__file__).resolve().parent))  # for notebook_code

TEXT = "the cat sat on the mat; the rat ate the hat. a cat, a rat!"


def _from_definition(train, context, c, k, D, chars):
    """q_k(c | context) of interpolated Kneser-Ney, from the definition, with dictionaries."""
    padded = "\n" * k + train
    weights = {k: Counter((padded[i - k : i], padded[i]) for i in range(k, len(padded)))}
    for j in range(k - 1, -1, -1):  # continuation: different x before (s, c), one order up
        weights[j] = Counter((s[1:], d) for (s, d) in weights[j + 1])
    context = ("\n" * k + context)[len(context) :] if k else ""
    q = 1 / len(chars)
    for j in range(k + 1):
        s = context[len(context) - j :] if j else ""
        row = {d: n for (t, d), n in weights[j].items() if t == s}
        total = sum(row.values())
        if total:
            q = (max(row.get(c, 0) - D, 0) + D * len(row) * q) / total
    return q


def test_the_hand_computed_case():
    # "\nabracadabra": "a" follows newline, r, c, d (continuation 4); b, c, d, r follow one
    # character each; 8 different pairs, 5 characters with a continuation, V = 6.
    model = KneserNeyModel("abracadabra", order=1, discount=0.5)
    q0 = {"\n": (0 + 0.5 * 5 / 6) / 8, "a": (3.5 + 0.5 * 5 / 6) / 8}
    q0 |= {c: (0.5 + 0.5 * 5 / 6) / 8 for c in "bcdr"}
    after_a = {"\n": 0, "a": 0, "b": 2, "c": 1, "d": 1, "r": 0}  # n(a, c), 4 in all, 3 types
    expected = [(max(after_a[c] - 0.5, 0) + 0.5 * 3 * q0[c]) / 4 for c in "\nabcdr"]
    np.testing.assert_allclose(model.probabilities("a"), expected, rtol=1e-14)
    # A context never followed by anything (the "q" that ends "abq") passes its lower order
    # on: "\nabq" has a, b and q after one character each (3 pairs, 3 types), V = 4.
    tail = KneserNeyModel("abq", order=1, discount=0.5)
    q0_newline, q0_letter = (0 + 0.5 * 3 / 4) / 3, (0.5 + 0.5 * 3 / 4) / 3
    np.testing.assert_allclose(tail.probabilities("q"), [q0_newline] + [q0_letter] * 3, rtol=1e-14)


@pytest.mark.parametrize("k", [0, 1, 2, 3])
@pytest.mark.parametrize("D", [0.3, 0.75])
def test_matches_the_definition_and_sums_to_one(k, D):
    model = KneserNeyModel(TEXT, order=k, discount=D)
    chars = model.alphabet.chars
    for context in ["", "t", "the ", " a", "at", "!", "ca"]:
        q = model.probabilities(context)
        assert q.sum() == pytest.approx(1.0, abs=1e-12)
        assert (q > 0).all()
        expected = [_from_definition(TEXT, context, c, k, D, chars) for c in chars]
        np.testing.assert_allclose(q, expected, rtol=1e-12)


def test_scoring_a_text_agrees_with_the_distributions():
    model = KneserNeyModel(TEXT, order=3, discount=0.75)
    test = "the rat sat on a hat."
    direct = [-math.log2(model.probabilities(test[:i])[model.alphabet.index[c]])
              for i, c in enumerate(test)]
    np.testing.assert_allclose(model.surprisals(test), direct, rtol=1e-12)
    assert model.bits_per_char(test) == pytest.approx(np.mean(direct), rel=1e-12)


@pytest.mark.parametrize("k", [1, 2, 3])
def test_matches_nltk(k):
    nltk_lm = pytest.importorskip("nltk.lm")
    from nltk.lm.models import InterpolatedLanguageModel
    from nltk.lm.smoothing import KneserNey

    D = 0.75
    model = KneserNeyModel(TEXT, order=k, discount=D)
    V = len(model.alphabet)

    class UniformBottom(KneserNey):  # NLTK's order 0 is undiscounted; Chen and Goodman's is not
        def unigram_score(self, word):
            continuation, total = self._continuation_counts(word)
            types = sum(self._continuation_counts(c)[0] > 0 for c in model.alphabet.chars)
            return (max(continuation - D, 0) + D * types / V) / total

    lm = InterpolatedLanguageModel(UniformBottom, k + 1, params={"discount": D, "order": k + 1})
    padded = "\n" * k + TEXT
    # Every n-gram (1 to k + 1 characters) that ends on a character of the text, as we count.
    ngrams = [tuple(padded[i - m + 1 : i + 1]) for i in range(k, len(padded)) for m in range(1, k + 2)]
    lm.fit([ngrams], list(padded))
    assert isinstance(lm, nltk_lm.api.LanguageModel)
    for context in ["the ", "a c", "t!", ""]:
        padded_context = tuple(("\n" * k + context)[-k:])
        q = model.probabilities(context)
        theirs = [lm.unmasked_score(c, padded_context) for c in model.alphabet.chars]
        np.testing.assert_allclose(q, theirs, rtol=1e-12)


def test_on_alice_it_beats_the_best_add_alpha_order():
    train, held_out = xl.corpus.alice_split()
    alphabet = Alphabet.of(xl.corpus.alice())
    best_add_alpha = xl.ngram.CharNGramModel(train, 3, 0.01, alphabet).bits_per_char(held_out)
    smoothed = KneserNeyModel(train, 5, 0.75, alphabet).bits_per_char(held_out)
    assert best_add_alpha == pytest.approx(2.4819, abs=1e-4)
    assert smoothed == pytest.approx(2.0717, abs=1e-3)


def test_the_arithmetic_coder_codes_it_within_bytes_of_its_cross_entropy():
    model = KneserNeyModel(TEXT, order=2, discount=0.75)
    test = "the hat sat on a rat, the cat ate."
    message = list(model.alphabet.encode(test))
    code = xl.arithmetic_coding.arithmetic_encode(message, model)
    assert xl.arithmetic_coding.arithmetic_decode(code, len(message), model) == message
    ideal = model.surprisals(test).sum()
    assert ideal / 8 <= len(code) + 1e-9 and len(code) <= ideal / 8 + 2
    cum = model.cumulative_frequencies(message[:5])
    q = model.probabilities(test[:5])
    np.testing.assert_allclose(np.diff(cum) / cum[-1], q, atol=len(q) * 2.0**-FREQUENCY_BITS)


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"discount": 0.0}, ValueError, "strictly between 0 and 1"),
        ({"discount": 1.0}, ValueError, "strictly between 0 and 1"),
        ({"discount": "0.5"}, TypeError, "discount must be a real number"),
        ({"discount": True}, TypeError, "discount must be a real number"),
        ({"order": -1}, ValueError, "order must be >= 0"),
        ({"order": 1.5}, TypeError, "order must be an integer"),
    ],
)
def test_bad_input_is_refused(kwargs, error, words):
    with pytest.raises(error, match=words):
        KneserNeyModel(**({"train": TEXT, "order": 2} | kwargs))


def test_bad_history_and_text_are_refused():
    model = KneserNeyModel(TEXT, order=2)
    with pytest.raises(ValueError, match="symbol classes 0 to"):
        model.cumulative_frequencies([0, 999])
    with pytest.raises(TypeError, match="history must be a sequence"):
        model.cumulative_frequencies("ab")
    with pytest.raises(ValueError, match="empty"):
        model.bits_per_char("")
    with pytest.raises(TypeError, match="train must be a string"):
        KneserNeyModel(b"bytes", order=1)


# ------------------------------------------------------------------------ bits per byte


def test_bits_per_byte_by_hand():
    assert bits_per_byte(8.0, "abcd", unit="bits") == 2.0
    assert bits_per_byte(8.0, "ééàà", unit="bits") == 1.0  # 2 bytes per character
    assert bits_per_byte(12.0, "😀", unit="bits") == 3.0  # 4 bytes
    assert bits_per_byte(4 * math.log(2), "ab") == pytest.approx(2.0, rel=1e-15)
    assert xl.bits_per_byte is bits_per_byte


@pytest.mark.parametrize(
    ("args", "error", "words"),
    [
        ((1.0, "abc", "bytes"), ValueError, 'unit must be "nats" or "bits"'),
        ((np.array([1.0, 2.0]), "ab"), TypeError, "summed loss of the whole text"),
        ((-1.0, "ab"), ValueError, ">= 0"),
        ((float("nan"), "ab"), ValueError, "finite"),
        ((1.0, ""), ValueError, "empty"),
        ((1.0, b"ab"), TypeError, "text must be a string"),
    ],
)
def test_bits_per_byte_refuses_bad_input(args, error, words):
    with pytest.raises(error, match=words):
        bits_per_byte(*args)


# ----------------------------------------------------------- the kneser_ney_bigram checker


def _bigram(train, previous, c, D, padded=True, lower="continuation", uniform=True, backoff="u"):
    """An order-1 Kneser-Ney probability written here, with one optional slip."""
    V = len(set(train) | {"\n"})
    text = "\n" + train if padded else train
    pairs = Counter(text[i - 1 : i + 1] for i in range(1, len(text)))
    cont = Counter(p[1] for p in pairs) if lower == "continuation" else Counter(train)
    total = sum(cont.values())
    q0 = (max(cont[c] - D, 0) + D * len(cont) / V) / total if uniform else cont[c] / total
    after = Counter({p[1]: n for p, n in pairs.items() if p[0] == previous})
    if not after:
        return q0
    weight = D * len(after) if backoff == "u" else D
    return (max(after[c] - D, 0) + weight * q0) / sum(after.values())


def test_kneser_ney_checker_accepts_the_reference_solution_and_ours():
    from notebook_code import solution_function

    result = xl.check.kneser_ney_bigram(solution_function("08_bits_per_character", "kneser_ney_bigram"))
    assert result.status == "passed", result.message
    assert xl.check.kneser_ney_bigram(_bigram).status == "passed"


@pytest.mark.parametrize(
    ("wrong", "words"),
    [
        (lambda *a: _bigram(*a, lower="frequency"), ["continuation counts", "DIFFERENT"]),
        (lambda *a: _bigram(*a, backoff="D"), ["D * u(p)"]),
        (lambda *a: _bigram(*a, uniform=False), ["uniform 1 / V"]),
        (lambda *a: _bigram(*a, padded=False), ["one newline in front"]),
        (lambda t, p, c, D: _bigram(t, p, c, D) if p in t[:-1] else 0.0, ["not 0"]),
    ],
)
def test_kneser_ney_checker_names_the_mistake(wrong, words):
    result = xl.check.kneser_ney_bigram(wrong)
    assert result.status == "failed", result.message
    for word in words:
        assert word in result.message, (word, result.message)


def test_kneser_ney_checker_reports_the_stub():
    def stub(*args):
        raise NotImplementedError

    assert xl.check.kneser_ney_bigram(stub).status == "not attempted"


# ------------------------------------------------------------------------------- figure


def test_the_smoothing_figure_draws_both_curves_and_their_best_orders():
    from matplotlib.figure import Figure

    ax = Figure().subplots()
    art = xl.plots.bpc_by_order_smoothed(ax, [0, 1, 2, 3], [4.5, 3.5, 2.5, 3.0], [4.5, 3.4, 2.4, 2.2],
                                         {"bz2*": 2.1})
    assert art["add_alpha"].get_ydata().tolist() == [4.5, 3.5, 2.5, 3.0]
    assert [star.get_xdata().tolist() for star in art["best"]] == [[2], [3]]
    assert art["compressors"]["bz2*"].get_color() == xl.plots.language_models.COMPRESSOR_COLORS["bz2"]
    with pytest.raises(ValueError, match="kneser_ney must have one value per order"):
        xl.plots.bpc_by_order_smoothed(ax, [0, 1], [4.5, 3.5], [4.5])
