"""Checkers of lesson 06: the gradient of cross-entropy on the logits, and a gradient check.

Each checker knows the typical wrong answers of its exercise. When a learner's result is
wrong it computes what each typical mistake would have given on the same input; if one
matches, the report names that mistake (a forgotten mean, a flipped sign, a forward
difference) instead of a general hint.
"""

from __future__ import annotations

import inspect

import numpy as np

from ..activations import softmax
from ..gradients import categorical_cross_entropy_grad, numerical_gradient
from ._runner import Case, CheckResult, Mistake, run_cases

__all__ = ["central_difference", "softmax_ce_grad"]


# ------------------------------------------------------------------ softmax_ce_grad


def _onehot(y, n_classes):
    return np.eye(n_classes)[np.asarray(y)]


def _grad_case(name, logits, y, hint):
    logits = np.asarray(logits, dtype=np.float64)
    y = np.asarray(y, dtype=np.int64)
    return Case(name, (logits, y), categorical_cross_entropy_grad(logits, y), hint)


def _q(z, axis=1):
    return softmax(z, axis=axis)


_GRAD_MISTAKES = (
    Mistake(
        lambda z, y: _q(z) - _onehot(y, z.shape[1]),
        "Your answer is exactly N times too large. The loss is the MEAN over the N rows, "
        "so every row's gradient is divided by N as well.",
    ),
    Mistake(
        lambda z, y: (_onehot(y, z.shape[1]) - _q(z)) / len(y),
        "The sign is flipped. Raising the target's logit lowers the loss, so the gradient "
        "on the target's logit must be negative (and positive on the other classes).",
    ),
    Mistake(
        lambda z, y: _onehot(y, z.shape[1]) - _q(z),
        "Two slips: the sign is flipped (the target's entry must be negative) and the "
        "mean's 1/N is missing.",
    ),
    Mistake(
        lambda z, y: _q(z) / len(y),
        "Every entry is positive: these are the probabilities (divided by N), but the target "
        "has not been subtracted. Where does the one-hot y come in?",
    ),
    Mistake(
        lambda z, y: _q(z),
        "These are just the probabilities softmax(z): the one-hot target still has to be "
        "subtracted, and the mean divides by N.",
    ),
    Mistake(
        lambda z, y: (_q(z, axis=0) - _onehot(y, z.shape[1])) / len(y),
        "The softmax was taken down the columns (axis=0). Each ROW is one sample's "
        "distribution over the classes: normalise along axis=1.",
    ),
    Mistake(
        lambda z, y: (_q(z) - _onehot(y, z.shape[1])) / z.shape[1],
        "You divided by the number of classes C; the mean is over the N rows (samples).",
    ),
)


def softmax_ce_grad(fn) -> CheckResult:
    """Check ``fn(logits, y)``: the gradient of the mean cross-entropy w.r.t. the logits.

    ``logits`` has shape (N, C), ``y`` holds N class indices; the answer has shape (N, C).

    Examples
    --------
    >>> import xent_lessons as xl
    >>> def my_softmax_ce_grad(logits, y):
    ...     raise NotImplementedError("Exercise: replace this line with your code")
    >>> xl.check.softmax_ce_grad(my_softmax_ce_grad).status
    'not attempted'
    >>> xl.check.softmax_ce_grad(lambda logits, y: softmax(logits, axis=1)).status
    'failed'
    """
    cases = [
        _grad_case(
            "one sample (N = 1, C = 3)",
            [[2.0, 1.0, -1.0]],
            [0],
            "For one sample the gradient is the probabilities minus the one-hot target.",
        ),
        _grad_case(
            "a batch (N = 4, C = 3)",
            [[2.0, 1.0, -1.0], [0.5, 0.5, 3.0], [-1.0, 2.0, 0.0], [0.0, 0.0, 0.0]],
            [0, 2, 0, 1],
            "The loss is the mean over the rows: does your gradient scale with 1/N?",
        ),
        _grad_case(
            "more classes than samples (N = 2, C = 5)",
            [[1.0, -2.0, 0.5, 3.0, 0.0], [0.2, 0.4, -0.6, 0.0, 1.5]],
            [3, 1],
            "Softmax runs across each row (the classes, axis=1), and the mean divides by "
            "the number of rows N, not by C.",
        ),
        _grad_case(
            "large logits (1000 and more)",
            [[1000.0, 998.0, 1001.0], [-1000.0, 0.0, 1000.0]],
            [1, 0],
            "exp(1000) overflows to inf and inf/inf is NaN: compute softmax stably "
            "(subtract each row's max first, or use xl.softmax).",
        ),
    ]
    return run_cases("softmax_ce_grad", fn, cases, _GRAD_MISTAKES)


# --------------------------------------------------------------- central_difference


class _Function:
    """A scalar test function with a readable repr (shown in the checker's report)."""

    def __init__(self, text, f):
        self.text, self.f = text, f

    def __call__(self, x):
        return self.f(np.asarray(x, dtype=np.float64))

    def __repr__(self):
        return self.text


def _forward(f, x, eps=1e-5):
    x = np.asarray(x, dtype=np.float64)
    f0 = float(f(x))
    g = np.empty_like(x)
    for k in range(x.size):
        xp = x.copy()
        xp.flat[k] += eps
        g.flat[k] = (float(f(xp)) - f0) / eps
    return g


def _backward(f, x, eps=1e-5):
    return -_forward(lambda v: f(-v), -np.asarray(x, dtype=np.float64), eps)


def _central(f, x, eps=1e-5):
    return numerical_gradient(f, x, eps)


_DIFF_MISTAKES = (
    Mistake(
        _forward,
        "This is a FORWARD difference, (f(x + h) - f(x)) / h: its error shrinks only like h. "
        "Step both ways around x, to x + h and x - h, and its error shrinks like h².",
    ),
    Mistake(
        _backward,
        "This is a BACKWARD difference, (f(x) - f(x - h)) / h: its error shrinks only "
        "like h. Step both ways around x.",
    ),
    Mistake(
        lambda f, x, eps=1e-5: 2 * _central(f, x, eps),
        "Exactly twice the derivative: from x - h to x + h the step is 2h, so the "
        "difference is divided by 2h, not by h.",
    ),
    Mistake(
        lambda f, x, eps=1e-5: 0.5 * _central(f, x, eps),
        "Exactly half the derivative: the difference f(x + h) - f(x - h) spans 2h, so "
        "divide it by 2h once (not by 4h, or by 2h after already halving it).",
    ),
    Mistake(
        lambda f, x, eps=1e-5: _central(f, x, 1e-5),
        "A central difference, but not with the eps you were given: use the eps argument "
        "(the check passes eps=1e-3 here) instead of a fixed step.",
    ),
    Mistake(
        lambda f, x, eps=1e-5: 2 * _forward(f, x, eps / 2),
        "The step was not symmetric: this is a forward difference with h/2, divided by h.",
    ),
)


def central_difference(fn) -> CheckResult:
    """Check ``fn(f, x, eps=1e-5)``: the central-difference gradient of a scalar ``f`` at ``x``.

    It must work for ``x`` of any shape, use the ``eps`` it is given, and leave the
    caller's ``x`` unchanged.

    Examples
    --------
    >>> import xent_lessons as xl
    >>> def my_central_difference(f, x, eps=1e-5):
    ...     raise NotImplementedError("Exercise: replace this line with your code")
    >>> xl.check.central_difference(my_central_difference).status
    'not attempted'
    """
    quadratic = _Function("f(x) = sum(3 x² + x)", lambda v: float(np.sum(3 * v**2 + v)))
    cubic = _Function("f(x) = sum(x³)", lambda v: float(np.sum(v**3)))
    wavy = _Function("f(x) = sum(sin(x))", lambda v: float(np.sum(np.sin(v))))
    x1 = np.array([1.0, -2.0, 0.5])
    x2 = np.array([[0.5, -1.0, 2.0], [1.5, 0.0, -0.25]])
    x3 = np.array([0.3, 1.2, -2.0, 3.0])
    origin = np.zeros(3)
    default_hint = (
        "At x = 0 the central difference of sum(x³) is exactly eps², so this case measures "
        "the step your function takes by default: keep the default "
        "of the exercise, eps=1e-5, and step by eps (not a fixed number)."
    )
    default = _default_eps(fn)
    if default is not None and default != DEFAULT_EPS:
        default_hint = (
            f"Your function's default is eps={default!r}; the exercise's is eps=1e-5 (keep "
            "the stub's signature `def central_difference(f, x, eps=1e-5)`): a caller who "
            "does not pass eps gets the step the exercise promises."
        )
    cases = [
        # A quadratic: the central difference is exact for ANY step, a one-sided one is off
        # by 3h, so with h = 0.1 the two cannot be confused.
        Case(
            "a quadratic with a big step (eps=0.1)",
            (quadratic, x1),
            _central(quadratic, x1, 0.1),
            "For a quadratic the central difference is exact even with a big step; a "
            "one-sided difference is not. Did you use the eps you were given?",
            kwargs={"eps": 0.1},
            rtol=1e-8,
            atol=1e-8,
        ),
        Case(
            "a 2-D x (2 x 3), f(x) = sum(x³), eps=1e-3",
            (cubic, x2),
            _central(cubic, x2, 1e-3),
            "x can have any shape: loop over every entry (x.flat[k], or np.ndindex) and "
            "return an array of x's shape.",
            kwargs={"eps": 1e-3},
            rtol=1e-7,
            atol=1e-9,
        ),
        # (f(h) - f(-h)) / 2h = h² exactly for f = x³ at 0: the default step, measured.
        Case(
            "the default step, measured: f(x) = sum(x³) at x = [0, 0, 0]",
            (cubic, origin),
            np.full(3, DEFAULT_EPS**2),
            default_hint,
            rtol=1e-3,
            atol=0.0,
        ),
        Case(
            "the default eps on sin (compared with cos(x))",
            (wavy, x3),
            np.cos(x3),
            "With the default eps=1e-5 the central difference agrees with the exact "
            "derivative cos(x) to about 10 digits; check your default and the 2 * eps.",
            rtol=1e-8,
            atol=1e-9,
        ),
    ]
    return run_cases("central_difference", fn, cases, _DIFF_MISTAKES)


DEFAULT_EPS = 1e-5


def _default_eps(fn):
    """The default of ``fn``'s ``eps`` parameter, if it has one that can be read."""
    try:
        parameter = inspect.signature(fn).parameters.get("eps")
    except (TypeError, ValueError):
        return None
    if parameter is None or parameter.default is inspect.Parameter.empty:
        return None
    return parameter.default
