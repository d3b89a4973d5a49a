"""How an exercise is graded: run the learner's function on cases, report the first miss.

A checker never crashes on a wrong answer. It returns a :class:`CheckResult` whose text is
a short, friendly report: passed; or the first failing case with its input, the expected
value, what came back and a hint; or "not attempted yet" while the stub is untouched.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

PASSED, FAILED, NOT_ATTEMPTED = "passed", "failed", "not attempted"


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check: ``status`` and the report shown in the notebook."""

    exercise: str
    status: str
    message: str

    @property
    def passed(self) -> bool:
        return self.status == PASSED

    def __repr__(self) -> str:
        return self.message

    def __bool__(self) -> bool:
        return self.passed


@dataclass
class Case:
    """One input to try: ``fn(*args, **kwargs)`` should give ``expected``.

    ``hint`` is what to tell the learner when this case fails: name the likely mistake
    (overflow, wrong axis, forgot the mean, bits vs nats), not the answer.
    """

    name: str
    args: tuple
    expected: object
    hint: str
    kwargs: dict = field(default_factory=dict)
    rtol: float = 1e-6
    atol: float = 1e-9


@dataclass
class Mistake:
    """A typical wrong answer: ``wrong(*args, **kwargs)`` is what it gives; ``hint`` names it.

    When a learner's result misses a case and equals what a listed mistake gives on the same
    input, the report names that mistake (a forgotten mean, a flipped sign) instead of the
    case's general hint.
    """

    wrong: Callable
    hint: str


def _short(value, limit=160) -> str:
    with np.printoptions(precision=6, suppress=False, threshold=20, edgeitems=3):
        text = repr(np.asarray(value)) if isinstance(value, np.ndarray | list) else repr(value)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _describe_args(case: Case) -> str:
    parts = [_short(a, 100) for a in case.args]
    parts += [f"{k}={_short(v, 60)}" for k, v in case.kwargs.items()]
    return ", ".join(parts)


def not_attempted(exercise: str) -> CheckResult:
    return CheckResult(
        exercise,
        NOT_ATTEMPTED,
        f"⏳ {exercise}: not attempted yet. Replace the `raise NotImplementedError` (or `...`) "
        "with your code, run the cell, then run this check again.",
    )


def passed(exercise: str, n_cases: int) -> CheckResult:
    noun = "case" if n_cases == 1 else "cases"
    return CheckResult(exercise, PASSED, f"✅ {exercise}: passed all {n_cases} {noun}. Well done!")


def failed(exercise: str, case_name: str, details: str, hint: str) -> CheckResult:
    return CheckResult(
        exercise, FAILED, f"❌ {exercise}: failed on {case_name}.\n{details}\n   hint: {hint}"
    )


def compare(got, expected, rtol: float, atol: float) -> str | None:
    """``None`` if ``got`` matches ``expected``; otherwise why it does not."""
    if got is None:
        return "got None: did you forget to `return` the result?"
    if isinstance(expected, str | bool):
        return None if got == expected else "a different answer"
    try:
        got_arr = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return f"got a {type(got).__name__}, expected a number or an array of numbers"
    exp_arr = np.asarray(expected, dtype=float)
    if got_arr.shape != exp_arr.shape:
        return (
            f"wrong shape: expected {exp_arr.shape}, got {got_arr.shape} "
            "(summed over the wrong axis, or forgot keepdims?)"
        )
    if np.isnan(got_arr).any() and not np.isnan(exp_arr).any():
        return "got NaN where a number was expected (an overflow, or 0 * log 0?)"
    if not np.allclose(got_arr, exp_arr, rtol=rtol, atol=atol, equal_nan=True):
        return "the values differ"
    return None


def compare_parts(got, expected, rtol: float, atol: float, names=None) -> str | None:
    """:func:`compare`, part by part when ``expected`` is a tuple (e.g. ``(W, b)``)."""
    if not isinstance(expected, tuple) or got is None:
        return compare(got, expected, rtol, atol)
    if not isinstance(got, tuple | list) or len(got) != len(expected):
        return f"expected a tuple of {len(expected)} arrays, got {_short(got, 80)}"
    names = names or [f"part {k}" for k in range(len(expected))]
    for name, g, e in zip(names, got, expected, strict=True):
        problem = compare(g, e, rtol, atol)
        if problem is not None:
            return f"{name}: {problem}"
    return None


def call_quietly(fn: Callable, *args, **kwargs):
    """Call ``fn`` with NumPy's warnings silenced: a naive answer may overflow, and the
    checker reports that, not NumPy's warnings."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def _diagnose(got, case: Case, mistakes: Sequence[Mistake]) -> str:
    """The hint of the first listed mistake that gives exactly ``got``; else the case's."""
    for mistake in mistakes:
        try:
            wrong = call_quietly(mistake.wrong, *case.args, **case.kwargs)
        except Exception:
            continue
        looks_wrong = compare_parts(wrong, case.expected, case.rtol, case.atol) is not None
        if looks_wrong and compare_parts(got, wrong, case.rtol, case.atol) is None:
            return mistake.hint
    return case.hint


def run_cases(
    exercise: str,
    fn: Callable,
    cases: Sequence[Case],
    mistakes: Sequence[Mistake] = (),
    part_names: Sequence[str] | None = None,
) -> CheckResult:
    """Call ``fn`` on every case; stop at the first miss and explain it.

    The learner's function gets copies of the array arguments, so an answer that changes
    its input in place cannot spoil the cases that follow. A case's ``expected`` may be a
    tuple (a function that returns several arrays), compared part by part and named with
    ``part_names``. ``mistakes`` lets a miss be named precisely (see :class:`Mistake`).
    """
    if not callable(fn):
        return CheckResult(
            exercise,
            FAILED,
            f"❌ {exercise}: expected your function (the name, without calling it), "
            f"got {_short(fn)}.",
        )
    for case in cases:
        args = [np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in case.args]
        try:
            got = call_quietly(fn, *args, **case.kwargs)
        except NotImplementedError:
            return not_attempted(exercise)
        except Exception as exc:
            return failed(
                exercise,
                case.name,
                f"   input: {_describe_args(case)}\n"
                f"   your function raised {type(exc).__name__}: {exc}",
                case.hint,
            )
        if got is None and case is cases[0]:
            return not_attempted(exercise)
        problem = compare_parts(got, case.expected, case.rtol, case.atol, part_names)
        if problem is not None:
            return failed(
                exercise,
                case.name,
                f"   input:    {_describe_args(case)}\n"
                f"   expected: {_short(case.expected)}\n"
                f"   got:      {_short(got)}\n"
                f"   ({problem})",
                _diagnose(got, case, mistakes),
            )
    return passed(exercise, len(cases))


def check_answer(exercise: str, answer, expected, hint: str, rtol=1e-6, atol=1e-9):
    """Grade a value (a number, a choice) rather than a function."""
    if answer is ... or answer is None:
        return not_attempted(exercise)
    problem = compare(answer, expected, rtol, atol)
    if problem is None:
        return passed(exercise, 1)
    return failed(exercise, "your answer", f"   got: {_short(answer)}\n   ({problem})", hint)
