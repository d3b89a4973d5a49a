"""Huffman codes: the shortest prefix code for a distribution, and how close it gets to H(p).

A prefix code gives every symbol a string of bits (its codeword) so that no codeword is the
start of another: a stream of bits then decodes without separators. Huffman's algorithm
(1952) builds the prefix code with the smallest average length ``L = sum_i p_i l_i`` for a
distribution ``p``; Shannon's source-coding theorem says ``H(p) <= L < H(p) + 1`` (in bits).

Lesson 01 uses it to show that entropy is the length of the best code::

    >>> code = huffman_code([0.5, 0.25, 0.125, 0.125], symbols="ABCD")
    >>> code.codewords
    ('0', '10', '110', '111')
    >>> code.average_length
    1.75
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ._validation import as_float_array, check_distribution

__all__ = ["HuffmanCode", "huffman_code"]


@dataclass(frozen=True)
class HuffmanCode:
    """A binary prefix code built by :func:`huffman_code`.

    Attributes
    ----------
    symbols : tuple
        The symbols, in the order of the probabilities given.
    probabilities : ndarray
        Their probabilities (float64), summing to 1.
    codewords : tuple of str or None
        One codeword of ``"0"`` and ``"1"`` per symbol, in the same order; ``None`` for a
        symbol of probability 0, which never needs sending.
    """

    symbols: tuple
    probabilities: np.ndarray
    codewords: tuple

    @property
    def lengths(self) -> np.ndarray:
        """The length of each codeword in bits, as an integer array (0 where ``p == 0``)."""
        return np.array([0 if w is None else len(w) for w in self.codewords], dtype=np.int64)

    @property
    def average_length(self) -> float:
        r"""The expected codeword length :math:`L = \sum_i p_i l_i`, in bits per symbol."""
        return float(np.dot(self.probabilities, self.lengths))

    def as_dict(self) -> dict:
        """``{symbol: codeword}``."""
        return dict(zip(self.symbols, self.codewords, strict=True))

    def encode(self, message: Sequence) -> str:
        """The bits of ``message`` (a sequence of symbols, e.g. a string), concatenated.

        Examples
        --------
        >>> code = huffman_code([0.5, 0.25, 0.25], symbols="abc")
        >>> code.encode("abca")
        '010110'
        """
        table = self.as_dict()
        out = []
        for s in message:
            if s not in table:
                raise ValueError(f"symbol {s!r} is not in the code's symbols")
            if table[s] is None:
                raise ValueError(f"symbol {s!r} has probability 0, so it has no codeword")
            out.append(table[s])
        return "".join(out)

    def decode(self, bits: str) -> list:
        """The symbols that ``bits`` encodes; the inverse of :meth:`encode`.

        A prefix code needs no separators: read bits until they spell a codeword, emit its
        symbol, start again.

        Examples
        --------
        >>> code = huffman_code([0.5, 0.25, 0.25], symbols="abc")
        >>> "".join(code.decode("010110"))
        'abca'
        """
        reverse = {
            w: s for s, w in zip(self.symbols, self.codewords, strict=True) if w is not None
        }
        out, word = [], ""
        for bit in bits:
            if bit not in "01":
                raise ValueError(f"bits must contain only '0' and '1'; found {bit!r}")
            word += bit
            if word in reverse:
                out.append(reverse[word])
                word = ""
        if word:
            raise ValueError(f"bits end in the middle of a codeword (left over: {word!r})")
        return out

    def table(self, precision: int = 3) -> str:
        """A plain-text table: symbol, p, ideal length ``-log2 p``, codeword, its length.

        Examples
        --------
        >>> print(huffman_code([0.5, 0.5], symbols="HT").table())
        symbol      p   -log2 p  codeword  length
             H  0.500     1.000  0              1
             T  0.500     1.000  1              1
        """
        width = max(6, *(len(str(s)) for s in self.symbols))
        words = ["-" if w is None else w for w in self.codewords]
        cw = max(8, *(len(w) for w in words))
        lines = [f"{'symbol':>{width}}  {'p':>{precision + 2}}   -log2 p  {'codeword':<{cw}}  length"]
        with np.errstate(divide="ignore"):
            ideal = -np.log2(self.probabilities) + 0.0
        rows = zip(self.symbols, self.probabilities, ideal, words, self.lengths, strict=True)
        for s, p, i, w, n in rows:
            lines.append(
                f"{s!s:>{width}}  {p:.{precision}f}  {i:8.{precision}f}  {w:<{cw}}  {n:6d}"
            )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()


def huffman_code(p, symbols=None) -> HuffmanCode:
    r"""Build a binary Huffman code for the distribution ``p``.

    Parameters
    ----------
    p : array_like
        A 1-D array of probabilities (at least one) in [0, 1] that sum to 1. Symbols with
        probability 0 never occur and get no codeword (``None``, length 0): giving them one
        would take a leaf of the tree and lengthen the codeword of a symbol that does occur.
    symbols : sequence, optional
        A label per probability (a string such as ``"ABCD"`` gives one per character); by
        default the indices ``0, 1, ...``. Labels must be distinct.

    Returns
    -------
    HuffmanCode
        ``codewords`` (one string of bits per symbol, in the input order), ``lengths`` and
        ``average_length`` (bits per symbol), plus ``encode``, ``decode`` and ``table``.

    Notes
    -----
    Start with one tree per symbol, weighted by its probability; repeatedly merge the two
    lightest trees into one whose weight is their sum; when one tree is left, the path from
    the root to a symbol (0 = first branch, 1 = second) is its codeword. The result is an
    optimal prefix code, and

    .. math:: H(p) \le L = \sum_i p_i\, l_i < H(p) + 1 \qquad \text{(bits)}

    with :math:`L = H(p)` exactly when every :math:`p_i` is a power of 1/2.

    Ties are broken deterministically, so the same ``p`` always gives the same code: among
    trees of equal weight the one made earliest is merged first (single symbols in input
    order, then merged trees in the order they were made), and the first of the two trees
    merged gets the bit ``0``. Preferring the older trees keeps codeword lengths as even
    as possible. A lone possible symbol gets the codeword ``"0"`` (a code needs at least one
    bit per symbol sent).

    Examples
    --------
    >>> code = huffman_code([0.4, 0.3, 0.2, 0.1], symbols="ABCD")
    >>> code.as_dict()
    {'A': '0', 'B': '10', 'C': '111', 'D': '110'}
    >>> round(code.average_length, 6)
    1.9
    >>> code.lengths
    array([1, 2, 3, 3])
    """
    probs = as_float_array(p, "p").astype(np.float64, copy=False)
    if probs.ndim != 1:
        raise ValueError(f"p must be a 1-D array of probabilities; got shape {probs.shape}")
    check_distribution(probs, "p", axis=0)
    n = probs.size
    if symbols is None:
        labels = tuple(range(n))
    else:
        if not isinstance(symbols, Sequence | np.ndarray):
            raise TypeError(
                f"symbols must be a sequence of labels, one per probability; got {symbols!r}"
            )
        labels = tuple(symbols)
        if len(labels) != n:
            raise ValueError(f"symbols must have one label per probability: {n}; got {len(labels)}")
        if len(set(labels)) != n:
            raise ValueError("symbols must be distinct")
    codes = [None if w == 0 else "" for w in probs.tolist()]
    support = [i for i in range(n) if codes[i] is not None]
    if len(support) == 1:
        codes[support[0]] = "0"
        return HuffmanCode(labels, probs.copy(), tuple(codes))

    # Heap entries: (weight rounded, order, weight, symbol indices in this tree). Rounding
    # to 12 decimals makes 0.1 + 0.2 tie with 0.3, as it would on paper; ``order`` breaks
    # ties: the leaves get 0..n-1 and each merged tree the next number, so older go first.
    heap = [(round(float(probs[i]), 12), i, float(probs[i]), (i,)) for i in support]
    heapq.heapify(heap)
    order = n
    while len(heap) > 1:
        _, _, w0, first = heapq.heappop(heap)
        _, _, w1, second = heapq.heappop(heap)
        for i in first:
            codes[i] = "0" + codes[i]
        for i in second:
            codes[i] = "1" + codes[i]
        heapq.heappush(heap, (round(w0 + w1, 12), order, w0 + w1, first + second))
        order += 1
    return HuffmanCode(labels, probs.copy(), tuple(codes))
