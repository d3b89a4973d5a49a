"""How an exercise is graded: run the learner's function on cases, report the first miss.

A checker never crashes and never hangs on a wrong answer. It returns a :class:`CheckResult`
whose ``status`` is one of

- ``"passed"``: every case matched;
- ``"failed"``: the first failing case, with its input, the expected value, what came back,
  what is wrong with it and a hint. Also a function that returned None (a forgotten
  ``return``), raised, ran past the time limit, or changed its input in place;
- ``"not attempted"``: the untouched stub, which raises ``NotImplementedError`` itself.

Every call of the learner's function goes through :func:`~._calling.call_learner` (a time
limit, capped printing, copied inputs compared afterwards); what went wrong is named by
:mod:`._diagnosis` (shapes, a factor N, a log base, the exception and its line) and by the
checker's own :class:`Mistake` list.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from . import _calling, _diagnosis
from ._calling import (
    Call,
    LearnerTimeout,
    OutputBudget,
    call_learner,
    raised_by_the_function_itself,
    signature_problem,
)
from ._diagnosis import (
    RETURNED_NONE,
    Miss,
    exception_report,
    parts_miss,
    parts_problem,
    value_miss,
    value_problem,
)
from ._text import exception_text, short

PASSED, FAILED, NOT_ATTEMPTED = "passed", "failed", "not attempted"

# Kept under its old name: topic modules and other checkers import it from here.
_short = short


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check: ``status`` (:data:`PASSED`, :data:`FAILED` or
    :data:`NOT_ATTEMPTED`) and the report shown in the notebook (``message``)."""

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
    (overflow, wrong axis, forgot the mean, bits vs nats), not the answer. It may be a
    callable: it is then called with the learner's result and returns the hint (to say how
    far off a number is), or None to leave the hint to the generic diagnosis.
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


# ------------------------------------------------------------------------ the reports


def not_attempted(exercise: str, placeholder: str = "the `raise NotImplementedError(...)` line") -> CheckResult:
    return CheckResult(
        exercise,
        NOT_ATTEMPTED,
        f"⏳ {exercise}: not attempted yet. Replace {placeholder} with your code, run that "
        "cell, then run this check again.",
    )


def passed(exercise: str, n_cases: int) -> CheckResult:
    if n_cases == 1:
        return CheckResult(exercise, PASSED, f"✅ {exercise}: passed. Well done!")
    return CheckResult(exercise, PASSED, f"✅ {exercise}: passed all {n_cases} cases. Well done!")


def failed(exercise: str, case_name: str, details: str, hint: str) -> CheckResult:
    return CheckResult(
        exercise, FAILED, f"❌ {exercise}: failed on {case_name}.\n{details}\n   hint: {hint}"
    )


def _internal_error(exercise: str, exc: BaseException) -> CheckResult:
    """The checker itself failed: say so plainly (it is the course's bug, not the learner's)."""
    return CheckResult(
        exercise,
        FAILED,
        f"❌ {exercise}: the checker could not grade this answer (an internal error: "
        f"{exception_text(exc, 200)}). Your answer may be right or wrong; please report this "
        "to the course's authors.",
    )


def _with_output_note(result: CheckResult, budget: OutputBudget) -> CheckResult:
    note = budget.note()
    if note is None:
        return result
    return CheckResult(result.exercise, result.status, f"{result.message}\n   {note}")


# --------------------------------------------------------------------- the comparisons


def compare(got, expected, rtol: float, atol: float, inputs=()) -> str | None:
    """``None`` if ``got`` matches ``expected``; otherwise why it does not, in words.

    Never raises: text, complex numbers, torch tensors, objects NumPy cannot read are each
    described. ``inputs`` (the case's arguments) let a shape or a factor be named: "one
    value per column instead of one per row", "exactly N times the answer".
    """
    if got is None and expected is not None:
        return RETURNED_NONE
    return value_problem(got, expected, rtol, atol, inputs)


def compare_parts(got, expected, rtol: float, atol: float, names=None, inputs=()) -> str | None:
    """:func:`compare`, part by part when ``expected`` is a tuple (e.g. ``(W, b)``)."""
    if not isinstance(expected, tuple):
        return compare(got, expected, rtol, atol, inputs)
    return parts_problem(got, expected, rtol, atol, names, inputs)


def _call_ours(fn: Callable, *args, **kwargs):
    """Call one of the checker's own functions (a listed mistake) with warnings silenced."""
    import warnings

    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def call_quietly(fn: Callable, *args, **kwargs):
    """Call ``fn`` as a learner's function is called: NumPy's warnings silenced, a time
    limit (raises :class:`LearnerTimeout`), its printing capped.

    Returns what ``fn`` returns and raises what it raises. :func:`run_cases` and
    :func:`answer_of` do more (in-place changes, friendly reports): prefer those.
    """
    call = call_learner(fn, args, kwargs)
    if call.signature_problem is not None:
        raise TypeError(call.signature_problem)
    if call.timed_out:
        raise LearnerTimeout(
            f"your function was still running after {_limit_text()}: an endless loop?"
        )
    if call.error is not None:
        raise call.error
    return call.value


def _miss(got, expected, rtol, atol, names=None, inputs=()) -> Miss | None:
    if isinstance(expected, tuple):
        return parts_miss(got, expected, rtol, atol, names, inputs)
    if got is None and expected is not None:
        return Miss(RETURNED_NONE, _diagnosis.RETURN_ADVICE)
    return value_miss(got, expected, rtol, atol, inputs)


def _diagnose(got, case: Case, mistakes: Sequence[Mistake], advice: str | None = None) -> str:
    """The hint for a miss: the first listed mistake that gives exactly ``got``; else the
    advice the result itself calls for (text, a kept axis, ...); else the case's hint."""
    for mistake in mistakes:
        try:
            wrong = _call_ours(mistake.wrong, *_calling.snapshot(case.args), **case.kwargs)
            looks_wrong = compare_parts(wrong, case.expected, case.rtol, case.atol) is not None
            if looks_wrong and compare_parts(got, wrong, case.rtol, case.atol) is None:
                return mistake.hint
        except Exception:
            continue
    if callable(case.hint):  # the checker's own reading of this result comes first
        return case.hint(got) or advice or str(case.hint)
    return advice or case.hint


def _diagnose_none(case: Case, mistakes: Sequence[Mistake]) -> str | None:
    """The hint of the first listed mistake that itself returns None on this case (a loop
    that never keeps a candidate, say, because every value it compares is nan), else None:
    a None is then a forgotten ``return``."""
    for mistake in mistakes:
        try:
            if _call_ours(mistake.wrong, *_calling.snapshot(case.args), **case.kwargs) is None:
                return mistake.hint
        except Exception:
            continue
    return None


# ------------------------------------------------------------------- calling the learner


def _limit_text(limit=None) -> str:
    return f"{_calling.TIME_LIMIT if limit is None else limit:g} s"


def _describe_args(case: Case) -> str:
    parts = [short(a, 100) for a in case.args]
    parts += [f"{k}={short(v, 60)}" for k, v in case.kwargs.items()]
    return ", ".join(parts)


def _input_line(case: Case, label: str = "input:") -> str:
    described = _describe_args(case)
    return f"   {label} {described}\n" if described else ""


def _in_place_text(changed) -> tuple[str, str]:
    """``(details, hint)`` for a function that changed its inputs in place."""
    name, before, after = changed[0]
    lines = [
        f"   your function changed its argument `{name}` in place:",
        f"   `{name}` before the call: {short(before, 110)}",
        f"   `{name}` after the call:  {short(after, 110)}",
    ]
    if len(changed) > 1:
        lines.append(f"   (and also {', '.join(f'`{c[0]}`' for c in changed[1:])})")
    tiny = False
    try:
        tiny = bool(np.allclose(before, after, rtol=1e-9, atol=0))
    except Exception:
        pass
    if tiny:
        lines.append(
            "   (a change in the last digits only: stepping an entry and stepping it back, "
            "x[k] += h then x[k] -= h, does not always give back the same float)"
        )
    hint = (
        f"A function must not change the arrays it is given: the caller still needs them. "
        f"After your function returns, the caller's `{name}` holds other numbers, and every "
        "later line that uses it (a plot, the loss, the next training step) silently "
        f"computes with them. `{name} -= ...`, `{name} *= ...`, `{name}[...] = ...` and "
        f"out= write into the caller's array; `{name} = {name} - ...` makes a new one. "
        "(np.asarray(x, dtype=float) does not copy a float array: np.array(x, dtype=float) does.)"
    )
    if tiny:
        hint += f" If you step entries in place, save each one and put it back exactly: old = {name}[k], ..., {name}[k] = old."
    return "\n".join(lines), hint


def _call_problem(exercise, fn, call, case: Case, first: bool, limit=None) -> CheckResult | None:
    """The report for a call that did not return normally (or ``None`` if it did)."""
    if call.signature_problem is not None:
        return failed(
            exercise,
            case.name,
            f"   {call.signature_problem}",
            "Keep the parameters of the exercise's stub (how many, their order and names): "
            "the check calls your function with the inputs shown there.",
        )
    if call.timed_out:
        if call.stopped:
            after = "It was stopped; the kernel is fine."
        else:
            after = (
                "It could not be stopped yet (it is waiting inside a library call such as "
                "time.sleep) and stops when that call returns; if the kernel stays busy, "
                "restart it (Kernel → Restart Kernel)."
            )
        return failed(
            exercise,
            case.name,
            f"{_input_line(case)}   your function was still running after {_limit_text(limit)}: "
            "an endless loop?",
            "A `while` loop whose condition never becomes False, or a loop over an enormous "
            f"range? The reference answer takes milliseconds. {after}",
        )
    exc = call.error
    if exc is None:
        return None
    if isinstance(exc, NotImplementedError) and raised_by_the_function_itself(fn, exc):
        if first:
            return not_attempted(exercise)
        return failed(
            exercise,
            case.name,
            f"{_input_line(case)}   your function raised NotImplementedError on this case",
            "Is a `raise NotImplementedError` still there for this kind of input? Every case "
            "needs an answer.",
        )
    details, hint = exception_report(exc)
    return failed(exercise, case.name, f"{_input_line(case)}{details}", hint)


def run_cases(
    exercise: str,
    fn: Callable,
    cases: Sequence[Case],
    mistakes: Sequence[Mistake] = (),
    part_names: Sequence[str] | None = None,
    *,
    time_limit: float | None = None,
    learner: Callable | None = None,
    final_check: Callable[[], CheckResult | None] | None = None,
) -> CheckResult:
    """Call ``fn`` on every case; stop at the first miss and explain it.

    Each call gets deep copies of the case's arguments, a time limit (``time_limit``
    seconds, default :data:`~._calling.TIME_LIMIT`) and capped printing; the arguments are
    compared afterwards, and a function that changed one in place fails. A case's
    ``expected`` may be a tuple (a function that returns several arrays), compared part by
    part and named with ``part_names``. ``mistakes`` lets a miss be named precisely (see
    :class:`Mistake`). ``learner`` is the learner's own function when ``fn`` wraps it (to
    feed it a stream, or to measure its memory): its signature is the one checked, and a
    ``NotImplementedError`` of its own is the untouched stub. ``final_check``, once every
    case has passed, may still fail the check (on what the calls held or allocated).
    """
    learner = fn if learner is None else learner
    if not callable(learner):
        return CheckResult(
            exercise,
            FAILED,
            f"❌ {exercise}: expected your function (the name, without calling it), "
            f"got {short(learner)}.",
        )
    budget = OutputBudget()
    for index, case in enumerate(cases):
        problem = signature_problem(learner, case.args, case.kwargs)
        if problem is not None:
            call = Call(signature_problem=problem)
        else:
            call = call_learner(fn, case.args, case.kwargs, time_limit=time_limit, budget=budget)
        try:
            result = _grade_call(
                exercise, learner, call, case, index == 0, mistakes, part_names, time_limit
            )
        except Exception as exc:  # a bug of the checker: still a report, never a traceback
            result = _internal_error(exercise, exc)
        if result is not None:
            return _with_output_note(result, budget)
    if final_check is not None:
        try:
            result = final_check()
        except Exception as exc:  # a bug of the checker
            result = _internal_error(exercise, exc)
        if result is not None:
            return _with_output_note(result, budget)
    return _with_output_note(passed(exercise, len(cases)), budget)


def _grade_call(exercise, fn, call, case, first, mistakes, part_names, limit):
    """The report of one case's call, or ``None`` if it passed."""
    early = _call_problem(exercise, fn, call, case, first, limit)
    if early is not None:
        return early
    got = call.value
    inputs = (*case.args, *case.kwargs.values())
    miss = _miss(got, case.expected, case.rtol, case.atol, part_names, inputs)
    if miss is not None:
        if got is None:
            hint = _diagnose_none(case, mistakes) or miss.advice
        else:
            hint = _diagnose(got, case, mistakes, miss.advice)
        details = (
            f"{_input_line(case, 'input:   ')}"
            f"   expected: {short(case.expected)}\n"
            f"   got:      {short(got)}\n"
            f"   ({miss.problem})"
        )
        if call.changed:
            names = ", ".join(f"`{c[0]}`" for c in call.changed)
            details += (
                f"\n   also: your function changed its argument {names} in place; "
                "it must not (work on a copy)"
            )
        return failed(exercise, case.name, details, hint)
    if call.changed:
        details, hint = _in_place_text(call.changed)
        return failed(exercise, case.name, f"{_input_line(case)}{details}", hint)
    return None


# ------------------------------------------------------------------------- value answers


def answer_of(exercise: str, answer, *, time_limit: float | None = None):
    """The learner's answer to a value exercise: ``(value, None)``, or ``(None, report)``.

    ``answer`` is best a function of no arguments that returns the value (its stub raises
    ``NotImplementedError``, so the untouched stub is recognised as for any exercise); a
    plain value is taken as it is (``...``, an old-style placeholder, is "not attempted").
    """
    if callable(answer):
        case = Case("your answer", (), None, "")
        budget = OutputBudget()
        call = call_learner(answer, (), {}, time_limit=time_limit, budget=budget)
        try:
            early = _call_problem(exercise, answer, call, case, True, time_limit)
        except Exception as exc:
            early = _internal_error(exercise, exc)
        if early is None and call.value is None:
            early = failed(
                exercise,
                "your answer",
                f"   ({RETURNED_NONE})",
                'Put `return` in front of your answer (e.g. `return "A"` or `return 0.5`), '
                "run the function's cell again, then this check.",
            )
        if early is not None:
            return None, _with_output_note(early, budget)
        return call.value, None
    if answer is ...:
        return None, not_attempted(exercise, "the `...`")
    if answer is None:
        return None, failed(
            exercise,
            "your answer",
            "   your answer is None",
            "Give a value (e.g. \"A\" or 0.5). If it came from a function, that function "
            "forgot its `return`.",
        )
    return answer, None


def check_answer(exercise: str, answer, expected, hint: str, rtol=1e-6, atol=1e-9):
    """Grade a value (a number, a choice) rather than a function.

    ``answer`` is a function of no arguments returning the value (see :func:`answer_of`),
    or the value itself.
    """
    value, early = answer_of(exercise, answer)
    if early is not None:
        return early
    try:
        miss = _miss(value, expected, rtol, atol)
    except Exception as exc:
        return _internal_error(exercise, exc)
    if miss is None:
        return passed(exercise, 1)
    return failed(exercise, "your answer", f"   got: {short(value)}\n   ({miss.problem})", hint)
