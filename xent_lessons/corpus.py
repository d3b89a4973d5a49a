"""The text of lessons 08 and 09, shipped with the package, and characters as integers.

The text is *Alice's Adventures in Wonderland* (Lewis Carroll, 1865; public domain), the
``alice29.txt`` file of the Canterbury Corpus of compression tests with Unix line endings.
``xent_lessons/data/README.md`` says where it comes from, exactly, and under which terms.
Nothing is downloaded: the file is part of the package.

>>> from xent_lessons import corpus
>>> train, held_out = corpus.alice_split()
>>> len(train), len(held_out)
(125829, 22651)
>>> held_out[:10]
'CHAPTER XI'
>>> alphabet = corpus.Alphabet.of(corpus.alice())
>>> len(alphabet), alphabet.encode("Alice")
(72, array([16, 57, 54, 48, 50]))
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import numpy as np

from ._validation import as_array

__all__ = ["ALICE_FILE", "HELD_OUT_START", "Alphabet", "alice", "alice_split"]

ALICE_FILE = "alice29.txt"  # in xent_lessons/data/
# The held-out part starts at chapter XI: the last two chapters, the trial (15 % of the book).
HELD_OUT_START = "CHAPTER XI"


@cache
def alice() -> str:
    """The whole book as one string: 148,480 ASCII characters, lines ending in ``"\\n"``.

    Examples
    --------
    >>> text = alice()
    >>> len(text), text.count("Alice")
    (148480, 395)
    """
    return resources.files(__package__).joinpath("data", ALICE_FILE).read_text(encoding="ascii")


def alice_split() -> tuple[str, str]:
    """``(train, held_out)``: chapters I to X, and chapters XI and XII.

    A model counts (or trains on) the first part only; the second measures it on text it
    never saw. Cutting at a chapter keeps the two parts apart: a random split of the lines
    would put half-sentences of the same passage on both sides.

    Examples
    --------
    >>> train, held_out = alice_split()
    >>> held_out.startswith("CHAPTER XI") and "CHAPTER X\\n" in train
    True
    """
    text = alice()
    cut = text.index(HELD_OUT_START)
    return text[:cut], text[cut:]


class Alphabet:
    """The characters a model knows, numbered 0 to ``V - 1`` in sorted order.

    A model over characters predicts one of ``V`` classes: the class of a character is its
    position in the alphabet. ``encode`` turns text into those integers (what a loss and an
    arithmetic coder take), ``decode`` turns them back into text.

    Parameters
    ----------
    chars : str or iterable of str
        The characters, each a string of length 1; duplicates are dropped and the rest
        sorted (so ``"\\n"`` and ``" "`` come first, then punctuation, digits and letters).

    Examples
    --------
    >>> a = Alphabet("abc ")
    >>> a.chars, len(a)
    (' abc', 4)
    >>> a.encode("cab a")
    array([3, 1, 2, 0, 1])
    >>> a.decode([3, 1, 2])
    'cab'
    """

    def __init__(self, chars):
        try:
            chars = sorted(set(chars))
        except TypeError as exc:  # not iterable (None, a number), or unhashable items
            raise TypeError(
                f"chars must be a string or an iterable of single characters; got {chars!r}"
            ) from exc
        if not chars:
            raise ValueError("chars is empty: an alphabet needs at least one character")
        bad = [c for c in chars if not isinstance(c, str) or len(c) != 1]
        if bad:
            raise TypeError(f"chars must be single characters; got {bad[0]!r}")
        self.chars = "".join(chars)
        self.index = {c: i for i, c in enumerate(self.chars)}

    @classmethod
    def of(cls, *texts: str) -> Alphabet:
        """The alphabet of every character that occurs in ``texts``."""
        return cls(set().union(*map(set, texts)))

    def __len__(self) -> int:
        return len(self.chars)

    def __repr__(self) -> str:
        return f"Alphabet({self.chars!r})"

    def __eq__(self, other) -> bool:
        return isinstance(other, Alphabet) and other.chars == self.chars

    def __hash__(self) -> int:
        return hash(self.chars)

    def encode(self, text: str) -> np.ndarray:
        """The class (0 to V - 1) of every character of ``text``, as an ``int64`` array."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a string; got {type(text).__name__}")
        try:
            return np.array([self.index[c] for c in text], dtype=np.int64)
        except KeyError as exc:
            raise ValueError(
                f"text contains {exc.args[0]!r}, which is not in the alphabet of {len(self)} "
                "characters (build it from every text the model will see)"
            ) from None

    def decode(self, classes) -> str:
        """The text whose characters have the classes ``classes`` (integers, 0 to V - 1)."""
        arr = as_array(classes, "classes")
        if arr.size and (arr.dtype.kind not in "iu" or arr.min() < 0 or arr.max() >= len(self)):
            raise ValueError(
                f"classes must be integers from 0 to {len(self) - 1}; got {arr.ravel()[:5]}..."
            )
        return "".join(self.chars[i] for i in arr.ravel().tolist())
