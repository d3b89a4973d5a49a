"""Grading mode: when nbgrader runs a notebook, a check that does not pass fails its cell.

A learner studying alone, or on Binder, gets the checker's friendly report and nothing
else: a wrong answer never raises. nbgrader, though, gives a test cell its points unless
the cell fails. So while nbgrader runs the notebook (``nbgrader autograde``, and
``nbgrader validate`` or the Validate button), ``xl.check.<exercise>`` raises
:class:`CheckFailed` when the check does not pass. nbgrader switches this on by itself: it
sets the environment variable ``NBGRADER_EXECUTION`` to ``"autograde"`` or ``"validate"`` for
the kernels it starts, and nothing a learner does in a notebook sets it.

The error shows the same friendly report, without a traceback (IPython prints what
``_render_traceback_`` returns), so nbgrader's feedback shows the learner what they would
have seen in their own notebook.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys

# nbgrader's own values of NBGRADER_EXECUTION (see its FAQ, "Can I modify the notebook
# behavior during autograding or validation?").
GRADING_RUNS = frozenset({"autograde", "validate"})


def grading() -> bool:
    """True while nbgrader runs the notebook (autograde or validate)."""
    return os.environ.get("NBGRADER_EXECUTION") in GRADING_RUNS


class CheckFailed(AssertionError):
    """A check that did not pass, raised in grading mode only; shown as its report."""

    def __init__(self, result):
        super().__init__(result.message)
        self.result = result

    def _render_traceback_(self) -> list[str]:
        # IPython shows these lines instead of a traceback: the learner's report.
        return self.result.message.splitlines()


def graded(checker):
    """``checker`` for grading mode: it raises :class:`CheckFailed` unless the check passes.

    A passed check shows its report as a displayed output rather than as the cell's
    value: nbgrader reads a cell's value as partial credit when it is a number and warns
    about any other value. What the learner's function writes to stderr goes to stdout
    instead, since nbgrader gives no points to a cell with output on stderr.
    """

    @functools.wraps(checker)
    def check(*args, **kwargs):
        with contextlib.redirect_stderr(sys.stdout):
            result = checker(*args, **kwargs)
        if not result.passed:
            raise CheckFailed(result)
        _show(result)

    return check


def _show(result) -> None:
    try:
        from IPython.display import display
    except ImportError:  # outside Jupyter: print the report
        print(result.message)
    else:
        display(result)
