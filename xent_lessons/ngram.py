r"""Order-k character models by counting, with add-α smoothing (lesson 08).

An order-:math:`k` model predicts the next character from the :math:`k` characters before
it, its **context**, by counting in a training text how often each character followed
that context:

.. math:: q(c \mid s) = \frac{n(s, c) + \alpha}{n(s) + \alpha V}

where :math:`n(s, c)` counts the times character :math:`c` followed the context :math:`s`,
:math:`n(s) = \sum_c n(s, c)` the times :math:`s` occurred, :math:`V` is the size of the
alphabet and :math:`\alpha \ge 0` a "fake count" added to every character (add-α or
Laplace smoothing; :math:`\alpha = 1` is Laplace's rule, :math:`\alpha = 0` the raw
frequencies, which give probability 0 to whatever the training text never showed).

The first :math:`k` characters of a text have fewer than :math:`k` characters before them;
their context is padded on the left with a padding character (a newline by default: the
book starts after blank lines, so that is what the start of a text looks like). Every
character of a text is then scored, whatever :math:`k`.

>>> from xent_lessons.ngram import CharNGramModel
>>> model = CharNGramModel("abracadabra", order=1, alpha=0.5)
>>> model.alphabet.chars        # the text's characters and the padding newline
'\nabcdr'
>>> model.counts("a")            # what followed "a": never a, twice b, once c, once d
array([0, 0, 2, 1, 1, 0])
>>> model.probabilities("a").round(3)
array([0.071, 0.071, 0.357, 0.214, 0.214, 0.071])
>>> round(model.bits_per_char("abracadabra"), 4)
1.4237
"""

from __future__ import annotations

import math
import numbers
from fractions import Fraction

import numpy as np

from ._validation import as_float_array, check_count
from .corpus import Alphabet

__all__ = [
    "CharNGramModel",
    "KneserNeyModel",
    "add_alpha_surprisal",
    "bits_per_byte",
    "bits_per_char_by_order",
]

DEFAULT_PAD = "\n"
# The coder needs integer frequencies: alpha becomes the nearest fraction a / b with
# b <= this, and the frequencies b * n(s, c) + a are exact integers (alpha = 0.1 is 1 / 10).
MAX_ALPHA_DENOMINATOR = 10**6


def _check_order(order) -> int:
    if isinstance(order, bool) or not isinstance(order, numbers.Integral):
        raise TypeError(f"order must be an integer (the context length k); got {order!r}")
    if order < 0:
        raise ValueError(f"order must be >= 0 (the context length k); got {order}")
    return int(order)


def _check_alpha(alpha) -> float:
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real):
        raise TypeError(f"alpha must be a real number >= 0 (the fake count); got {alpha!r}")
    alpha = float(alpha)
    if not math.isfinite(alpha) or alpha < 0:
        raise ValueError(f"alpha must be a finite number >= 0 (the fake count); got {alpha!r}")
    return alpha


def _check_text(text, name: str) -> str:
    if not isinstance(text, str):
        raise TypeError(f"{name} must be a string; got {type(text).__name__}")
    return text


def add_alpha_surprisal(pair_count, context_count, alpha, vocab_size):
    r"""Surprisal in bits, :math:`-\log_2 \frac{n(s, c) + \alpha}{n(s) + \alpha V}`.

    Parameters
    ----------
    pair_count, context_count : array_like
        :math:`n(s, c)` and :math:`n(s)` for each scored character (broadcast together).
    alpha : float
        The fake count, >= 0.
    vocab_size : int
        :math:`V`, the number of characters in the alphabet.

    Returns
    -------
    ndarray of float64
        One surprisal per character. With ``alpha = 0`` a character the training text never
        showed after its context (``pair_count == 0``) costs ``inf`` bits: probability 0.
        So does every character of a context the text never showed (``0 / 0``: the raw
        counts say nothing there).

    Examples
    --------
    >>> add_alpha_surprisal([3, 0], [4, 4], alpha=1.0, vocab_size=4)
    array([1., 3.])
    >>> add_alpha_surprisal([0], [0], alpha=0.0, vocab_size=4)
    array([inf])
    """
    alpha = _check_alpha(alpha)
    if isinstance(vocab_size, bool) or not isinstance(vocab_size, numbers.Integral) or vocab_size < 1:
        raise TypeError(f"vocab_size must be a positive integer; got {vocab_size!r}")
    n_sc = as_float_array(pair_count, "pair_count", allow_empty=True).astype(np.float64)
    n_s = as_float_array(context_count, "context_count", allow_empty=True).astype(np.float64)
    for arr, name in ((n_sc, "pair_count"), (n_s, "context_count")):
        if arr.size and not (np.isfinite(arr).all() and arr.min() >= 0):
            raise ValueError(f"{name} must hold finite counts >= 0; got {arr.ravel()[:5]!r}")
    try:
        np.broadcast_shapes(n_sc.shape, n_s.shape)
    except ValueError:
        raise ValueError(
            f"pair_count {n_sc.shape} and context_count {n_s.shape} must broadcast together"
        ) from None
    numerator = n_sc + alpha
    with np.errstate(divide="ignore", invalid="ignore"):
        bits = np.log2(n_s + alpha * vocab_size) - np.log2(numerator)
    return np.where(numerator == 0, np.inf, bits)


class CharNGramModel:
    r"""An order-k character model: counts of what followed each context, smoothed by α.

    Parameters
    ----------
    train : str
        The training text: the only text the counts come from.
    order : int
        :math:`k`, the number of characters of context (0: no context, letter frequencies).
    alpha : float, optional
        The fake count added to every character in every context (default 1, Laplace).
    alphabet : Alphabet, optional
        The characters the model predicts (default: those of ``train``). Give the alphabet
        of every text you will score: a character outside it cannot be scored at all.
    pad : str, optional
        The character that fills the context before the start of a text (default
        ``"\n"``); it must be in the alphabet.

    Attributes
    ----------
    order, alpha, alphabet, pad
        As given.
    n_contexts : int
        How many different contexts the training text has.

    Notes
    -----
    The counts are kept as two sorted arrays of integer keys, the context read as a number
    in base :math:`V` (``s_1 s_2 ... s_k`` is :math:`s_1 V^{k-1} + \dots + s_k`), and
    ``context * V + c`` for a (context, next character) pair; looking up a text's counts is
    then one ``np.searchsorted`` per array.

    Examples
    --------
    >>> model = CharNGramModel("the cat sat on the mat", order=2, alpha=0.1)
    >>> model.alphabet.chars
    '\n acehmnost'
    >>> model.counts("th")  # "th" was followed by "e" twice
    array([0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0])
    >>> model.probabilities("th")[model.alphabet.index["e"]].round(4)  # (2 + 0.1) / (2 + 1.1)
    np.float64(0.6774)
    """

    def __init__(self, train, order, alpha=1.0, alphabet=None, pad=DEFAULT_PAD):
        train = _check_text(train, "train")
        self.order = _check_order(order)
        self.alpha = _check_alpha(alpha)
        if not isinstance(pad, str) or len(pad) != 1:
            raise TypeError(f"pad must be one character (a str of length 1); got {pad!r}")
        if alphabet is None:
            alphabet = Alphabet.of(train, pad)
        if not isinstance(alphabet, Alphabet):
            raise TypeError(
                f"alphabet must be an xent_lessons.corpus.Alphabet; got {type(alphabet).__name__}"
            )
        if not isinstance(pad, str) or len(pad) != 1 or pad not in alphabet.index:
            raise ValueError(f"pad must be one character of the alphabet; got {pad!r}")
        self.alphabet, self.pad = alphabet, pad
        V = len(alphabet)
        if (V > 1 and self.order >= 63) or V ** (self.order + 1) >= 2**63:
            raise ValueError(
                f"order {self.order} is too long for {V} characters: the counts' keys "
                f"(V ** (order + 1) = 2 ** {(self.order + 1) * math.log2(V):.4g}) must stay "
                "below 2 ** 63"
            )
        classes = alphabet.encode(train)
        contexts = self._context_ids(classes)
        self._pair_keys, self._pair_counts = np.unique(contexts * V + classes, return_counts=True)
        self._context_keys, self._context_counts = np.unique(contexts, return_counts=True)
        self.n_contexts = int(self._context_keys.size)
        self._cumulative_cache, self._alpha_fraction = {}, None

    def __repr__(self) -> str:
        return (
            f"CharNGramModel(order={self.order}, alpha={self.alpha:g}, "
            f"{len(self.alphabet)} characters, {self.n_contexts} contexts)"
        )

    def with_alpha(self, alpha) -> CharNGramModel:
        """The same counts with another fake count ``alpha`` (nothing is counted again)."""
        other = object.__new__(CharNGramModel)
        other.__dict__.update(self.__dict__)
        other.alpha = _check_alpha(alpha)
        other._cumulative_cache, other._alpha_fraction = {}, None
        return other

    # ------------------------------------------------------------------ contexts

    def _context_ids(self, classes: np.ndarray) -> np.ndarray:
        """The context of every position of ``classes`` (padded on the left), as base-V keys."""
        k, V = self.order, len(self.alphabet)
        padded = np.concatenate([np.full(k, self.alphabet.index[self.pad]), classes])
        ids = np.zeros(classes.size, dtype=np.int64)
        for j in range(k):  # the k characters before each position, oldest first
            ids = ids * V + padded[j : j + classes.size]
        return ids

    def _context_id(self, context: str) -> int:
        context = _check_text(context, "context")
        if len(context) < self.order:  # the start of a text: pad on the left
            context = self.pad * (self.order - len(context)) + context
        key = 0
        for c in context[len(context) - self.order :]:
            key = key * len(self.alphabet) + int(self.alphabet.encode(c)[0])
        return key

    @staticmethod
    def _lookup(keys: np.ndarray, counts: np.ndarray, query: np.ndarray) -> np.ndarray:
        """``counts[keys == q]`` for every ``q`` of ``query``, 0 where a key is absent."""
        if keys.size == 0:
            return np.zeros(query.shape, dtype=np.int64)
        pos = np.minimum(np.searchsorted(keys, query), keys.size - 1)
        return np.where(keys[pos] == query, counts[pos], 0)

    # ------------------------------------------------------------------ counts, q

    def counts(self, context: str) -> np.ndarray:
        """:math:`n(s, c)` for every character ``c``: what followed ``context`` in training.

        Only the last ``order`` characters of ``context`` count; a shorter one is padded on
        the left, as at the start of a text.
        """
        V = len(self.alphabet)
        first = self._context_id(context) * V
        lo, hi = np.searchsorted(self._pair_keys, [first, first + V])
        out = np.zeros(V, dtype=np.int64)
        out[self._pair_keys[lo:hi] - first] = self._pair_counts[lo:hi]
        return out

    def probabilities(self, context: str) -> np.ndarray:
        r""":math:`q(c \mid s)` for every character: the model's next-character distribution.

        With ``alpha = 0`` and a context never seen in training there is no distribution
        (``0 / 0``); this raises a ``ValueError`` then.
        """
        n = self.counts(context).astype(np.float64)
        total = n.sum() + self.alpha * len(self.alphabet)
        if total == 0:
            raise ValueError(
                f"the context {context[-self.order :]!r} never occurs in the training text and "
                "alpha is 0, so the counts give no distribution (0 / 0): use alpha > 0"
            )
        return (n + self.alpha) / total

    def pair_counts(self, text: str):
        r"""``(n_sc, n_s)``: :math:`n(s_i, x_i)` and :math:`n(s_i)` at every position of ``text``.

        Everything the model's probabilities of ``text`` depend on, for any ``alpha``.
        """
        classes = self.alphabet.encode(_check_text(text, "text"))
        contexts = self._context_ids(classes)
        V = len(self.alphabet)
        n_sc = self._lookup(self._pair_keys, self._pair_counts, contexts * V + classes)
        n_s = self._lookup(self._context_keys, self._context_counts, contexts)
        return n_sc, n_s

    def surprisals(self, text: str) -> np.ndarray:
        r""":math:`-\log_2 q(x_i \mid s_i)` for every character :math:`x_i` of ``text``, in bits."""
        n_sc, n_s = self.pair_counts(text)
        return add_alpha_surprisal(n_sc, n_s, self.alpha, len(self.alphabet))

    def bits_per_char(self, text: str) -> float:
        r"""The cross-entropy of the model on ``text``: :math:`-\frac{1}{N}\sum_i \log_2 q(x_i \mid s_i)`.

        In bits per character; ``inf`` where the model gives a character of ``text``
        probability 0 (only possible with ``alpha = 0``). An empty text is refused (a
        mean over no characters has no value).
        """
        bits = self.surprisals(text)
        if not bits.size:
            raise ValueError("text is empty; bits per character needs at least one character")
        return float(bits.mean())

    # ------------------------------------------------------------------ coding, sampling

    def _integer_alpha(self) -> Fraction:
        """alpha as the fraction a / b of the coder's integer frequencies (made once)."""
        if self._alpha_fraction is not None:
            return self._alpha_fraction
        alpha = Fraction(self.alpha).limit_denominator(MAX_ALPHA_DENOMINATOR)
        if alpha == 0 and self.alpha > 0:
            raise ValueError(
                f"alpha = {self.alpha:g} is too small to code: use alpha >= {1 / MAX_ALPHA_DENOMINATOR:g}"
            )
        self._alpha_fraction = alpha
        return alpha

    def cumulative_frequencies(self, history) -> list[int]:
        r"""Integer cumulative frequencies of the next character after ``history``.

        The arithmetic coder's view of :math:`q(\cdot \mid s)`: with :math:`\alpha = a / b`,
        character ``c`` gets the integer frequency :math:`b\,n(s, c) + a`, so that
        ``(cum[c + 1] - cum[c]) / cum[-1]`` is exactly the model's probability. The list has
        ``V + 1`` entries, from ``cum[0] = 0`` to the total ``cum[V]``.

        Parameters
        ----------
        history : sequence of int
            The classes of every character coded so far (only the last ``order`` are read;
            fewer are padded, as at the start of a text).
        """
        k, V = self.order, len(self.alphabet)
        # (an ndarray's own ndim: np.ndim of a long list would copy it into an array on every
        # call, and the coder calls this once a character with the whole text so far)
        if not isinstance(history, list | tuple | np.ndarray | range) or (
            isinstance(history, np.ndarray) and history.ndim == 0
        ):
            raise TypeError(
                f"history must be a sequence of symbol classes (ints); got {history!r}"
            )
        recent = list(history[max(0, len(history) - k) :]) if k else []
        for c in recent:
            if isinstance(c, bool) or type(c).__name__ == "bool_" or not isinstance(c, numbers.Integral):
                raise TypeError(f"history must hold integer symbol classes; got {c!r}")
            if not 0 <= c < V:
                raise ValueError(
                    f"history holds symbol {c}, outside the alphabet's {V} classes (0 to {V - 1})"
                )
        key = 0
        for c in [self.alphabet.index[self.pad]] * (k - len(recent)) + recent:
            key = key * V + int(c)
        cum = self._cumulative_cache.get(key)
        if cum is None:
            alpha = self._integer_alpha()
            first = key * V
            lo, hi = np.searchsorted(self._pair_keys, [first, first + V])
            n = np.zeros(V, dtype=object)  # Python integers: exact, no overflow
            n[self._pair_keys[lo:hi] - first] = [int(v) for v in self._pair_counts[lo:hi]]
            freqs = n * alpha.denominator + alpha.numerator
            if alpha == 0 and not any(freqs):
                raise ValueError(
                    "a context of this text never occurs in the training text and alpha is 0: "
                    "the model gives its characters no probability, so they cannot be coded"
                )
            cum = [0, *np.cumsum(freqs).tolist()]
            self._cumulative_cache[key] = cum
        return cum

    def sample(self, n_chars, rng, prompt=""):
        """``n_chars`` characters drawn one at a time from the model, after ``prompt``.

        Each character is drawn from :math:`q(\\cdot \\mid s)` with :math:`s` the characters
        before it (the prompt's last ``order`` characters at first, padding if it is
        shorter). The draw uses the integer frequencies of :meth:`cumulative_frequencies`
        and ``rng.integers``, so a seed gives the same text on every machine.

        Parameters
        ----------
        n_chars : int
            How many characters to draw.
        rng : numpy.random.Generator
            The random source, e.g. ``np.random.default_rng(0)``.
        prompt : str, optional
            Text to continue (it is not part of the result).

        Returns
        -------
        str
            The ``n_chars`` new characters.

        Examples
        --------
        >>> import numpy as np
        >>> model = CharNGramModel("abababab", order=1, alpha=0.0)
        >>> model.sample(6, np.random.default_rng(0), prompt="a")
        'bababa'
        """
        n_chars = check_count(n_chars, "n_chars", 0)
        if not isinstance(rng, np.random.Generator):
            raise TypeError(
                f"rng must be a numpy.random.Generator (np.random.default_rng(seed)); got {rng!r}"
            )
        context = list(self.alphabet.encode(_check_text(prompt, "prompt")))
        drawn = []
        for _ in range(n_chars):
            try:
                cum = self.cumulative_frequencies(context)
            except ValueError:  # alpha = 0 and a context that only ends the training text:
                context = []  # start again, as at the start of a text
                cum = self.cumulative_frequencies(context)
            draw = int(rng.integers(cum[-1]))  # uniform on 0 .. total - 1
            drawn.append(int(np.searchsorted(cum, draw, side="right")) - 1)
            context.append(drawn[-1])
        return self.alphabet.decode(drawn)


def bits_per_char_by_order(train, test, orders, alpha=1.0, alphabet=None):
    """Held-out cross-entropy (bits per character) of order-k models, for each ``k`` in ``orders``.

    Each model counts ``train`` and is scored on ``test``; the alphabet is that of both
    texts unless given.

    Examples
    --------
    >>> bits_per_char_by_order("abab" * 10, "abab", orders=[0, 1], alpha=1.0).round(3)
    array([1.034, 0.35 ])
    """
    train, test = _check_text(train, "train"), _check_text(test, "test")
    if isinstance(orders, str | bytes) or not isinstance(orders, list | tuple | range | np.ndarray):
        raise TypeError(f"orders must be a list of integer orders; got {orders!r}")
    orders = [_check_order(k) for k in orders]
    if alphabet is None:
        alphabet = Alphabet.of(train, test, DEFAULT_PAD)
    return np.array(
        [CharNGramModel(train, k, alpha, alphabet).bits_per_char(test) for k in orders]
    )


# ---------------------------------------------------------------------- Kneser-Ney

DEFAULT_DISCOUNT = 0.75
# The coder's integer frequencies for a smoothed model: floor(q * 2 ** FREQUENCY_BITS) + 1,
# so that every character keeps a frequency >= 1 (a probability > 0) and the total stays far
# below the coder's limit; rounding q to 24 bits costs about 1e-5 bits per character.
FREQUENCY_BITS = 24


class _LevelTable:
    """The counts of one level of a Kneser-Ney model: weights of (context, next) pairs.

    ``weights`` are raw counts :math:`n(s, c)` at the top level and continuation counts
    :math:`N_{1+}(\\bullet s c)` below it. Per context, ``totals`` is the sum of its weights
    and ``types`` the number of different characters with a weight > 0.
    """

    def __init__(self, pair_keys, pair_weights, V):
        self.pair_keys, self.pair_weights = pair_keys, pair_weights
        contexts = pair_keys // V
        self.context_keys, first = np.unique(contexts, return_index=True)
        self.totals = np.add.reduceat(pair_weights, first) if first.size else first
        self.types = np.diff(np.append(first, contexts.size))

    def lookup(self, context_keys, next_classes, V):
        """(weight of the pair, total and types of the context) for each query."""
        lookup = CharNGramModel._lookup
        return (
            lookup(self.pair_keys, self.pair_weights, context_keys * V + next_classes),
            lookup(self.context_keys, self.totals, context_keys),
            lookup(self.context_keys, self.types, context_keys),
        )


class KneserNeyModel:
    r"""An order-k character model with interpolated Kneser-Ney smoothing.

    Every order from 0 to :math:`k` takes part: the order-:math:`j` estimate keeps its
    counts minus a **discount** :math:`D` each, and gives the mass it took away to the
    order-:math:`(j-1)` estimate (the same context without its oldest character),

    .. math::

        q_j(c \mid s) = \frac{\max(w_j(s, c) - D, 0) + D\, u_j(s)\, q_{j-1}(c \mid s')}{w_j(s)},
        \qquad q_{-1}(c) = \frac{1}{V},

    where :math:`u_j(s)` is the number of different characters with :math:`w_j(s, c) > 0`
    and :math:`w_j(s) = \sum_c w_j(s, c)`. At the top order, :math:`w_k(s, c) = n(s, c)`,
    the counts; below it, :math:`w_j(s, c) = N_{1+}(\bullet\, s\, c)`, the number of
    **different** characters seen before :math:`s c` (Kneser and Ney's "continuation
    count": a lower order is only asked when the longer context was rare, so it should
    predict what follows many different contexts, not what is merely frequent). A context
    with :math:`w_j(s) = 0` (never seen) passes its lower order on unchanged:
    :math:`q_j = q_{j-1}`. This is Chen and Goodman's (1998) interpolated Kneser-Ney with
    one discount for every order, and the uniform distribution at the bottom, so that no
    character has probability 0.

    Parameters
    ----------
    train : str
        The training text: the only text the counts come from.
    order : int
        :math:`k`, the longest context (0: letter frequencies, discounted towards uniform).
    discount : float, optional
        :math:`D`, strictly between 0 and 1 (default 0.75, the value practitioners start from).
    alphabet : Alphabet, optional
        The characters the model predicts (default: those of ``train`` and ``pad``).
    pad : str, optional
        The character that fills the context before the start of a text (default ``"\n"``),
        as in :class:`CharNGramModel`.

    Attributes
    ----------
    order, discount, alphabet, pad
        As given.
    levels : list
        ``levels[j]`` holds the order-j weights :math:`w_j(s, c)` (as sorted base-V keys,
        like :class:`CharNGramModel`'s counts), with each context's total and number of types.

    Examples
    --------
    >>> model = KneserNeyModel("abracadabra", order=1, discount=0.5)
    >>> model.alphabet.chars
    '\nabcdr'
    >>> q = model.probabilities("a")   # after "a": b twice, c once, d once
    >>> q.round(4)
    array([0.0195, 0.1836, 0.418 , 0.168 , 0.168 , 0.043 ])
    >>> round(float(q.sum()), 12)
    1.0
    >>> round(model.bits_per_char("abracadabra"), 4)
    0.9141

    By hand: below order 1, "a" follows 4 different characters (newline, r, c, d) and b, c,
    d, r one each, so :math:`q_0(b) = (1 - 0.5 + 0.5 \cdot 5 / 6) / 8 = 0.1146`; after "a",
    :math:`q_1(b \mid a) = (2 - 0.5 + 0.5 \cdot 3 \cdot 0.1146) / 4 = 0.418`.
    """

    def __init__(self, train, order, discount=DEFAULT_DISCOUNT, alphabet=None, pad=DEFAULT_PAD):
        train = _check_text(train, "train")
        self.order = _check_order(order)
        if isinstance(discount, bool) or not isinstance(discount, numbers.Real):
            raise TypeError(f"discount must be a real number between 0 and 1; got {discount!r}")
        if not 0 < float(discount) < 1:
            raise ValueError(
                f"discount must be strictly between 0 and 1 (D is taken off every count); "
                f"got {discount!r}"
            )
        self.discount = float(discount)
        # The order-k counts, alphabet, padding and their checks are those of CharNGramModel.
        top = CharNGramModel(train, self.order, alpha=0.0, alphabet=alphabet, pad=pad)
        self.alphabet, self.pad = top.alphabet, top.pad
        V = len(self.alphabet)
        self.levels = [None] * (self.order + 1)  # levels[j]: the order-j table
        self.levels[self.order] = _LevelTable(top._pair_keys, top._pair_counts, V)
        for j in range(self.order - 1, -1, -1):
            # The distinct pairs (x s, c) one order up, their oldest character x dropped:
            # how many different x came before each (s, c) is its continuation count.
            dropped = self.levels[j + 1].pair_keys % V ** (j + 1)
            keys, continuation = np.unique(dropped, return_counts=True)
            self.levels[j] = _LevelTable(keys, continuation, V)
        self._cumulative_cache, self._distribution_cache = {}, {}

    def __repr__(self) -> str:
        return (
            f"KneserNeyModel(order={self.order}, discount={self.discount:g}, "
            f"{len(self.alphabet)} characters)"
        )

    def _context_keys(self, classes: np.ndarray) -> np.ndarray:
        """The order-k context of every position (padded on the left), as base-V keys."""
        k, V = self.order, len(self.alphabet)
        padded = np.concatenate([np.full(k, self.alphabet.index[self.pad]), classes])
        ids = np.zeros(classes.size, dtype=np.int64)
        for j in range(k):
            ids = ids * V + padded[j : j + classes.size]
        return ids

    def _probabilities_of(self, context_keys, next_classes) -> np.ndarray:
        r""":math:`q_k(c \mid s)` for each (order-k context key, next class) query."""
        V, D = len(self.alphabet), self.discount
        q = np.full(next_classes.shape, 1.0 / V)  # q_{-1}: uniform
        for j, table in enumerate(self.levels):
            keys = context_keys % V**j  # the last j characters of the context
            weight, total, types = table.lookup(keys, next_classes, V)
            seen = total > 0
            mixed = (np.maximum(weight - D, 0.0) + D * types * q) / np.where(seen, total, 1)
            q = np.where(seen, mixed, q)
        return q

    def _distribution(self, j: int, key: int) -> np.ndarray:
        r""":math:`q_j(\cdot \mid s)` for the order-j context whose base-V key is ``key`` (cached)."""
        if j < 0:
            return np.full(len(self.alphabet), 1.0 / len(self.alphabet))
        cached = self._distribution_cache.get((j, key))
        if cached is not None:
            return cached
        V, table = len(self.alphabet), self.levels[j]
        lower = self._distribution(j - 1, key % V ** max(j - 1, 0))  # drop the oldest character
        lo, hi = np.searchsorted(table.pair_keys, [key * V, key * V + V])
        weights = np.zeros(V)
        weights[table.pair_keys[lo:hi] - key * V] = table.pair_weights[lo:hi]
        total, types = weights.sum(), hi - lo
        if total == 0:  # a context never seen: the lower order, unchanged
            q = lower
        else:
            D = self.discount
            q = (np.maximum(weights - D, 0.0) + D * types * lower) / total
        self._distribution_cache[(j, key)] = q
        return q

    def _key(self, recent_classes) -> int:
        """The base-V key of the order-k context made of ``recent_classes`` (padded on the left)."""
        key = 0
        padding = [self.alphabet.index[self.pad]] * (self.order - len(recent_classes))
        for c in padding + list(recent_classes):
            key = key * len(self.alphabet) + int(c)
        return key

    def probabilities(self, context: str) -> np.ndarray:
        r""":math:`q(c \mid s)` for every character: the next-character distribution after ``context``.

        Only the last ``order`` characters of ``context`` count; a shorter one is padded on
        the left, as at the start of a text.
        """
        classes = self.alphabet.encode(_check_text(context, "context"))
        recent = classes[max(0, len(classes) - self.order) :] if self.order else classes[:0]
        return self._distribution(self.order, self._key(recent)).copy()

    def surprisals(self, text: str) -> np.ndarray:
        r""":math:`-\log_2 q(x_i \mid s_i)` for every character :math:`x_i` of ``text``, in bits."""
        classes = self.alphabet.encode(_check_text(text, "text"))
        return -np.log2(self._probabilities_of(self._context_keys(classes), classes))

    def bits_per_char(self, text: str) -> float:
        """The cross-entropy of the model on ``text``, in bits per character (never ``inf``).

        An empty text is refused (a mean over no characters has no value).
        """
        bits = self.surprisals(text)
        if not bits.size:
            raise ValueError("text is empty; bits per character needs at least one character")
        return float(bits.mean())

    def cumulative_frequencies(self, history) -> list[int]:
        """Integer cumulative frequencies of the next character, for the arithmetic coder.

        Character ``c`` gets ``floor(q(c | s) * 2 ** FREQUENCY_BITS) + 1``: at least 1, and
        proportional to :math:`q` to within about one part in :math:`2^{24}`. The list has
        ``V + 1`` entries, from 0 to the total; ``history`` is the classes coded so far (only
        the last ``order`` are read), as for :meth:`CharNGramModel.cumulative_frequencies`.
        """
        k, V = self.order, len(self.alphabet)
        if not isinstance(history, list | tuple | np.ndarray | range):
            raise TypeError(
                f"history must be a sequence of symbol classes (ints); got {history!r}"
            )
        recent = list(history[max(0, len(history) - k) :]) if k else []
        for c in recent:
            if isinstance(c, bool) or not isinstance(c, numbers.Integral) or not 0 <= c < V:
                raise ValueError(f"history must hold symbol classes 0 to {V - 1}; got {c!r}")
        key = self._key(recent)
        cum = self._cumulative_cache.get(key)
        if cum is None:
            q = self._distribution(k, key)
            freqs = np.floor(q * 2**FREQUENCY_BITS).astype(np.int64) + 1
            cum = [0, *np.cumsum(freqs).tolist()]
            self._cumulative_cache[key] = cum
        return cum


def bits_per_byte(total_loss, text, unit="nats") -> float:
    r"""A text's cross-entropy in bits per UTF-8 **byte**: the total loss over the byte count.

    .. math:: \text{bits per byte} = \frac{\text{total loss in bits}}{\text{bytes of the text in UTF-8}}

    A model's total loss on a text (the sum over its tokens, whatever they are) does not
    depend on how it was cut into tokens, and neither does the number of bytes of the text:
    so bits per byte compares models with different tokenizers (and characters, words or
    bytes as tokens). Language-model evaluations (The Pile, Gao et al. 2020) report it.

    Parameters
    ----------
    total_loss : float
        The model's summed loss over the whole text (not a mean per token), >= 0.
    text : str
        The text that was scored; its length in bytes is ``len(text.encode("utf-8"))``.
    unit : {"nats", "bits"}, optional
        The unit of ``total_loss``: "nats" (natural log, what ``F.cross_entropy`` returns,
        summed) or "bits" (log base 2). Default "nats".

    Returns
    -------
    float
        Bits per byte. For ASCII text (one byte per character) it equals bits per
        character; for other text it is smaller, as a character may take 2 to 4 bytes.

    Examples
    --------
    >>> bits_per_byte(8.0, "abcd", unit="bits")        # 4 ASCII characters = 4 bytes
    2.0
    >>> bits_per_byte(8.0, "ééàà", unit="bits")        # 4 characters = 8 bytes in UTF-8
    1.0
    >>> round(bits_per_byte(4 * math.log(2), "ab"), 6)  # 4 bits, given in nats
    2.0
    """
    if not isinstance(unit, str) or unit not in ("nats", "bits"):
        raise ValueError(f'unit must be "nats" or "bits"; got {unit!r}')
    if isinstance(total_loss, bool) or not isinstance(total_loss, numbers.Real):
        raise TypeError(
            f"total_loss must be one number, the summed loss of the whole text; got {total_loss!r}"
        )
    total_loss = float(total_loss)
    if not math.isfinite(total_loss) or total_loss < 0:
        raise ValueError(f"total_loss must be a finite number >= 0; got {total_loss!r}")
    n_bytes = len(_check_text(text, "text").encode("utf-8"))
    if n_bytes == 0:
        raise ValueError("text is empty; bits per byte needs at least one byte")
    total_bits = total_loss / math.log(2) if unit == "nats" else total_loss
    return total_bits / n_bytes
