"""Exercise checkers: ``xl.check.<exercise>(your_function)`` grades an exercise.

Each returns a :class:`CheckResult`, shown in the notebook as a short report (passed, the
first failing case with a hint, or "not attempted yet"); it never raises on a wrong answer,
except while nbgrader grades the notebook (``_grading.py``).
Checkers live in one module per topic and are found here by name.
"""

from .._topics import exported_names, lookup
from . import _grading
from ._runner import Case, CheckResult, check_answer, run_cases

__all__ = ["Case", "CheckResult", "all_checkers", "check_answer", "run_cases"]


def all_checkers() -> dict:
    """Every exercise checker of the course, by exercise name, in lesson order."""
    return exported_names(__name__)


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    checker = lookup(__name__, name)
    # Under nbgrader only, a check that does not pass fails its cell (see _grading.py).
    return _grading.graded(checker) if _grading.grading() else checker


def __dir__():
    return sorted(set(__all__) | set(exported_names(__name__)))
