"""Exercise checkers: ``xl.check.<exercise>(your_function)`` grades an exercise.

Each returns a :class:`CheckResult`, shown in the notebook as a short report (passed, the
first failing case with a hint, or "not attempted yet"); it never raises on a wrong answer.
Checkers live in one module per topic and are found here by name.
"""

from .._topics import exported_names, lookup
from ._runner import Case, CheckResult, check_answer, run_cases

__all__ = ["Case", "CheckResult", "all_checkers", "check_answer", "run_cases"]


def all_checkers() -> dict:
    """Every exercise checker of the course, by exercise name, in lesson order."""
    return exported_names(__name__)


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    return lookup(__name__, name)


def __dir__():
    return sorted(set(__all__) | set(exported_names(__name__)))
