"""The exercise-checking machinery: friendly, specific reports; never a crash or a hang.

These tests drive ``run_cases`` and ``check_answer`` with small made-up exercises, one
behaviour at a time; ``test_checkers_all.py`` holds every real checker to the same promises.
"""

import math
import threading
import time

import numpy as np
import pytest

import xent_lessons as xl
from xent_lessons.check import (
    FAILED,
    NOT_ATTEMPTED,
    PASSED,
    Case,
    CheckResult,
    Mistake,
    _calling,
    answer_of,
    check_answer,
    run_cases,
)
from xent_lessons.check._runner import call_quietly, failed

CASES = [
    Case("a small vector", (np.array([1.0, 2.0]),), np.array([2.0, 4.0]), "multiply by two"),
    Case("a batch", (np.ones((2, 3)),), 2 * np.ones((2, 3)), "keep the shape"),
]


def assert_failed(result, *words):
    assert result.status == FAILED and not result, result.message
    for word in words:
        assert word in result.message, (word, result.message)


def hint_of(result) -> str:
    return result.message.split("hint: ", 1)[1]


def stub(x):
    raise NotImplementedError("Exercise: replace this line with your code")


# ------------------------------------------------------------- passed, stub, forgotten return


def test_a_right_answer_passes():
    result = run_cases("double", lambda x: 2 * x, CASES)
    assert result.passed and result.status == PASSED
    assert "passed all 2 cases" in repr(result)


def test_the_untouched_stub_is_the_only_thing_not_attempted():
    result = run_cases("double", stub, CASES)
    assert result.status == NOT_ATTEMPTED
    assert "Replace the `raise NotImplementedError(...)` line" in result.message


@pytest.mark.parametrize(
    "forgot",
    [
        lambda x: None,
        pytest.param("ellipsis", id="a body of only ..."),
        pytest.param("pass", id="a body of only pass"),
    ],
)
def test_a_function_returning_none_is_a_forgotten_return_on_the_first_case(forgot):
    def ellipsis_body(x): ...

    def pass_body(x):
        pass

    fn = {"ellipsis": ellipsis_body, "pass": pass_body}.get(forgot, forgot)
    result = run_cases("double", fn, CASES)
    assert_failed(result, "a small vector", "returned None: did you forget `return`?")
    assert "Put `return` in front of the result" in hint_of(result)


def test_a_forgotten_return_on_a_later_case_is_named_there():
    result = run_cases("double", lambda x: 2 * x if x.ndim == 1 else None, CASES)
    assert_failed(result, "failed on a batch", "did you forget `return`?")


def test_not_implemented_error_on_a_later_case_is_a_failure_not_a_stub():
    def half_done(x):
        if x.ndim == 2:
            raise NotImplementedError
        return 2 * x

    result = run_cases("double", half_done, CASES)
    assert_failed(result, "failed on a batch", "raised NotImplementedError on this case")


def test_not_implemented_error_from_a_helper_is_not_the_stub():
    result = run_cases("double", lambda x: stub(x), CASES)
    assert_failed(result, "NotImplementedError", "one of your other exercises, still the stub")


def test_passing_a_result_instead_of_the_function_is_explained():
    result = run_cases("double", 4.0, CASES)
    assert_failed(result, "the name, without calling it")


# ------------------------------------------------------------------------- values


def test_a_wrong_value_reports_the_case_expected_got_and_hint():
    result = run_cases("double", lambda x: 2 * x + 1, CASES)
    for part in ("a small vector", "expected", "got", "the values differ", "hint: multiply by two"):
        assert part in result.message
    assert "the first at index 0 (expected 2, got 3)" in result.message


MEAN = [
    Case(
        "four samples",
        (np.array([1.0, 2.0, 3.0, 6.0]),),
        3.0,
        "average the values",
    )
]


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        (lambda x: np.sum(x), ["exactly 4 times the answer", "4 is the number of elements", "a sum where the mean"]),
        (lambda x: np.mean(x) / len(x), ["exactly 1/4 of the answer", "once too often"]),
        (lambda x: -np.mean(x), ["minus the answer", "sign is flipped"]),
        (lambda x: 2 * np.mean(x), ["exactly twice the answer"]),
        (lambda x: np.mean(x) * (1 + 1e-3), ["the values differ"]),
    ],
)
def test_a_result_off_by_a_count_a_sign_or_a_factor_is_named(answer, words):
    assert_failed(run_cases("mean", answer, MEAN), *words)


def test_a_double_division_gets_advice_about_it_not_the_case_hint():
    result = run_cases("mean", lambda x: np.mean(x) / len(x), MEAN)
    assert "np.mean already divides by it" in hint_of(result)


def test_a_log_in_the_wrong_base_is_named():
    nats = [Case("a coin", (np.array([0.5, 0.5]),), math.log(2), "use nats")]
    bits = [Case("a coin", (np.array([0.5, 0.5]),), 1.0, "use bits")]
    assert_failed(run_cases("nats", lambda p: 1.0, nats), "1/ln 2", "np.log, not np.log2")
    assert_failed(run_cases("bits", lambda p: math.log(2), bits), "ln 2", "nats where bits were expected", "divide nats by ln 2")
    assert_failed(run_cases("nats", lambda p: math.log10(2), nats), "base 10")


def test_rounded_results_and_float32_are_named():
    thirds = [Case("thirds", (np.array([1.0, 2.0]),), np.array([1 / 3, 2 / 3]), "divide")]
    rounded = run_cases("thirds", lambda w: np.round(w / w.sum(), 3), thirds)
    assert_failed(rounded, "rounded to 3 decimals")
    assert "round only where you print" in hint_of(rounded)
    single = run_cases("thirds", lambda w: (w / w.sum()).astype(np.float32), thirds, [])
    single_tight = run_cases(
        "thirds",
        lambda w: (w / w.sum()).astype(np.float32),
        [Case("thirds", thirds[0].args, thirds[0].expected, "divide", rtol=1e-12, atol=0)],
    )
    assert single.passed  # float32 is right to the default tolerance (1e-6)...
    assert_failed(single_tight, "float32")  # ...and named when the check needs more digits


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        (lambda x: x * np.nan, ["NaN", "overflow"]),
        (lambda x: x * np.inf, ["got inf where a finite number"]),
        (lambda x: -x * np.inf, ["got -inf where a finite number"]),
    ],
)
def test_nan_and_inf_are_named(answer, words):
    assert_failed(run_cases("double", answer, CASES), *words)


def test_a_missing_infinity_is_named():
    cases = [Case("p = 0", (np.array([0.0]),), np.array([np.inf]), "no epsilon")]
    assert_failed(run_cases("surprisal", lambda p: -np.log2(p + 1e-12), cases), "expected inf")


# -------------------------------------------------------------------------- shapes


def _shape_case(inputs, expected):
    return [Case("a batch", inputs, expected, "the case's own hint")]


ROWS = np.array([[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]])
ROW_SUMS = ROWS.sum(axis=-1)


@pytest.mark.parametrize(
    ("answer", "cases", "words"),
    [
        # one number expected, a kept axis of length 1
        (lambda x: np.mean(x, keepdims=True), MEAN, ["expected (), got (1,)", "drop the kept axis"]),
        # one value per row expected, a kept axis
        (
            lambda x: x.sum(axis=-1, keepdims=True),
            _shape_case((ROWS,), ROW_SUMS),
            ["expected (2,), got (2, 1)", "Drop the kept axis"],
        ),
        # one value per row expected, summed down the columns
        (
            lambda x: x.sum(axis=0),
            _shape_case((ROWS,), ROW_SUMS),
            ["one value per column instead of one per row", "axis=-1"],
        ),
        # one value per row expected, nothing summed
        (
            lambda x: x,
            _shape_case((ROWS,), ROW_SUMS),
            ["the input's shape", "the sum along the last axis (axis=-1) is missing"],
        ),
        # one value per row expected, one number for the whole array
        (
            lambda x: x.sum(),
            _shape_case((ROWS,), ROW_SUMS),
            ["expected (2,), got ()", "no mean or sum over the rows"],
        ),
        # one value per element expected, a mean
        (
            lambda x: x.mean(),
            _shape_case((ROWS,), 2 * ROWS),
            ["one number where one value per element", "no mean or sum"],
        ),
        # transposed
        (lambda x: 2 * x.T, _shape_case((ROWS,), 2 * ROWS), ["the axes in the wrong order (transposed)"]),
        # whole columns indexed
        (
            lambda x, y: x[:, y],
            _shape_case((ROWS, np.array([2, 0])), ROWS[[0, 1], [2, 0]]),
            ["an (N, N) array", "[np.arange(N), y]"],
        ),
        # a 3-D batch reduced along axis 1
        (
            lambda x: x.sum(axis=1),
            _shape_case((np.ones((2, 2, 3)),), np.full((2, 2), 3.0)),
            ["reduced along axis 0 or 1 instead of the last one", "any number of batch axes"],
        ),
    ],
)
def test_a_wrong_shape_is_diagnosed_from_the_shapes(answer, cases, words):
    result = run_cases("shapes", answer, cases)
    assert_failed(result, "wrong shape", *words)
    assert "the case's own hint" not in result.message  # the shape tells more


def test_an_unexplained_shape_falls_back_to_the_case_hint():
    result = run_cases("shapes", lambda x: np.zeros(5), _shape_case((ROWS,), ROW_SUMS))
    assert_failed(result, "wrong shape: expected (2,), got (5,)", "the case's own hint")


# ------------------------------------------------------------------- what came back


class ArrayRaises:
    def __array__(self, *args, **kwargs):
        raise ValueError("no array for you")


@pytest.mark.parametrize(
    ("returned", "words"),
    [
        ("4.0", ["got text, '4.0', not a number", "not str(...)"]),
        (np.array(["2", "4"]), ["got text"]),
        (np.array([2, 4]) + 1e-3j, ["complex numbers", "the answer is real"]),
        (np.array([2, 4]) + 0j, ["complex numbers", "imaginary part 0"]),
        (ArrayRaises(), ["NumPy cannot turn into an array", "no array for you"]),
        (True, ["a truth value"]),
        (np.array([True, False]), ["truth values"]),
        ((x for x in [2.0, 4.0]), ["generator", "np.array([... for ...])"]),
        ({"a": 1}, ["got a dict"]),
        (np.sum, ["got a function (sum)", "without calling it"]),
        ([[1.0, 2.0], [3.0]], ["cannot turn into an array"]),
        (np.array([None, 1.0], dtype=object), ["contains None"]),
    ],
)
def test_odd_results_get_a_friendly_report(returned, words):
    result = run_cases("double", lambda x: returned, CASES)
    assert_failed(result, *words)
    assert "multiply by two" not in result.message  # advice about the result, not the case


def test_a_torch_tensor_that_requires_grad_is_graded_by_its_values():
    torch = pytest.importorskip("torch")
    answer = lambda x: torch.tensor(2 * x, requires_grad=True)  # noqa: E731
    assert run_cases("double", answer, CASES).passed
    wrong = lambda x: torch.tensor(2 * x + 1, requires_grad=True)  # noqa: E731
    assert_failed(run_cases("double", wrong, CASES), "the values differ")


def test_an_object_whose_repr_raises_is_shown_by_its_type():
    class ReprRaises:
        def __repr__(self):
            raise RuntimeError("no")

    result = run_cases("double", lambda x: ReprRaises(), CASES)
    assert_failed(result, "ReprRaises")


# ------------------------------------------------------------------------ exceptions


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        (lambda x: 1 / 0, ["ZeroDivisionError", "which denominator is 0"]),
        (lambda x: undefined_name, ["NameError", "`undefined_name` is not defined", "another cell"]),  # noqa: F821
        (lambda x: x.sum(axis=3), ["AxisError", "use axis=-1"]),
        (lambda x: x + np.ones(7), ["ValueError", "could not be broadcast", "keepdims=True"]),
        (lambda x: math.log(-1.0), ["math domain error", "use np.log"]),
        (lambda x: math.exp(1e4), ["OverflowError", "math.exp overflowed"]),
        (lambda x: [1, 2].sum(), ["AttributeError", "np.asarray"]),
        (lambda x: [1.0, 2.0] / 2, ["TypeError", "lists do not compute elementwise"]),
        (lambda x: 2 * x if x else x, ["truth value of an array", "np.where"]),
        (lambda x: x[np.arange(5), 0], ["IndexError", "take N and C from the input's shape"]),
        (lambda x: math.log2(x), ["math.log2 takes a single number", "use np.log2"]),
    ],
)
def test_an_exception_gets_a_hint_about_itself_not_the_case_hint(answer, words):
    result = run_cases("double", answer, CASES)
    assert_failed(result, "your function raised", *words)
    assert "multiply by two" not in result.message


def test_an_exception_report_shows_the_line_that_raised():
    def broken(x):
        total = x.sum()
        return total / 0.0 + [1, 2].sum()

    result = run_cases("double", broken, CASES)
    assert_failed(result, "in broken, at: return total / 0.0 + [1, 2].sum()")


def test_endless_recursion_is_named():
    def double(x):
        return double(x)

    assert_failed(run_cases("double", double, CASES), "RecursionError", "calls itself")


def test_a_call_that_does_not_fit_the_parameters_is_explained():
    result = run_cases("double", lambda x, y: 2 * x, CASES)
    assert_failed(result, "do not fit the call this check makes", "Keep the parameters")


def test_numpy_warnings_of_a_naive_answer_stay_inside_the_checker():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = run_cases("double", lambda x: np.exp(x * 1e6) / np.exp(x * 1e6), CASES)
    assert result.status == FAILED


# ------------------------------------------------------------------ inputs in place


def test_an_input_changed_in_place_fails_even_with_the_right_value():
    def doubles_in_place(x):
        x *= 2
        return x

    result = run_cases("double", doubles_in_place, CASES)
    assert_failed(result, "changed its argument `x` in place", "before the call", "after the call")
    hint = hint_of(result)
    assert "the caller still needs them" in hint and "silently" in hint
    assert "`x = x - ...` makes a new one" in hint


def test_a_wrong_value_and_an_input_changed_in_place_are_both_named():
    def wrong_in_place(x):
        x += 1
        return x

    assert_failed(run_cases("double", wrong_in_place, CASES), "the values differ", "also: your function changed")


def test_a_change_in_the_last_digits_is_explained():
    def steps_and_back(x):
        x[0] += 0.1
        x[0] -= 0.1
        return 2 * np.array(x)

    cases = [Case("a value", (np.array([0.3, 1.0]),), np.array([0.6, 2.0]), "double")]
    assert_failed(run_cases("double", steps_and_back, cases), "last digits only", "x[k] = old")


def test_later_cases_see_the_original_inputs():
    seen = []

    def spoils(x):
        seen.append(x.copy())
        x[...] = 0
        return 2 * x

    run_cases("double", spoils, CASES)
    np.testing.assert_array_equal(CASES[0].args[0], [1.0, 2.0])  # the case itself is intact
    np.testing.assert_array_equal(seen[0], [1.0, 2.0])


# --------------------------------------------------------------------- several results


PARTS = [
    Case(
        "a step",
        (np.ones((2, 3)), np.ones(3)),
        (np.zeros((2, 3)), np.zeros(3)),
        "return the new W and b",
    )
]


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        (lambda W, b: (0 * b, 0 * W), ["the results are in the wrong order", "`return new W, new b`"]),
        (lambda W, b: 0 * W, ["got one array (the shape of new W)", "as a tuple"]),
        (lambda W, b: (0 * W,), ["expected 2 results"]),
        (lambda W, b: (0 * W, b), ["new b: the values differ"]),
        (lambda W, b: (0 * W, (0 * b)[:, None]), ["new b: wrong shape"]),
    ],
)
def test_tuple_results_are_compared_part_by_part(answer, words):
    result = run_cases("step", answer, PARTS, part_names=("new W", "new b"))
    assert_failed(result, *words)


# ---------------------------------------------------------------------------- mistakes


def test_a_listed_mistake_is_named_before_the_general_advice_and_the_case_hint():
    mistakes = [Mistake(lambda x: np.sum(x), "You summed: this exercise wants the mean.")]
    result = run_cases("mean", lambda x: np.sum(x), MEAN, mistakes)
    assert hint_of(result) == "You summed: this exercise wants the mean."
    assert "exactly 4 times the answer" in result.message  # and the problem is still named


def test_a_mistake_that_itself_fails_is_skipped():
    mistakes = [Mistake(lambda x: 1 / 0, "never shown")]
    result = run_cases("mean", lambda x: 0.0, MEAN, mistakes)
    assert "never shown" not in result.message


# ------------------------------------------------------------------ time and output


def test_a_function_still_running_after_the_limit_is_stopped():
    def spin(x):
        while True:
            pass

    start = time.perf_counter()
    result = run_cases("double", spin, CASES, time_limit=0.2)
    assert time.perf_counter() - start < 2.0
    assert_failed(result, "still running after 0.2 s: an endless loop?", "It was stopped")


def test_the_default_time_limit_is_a_few_seconds_and_read_at_call_time(monkeypatch):
    assert 2 <= _calling.TIME_LIMIT <= 10
    monkeypatch.setattr(_calling, "TIME_LIMIT", 0.2)

    def spin(x):
        while True:
            pass

    assert_failed(run_cases("double", spin, CASES), "still running after 0.2 s")
    with pytest.raises(_calling.LearnerTimeout, match=r"still running after 0\.2 s"):
        call_quietly(spin, 1.0)


def test_a_loop_that_catches_every_exception_is_reported_at_the_limit():
    # Such a loop cannot be stopped from outside (no thread can be killed in Python): the
    # report must still come at the limit. The test ends the loop itself afterwards, or it
    # would spin, holding the GIL half the time, through every later test.
    released = threading.Event()

    def stubborn(x):
        while not released.is_set():
            try:
                while not released.is_set():
                    pass
            except BaseException:
                pass

    try:
        result = run_cases("double", stubborn, CASES, time_limit=0.2)
    finally:
        released.set()
    assert_failed(result, "still running after 0.2 s", "could not be stopped yet")


def test_a_flood_of_output_is_capped_and_counted(capsys):
    def floods(x):
        print("x" * 1_000_000)
        return 2 * x

    result = run_cases("double", floods, CASES)
    out = capsys.readouterr().out
    assert result.passed
    assert len(out) < _calling.PRINT_LIMIT + 200
    assert "printed 2,000,002 characters; only the first 2,000 are shown" in result.message


def test_call_quietly_returns_the_value_and_raises_what_the_function_raised():
    assert call_quietly(lambda x: 2 * x, 2) == 4
    with pytest.raises(ZeroDivisionError):
        call_quietly(lambda: 1 / 0)


# ------------------------------------------------------------------------ value answers


def test_check_answer_grades_values_and_choices():
    assert check_answer("pick", "B", "B", "think").passed
    assert check_answer("pick", "B", "B", "think").message == "✅ pick: passed. Well done!"
    wrong = check_answer("pick", "A", "B", "the flattest distribution wins")
    assert_failed(wrong, "flattest")
    assert check_answer("number", 0.5000001, 0.5, "h").passed


def test_check_answer_takes_a_function_that_returns_the_answer():
    def answer():
        raise NotImplementedError("Exercise: replace this line with your code")

    assert check_answer("pick", answer, "B", "h").status == NOT_ATTEMPTED
    assert check_answer("pick", lambda: "B", "B", "h").passed
    assert_failed(check_answer("pick", lambda: None, "B", "h"), "did you forget `return`?")
    assert_failed(check_answer("pick", lambda: 1 / 0, "B", "h"), "ZeroDivisionError")


def test_check_answer_never_crashes_on_an_odd_answer():
    assert_failed(check_answer("pick", np.array(["A", "B"]), "B", "one letter"), "a string was expected")
    assert_failed(check_answer("number", "0.5", 0.5, "h"), "got text")
    assert_failed(check_answer("number", None, 0.5, "h"), "your answer is None")
    # the old-style placeholder `answer = ...` still reads as not attempted
    assert check_answer("pick", ..., "B", "h").status == NOT_ATTEMPTED


def test_answer_of_gives_the_value_or_the_report():
    assert answer_of("x", lambda: 3) == (3, None)
    assert answer_of("x", 3) == (3, None)
    value, report = answer_of("x", lambda: None)
    assert value is None and report.status == FAILED


# ---------------------------------------------------------------------- the last resort


def test_a_checker_that_itself_fails_still_gives_a_report():
    broken = xl.check._guarded("broken", lambda fn: 1 / 0)
    result = broken(lambda x: x)
    assert isinstance(result, CheckResult) and result.status == FAILED
    assert "the checker could not grade this answer" in result.message
    assert "ZeroDivisionError" in result.message


def test_the_statuses_are_plain_strings_for_graders():
    assert (PASSED, FAILED, NOT_ATTEMPTED) == ("passed", "failed", "not attempted")
    result = run_cases("double", lambda x: 2 * x, CASES)
    assert bool(result) is True and repr(result) == result.message


def test_interrupting_the_kernel_stops_the_check_and_the_function():
    import _thread
    import threading

    threads = threading.active_count()

    def spin(x):
        while True:
            pass

    timer = threading.Timer(0.3, _thread.interrupt_main)  # as Jupyter's "interrupt" does
    timer.start()
    start = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        run_cases("double", spin, CASES, time_limit=30)
    assert time.perf_counter() - start < 5
    timer.join()
    deadline = time.monotonic() + 2
    while threading.active_count() > threads and time.monotonic() < deadline:
        time.sleep(0.01)
    assert threading.active_count() == threads


# ------------------------------------------------------- a wrapped function, a final check


def test_a_wrapped_learner_is_judged_by_its_own_stub_and_signature():
    def wrapped(fn):
        return lambda x: fn(x)  # what a checker does to feed or measure the learner's call

    result = run_cases("double", wrapped(stub), CASES, learner=stub)
    assert result.status == NOT_ATTEMPTED, result.message

    def two_parameters(x, y):
        return 2 * x

    result = run_cases("double", wrapped(two_parameters), CASES, learner=two_parameters)
    assert_failed(result, "Keep the parameters of the exercise's stub")


def test_the_final_check_runs_once_every_case_passed_and_can_fail():
    seen = []

    def double(x):
        seen.append(x.shape)
        return 2 * x

    def too_many_calls():
        if len(seen) <= 1:
            return None
        return failed("double", "counting the calls", "   2 calls", "call it once")

    result = run_cases("double", double, CASES, final_check=too_many_calls)
    assert_failed(result, "counting the calls", "call it once")
    assert seen == [(2,), (2, 3)]  # the final check came after every case
    result = run_cases("double", lambda x: 3 * x, CASES, final_check=too_many_calls)
    assert_failed(result, "a small vector")  # a wrong value is reported first
