"""Huffman codes: optimal, prefix-free, deterministic, and within one bit of the entropy."""

import itertools

import numpy as np
import pytest

import xent_lessons as xl
from xent_lessons.huffman import HuffmanCode, huffman_code


def is_prefix_free(codewords):
    return not any(
        a != b and b.startswith(a) for a, b in itertools.permutations(codewords, 2)
    ) and len(set(codewords)) == len(codewords)


def brute_force_optimal_length(p):
    """The smallest sum(p * l) over whole-number lengths that satisfy Kraft's inequality.

    Kraft: a prefix code with lengths l exists if and only if sum(2 ** -l) <= 1, so this
    is the optimum over all prefix codes, found without Huffman's algorithm.
    """
    n = len(p)
    best = np.inf
    for lengths in itertools.product(range(1, n), repeat=n):
        lengths = np.array(lengths)
        if np.sum(2.0 ** -lengths) <= 1 + 1e-12:
            best = min(best, float(np.dot(p, lengths)))
    return best


def test_powers_of_one_half_give_lengths_equal_to_surprisal_and_L_equal_to_H():
    p = np.array([0.5, 0.25, 0.125, 0.0625, 0.0625])
    code = huffman_code(p, symbols="ABCDE")
    np.testing.assert_array_equal(code.lengths, [1, 2, 3, 4, 4])
    np.testing.assert_allclose(code.lengths, xl.surprisal(p, base=2))
    assert code.average_length == pytest.approx(xl.entropy(p, base=2), abs=1e-12)
    assert code.codewords == ("0", "10", "110", "1110", "1111")


def test_a_known_code_including_the_float_tie_of_0_1_plus_0_2_with_0_3():
    # 0.1 + 0.2 is 0.30000000000000004 in floating point; it must still tie with 0.3, and
    # the older tree (the single symbol B) is merged first, as on paper.
    code = huffman_code([0.4, 0.3, 0.2, 0.1], symbols="ABCD")
    assert code.as_dict() == {"A": "0", "B": "10", "C": "111", "D": "110"}
    assert code.average_length == pytest.approx(1.9)


def test_ties_are_broken_deterministically_in_input_order():
    code = huffman_code([0.25] * 4)
    assert code.codewords == ("00", "01", "10", "11")
    assert code.symbols == (0, 1, 2, 3)
    again = huffman_code(np.full(4, 0.25))
    assert again.codewords == code.codewords


@pytest.mark.parametrize("seed", range(12))
def test_random_distributions_are_optimal_prefix_free_and_within_one_bit(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 6))
    p = rng.random(n) + 0.01
    p /= p.sum()
    code = huffman_code(p)
    assert is_prefix_free(code.codewords)
    assert np.sum(2.0 ** -code.lengths) == pytest.approx(1.0)  # a full binary tree
    h = xl.entropy(p, base=2)
    assert h - 1e-12 <= code.average_length < h + 1
    assert code.average_length == pytest.approx(brute_force_optimal_length(p), abs=1e-12)


def test_english_letters_code_is_within_one_bit_of_the_entropy():
    from xent_lessons.letter_frequencies import ENGLISH_LETTER_FREQUENCIES, LETTERS

    code = huffman_code(ENGLISH_LETTER_FREQUENCIES, symbols=LETTERS)
    h = xl.entropy(ENGLISH_LETTER_FREQUENCIES, base=2)
    assert is_prefix_free(code.codewords)
    assert h <= code.average_length < h + 0.05  # many symbols: very close to H
    assert len(code.as_dict()["e"]) < len(code.as_dict()["z"])


def test_zero_probability_symbols_get_no_codeword_and_cost_nothing():
    code = huffman_code([0.5, 0.0, 0.5], symbols="abc")
    assert code.codewords == ("0", None, "1")
    np.testing.assert_array_equal(code.lengths, [1, 0, 1])
    assert code.average_length == 1.0
    assert "".join(code.decode(code.encode("acca"))) == "acca"
    with pytest.raises(ValueError, match="probability 0"):
        code.encode("ab")
    assert code.table().splitlines()[2].split()[3] == "-"
    certain = huffman_code([0.0, 1.0, 0.0])
    assert certain.codewords == (None, "0", None)
    assert certain.average_length == 1.0  # at least one bit per symbol, even when H = 0


def test_a_single_symbol_gets_one_bit():
    code = huffman_code([1.0], symbols=["only"])
    assert code.codewords == ("0",)
    assert code.average_length == 1.0


def test_encode_then_decode_gives_the_message_back():
    rng = np.random.default_rng(3)
    p = np.array([0.35, 0.25, 0.2, 0.12, 0.08])
    code = huffman_code(p, symbols="ABCDE")
    message = "".join(rng.choice(list("ABCDE"), size=500, p=p))
    bits = code.encode(message)
    assert set(bits) <= {"0", "1"}
    assert "".join(code.decode(bits)) == message
    assert len(bits) == sum(len(code.as_dict()[s]) for s in message)


def test_encode_and_decode_reject_what_they_cannot_handle():
    code = huffman_code([0.5, 0.25, 0.25], symbols="abc")
    with pytest.raises(ValueError, match="'z' is not in the code's symbols"):
        code.encode("abz")
    with pytest.raises(ValueError, match="only '0' and '1'"):
        code.decode("0102")
    with pytest.raises(ValueError, match="middle of a codeword"):
        code.decode("01")


def test_table_lists_every_symbol_with_its_codeword():
    code = huffman_code([0.5, 0.25, 0.25], symbols="abc")
    lines = code.table().splitlines()
    assert lines[0].split() == ["symbol", "p", "-log2", "p", "codeword", "length"]
    assert [line.split()[0] for line in lines[1:]] == ["a", "b", "c"]
    assert [line.split()[3] for line in lines[1:]] == list(code.codewords)
    assert str(code) == code.table()
    assert isinstance(code, HuffmanCode)


@pytest.mark.parametrize(
    ("p", "kwargs", "error", "match"),
    [
        ([[0.5, 0.5]], {}, ValueError, "1-D"),
        ([0.5, 0.4], {}, ValueError, "sum to 1"),
        ([1.5, -0.5], {}, ValueError, r"\[0, 1\]"),
        ([0.5, np.nan], {}, ValueError, "NaN"),
        ([], {}, ValueError, "empty"),
        (["a", "b"], {}, TypeError, "real numbers"),
        ([0.5, 0.5], {"symbols": "abc"}, ValueError, "one label per probability"),
        ([0.5, 0.5], {"symbols": "aa"}, ValueError, "distinct"),
    ],
)
def test_bad_input_is_rejected_with_a_clear_message(p, kwargs, error, match):
    with pytest.raises(error, match=match):
        huffman_code(p, **kwargs)


@pytest.mark.parametrize("seed", range(6))
def test_with_zeros_the_code_is_optimal_for_the_symbols_that_occur(seed):
    rng = np.random.default_rng(100 + seed)
    p = rng.random(6) + 0.01
    p[rng.random(6) < 0.4] = 0.0
    p[int(rng.integers(6))] += 0.5  # at least one possible symbol
    p /= p.sum()
    code = huffman_code(p)
    occurring = p > 0
    assert all((w is None) == (not occ) for w, occ in zip(code.codewords, occurring, strict=True))
    words = [w for w in code.codewords if w is not None]
    assert is_prefix_free(words)
    if occurring.sum() > 1:
        assert code.average_length == pytest.approx(
            brute_force_optimal_length(p[occurring]), abs=1e-12
        )
