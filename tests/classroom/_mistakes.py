"""A typical wrong answer to an exercise, for the grading test's third synthetic learner.

It is the first :class:`~xent_lessons.check.Mistake` that the exercise's checker registers
(the wrong answers it names in its hints), read by calling the checker once with a spy on
``run_cases``; for a checker that registers none, it is a function that forgets to
``return``. The grading test imports this module in the test process, and the notebook
kernels that nbgrader starts import it too (the test puts this folder on their
``PYTHONPATH``), so the wrong answer in the notebook is the very same function.
"""

from __future__ import annotations

import inspect
import sys

import xent_lessons.check as check


def registered_mistakes(exercise: str) -> list:
    """The mistakes the checker of ``exercise`` passes to ``run_cases``, in its order."""
    checker = check.all_checkers()[exercise]
    module = sys.modules[checker.__module__]
    real = getattr(module, "run_cases", None)
    if real is None:
        return []
    seen = []

    def spy(*args, **kwargs):
        arguments = inspect.signature(real).bind(*args, **kwargs).arguments
        seen.extend(arguments.get("mistakes") or ())
        return real(*args, **kwargs)

    module.run_cases = spy
    try:
        checker(forgot_return)
    finally:
        module.run_cases = real
    return seen


def forgot_return(*args, **kwargs):
    """The answer of a learner who computed the result and forgot to ``return`` it."""
    return None


def typical_mistake(exercise: str):
    """The wrong answer the synthetic learner gives to ``exercise`` (a function)."""
    mistakes = registered_mistakes(exercise)
    return mistakes[0].wrong if mistakes else forgot_return
