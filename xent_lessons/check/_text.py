"""Short, safe text for a report: any value shown in a line or two, never a flood."""

from __future__ import annotations

import reprlib

import numpy as np

# The longest exception message a report quotes (a learner's may be megabytes).
MESSAGE_LIMIT = 300


def cap(text: str, limit: int) -> str:
    """``text`` on one line, cut to ``limit`` characters with "..." where it was cut."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def short(value, limit: int = 160) -> str:
    """A one-line picture of ``value`` (arrays summarised), at most ``limit`` characters.

    Never raises: an object whose ``repr`` fails (or is huge) is named by its type.
    """
    try:
        if isinstance(value, np.generic):
            value = value.item()  # 0.5, not np.float64(0.5)
        if isinstance(value, str) and len(value) > 4 * limit:
            value = value[: 4 * limit]  # no need to repr megabytes to show a line
        with np.printoptions(precision=6, suppress=False, threshold=20, edgeitems=3):
            if isinstance(value, np.ndarray | list):
                text = repr(np.asarray(value))
            else:
                text = repr(value)
    except Exception:
        try:
            text = reprlib.repr(value)  # e.g. a ragged list, which NumPy refuses
        except Exception:
            text = f"<a {type(value).__name__} object>"
    return cap(text, limit)


def exception_text(exc: BaseException, limit: int = MESSAGE_LIMIT) -> str:
    """``TypeName: message``, the message cut to ``limit`` characters."""
    try:
        message = str(exc)
    except Exception:
        message = "(its message could not be shown)"
    name = type(exc).__name__
    return f"{name}: {cap(message, limit)}" if message else name
