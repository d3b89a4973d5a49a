"""Checkers of lesson 08: bits per character, an order-k model's cross-entropy, a codeword,
Kneser-Ney.

Expected values come from the package (:class:`xent_lessons.ngram.CharNGramModel`) or are
computed here with exact fractions, never from the learner's code.
"""

from __future__ import annotations

import math
from collections import Counter
from fractions import Fraction

import numpy as np

from ..corpus import Alphabet
from ..ngram import DEFAULT_PAD, CharNGramModel, KneserNeyModel
from ._runner import Case, CheckResult, Mistake, run_cases

__all__ = ["bits_per_char", "kneser_ney_bigram", "order_k_cross_entropy", "shortest_codeword"]

LN2 = math.log(2)


# ------------------------------------------------------------------- bits_per_char


def _bpc(token_nll, n_chars):
    return float(np.sum(token_nll)) / LN2 / n_chars


def bits_per_char(fn) -> CheckResult:
    """Check ``fn(token_nll, n_chars)``: a text's bits per character from its tokens' losses.

    Parameters
    ----------
    fn : callable
        The learner's function: ``token_nll``, the loss of every token of a text in nats
        (what ``F.cross_entropy(..., reduction="none")`` returns), and ``n_chars``, the
        number of characters those tokens spell; out one number, in bits per character.

    Returns
    -------
    CheckResult
        Passed, the first failing case with a hint, or "not attempted".

    Examples
    --------
    >>> bits_per_char(lambda token_nll, n_chars: np.mean(token_nll)).status
    'failed'
    """
    one_per_char = np.array([1.2, 0.4, 2.9, 0.05, 1.6])
    words = np.array([6.1, 2.3, 9.8, 4.4])  # 4 word tokens spelling 19 characters
    subwords = np.array([3.3, 0.9, 5.2, 1.1, 0.2, 2.6])  # 6 tokens, 31 characters
    cases = [
        Case(
            "one token per character",
            (one_per_char, 5),
            _bpc(one_per_char, 5),
            "the losses are in nats (natural log): divide by ln 2 to get bits, then by the "
            "number of characters.",
        ),
        Case(
            "word tokens: 4 tokens spelling 19 characters",
            (words, 19),
            _bpc(words, 19),
            "bits per CHARACTER: add up every token's loss (the bits of the whole text) and "
            "divide by the number of characters, not by the number of tokens.",
        ),
        Case(
            "subword tokens: 6 tokens, 31 characters",
            (subwords, 31),
            _bpc(subwords, 31),
            "total nats / ln 2 = total bits; then / n_chars.",
        ),
    ]
    mistakes = [
        Mistake(lambda t, n: float(np.mean(t)) / LN2, "you divided by the number of tokens: that "
                "is bits per token. Sum the losses and divide by n_chars."),
        Mistake(lambda t, n: float(np.sum(t)) / n, "that is nats per character: the losses "
                "come in nats, so divide by ln 2 (np.log(2)) for bits."),
        Mistake(lambda t, n: float(np.sum(t)) * LN2 / n, "multiply by 1 / ln 2, not by ln 2: "
                "one bit is ln 2 ≈ 0.693 nats, so there are more bits than nats."),
        Mistake(lambda t, n: float(np.sum(t)) / np.log10(2) / n, "ln 2 (np.log(2)), not log10 2."),
        Mistake(lambda t, n: 2 ** (float(np.sum(t)) / LN2 / n), "that is the perplexity "
                "per character, 2 ** bpc: return the bits per character themselves."),
    ]
    return run_cases("bits_per_char", fn, cases, mistakes)


# ------------------------------------------------------------ order_k_cross_entropy


def _reference(train, test, k, alpha):
    alphabet = Alphabet.of(train, test, DEFAULT_PAD)
    return CharNGramModel(train, k, alpha, alphabet).bits_per_char(test)


def _no_padding(train, test, k, alpha):
    """Scores only the characters with k real characters before them, counts likewise."""
    alphabet = Alphabet.of(train, test, DEFAULT_PAD)
    V = len(alphabet)
    counts, totals = {}, {}
    for i in range(k, len(train)):
        s, c = train[i - k : i], train[i]
        counts[s, c] = counts.get((s, c), 0) + 1
        totals[s] = totals.get(s, 0) + 1
    bits = [
        -math.log2((counts.get((test[i - k : i], test[i]), 0) + alpha)
                   / (totals.get(test[i - k : i], 0) + alpha * V))
        for i in range(k, len(test))
    ]
    return float(np.mean(bits))


def _variant(V_from="both", denominator="alpha V", log=math.log2):
    """The reference with one slip: the alphabet's size, the denominator or the log."""

    def fn(train, test, k, alpha):
        alphabet = Alphabet.of(train, test, DEFAULT_PAD)
        V = {"both": len(alphabet), "train": len(set(train)), "test": len(set(test)),
             "no newline": len(set(train) | set(test)),
             "plus one": len(set(train) | set(test)) + 1}[V_from]
        model = CharNGramModel(train, k, alpha, alphabet)
        n_sc, n_s = model.pair_counts(test)
        total = n_s + (alpha * V if denominator == "alpha V" else alpha)
        return float(np.mean([-log((a + alpha) / b) for a, b in zip(n_sc, total, strict=True)]))

    return fn


def order_k_cross_entropy(fn) -> CheckResult:
    """Check ``fn(train, test, k, alpha)``: the held-out bits per character of an order-k model.

    The model counts ``train``; every character of ``test`` is scored. As in the lesson: the
    alphabet is every character of ``train`` and ``test`` and the newline; each text gets
    ``k`` newlines in front, so that its first characters have a context too; and
    ``q(c | s) = (n(s, c) + alpha) / (n(s) + alpha * V)``, with ``V`` the number of distinct
    characters of ``train``, ``test`` and the newline (counted once, even when a text holds
    newlines of its own); the answer is the mean of ``-log2 q`` over the characters of ``test``.

    Parameters
    ----------
    fn : callable
        The learner's function of two strings, an int and a float; out one float (bits).

    Returns
    -------
    CheckResult
        Passed, the first failing case with a hint, or "not attempted".

    Examples
    --------
    >>> order_k_cross_entropy(lambda train, test, k, alpha: 0.0).status
    'failed'
    """
    cases = []
    for name, train, test, k, alpha, hint in [
        ("k = 0, alpha = 1: letter frequencies", "abracadabra", "cab", 0, 1.0,
         "with k = 0 there is no context: q(c) = (n(c) + alpha) / (N + alpha V), N the "
         "number of training characters, V the size of the alphabet (train, test and '\\n')."),
        ("k = 1, alpha = 0.5", "abracadabra", "abra", 1, 0.5,
         "count what followed each character in train (with one '\\n' in front of train), "
         "score each character of test after the one before it ('\\n' before the first)."),
        ("k = 2, alpha = 0.1, a character test has but train has not", "the cat sat on the mat",
         "the hat", 2, 0.1,
         "'h' never follows a space in train, so only the fake count alpha gives it "
         "probability; V counts every character of train and test, and the newline."),
        ("k = 3 on a longer text", "alice was beginning to get very tired of sitting by her "
         "sister on the bank", "alice was tired of the bank", 3, 0.05,
         "pad each text with k newlines in front, so that every character of test is scored: "
         "the mean is over len(test) characters."),
        ("k = 2, texts that contain newlines themselves", "ab\nba\nab\nbb", "ba\nab", 2, 0.5,
         "the newline is one character of the alphabet, counted once: V = len(set(train) | "
         "set(test) | {'\\n'}). A newline inside a text is a character like any other, and "
         "'\\n' + 1 would count it twice."),
    ]:
        cases.append(Case(name, (train, test, k, alpha), _reference(train, test, k, alpha), hint))
    mistakes = [
        Mistake(_no_padding, "only the characters with k characters before them were scored: put "
                "k newlines in front of each text (train and test), so that all len(test) "
                "characters count."),
        Mistake(_variant(V_from="train"), "V is the size of the whole alphabet: every character "
                "of train and test, and the newline of the padding."),
        Mistake(_variant(V_from="test"), "V is the size of the whole alphabet: every character "
                "of train and test, and the newline of the padding."),
        Mistake(_variant(V_from="no newline"), "V left out the newline: the k newlines in "
                "front of each text are characters the model must give a probability, so V "
                "counts them: V = len(set(train) | set(test) | {'\\n'})."),
        Mistake(_variant(V_from="plus one"), "V counted the newline twice: add '\\n' to the "
                "SET of characters (set(train) | set(test) | {'\\n'}); + 1 is wrong when a text "
                "already contains a newline."),
        Mistake(_variant(denominator="alpha"), "every one of the V characters gets the fake count "
                "alpha, so the denominator is n(s) + alpha * V, not n(s) + alpha."),
        Mistake(_variant(log=math.log), "that is nats per character, not bits: the natural "
                "log (np.log, math.log) gives nats. Take log base 2 (np.log2, math.log2) of each "
                "probability, or divide the nats by ln 2."),
    ]
    return run_cases("order_k_cross_entropy", fn, cases, mistakes)


# ---------------------------------------------------------------- shortest_codeword


def _codeword(low: Fraction, high: Fraction) -> str:
    length = 0
    while True:
        k = -((-low.numerator * 2**length) // low.denominator)  # ceil(low * 2**length)
        if Fraction(k + 1, 2**length) <= high:
            return format(k, f"0{length}b") if length else ""
        length += 1


def _interval(message, probs, symbols):
    low, width = Fraction(0), Fraction(1)
    for s in message:
        j = symbols.index(s)
        low, width = low + width * sum(probs[:j], Fraction(0)), width * probs[j]
    return low, low + width


def shortest_codeword(fn) -> CheckResult:
    """Check ``fn(low, high)``: the shortest bits whose binary interval fits in ``[low, high)``.

    The bits ``b1 ... bL`` stand for every number that starts ``0.b1...bL`` in binary: the
    interval ``[m / 2**L, (m + 1) / 2**L)`` with ``m`` the bits read as an integer. The
    answer is the shortest string of ``"0"``s and ``"1"``s whose interval lies inside
    ``[low, high)``.

    Parameters
    ----------
    fn : callable
        The learner's function: two ``fractions.Fraction`` with ``0 <= low < high <= 1`` in,
        a string of ``"0"`` and ``"1"`` out.

    Returns
    -------
    CheckResult
        Passed, the first failing case with a hint, or "not attempted".

    Examples
    --------
    >>> shortest_codeword(lambda low, high: "0").status
    'failed'
    """
    F = Fraction
    probs, symbols = [F(1, 2), F(1, 4), F(1, 8), F(1, 8)], "abcd"
    skewed = [F(9, 10), F(1, 20), F(1, 20)]
    cases = []
    for name, (low, high), hint in [
        ("[1/2, 3/4): exactly one binary interval", (F(1, 2), F(3, 4)),
         "0.10 in binary is 1/2, and '10' covers [2/4, 3/4), which is exactly [low, high): it "
         "fits (an interval ending exactly at high fits, since both leave out their right "
         "end). Return the bits as a string of '0' and '1'."),
        ("[0.3, 0.4)", (F(3, 10), F(2, 5)),
         "try L = 1, 2, 3, ...: the first multiple of 1/2**L at or above low is "
         "m = ceil(low * 2**L); it fits when (m + 1) / 2**L <= high. Keep leading zeros: "
         "format(m, f'0{L}b')."),
        ("the message 'bad' with q = (1/2, 1/4, 1/8, 1/8)", _interval("bad", probs, symbols),
         "the interval's width is 1/2**6 here; a whole binary interval fits in it with 6 bits "
         "or a few more."),
        ("a message of 9 likely symbols (q = 0.9 each)", _interval("a" * 9, skewed, "abc"),
         "low = 0 here: the codeword is all zeros, as many as it takes for 1/2**L to fit "
         "under high."),
        ("a narrow interval far from 0", (F(5, 7), F(5, 7) + F(1, 1000)),
         "use exact fractions all the way (no floats), and ceil, not round, for m: the "
         "interval [m / 2**L, (m + 1) / 2**L) must start at or after low."),
        ("an interval of width 2**-56 at 1/3 (narrower than a float can resolve)",
         (F(1, 3), F(1, 3) + F(1, 2**56)),
         "a float64 carries 53 bits, so float(low) and float(high) are wrong in the bits that "
         "matter here: keep low, high and m as exact integers and Fractions (math.ceil(low * "
         "2**L) is exact on a Fraction)."),
    ]:
        cases.append(Case(name, (low, high), _codeword(low, high), hint))

    def ends_inside(low, high):  # the classic slip: a point inside, not a whole interval
        length = 0
        while True:
            length += 1
            m = -((-low.numerator * 2**length) // low.denominator)
            if F(m, 2**length) < high:
                return format(m, f"0{length}b")

    def rounded(low, high):
        for length in range(1, 64):
            m = round(low * 2**length)
            if F(m, 2**length) >= low and F(m + 1, 2**length) <= high:
                return format(m, f"0{length}b")
        return None

    def strictly_below(low, high):  # < where <= is right: a fit ending exactly at high
        length = 0
        while True:
            length += 1
            m = -((-low.numerator * 2**length) // low.denominator)
            if F(m + 1, 2**length) < high:
                return format(m, f"0{length}b")

    def in_floats(low, high):
        low, high = float(low), float(high)
        for length in range(1, 200):
            m = math.ceil(low * 2**length)
            if (m + 1) / 2**length <= high:
                return format(m, f"0{length}b")
        return None

    mistakes = [
        Mistake(strictly_below, "you used (m + 1) / 2**L < high, so an interval ending exactly "
                "at high was refused: both intervals leave out their right end, so "
                "[m / 2**L, (m + 1) / 2**L) fits inside [low, high) when (m + 1) / 2**L <= high."),
        Mistake(in_floats, "that is what floats give: float64 keeps 53 bits, and this interval "
                "is narrower than that near 1/3. Keep low and high as Fractions and compute "
                "m = math.ceil(low * 2**L) on them (exact)."),
        Mistake(ends_inside, "the number 0.b1...bL is inside [low, high), but the bits must "
                "also cover everything that may follow them: the whole interval "
                "[m / 2**L, (m + 1) / 2**L) must fit, so check (m + 1) / 2**L <= high."),
        Mistake(lambda low, high: format(int(low * 2**8), "08b"), "the length is not fixed: "
                "find the smallest L that works."),
        Mistake(rounded, "use ceil (the first multiple at or above low), not round."),
    ]
    return run_cases("shortest_codeword", fn, cases, mistakes)


# ---------------------------------------------------------------- kneser_ney_bigram


def _kn_reference(train, previous, c, discount):
    model = KneserNeyModel(train, 1, discount, Alphabet.of(train, DEFAULT_PAD))
    return float(model.probabilities(previous)[model.alphabet.index[c]])


def _kn_slip(slip):
    """The order-1 interpolated Kneser-Ney probability, from its definition, with one slip."""

    def fn(train, previous, c, discount):
        D, V = discount, len(set(train) | {"\n"})
        padded = train if slip == "no padding" else "\n" + train
        pairs = Counter(padded[i - 1 : i + 1] for i in range(1, len(padded)))
        if slip == "frequency":
            lower = Counter(train)  # how often, not after how many different characters
        else:
            lower = Counter(pair[1] for pair in pairs)  # one per different pair x c
        total, types = sum(lower.values()), len(lower)
        if slip == "no uniform":
            q0 = lower[c] / total
        else:
            q0 = (max(lower[c] - D, 0) + D * types / V) / total
        after = {pair[1]: n for pair, n in pairs.items() if pair[0] == previous}
        n_previous = sum(after.values())
        if n_previous == 0:
            return 0.0 if slip == "unseen zero" else q0
        n = after.get(c, 0)
        kept = n - D if slip == "no max" else max(n - D, 0)
        weight = D if slip == "weight D" else D * len(after)
        return (kept + weight * q0) / n_previous

    return fn


def kneser_ney_bigram(fn) -> CheckResult:
    r"""Check ``fn(train, previous, c, discount)``: an order-1 interpolated Kneser-Ney probability.

    As in the lesson: ``train`` gets one newline in front; the alphabet is the characters of
    ``train`` and the newline (``V`` of them); the lower order counts, for each character,
    the number of **different** characters seen right before it (its continuation count),
    discounted by ``D`` and mixed with the uniform :math:`1/V`; the answer is
    :math:`q_1(c \mid \text{previous})`, or :math:`q_0(c)` when ``previous`` is never
    followed by anything in the padded ``train``.

    Parameters
    ----------
    fn : callable
        The learner's function: a string, two characters and a float in, a probability out.

    Returns
    -------
    CheckResult
        Passed, the first failing case with a hint, or "not attempted".

    Examples
    --------
    >>> kneser_ney_bigram(lambda train, previous, c, discount: 0.5).status
    'failed'
    """
    cases = []
    for name, args, hint in [
        ("a pair seen twice: 'b' after 'a' in 'abracadabra'", ("abracadabra", "a", "b", 0.5),
         "q1(c | p) = (max(n(p, c) - D, 0) + D * u(p) * q0(c)) / n(p), with u(p) the number of "
         "different characters after p, and q0 the lower order."),
        ("a pair never seen: 'r' after 'a'", ("abracadabra", "a", "r", 0.5),
         "a pair never seen keeps nothing of its own (max(0 - D, 0) = 0): all it gets is "
         "D * u(p) * q0(c) / n(p)."),
        ("'t' after ' ' in 'the cat sat on the mat': 5 t's, after 3 different characters",
         ("the cat sat on the mat", " ", "t", 0.75),
         "the lower order counts the DIFFERENT characters before c (here '\n', ' ' and 'a' "
         "before 't': 3), not how often c occurs (5)."),
        ("a newline, never seen after anything", ("the cat sat on the mat", "a", "\n", 0.75),
         "the lower order is itself discounted towards the uniform 1 / V: q0(c) = "
         "(max(N(. c) - D, 0) + D * (number of characters with N(. c) > 0) / V) / N(. .)."),
        ("a previous character never followed: the 'q' that ends 'abq'", ("abq", "q", "a", 0.5),
         "a context never seen has no counts (n(p) = 0): use the lower order q0(c) alone."),
        ("the first character of train, after the padding newline", ("xabab", "b", "x", 0.5),
         "put one newline in front of train: then 'x' follows the newline, and counts."),
    ]:
        cases.append(Case(name, args, _kn_reference(*args), hint))
    mistakes = [
        Mistake(_kn_slip("frequency"), "the lower order must use continuation counts: for each "
                "character, the number of DIFFERENT characters seen before it, not how often it "
                "occurs (Counter(train))."),
        Mistake(_kn_slip("weight D"), "the mass given to the lower order is D times the number "
                "of different characters seen after previous (D * u(p)), not D alone: each of "
                "them gave up D."),
        Mistake(_kn_slip("no max"), "a pair never seen must not get a negative count: keep "
                "max(n(p, c) - D, 0)."),
        Mistake(_kn_slip("unseen zero"), "a previous character never followed by anything has "
                "no counts: give the lower order q0(c), not 0."),
        Mistake(_kn_slip("no uniform"), "the lower order is discounted too, and gives its mass "
                "D * (characters with a continuation) / N(. .) to the uniform 1 / V; without "
                "it, a character never seen gets probability 0."),
        Mistake(_kn_slip("no padding"), "put one newline in front of train (as the lesson "
                "does), so that its first character follows the newline."),
    ]
    return run_cases("kneser_ney_bigram", fn, cases, mistakes)
