"""The exercise-checking machinery: friendly reports, never a crash on a wrong answer."""

import numpy as np

from xent_lessons.check import Case, check_answer, run_cases

CASES = [
    Case("a small vector", (np.array([1.0, 2.0]),), np.array([2.0, 4.0]), "multiply by two"),
    Case("a batch", (np.ones((2, 3)),), 2 * np.ones((2, 3)), "keep the shape"),
]


def test_a_right_answer_passes():
    result = run_cases("double", lambda x: 2 * x, CASES)
    assert result.passed and result.status == "passed"
    assert "passed all 2 cases" in repr(result)


def test_the_untouched_stub_is_not_attempted():
    def stub(x):
        raise NotImplementedError("Exercise: replace this line with your code")

    assert run_cases("double", stub, CASES).status == "not attempted"

    def ellipsis_stub(x): ...

    assert run_cases("double", ellipsis_stub, CASES).status == "not attempted"


def test_a_wrong_value_reports_the_case_expected_got_and_hint():
    result = run_cases("double", lambda x: 3 * x, CASES)
    assert result.status == "failed" and not result
    text = repr(result)
    for part in ("a small vector", "expected", "got", "hint: multiply by two"):
        assert part in text


def test_a_wrong_shape_and_a_nan_are_named():
    wrong_shape = run_cases("double", lambda x: (2 * x).sum(axis=-1), CASES)
    assert "wrong shape" in repr(wrong_shape)
    nan = run_cases("double", lambda x: x * np.nan, CASES)
    assert "NaN" in repr(nan)


def test_an_exception_in_the_learner_code_is_reported_not_raised():
    def broken(x):
        return x.no_such_method()

    result = run_cases("double", broken, CASES)
    assert result.status == "failed"
    assert "AttributeError" in repr(result)


def test_passing_a_result_instead_of_the_function_is_explained():
    result = run_cases("double", 4.0, CASES)
    assert result.status == "failed" and "the name, without calling it" in repr(result)


def test_numpy_warnings_of_a_naive_answer_stay_inside_the_checker():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = run_cases("double", lambda x: np.exp(x * 1e6) / np.exp(x * 1e6), CASES)
    assert result.status == "failed"


def test_check_answer_grades_values_and_choices():
    assert check_answer("pick", "B", "B", "think").passed
    wrong = check_answer("pick", "A", "B", "the flattest distribution wins")
    assert wrong.status == "failed" and "flattest" in repr(wrong)
    assert check_answer("pick", ..., "B", "h").status == "not attempted"
    assert check_answer("number", 0.5000001, 0.5, "h").passed
