"""``numerical_gradient`` and ``gradient_check`` on functions and steps that go wrong.

Each failure is a clear error naming ``f``, ``eps`` or ``grad_f`` (and the entry of ``x``),
never a raw ``float()`` error, a silent 0 that reads as "your gradient is wrong", or a
complex gradient silently cut to its real part.
"""

import numpy as np
import pytest
import torch

import xent_lessons as xl


def square_sum(v):
    return float(np.sum(v**2))


def _raises(exc, match, call):
    with pytest.raises(exc, match=match) as info:
        call()
    assert type(info.value) is exc


@pytest.mark.parametrize(
    ("f", "exc", "match"),
    [
        (lambda v: None, TypeError, r"f must return a real number; got None \(a missing return\?\) at x\[0\] \+ eps"),
        (lambda v: "1.5", TypeError, r"f must return a real number; got '1.5'"),
        (lambda v: v * 2, TypeError, r"f must return a single number \(a scalar function\); got an array of shape \(2,\)"),
        (lambda v: True, TypeError, r"f must return a real number; got True"),
        (lambda v: complex(v[0], 1.0), TypeError, r"f must return a real number; got the complex"),
        (lambda v: {"loss": 1.0}, TypeError, r"f must return a real number; got dict"),
        (lambda v: np.nan, ValueError, r"f returned nan at x\[0\] \+ eps: finite differences need f to be finite"),
        (lambda v: np.inf if v[1] < 2.0 else 0.0, ValueError, r"f returned inf at x\[1\] - eps"),
        (lambda v: float(np.log(v[0] - 1.0)), ValueError, r"f returned nan at x\[0\] - eps"),
    ],
    ids=["none", "string", "array", "bool", "complex", "dict", "nan", "inf-one-side", "log-domain"],
)
def test_what_f_returns_is_checked(f, exc, match):
    with np.errstate(invalid="ignore"):
        _raises(exc, match, lambda: xl.numerical_gradient(f, [1.0, 2.0]))


def test_an_f_that_changes_its_argument_in_place_is_named():
    def normalising_in_place(v):
        v /= v.sum()  # the classic slip: edits the array it was given
        return float(v[0])

    _raises(ValueError, r"f changed its argument in place at x\[0\] \+ eps", lambda: xl.numerical_gradient(normalising_in_place, [1.0, 3.0]))


@pytest.mark.parametrize(
    ("x", "eps", "match"),
    [
        ([1.0, 2.0], 1e-20, r"eps=1e-20 is too small for x\[0\]=1.0: x ± eps rounds back to x \(float64's spacing there is 2.22e-16\)"),
        ([[0.0, 1e8]], 1e-9, r"eps=1e-09 is too small for x\[0, 1\]=100000000.0"),
        ([1e308], 1e308, r"eps=1e\+308 is too large for x\[0\]=1e\+308: x ± eps overflows float64"),
    ],
    ids=["underflow", "underflow-2d-entry", "overflow"],
)
def test_an_eps_that_the_entries_of_x_cannot_hold_is_named(x, eps, match):
    _raises(ValueError, match, lambda: xl.numerical_gradient(square_sum, x, eps=eps))


def test_small_eps_near_the_spacing_divides_by_the_step_actually_taken():
    """At x = 1e8, eps = 1e-8 is 0.67 of float64's spacing (1.49e-8): x ± eps rounds to
    x ± 1.49e-8, a step of 2.98e-8 where 2 eps would say 2e-8 (and a slope of 4.47)."""
    x = np.array([1e8])
    grad = xl.numerical_gradient(lambda v: float(3.0 * (v[0] - 1e8)), x, eps=1e-8)
    np.testing.assert_allclose(grad, [3.0], rtol=1e-12)


def test_a_right_gradient_with_a_tiny_but_valid_eps_is_still_right():
    x = np.array([0.5, -1.5])
    assert xl.gradient_check(square_sum, lambda v: 2 * v, x, eps=1e-7) < 1e-7


@pytest.mark.parametrize(
    ("grad_f", "exc", "match"),
    [
        (lambda v: (2 * v).astype(complex) + 1j, TypeError, r"grad_f returned complex values; expected a real gradient"),
        (lambda v: None, TypeError, r"grad_f must return an array of x's shape \(2,\); got None"),
        (lambda v: ["a", "b"], TypeError, r"grad_f must return an array of real numbers"),
        (lambda v: np.array([np.nan, 1.0]), ValueError, r"grad_f returned NaN or inf"),
        (lambda v: [[1.0, 2.0]], ValueError, r"grad_f must return an array of x's shape \(2,\); got \(1, 2\)"),
        (lambda v: [[1.0], [2.0, 3.0]], TypeError, r"grad_f's result must be array-like of numbers"),
    ],
    ids=["complex", "none", "strings", "nan", "shape", "ragged"],
)
def test_what_grad_f_returns_is_checked(grad_f, exc, match):
    _raises(exc, match, lambda: xl.gradient_check(square_sum, grad_f, [1.0, 2.0]))


def test_torch_scalars_and_size_one_arrays_are_numbers():
    x = np.array([1.0, -2.0])
    torch_f = lambda v: (torch.from_numpy(v) ** 2).sum().requires_grad_(True)  # noqa: E731
    np.testing.assert_allclose(xl.numerical_gradient(torch_f, x), [2.0, -4.0], rtol=1e-8)
    np.testing.assert_allclose(
        xl.numerical_gradient(lambda v: np.array([square_sum(v)]), x), [2.0, -4.0], rtol=1e-8
    )
    torch_grad = lambda v: 2 * torch.from_numpy(v).requires_grad_(True)  # noqa: E731
    assert xl.gradient_check(square_sum, torch_grad, torch.tensor(x, requires_grad=True)) < 1e-8
