r"""An arithmetic coder: a model's probabilities in, about :math:`-\log_2 q` bits per symbol out.

Arithmetic coding (Rissanen 1976; Witten, Neal and Cleary 1987) writes a whole message as
one binary fraction. It starts from the interval :math:`[0, 1)`; for every symbol it cuts
the current interval into one piece per possible symbol, each as wide as the model's
probability of that symbol, and keeps the piece of the symbol that came. After the last
symbol the interval has width :math:`\prod_i q(x_i)`, and a binary fraction inside it
needs only about :math:`-\log_2 \prod_i q(x_i) = \sum_i -\log_2 q(x_i)` bits: the
message's surprisal under the model, to within 2 bits for the whole message (no rounding
to whole bits per symbol, unlike a Huffman code).

This is the classic integer version of Witten, Neal and Cleary, written to be read:

- the interval is ``[low, high]``, two integers of ``PRECISION`` bits (a window onto the
  binary fraction being written; the bits before it are already decided);
- the model gives integer frequencies (``cum[c + 1] - cum[c]`` of a total ``cum[-1]``),
  so the cut points are exact integer arithmetic: the decoder computes the very same
  numbers and so follows the encoder step by step;
- whenever ``low`` and ``high`` agree on their first bit, that bit is final: it is
  written and both are doubled (the window slides); when the interval straddles the
  middle too closely (between 1/4 and 3/4), it is widened around the middle and the bit
  is decided later ("pending" bits, which come out as the opposite of the next bit).

A model is any object with a method ``cumulative_frequencies(history)`` that returns a list
``cum`` of ``V + 1`` integers, ``cum[0] = 0`` and ``cum[c] < cum[c + 1]`` for every symbol
that may occur, given the list ``history`` of the symbols coded so far (the decoder has
decoded exactly those). :class:`xent_lessons.ngram.CharNGramModel` is one.

>>> from xent_lessons.ngram import CharNGramModel
>>> model = CharNGramModel("abracadabra", order=1, alpha=0.5)
>>> message = list(model.alphabet.encode("abracadabra"))
>>> code = arithmetic_encode(message, model)
>>> len(code), round(ideal_code_length(message, model), 2)
(3, 15.66)
>>> arithmetic_decode(code, len(message), model) == message
True
"""

from __future__ import annotations

import bz2
import lzma
import math
import numbers
import zlib

from ._validation import check_count

__all__ = [
    "PRECISION",
    "arithmetic_decode",
    "arithmetic_encode",
    "compressed_sizes",
    "ideal_code_length",
]

PRECISION = 64  # bits in low and high; Python's integers make any width exact
_TOP = (1 << PRECISION) - 1
_HALF = 1 << (PRECISION - 1)
_QUARTER = 1 << (PRECISION - 2)
# The interval is always wider than a quarter of the window, so a model's total frequency
# must stay below a quarter for every symbol to keep a piece of width at least 1.
MAX_TOTAL = _QUARTER


def _check_model(model):
    if not callable(getattr(model, "cumulative_frequencies", None)):
        raise TypeError(
            "model must be an object with a method cumulative_frequencies(history) (an "
            f"xl.CharNGramModel, say); got {type(model).__name__}"
        )
    return model


def _symbols(symbols) -> list[int]:
    """The message as a list of Python ints: integers only (not bool, not float, not str)."""
    if symbols is None or isinstance(symbols, str | bytes | numbers.Number):
        raise TypeError(
            f"symbols must be a sequence of integer symbol classes; got {symbols!r}"
            + (" (use model.alphabet.encode(text))" if isinstance(symbols, str) else "")
        )
    try:
        items = list(symbols)
    except TypeError:
        raise TypeError(
            f"symbols must be a sequence of integer symbol classes; got {type(symbols).__name__}"
        ) from None
    out = []
    for i, symbol in enumerate(items):
        if isinstance(symbol, bool) or type(symbol).__name__ == "bool_" or not isinstance(
            symbol, numbers.Integral
        ):
            raise TypeError(
                f"symbols[{i}] must be an integer symbol class; got {symbol!r} "
                f"({type(symbol).__name__})"
            )
        out.append(int(symbol))
    return out


def _frequencies(model, history, symbol=None):
    cum = model.cumulative_frequencies(history)
    if len(cum) < 2 or cum[0] != 0:
        raise ValueError(
            "model.cumulative_frequencies must return V + 1 integers starting at 0; got "
            f"{list(cum)[:5]!r}"
        )
    total = cum[-1]
    if not 0 < total <= MAX_TOTAL:
        raise ValueError(f"the model's total frequency must be in [1, 2**{PRECISION - 2}]; got {total}")
    if symbol is not None:
        if not 0 <= symbol < len(cum) - 1:
            raise ValueError(f"symbol {symbol} is out of range for {len(cum) - 1} symbols")
        if cum[symbol + 1] <= cum[symbol]:
            raise ValueError(
                f"the model gives symbol {symbol} frequency 0 at position {len(history)}: "
                "a symbol of probability 0 cannot be coded"
            )
    return cum, total


def _narrow(low, high, cum, total, symbol):
    """The piece of ``[low, high]`` that belongs to ``symbol``: the heart of the coder."""
    width = high - low + 1
    return low + width * cum[symbol] // total, low + width * cum[symbol + 1] // total - 1


class _BitWriter:
    """Bits in, bytes out (the last byte padded with zeros)."""

    def __init__(self):
        self.bytes, self._byte, self._n = bytearray(), 0, 0

    def write(self, bit: int) -> None:
        self._byte = (self._byte << 1) | bit
        self._n += 1
        if self._n == 8:
            self.bytes.append(self._byte)
            self._byte, self._n = 0, 0

    def finish(self) -> bytes:
        if self._n:
            self.bytes.append(self._byte << (8 - self._n))
        return bytes(self.bytes)


def arithmetic_encode(symbols, model) -> bytes:
    """Encode the sequence ``symbols`` with the probabilities ``model`` gives.

    Parameters
    ----------
    symbols : sequence of int
        The message, as symbol classes (``Alphabet.encode`` makes them from text).
    model : object
        Gives ``model.cumulative_frequencies(history)`` (see the module's description).

    Returns
    -------
    bytes
        The code. Its length in bits is the message's surprisal under the model,
        :func:`ideal_code_length`, plus at most 2 bits for the end of the message and up to
        7 bits of padding to a whole byte. The decoder must be told ``len(symbols)``
        (a real file would store it in a header of a few bytes).
    """
    symbols = _symbols(symbols)
    model = _check_model(model)
    out = _BitWriter()
    low, high, pending = 0, _TOP, 0

    def emit(bit):
        nonlocal pending
        out.write(bit)
        for _ in range(pending):  # the bits put off earlier: the opposite of this one
            out.write(1 - bit)
        pending = 0

    history = []
    for symbol in symbols:
        cum, total = _frequencies(model, history, symbol)
        low, high = _narrow(low, high, cum, total, symbol)
        history.append(symbol)
        while True:
            if high < _HALF:  # both in the lower half: the next bit is 0
                emit(0)
            elif low >= _HALF:  # both in the upper half: the next bit is 1
                emit(1)
                low, high = low - _HALF, high - _HALF
            elif low >= _QUARTER and high < _HALF + _QUARTER:  # straddling the middle
                pending += 1
                low, high = low - _QUARTER, high - _QUARTER
            else:
                break
            low, high = 2 * low, 2 * high + 1  # slide the window by one bit
    # The final interval holds 1/4 (when low < 1/4; then high >= 1/2) or else 1/2 (then
    # high >= 3/4): the two bits "01" or "10", followed by zeros, are a point inside it.
    pending += 1
    emit(0 if low < _QUARTER else 1)
    return out.finish()


def arithmetic_decode(code: bytes, n_symbols: int, model) -> list[int]:
    """Decode ``n_symbols`` symbols from ``code``, made by :func:`arithmetic_encode`.

    ``model`` must give the same frequencies as it gave the encoder: it sees the same
    history, because every symbol is decoded before the next one is needed.
    """
    if not isinstance(code, bytes | bytearray):
        raise TypeError(f"code must be bytes; got {type(code).__name__}")
    n_symbols = check_count(n_symbols, "n_symbols", 0)  # 2**70 is refused, not decoded forever
    model = _check_model(model)
    bits = iter(int(b) for byte in code for b in format(byte, "08b"))

    def next_bit():
        return next(bits, 0)  # past the end, the code continues with zeros

    value = 0
    for _ in range(PRECISION):
        value = 2 * value + next_bit()
    low, high = 0, _TOP
    history = []
    for _ in range(n_symbols):
        cum, total = _frequencies(model, history)
        width = high - low + 1
        # The largest symbol whose piece starts at or below value, found by bisection.
        target = ((value - low + 1) * total - 1) // width
        lo, hi = 0, len(cum) - 2
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if cum[mid] <= target:
                lo = mid
            else:
                hi = mid - 1
        symbol = lo
        low, high = _narrow(low, high, cum, total, symbol)
        history.append(symbol)
        while True:  # the encoder's window moves, mirrored
            if high < _HALF:
                pass
            elif low >= _HALF:
                low, high, value = low - _HALF, high - _HALF, value - _HALF
            elif low >= _QUARTER and high < _HALF + _QUARTER:
                low, high, value = low - _QUARTER, high - _QUARTER, value - _QUARTER
            else:
                break
            low, high, value = 2 * low, 2 * high + 1, 2 * value + next_bit()
    return history


def ideal_code_length(symbols, model) -> float:
    r"""The message's surprisal under the model, :math:`\sum_i -\log_2 q(x_i \mid x_{<i})`, in bits.

    No code can be shorter on average (Shannon); :func:`arithmetic_encode` is at most a few
    bits longer, for the whole message.
    """
    symbols = _symbols(symbols)
    model = _check_model(model)
    bits, history = 0.0, []
    for symbol in symbols:
        cum, total = _frequencies(model, history, symbol)
        bits += math.log2(total) - math.log2(cum[symbol + 1] - cum[symbol])
        history.append(symbol)
    return bits


# The general-purpose compressors of Python's standard library, at their strongest settings.
COMPRESSORS = {
    "zlib": lambda data: zlib.compress(data, 9),
    "bz2": lambda data: bz2.compress(data, 9),
    "lzma": lambda data: lzma.compress(data, preset=9 | lzma.PRESET_EXTREME),
}


def compressed_sizes(text: str, given: str = "") -> dict:
    """Bytes that zlib, bz2 and lzma spend on ``text``, after reading ``given`` first.

    With ``given`` (the text a model was trained on, say), each size is
    ``len(compress(given + text)) - len(compress(given))``: what ``text`` adds to the file,
    once the compressor has seen ``given``, a fair comparison with a model that has.

    Examples
    --------
    >>> sizes = compressed_sizes("to be or not to be " * 20)
    >>> sorted(sizes), all(0 < n < 380 for n in sizes.values())
    (['bz2', 'lzma', 'zlib'], True)
    """
    if not isinstance(text, str) or not isinstance(given, str):
        raise TypeError("text and given must be strings")
    data, before = text.encode("utf-8"), given.encode("utf-8")
    sizes = {}
    for name, compress in COMPRESSORS.items():
        sizes[name] = len(compress(before + data)) - (len(compress(before)) if before else 0)
    return sizes
