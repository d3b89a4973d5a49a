"""Exercise checkers: ``xl.check.<exercise>(your_function)`` grades an exercise.

Each returns a :class:`CheckResult`, shown in the notebook as a short report (passed, the
first failing case with a hint, or "not attempted yet"); it never raises or hangs on a
wrong answer, except while nbgrader grades the notebook (``_grading.py``). Checkers live
in one module per topic and are found here by name; each one found here is also guarded, so
that even a bug in a checker gives a report, not a traceback.
"""

import functools

from .._topics import exported_names, lookup
from . import _grading
from ._runner import (
    FAILED,
    NOT_ATTEMPTED,
    PASSED,
    Case,
    CheckResult,
    Mistake,
    _internal_error,
    answer_of,
    check_answer,
    run_cases,
)

__all__ = [
    "FAILED",
    "NOT_ATTEMPTED",
    "PASSED",
    "Case",
    "CheckResult",
    "Mistake",
    "all_checkers",
    "answer_of",
    "check_answer",
    "run_cases",
]

_guarded_checkers: dict = {}


def _guarded(name: str, checker):
    """``checker``, returning a report instead of raising if the checker itself fails."""
    cached = _guarded_checkers.get(name)
    if cached is not None and cached.__wrapped__ is checker:
        return cached

    @functools.wraps(checker)
    def guarded(*args, **kwargs):
        try:
            return checker(*args, **kwargs)
        except Exception as exc:
            return _internal_error(name, exc)

    _guarded_checkers[name] = guarded
    return guarded


def all_checkers() -> dict:
    """Every exercise checker of the course, by exercise name, in lesson order."""
    return {name: _guarded(name, fn) for name, fn in exported_names(__name__).items()}


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    checker = _guarded(name, lookup(__name__, name))
    # Under nbgrader only, a check that does not pass fails its cell (see _grading.py).
    return _grading.graded(checker) if _grading.grading() else checker


def __dir__():
    return sorted(set(__all__) | set(exported_names(__name__)))
