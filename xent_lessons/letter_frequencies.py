"""How often each letter appears in English text: a published table, as data.

Source: Robert E. Lewand, *Cryptological Mathematics*, Mathematical Association of America
(2000), the table of relative frequencies of letters in general English plain text. It is
the table most often quoted (for years the "Texts" column of Wikipedia's *Letter
frequency* article): e 12.702 %, t 9.056 %, a 8.167 %, ... z 0.074 %.

Lesson 01 computes its entropy, about 4.18 bits per letter, against the 4.70 bits of 26
equally likely letters::

    >>> import xent_lessons as xl
    >>> from xent_lessons.letter_frequencies import ENGLISH_LETTER_FREQUENCIES, LETTERS
    >>> round(xl.entropy(ENGLISH_LETTER_FREQUENCIES, base=2), 2)
    4.18
"""

from __future__ import annotations

import numpy as np

__all__ = ["ENGLISH_LETTER_FREQUENCIES", "ENGLISH_LETTER_PERCENT", "LETTERS", "english_letters"]

LETTERS = "abcdefghijklmnopqrstuvwxyz"

# Entered by hand from Lewand's table (3 decimals, in percent), letter by letter in
# alphabetical order. The published figures are rounded, so they add up to 99.999 %,
# not exactly 100; ENGLISH_LETTER_FREQUENCIES divides by their sum to make a distribution.
ENGLISH_LETTER_PERCENT = {
    "a": 8.167,
    "b": 1.492,
    "c": 2.782,
    "d": 4.253,
    "e": 12.702,
    "f": 2.228,
    "g": 2.015,
    "h": 6.094,
    "i": 6.966,
    "j": 0.153,
    "k": 0.772,
    "l": 4.025,
    "m": 2.406,
    "n": 6.749,
    "o": 7.507,
    "p": 1.929,
    "q": 0.095,
    "r": 5.987,
    "s": 6.327,
    "t": 9.056,
    "u": 2.758,
    "v": 0.978,
    "w": 2.360,
    "x": 0.150,
    "y": 1.974,
    "z": 0.074,
}

_percent = np.array([ENGLISH_LETTER_PERCENT[c] for c in LETTERS])
ENGLISH_LETTER_FREQUENCIES = _percent / _percent.sum()
ENGLISH_LETTER_FREQUENCIES.flags.writeable = False  # shared data: read it, don't change it
del _percent


def english_letters(order: str = "alphabetical"):
    """The letters and their probabilities, in alphabetical or frequency order.

    Parameters
    ----------
    order : {"alphabetical", "frequency"}
        ``"frequency"`` puts the most common letter first (ties, if any, alphabetically).

    Returns
    -------
    letters : str
        The 26 lower-case letters in that order.
    p : ndarray
        Their probabilities (a fresh float64 array, summing to 1).

    Examples
    --------
    >>> letters, p = english_letters("frequency")
    >>> letters[:6]
    'etaoin'
    >>> round(float(p.sum()), 12)
    1.0
    """
    if order == "alphabetical":
        return LETTERS, ENGLISH_LETTER_FREQUENCIES.copy()
    if order == "frequency":
        idx = sorted(range(26), key=lambda i: (-ENGLISH_LETTER_FREQUENCIES[i], LETTERS[i]))
        return "".join(LETTERS[i] for i in idx), ENGLISH_LETTER_FREQUENCIES[idx].copy()
    raise ValueError(f"order must be 'alphabetical' or 'frequency'; got {order!r}")
