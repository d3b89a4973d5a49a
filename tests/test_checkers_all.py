"""Every checker, the same promises: parametrized over ``xl.check.all_checkers()``.

The reference solution and the untouched stub of each exercise come from the notebooks
(``notebook_code.exercises()`` reads the check cells ``xl.check.<checker>(<function>)``), so
a checker that lands with a new lesson is held to all of this without a line added here:

- it accepts the reference solution and calls the untouched stub "not attempted";
- a forgotten ``return`` is named on every case (the first included), never "not attempted";
- a function still running after the time limit is stopped and reported;
- an input changed in place fails, with a sentence on why that matters;
- an exception is reported as itself (its type, message and line), with a hint about it;
- hostile results (a torch tensor that requires grad, an object whose ``__array__`` raises,
  complex numbers, numbers as text, ...) get a friendly report, never a traceback;
- what the learner's function prints, and a huge exception message, are capped;
- the checker's docstring shows how to call it, never a passing solution.
"""

from __future__ import annotations

import copy
import doctest
import inspect
import pickle
import threading
import time
import tracemalloc

import numpy as np
import pytest
from notebook_code import exercises

import xent_lessons as xl
from xent_lessons.check import CheckResult, _calling

CHECKERS = xl.check.all_checkers()
NAMES = sorted(CHECKERS)
EXERCISES = exercises()
# A generous limit for answers that must pass (the machine is shared), a short one for
# answers that must time out (each spinning call burns a core until it is stopped).
PASSING_LIMIT, SPIN_LIMIT = 5.0, 0.05


def check(name, fn) -> CheckResult:
    result = CHECKERS[name](fn)
    assert isinstance(result, CheckResult), result
    assert "internal error" not in result.message, result.message
    return result


def reference(name):
    if name not in EXERCISES:
        pytest.fail(f"no solution notebook has a check cell xl.check.{name}(<function>)")
    return EXERCISES[name].reference()


def assert_failed(result, *words):
    assert result.status == "failed", result.message
    for word in words:
        assert word in result.message, (word, result.message)


class Calls:
    """Wrap the reference: misbehave on call number ``at`` (1-based), answer right otherwise.

    ``at=None`` misbehaves on every call. ``made`` counts the calls, so a test can tell
    whether the checker got as far as the call that misbehaves.
    """

    def __init__(self, name, misbehave, at=None):
        self.ref, self.misbehave, self.at, self.made = reference(name), misbehave, at, 0
        self.name = name
        self.__signature__ = inspect.signature(self.ref)

    def __call__(self, *args, **kwargs):
        self.made += 1
        if self.at is None or self.made == self.at:
            return self.misbehave(self.ref, *args, **kwargs)
        return _remembered(self.name, self.ref, args, kwargs)


# The reference's answers, by its inputs: the tests below call it on the same cases again
# and again (one check per case for a forgotten return, one per hostile kind, ...), and some
# references are slow loops. A copy of the answer is given out, as a call would make anew.
_ANSWERS: dict = {}


def _remembered(name, ref, args, kwargs):
    if tracemalloc.is_tracing():  # the checker measures the answer's memory: a copy would count
        return ref(*args, **kwargs)
    try:
        key = (name, pickle.dumps((args, kwargs)))
    except Exception:  # inputs that do not pickle: no memory, a real call
        return ref(*args, **kwargs)
    if key not in _ANSWERS:
        _ANSWERS[key] = ref(*args, **kwargs)
    return copy.deepcopy(_ANSWERS[key])


@pytest.fixture(autouse=True)
def _limit(monkeypatch):
    monkeypatch.setattr(_calling, "TIME_LIMIT", PASSING_LIMIT)


# -------------------------------------------------------------- reference and the stub


@pytest.mark.parametrize("name", NAMES)
def test_every_checker_has_an_exercise_with_a_reference_solution(name):
    assert name in EXERCISES, f"no check cell xl.check.{name}(<function>) in a solution notebook"
    assert callable(EXERCISES[name].reference())


@pytest.mark.parametrize("name", NAMES)
def test_the_reference_solution_passes(name):
    result = check(name, reference(name))
    assert result.status == "passed" and result.passed, result.message
    assert result.message.startswith(f"✅ {name}: passed")


@pytest.mark.parametrize("name", NAMES)
def test_the_untouched_stub_of_the_learner_notebook_is_not_attempted(name):
    stub = EXERCISES[name].stub()
    with pytest.raises(NotImplementedError):
        stub(*[None] * len(inspect.signature(stub).parameters))
    result = check(name, stub)
    assert result.status == "not attempted" and not result, result.message
    assert result.message.startswith(f"⏳ {name}: not attempted yet")


@pytest.mark.parametrize("name", NAMES)
def test_not_implemented_error_raised_deeper_is_not_taken_for_the_stub(name):
    def helper():
        raise NotImplementedError("a helper that is still a stub")

    result = check(name, Calls(name, lambda ref, *a, **k: helper()))
    assert_failed(result, "NotImplementedError", "one of your other exercises")


# ------------------------------------------------------------------ a forgotten return


@pytest.mark.parametrize("name", NAMES)
def test_a_forgotten_return_is_named_on_every_case(name):
    def forgot_return(ref, *args, **kwargs):
        ref(*args, **kwargs)  # computed, not returned

    at = 1
    while True:
        answer = Calls(name, forgot_return, at)
        result = check(name, answer)
        if answer.made < at:  # every case has been tried
            assert result.status == "passed", result.message
            break
        assert_failed(result, "returned None: did you forget `return`?")
        assert "not attempted" not in result.message
        at += 1
    assert at >= 2  # the first case included


# --------------------------------------------------------------------- the time limit


def _check_threads() -> list[str]:
    """The checker's threads still alive: its calls' workers and the thread that stops them."""
    return [t.name for t in threading.enumerate() if t.name.startswith("xent-check")]


@pytest.mark.parametrize("name", NAMES)
def test_an_endless_loop_is_stopped_at_the_time_limit(name, monkeypatch):

    def spin(ref, *args, **kwargs):
        while True:
            pass

    class SpinsAt(Calls):
        """The short limit only for the call that spins: the reference's own calls before it
        keep the passing limit, so a busy machine cannot make them look like endless loops
        (the checker reads the limit when it makes each call)."""

        def __call__(self, *args, **kwargs):
            value = super().__call__(*args, **kwargs)  # the spinning call never gets past here
            limit = SPIN_LIMIT if self.made + 1 == self.at else PASSING_LIMIT
            monkeypatch.setattr(_calling, "TIME_LIMIT", limit)
            return value

    # On the first call, and on a later one (the checker gets there first).
    for at in (1, 2):
        monkeypatch.setattr(_calling, "TIME_LIMIT", SPIN_LIMIT if at == 1 else PASSING_LIMIT)
        answer = SpinsAt(name, spin, at)
        start = time.perf_counter()
        result = check(name, answer)
        if answer.made < at:
            assert result.passed, result.message
            continue
        # Stopped, not waited for: an endless loop never returns. (The margin is the
        # checker's other calls on a busy machine.)
        assert time.perf_counter() - start < SPIN_LIMIT + 30.0
        assert_failed(result, f"still running after {SPIN_LIMIT:g} s: an endless loop?")
        assert "It was stopped" in result.message
    deadline = time.monotonic() + 2.0
    while _check_threads() and time.monotonic() < deadline:
        time.sleep(0.01)
    # The spinning threads really stopped. (Counted by name: the package's own thread pool,
    # which a reference may start, stays, and is no spinning thread.)
    assert _check_threads() == []


def test_a_function_stuck_in_a_sleep_is_reported_at_the_limit(monkeypatch):
    monkeypatch.setattr(_calling, "TIME_LIMIT", SPIN_LIMIT)
    start = time.perf_counter()
    result = check("stable_softmax", lambda z: time.sleep(4))
    assert time.perf_counter() - start < 3.0  # not 4 s: the check did not wait for it
    assert_failed(result, "still running after", "could not be stopped yet", "time.sleep")


# ---------------------------------------------------------------- inputs changed in place


def _mutate(value) -> bool:
    """Change ``value`` in place, if it can be; ``True`` if it was changed."""
    if isinstance(value, np.ndarray) and value.size and value.flags.writeable:
        first = value.flat[0]
        value.flat[0] = first + 1 if np.isfinite(first) else 0
        return True
    if isinstance(value, list):
        value.append(value[0] if value else 0)
        return True
    if isinstance(value, dict):
        value["changed"] = True
        return True
    return False


@pytest.mark.parametrize("name", NAMES)
def test_an_input_changed_in_place_fails_and_says_why_it_matters(name):
    mutated = []

    def changes_its_input(ref, *args, **kwargs):
        result = ref(*copy.deepcopy(args), **copy.deepcopy(kwargs))  # the right answer...
        for value in (*args, *kwargs.values()):
            mutated.append(_mutate(value))  # ...but the caller's inputs are spoilt
        return result

    for at in (None, 2):
        mutated.clear()
        answer = Calls(name, changes_its_input, at)
        result = check(name, answer)
        if not any(mutated):  # no array or list to change (a value exercise)
            assert result.passed, result.message
            continue
        assert_failed(result, "in place", "the caller still needs them", "silently")


# -------------------------------------------------------------------------- exceptions


@pytest.mark.parametrize("name", NAMES)
def test_an_exception_is_reported_as_itself_with_a_hint_about_it(name):
    def divides_by_zero(ref, *args, **kwargs):
        return 1 / 0

    result = check(name, Calls(name, divides_by_zero))
    assert_failed(result, "raised ZeroDivisionError: division by zero", "return 1 / 0")
    hint = result.message.split("hint: ", 1)[1]
    assert "division by zero" in hint and "denominator" in hint


@pytest.mark.parametrize("name", NAMES)
def test_a_huge_exception_message_is_capped(name):
    def raises_megabytes(ref, *args, **kwargs):
        raise ValueError("x" * 5_000_000)

    result = check(name, Calls(name, raises_megabytes))
    assert_failed(result, "raised ValueError: xxx")
    assert len(result.message) < 2000


# -------------------------------------------------------------- hostile return values


def _map(value, fn):
    """``fn`` applied to a result, part by part for a tuple of results."""
    if isinstance(value, tuple):
        return tuple(fn(v) for v in value)
    return fn(value)


def _is_text(value) -> bool:
    return isinstance(value, str)


class ArrayRaises:
    def __array__(self, *args, **kwargs):
        raise ValueError("this object refuses to become an array")

    def __repr__(self):
        return "ArrayRaises()"


class ReprRaises:
    def __repr__(self):
        raise RuntimeError("no repr")


def _torch(value):
    import torch

    if _is_text(value):
        return value
    return torch.tensor(np.asarray(value, dtype=np.float64), requires_grad=True)


HOSTILE = {
    "an object whose __array__ raises": lambda v: ArrayRaises(),
    "an object whose repr raises": lambda v: ReprRaises(),
    "complex numbers (imaginary part 0)": lambda v: np.asarray(v) + 0j,
    "complex numbers": lambda v: np.asarray(v) + 1e-3j,
    "numbers as text": lambda v: str(v) if np.ndim(v) == 0 else np.asarray(v).astype(str),
    "True": lambda v: True,
    "a generator": lambda v: (x for x in np.atleast_1d(v)),
    "a dict": lambda v: {"answer": v},
    "a function": lambda v: np.sum,
    "NaN": lambda v: np.full(np.shape(v), np.nan),
    "a ragged list": lambda v: [[1.0, 2.0], [3.0]],
}


@pytest.mark.parametrize("kind", sorted(HOSTILE))
@pytest.mark.parametrize("name", NAMES)
def test_a_hostile_result_gets_a_friendly_report(name, kind):
    spoil = HOSTILE[kind]
    answer = Calls(name, lambda ref, *a, **k: _map(ref(*a, **k), spoil))
    if kind == "numbers as text" and _is_text(answer.ref(*_first_args(name))):
        pytest.skip("the answer is text already")
    result = check(name, answer)
    assert_failed(result)
    assert len(result.message) < 3000


def _first_args(name):
    """The arguments of the checker's first call (as the learner's function gets them)."""
    seen = []

    def record(*args, **kwargs):
        seen.append(args)
        raise NotImplementedError

    record.__signature__ = inspect.signature(reference(name))
    CHECKERS[name](record)
    return seen[0] if seen else ()


@pytest.mark.parametrize("name", NAMES)
def test_a_torch_tensor_that_requires_grad_is_graded_without_a_crash(name):
    pytest.importorskip("torch")
    result = check(name, Calls(name, lambda ref, *a, **k: _map(ref(*a, **k), _torch)))
    assert result.passed, result.message  # the same numbers, in float64


@pytest.mark.parametrize("name", NAMES)
def test_what_the_function_prints_is_capped(name, capsys):
    def floods(ref, *args, **kwargs):
        print("spam " * 200_000)  # a megabyte
        return ref(*args, **kwargs)

    result = check(name, Calls(name, floods))
    shown = capsys.readouterr().out
    assert result.passed, result.message
    assert len(shown) <= _calling.PRINT_LIMIT + 200
    assert shown.count("the rest is not shown]") == 1


def test_a_function_that_prints_a_little_is_shown_in_full(capsys):
    def chatty(z):
        print("z has shape", np.shape(z))
        return xl.softmax(z)

    assert check("stable_softmax", chatty).passed
    assert "z has shape (3,)" in capsys.readouterr().out


# ----------------------------------------------------------------- no solutions in sight


@pytest.mark.parametrize("name", NAMES)
def test_the_docstring_shows_how_to_call_the_checker_and_no_passing_solution(name, monkeypatch):
    checker = CHECKERS[name]
    doc = inspect.getdoc(checker) or ""
    examples = doctest.DocTestParser().get_examples(doc)
    assert any(f"check.{name}(" in e.source or f"{name}(" in e.source for e in examples), (
        f"the docstring of {name} shows no call of the checker"
    )
    statuses = []
    original = CheckResult.__init__

    def recording(self, exercise, status, message):
        statuses.append(status)
        original(self, exercise, status, message)

    monkeypatch.setattr(CheckResult, "__init__", recording)
    module = inspect.getmodule(inspect.unwrap(checker))
    namespace = dict(vars(module))
    for example in examples:
        exec(compile(example.source, f"{name} docstring", "single"), namespace)
    assert statuses, "the examples call no checker"
    assert "passed" not in statuses, f"a docstring example of {name} passes: a solution in sight"


def test_no_learner_notebook_has_an_ellipsis_stub():
    """Every stub raises NotImplementedError: ``...`` (a body or a value) would make a
    forgotten ``return`` and an untouched exercise look the same."""
    import ast

    import nbformat
    from notebook_code import NOTEBOOKS

    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        for index, cell in enumerate(nbformat.read(path, as_version=4).cells):
            if cell.cell_type != "code":
                continue
            try:
                tree = ast.parse(cell.source)
            except SyntaxError:
                continue
            for node in ast.walk(tree):  # `...` as a statement, a value or a return
                value = getattr(node, "value", None)
                placeholder = isinstance(node, ast.Expr | ast.Assign | ast.AnnAssign | ast.Return)
                assert not (
                    placeholder and isinstance(value, ast.Constant) and value.value is Ellipsis
                ), f"{path.name}, cell {index + 1}: a `...` placeholder"
