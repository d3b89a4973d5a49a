"""The math of lesson 08: the shipped text, counting models, the arithmetic coder.

Exact references: counts against a brute-force count over every window of the text, the
probabilities against the formula with fractions, the coder against the summed surprisal
(within a few bytes) and against itself (it must decode back exactly).
"""

import hashlib
import math
from collections import Counter
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import xent_lessons as xl
from xent_lessons.arithmetic_coding import (
    arithmetic_decode,
    arithmetic_encode,
    compressed_sizes,
    ideal_code_length,
)
from xent_lessons.corpus import Alphabet, alice, alice_split
from xent_lessons.ngram import CharNGramModel, add_alpha_surprisal, bits_per_char_by_order

ALICE_SHA256 = "99e53cbb0aeb274344a254733db996ca2d05d5fcd10fc0ca02d6966f2b2bc961"


# ------------------------------------------------------------------------- the text


def test_the_shipped_text_is_the_documented_file():
    text = alice()
    assert hashlib.sha256(text.encode("ascii")).hexdigest() == ALICE_SHA256
    assert len(text) == 148_480 and "\r" not in text and "\x1a" not in text
    assert text.lstrip().startswith("ALICE'S ADVENTURES IN WONDERLAND")
    assert text.rstrip().endswith("THE END")


def test_the_split_is_at_chapter_xi_and_loses_nothing():
    train, held_out = alice_split()
    assert train + held_out == alice()
    assert held_out.startswith("CHAPTER XI") and "CHAPTER XI" not in train
    assert (len(train), len(held_out)) == (125_829, 22_651)


def test_the_text_and_its_readme_are_package_data():
    from importlib import resources

    data = resources.files("xent_lessons").joinpath("data")
    readme = data.joinpath("README.md").read_text()
    assert "public domain" in readme and "Canterbury" in readme and ALICE_SHA256 in readme


def test_alphabet_round_trips_and_rejects_unknown_characters():
    a = Alphabet.of(alice())
    assert len(a) == 72 and a.chars[0] == "\n"
    train, _ = alice_split()
    assert a.decode(a.encode(train)) == train
    with pytest.raises(ValueError, match="'é', which is not in the alphabet"):
        a.encode("café")
    with pytest.raises(ValueError, match="classes must be integers from 0 to 71"):
        a.decode([0, 72])
    with pytest.raises(TypeError, match="single characters"):
        Alphabet(["ab"])
    with pytest.raises(ValueError, match="empty"):
        Alphabet("")


# -------------------------------------------------------------------- counting models


def brute_force_counts(text, k, pad="\n"):
    padded = pad * k + text
    return Counter((padded[i : i + k], padded[i + k]) for i in range(len(text)))


@pytest.mark.parametrize("k", [0, 1, 2, 3, 5])
def test_counts_match_a_brute_force_count(k):
    train, _ = alice_split()
    text = train[:20_000]
    alphabet = Alphabet.of(text, "\n")
    model = CharNGramModel(text, k, 1.0, alphabet)
    expected = brute_force_counts(text, k)
    contexts = {s for s, _ in expected}
    assert model.n_contexts == len(contexts)
    for s in sorted(contexts)[:: max(1, len(contexts) // 200)]:  # a spread of 200 contexts
        got = model.counts(s)
        want = np.array([expected.get((s, c), 0) for c in alphabet.chars])
        np.testing.assert_array_equal(got, want)
    # and every (context, next) pair of the text, looked up in one go
    n_sc, n_s = model.pair_counts(text)
    padded = "\n" * k + text
    pairs = [(padded[i : i + k], padded[i + k]) for i in range(len(text))]
    np.testing.assert_array_equal(n_sc, [expected[p] for p in pairs])
    context_totals = Counter()
    for (s, _), n in expected.items():
        context_totals[s] += n
    np.testing.assert_array_equal(n_s, [context_totals[s] for s, _ in pairs])


def test_probabilities_are_the_add_alpha_formula_exactly():
    text = "abracadabra"
    model = CharNGramModel(text, 2, alpha=0.25)
    V = len(model.alphabet)
    counts = brute_force_counts(text, 2)
    for s in ["ab", "ra", "\nb", "zz"[:0] + "ca", "xx"]:
        if any(c not in model.alphabet.index for c in s):
            continue
        n_s = sum(n for (t, _), n in counts.items() if t == s)
        for i, c in enumerate(model.alphabet.chars):
            exact = (Fraction(counts.get((s, c), 0)) + Fraction(1, 4)) / (n_s + Fraction(V, 4))
            assert model.probabilities(s)[i] == pytest.approx(float(exact), rel=1e-15)
    assert model.probabilities("ab").sum() == pytest.approx(1.0, abs=1e-15)


def test_a_context_shorter_than_the_order_is_padded_like_the_start_of_a_text():
    model = CharNGramModel("abcabc", 3, alpha=1.0)
    np.testing.assert_array_equal(model.counts("a"), model.counts("\n\na"))
    assert model.counts("\n\n\n")[model.alphabet.index["a"]] == 1  # the text's first character


def test_bits_per_char_is_the_mean_surprisal_and_alpha_zero_gives_inf_for_the_unseen():
    train, held_out = alice_split()
    alphabet = Alphabet.of(alice())
    model = CharNGramModel(train, 2, 0.01, alphabet)
    bits = model.surprisals(held_out[:500])
    assert model.bits_per_char(held_out[:500]) == pytest.approx(bits.mean(), rel=1e-15)
    raw = CharNGramModel(train, 1, 0.0, alphabet)
    assert raw.bits_per_char(held_out) == math.inf  # a pair the training text never has
    assert raw.bits_per_char(train) == pytest.approx(3.503038, abs=1e-6)  # finite on its own text
    with pytest.raises(ValueError, match="text is empty"):  # a mean over nothing: refused
        model.bits_per_char("")
    np.testing.assert_array_equal(add_alpha_surprisal([0, 1], [0, 2], 0.0, 3), [math.inf, 1.0])


def test_the_u_curve_of_the_lesson():
    train, held_out = alice_split()
    bpc = bits_per_char_by_order(train, held_out, range(6), alpha=0.01, alphabet=Alphabet.of(alice()))
    np.testing.assert_allclose(bpc, [4.547, 3.523, 2.731, 2.482, 2.716, 3.176], atol=5e-4)
    assert int(np.argmin(bpc)) == 3


def test_training_score_with_alpha_zero_is_the_plug_in_conditional_entropy():
    text = alice_split()[0][:30_000]
    for k in (0, 1, 3):
        counts = brute_force_counts(text, k)
        totals = Counter()
        for (s, _), n in counts.items():
            totals[s] += n
        h = -sum(n / len(text) * math.log2(n / totals[s]) for (s, _), n in counts.items())
        assert CharNGramModel(text, k, 0.0).bits_per_char(text) == pytest.approx(h, rel=1e-12)


def test_with_alpha_shares_the_counts_and_changes_only_alpha():
    model = CharNGramModel("abcabd", 1, alpha=1.0)
    other = model.with_alpha(0.5)
    assert other.alpha == 0.5 and model.alpha == 1.0
    assert other._pair_keys is model._pair_keys
    assert other.probabilities("a")[model.alphabet.index["b"]] == pytest.approx(2.5 / 4.5)


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"train": b"abc", "order": 1}, TypeError, "train must be a string"),
        ({"train": "abc", "order": -1}, ValueError, "order must be >= 0"),
        ({"train": "abc", "order": 1.5}, TypeError, "order must be an integer"),
        ({"train": "abc", "order": 1, "alpha": -0.1}, ValueError, "alpha must be a finite number >= 0"),
        ({"train": "abc", "order": 1, "alpha": math.nan}, ValueError, "alpha must be a finite"),
        ({"train": "abc", "order": 1, "pad": "z", "alphabet": Alphabet("abc")}, ValueError, "pad must be"),
        ({"train": "abc", "order": 1, "alphabet": "abc"}, TypeError, "alphabet must be"),
        ({"train": "abc", "order": 40}, ValueError, "too long"),
    ],
)
def test_bad_arguments_name_themselves(kwargs, error, words):
    with pytest.raises(error, match=words):
        CharNGramModel(**kwargs)


def test_alpha_zero_and_an_unseen_context_has_no_distribution():
    model = CharNGramModel("abab", 2, alpha=0.0)
    with pytest.raises(ValueError, match="never occurs in the training text and alpha is 0"):
        model.probabilities("bb")


def test_sampling_is_seeded_and_follows_the_counts():
    model = CharNGramModel("abcabcabc", 2, alpha=0.0)
    assert model.sample(9, np.random.default_rng(0)) == "abcabcabc"  # only one way on
    model = CharNGramModel(alice_split()[0], 3, alpha=0.01)
    a = model.sample(200, np.random.default_rng(5))
    assert a == model.sample(200, np.random.default_rng(5)) and len(a) == 200
    assert set(a) <= set(model.alphabet.chars)
    with pytest.raises(TypeError, match=r"rng must be a numpy\.random\.Generator"):
        model.sample(5, 0)


def test_sampling_draws_with_the_model_probabilities():
    model = CharNGramModel("aab", 0, alpha=1.0)  # q = (a: 3/6, b: 2/6, newline: 1/6)
    draws = Counter(model.sample(60_000, np.random.default_rng(0)))
    for c, q in model_probs(model).items():
        assert draws[c] / 60_000 == pytest.approx(q, abs=0.01)


def model_probs(model):
    return dict(zip(model.alphabet.chars, model.probabilities(""), strict=True))


# --------------------------------------------------------------------- the coder


@pytest.mark.parametrize(("k", "alpha"), [(0, 1.0), (2, 0.5), (3, 0.01), (5, 0.1)])
def test_coder_round_trips_and_is_within_a_few_bytes_of_the_cross_entropy(k, alpha):
    train, held_out = alice_split()
    alphabet = Alphabet.of(alice())
    model = CharNGramModel(train, k, alpha, alphabet)
    text = held_out[:5000]
    message = alphabet.encode(text)
    code = arithmetic_encode(message, model)
    assert arithmetic_decode(code, len(message), model) == list(message)
    bound = model.surprisals(text).sum()  # the summed -log2 q, in bits
    assert ideal_code_length(message, model) == pytest.approx(bound, rel=1e-9)
    assert 0 <= 8 * len(code) - bound <= 2 + 7 + 1e-6  # end of message and byte padding


def test_coder_on_the_whole_held_out_text_of_the_lesson():
    train, held_out = alice_split()
    alphabet = Alphabet.of(alice())
    model = CharNGramModel(train, 3, 0.01, alphabet)
    message = alphabet.encode(held_out)
    code = arithmetic_encode(message, model)
    bound_bytes = model.surprisals(held_out).sum() / 8
    assert len(code) == 7028 and 0 < len(code) - bound_bytes < 2
    assert alphabet.decode(arithmetic_decode(code, len(message), model)) == held_out


class FixedModel:
    """An order-0 model with given integer frequencies (a test double for the coder)."""

    def __init__(self, freqs):
        self.cum = [0, *np.cumsum(freqs).tolist()]

    def cumulative_frequencies(self, history):
        return self.cum


@given(
    st.lists(st.integers(1, 1000), min_size=1, max_size=6).flatmap(
        lambda freqs: st.tuples(
            st.just(freqs), st.lists(st.integers(0, len(freqs) - 1), max_size=300)
        )
    )
)
def test_coder_round_trips_any_message_of_any_model(case):
    freqs, message = case
    model = FixedModel(freqs)
    code = arithmetic_encode(message, model)
    assert arithmetic_decode(code, len(message), model) == message
    bound = ideal_code_length(message, model)
    assert bound - 1e-9 <= 8 * len(code) <= bound + 9 + 1e-9


def test_coder_handles_extreme_probabilities():
    # A symbol of probability 1e-12 and one of 1 - 1e-12: the first costs 40 bits, the second ~0.
    model = FixedModel([10**12 - 1, 1])
    message = [0] * 1000 + [1] + [0] * 1000
    code = arithmetic_encode(message, model)
    assert arithmetic_decode(code, len(message), model) == message
    assert len(code) <= math.ceil((ideal_code_length(message, model) + 9) / 8)


def test_coder_refuses_a_symbol_of_probability_zero_and_bad_models():
    with pytest.raises(ValueError, match="frequency 0 at position 1"):
        arithmetic_encode([0, 1], FixedModel([1, 0]))
    with pytest.raises(ValueError, match="out of range"):
        arithmetic_encode([3], FixedModel([1, 1]))
    with pytest.raises(ValueError, match="total frequency"):
        arithmetic_encode([0], FixedModel([2**63, 1]))
    model = CharNGramModel("abab", 1, alpha=0.0)
    with pytest.raises(ValueError, match="frequency 0"):
        arithmetic_encode(model.alphabet.encode("aa"), model)
    with pytest.raises(TypeError, match="code must be bytes"):
        arithmetic_decode("0101", 4, model)
    with pytest.raises(ValueError, match="n_symbols"):
        arithmetic_decode(b"", -1, model)


def test_integer_frequencies_are_the_model_probabilities_exactly():
    model = CharNGramModel("the cat sat on the mat", 2, alpha=0.1)
    history = list(model.alphabet.encode("the c"))
    cum = model.cumulative_frequencies(history)
    freqs = np.diff(cum)
    exact = [Fraction(int(f), cum[-1]) for f in freqs]
    np.testing.assert_allclose([float(e) for e in exact], model.probabilities("the c"), rtol=1e-15)
    with pytest.raises(ValueError, match="too small to code"):
        CharNGramModel("ab", 1, alpha=1e-9).cumulative_frequencies([0])


def test_compressed_sizes_with_and_without_a_prefix():
    train, held_out = alice_split()
    alone, given = compressed_sizes(held_out), compressed_sizes(held_out, given=train)
    # This machine's libraries give 9039, 8020, 8700 and 8005, 5969, 6788 bytes; another
    # build of zlib, bzip2 or liblzma may differ by a few bytes.
    for sizes, expected in ((alone, {"zlib": 9039, "bz2": 8020, "lzma": 8700}),
                            (given, {"zlib": 8005, "bz2": 5969, "lzma": 6788})):
        assert sizes.keys() == expected.keys()
        for name, n in expected.items():
            assert sizes[name] == pytest.approx(n, rel=0.01), name
    assert all(given[name] < alone[name] for name in alone)  # reading the training text helps


def test_the_modules_load_lazily_from_the_package():
    assert xl.ngram.CharNGramModel is CharNGramModel
    assert xl.corpus.alice is alice and xl.arithmetic_coding.arithmetic_encode is arithmetic_encode


def test_cumulative_frequencies_reads_a_list_history_without_copying_it():
    """The coder passes the whole text so far on every character: checking it must not copy
    it into an array (that made lesson 08's coder ten times slower, quadratic in the text)."""

    class NoArray(list):
        def __array__(self, *args, **kwargs):
            raise AssertionError("the history was copied into an array")

    alphabet = Alphabet.of("abc\n")
    model = CharNGramModel("abcabcab", 2, 1.0, alphabet)
    history = NoArray(alphabet.encode("abcab"))
    assert model.cumulative_frequencies(history) == model.cumulative_frequencies(list(history))
    with pytest.raises(TypeError, match="history must be a sequence"):
        model.cumulative_frequencies(np.array(3))
