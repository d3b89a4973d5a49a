"""Checkers of lesson 07: one gradient-descent step, and a learning rate that works."""

from __future__ import annotations

import math
import numbers
from functools import cache

import numpy as np

from ..activations import softmax
from ..gradients import categorical_cross_entropy_grad
from ._diagnosis import as_numbers
from ._runner import Case, CheckResult, Mistake, _short, answer_of, failed, run_cases

__all__ = ["learning_rate", "training_step"]


def _step(X, y, W, b, lr, grad_scale=1.0, bias=True, sign=1.0, b_scale=1.0, logit_bias=True):
    """A step of gradient descent, with knobs for the typical mistakes."""
    G = categorical_cross_entropy_grad(X @ W + (b if logit_bias else 0.0), y) * grad_scale
    new_b = b - sign * lr * b_scale * G.sum(axis=0) if bias else b.copy()
    return W - sign * lr * (X.T @ G), new_b


_STEP_MISTAKES = (
    Mistake(
        lambda X, y, W, b, lr: _step(X, y, W, b, lr, sign=-1.0),
        "The step went uphill: gradient DEScent subtracts lr times the gradient.",
    ),
    Mistake(
        lambda X, y, W, b, lr: _step(X, y, W, b, lr, grad_scale=len(y)),
        "The step is N times too big: the loss is the mean over the N samples, so its "
        "gradient with respect to the logits is (softmax(Z) - Y) / N.",
    ),
    Mistake(
        lambda X, y, W, b, lr: _step(X, y, W, b, lr, bias=False),
        "W is right but b did not move: the bias gets its own gradient, the sum of the "
        "logits' gradient G over the samples (axis=0). (Summing over the classes gives "
        "zero: every row of G sums to 0.)",
    ),
    Mistake(
        lambda X, y, W, b, lr: _step(X, y, W, b, lr, grad_scale=len(y), bias=False),
        "Two slips: the bias did not move, and the gradient is N times too big (the "
        "loss is a mean over the N samples).",
    ),
    Mistake(
        lambda X, y, W, b, lr: (
            W - lr * X.T @ softmax(X @ W + b, axis=1) / len(y),
            b - lr * softmax(X @ W + b, axis=1).mean(axis=0),
        ),
        "The gradient used the probabilities alone: the one-hot targets have to be "
        "subtracted from them (lesson 06: softmax(z) - y).",
    ),
    Mistake(
        lambda X, y, W, b, lr: _step(X, y, W, b, 1.0),
        "The step is not scaled by the learning rate: W - lr * gradient (and the same for b).",
    ),
    Mistake(
        lambda X, y, W, b, lr: _step(X, y, W, b, lr, b_scale=1.0 / len(y)),
        "b's step is N times too small: G = (softmax(Z) - Y) / N already holds the 1/N, so "
        "the bias gradient is G.sum(axis=0), not G.mean(axis=0) (that divides by N twice).",
    ),
    Mistake(
        lambda X, y, W, b, lr: _step(X, y, W, b, lr, b_scale=float(len(y))),
        "b's step is N times too big: its gradient is the sum over the samples of "
        "G = (softmax(Z) - Y) / N, with the 1/N in it.",
    ),
    Mistake(
        lambda X, y, W, b, lr: _step(X, y, W, b, lr, logit_bias=False),
        "The logits left out the bias: Z = X @ W + b (the gradient is taken where the model "
        "is now, bias included).",
    ),
)


def _step_case(name, X, y, W, b, lr, hint):
    X, W, b = (np.asarray(a, dtype=np.float64) for a in (X, W, b))
    y = np.asarray(y, dtype=np.int64)
    return Case(name, (X, y, W, b, lr), _step(X, y, W, b, lr), hint, rtol=1e-9, atol=1e-12)


def training_step(fn) -> CheckResult:
    """Check ``fn(X, y, W, b, lr)``: one full-batch gradient-descent step, returning ``(W, b)``.

    Logits are ``X @ W + b`` with ``W`` of shape (D, C) and ``b`` of shape (C,); the loss
    is the mean cross-entropy over the N rows of ``X``.

    Examples
    --------
    >>> import xent_lessons as xl
    >>> def my_training_step(X, y, W, b, lr):
    ...     raise NotImplementedError("Exercise: replace this line with your code")
    >>> xl.check.training_step(my_training_step).status
    'not attempted'
    """
    rng = np.random.default_rng(7)
    cases = [
        _step_case(
            "one sample, zero weights (N = 1, D = 2, C = 3)",
            [[1.0, 2.0]],
            [2],
            np.zeros((2, 3)),
            np.zeros(3),
            0.5,
            "Logits X @ W + b, gradient on the logits softmax - one-hot, then back "
            "through the linear map: X.T @ G for W and a sum over samples for b.",
        ),
        _step_case(
            "a batch (N = 4, D = 2, C = 3)",
            [[1.0, 2.0], [-1.0, 0.5], [0.0, -2.0], [2.0, 1.0]],
            [0, 1, 2, 0],
            [[0.1, -0.2, 0.3], [0.0, 0.4, -0.1]],
            [0.1, 0.0, -0.3],
            0.1,
            "The loss is the mean over the N rows: the gradient carries a 1/N.",
        ),
        _step_case(
            "more features and classes (N = 6, D = 3, C = 4)",
            rng.normal(size=(6, 3)),
            [3, 0, 1, 2, 1, 3],
            rng.normal(size=(3, 4)),
            rng.normal(size=4),
            0.3,
            "Check the shapes: W is (D, C), so its gradient X.T @ G is (D, C); the bias "
            "gradient sums G over the samples (axis=0) to shape (C,).",
        ),
    ]
    return run_cases(
        "training_step", fn, cases, _STEP_MISTAKES, part_names=("new W", "new b")
    )


# --------------------------------------------------------------------- learning_rate

# The goal of the exercise: from all-zero weights on make_three_blobs(50, seed=0),
# full-batch gradient descent must bring the mean loss below LOSS_GOAL within STEPS steps.
STEPS = 10
LOSS_GOAL = 0.19


@cache
def _data():
    from ..training import make_three_blobs

    return make_three_blobs(50, seed=0)


def _nats(loss: float) -> str:
    """A loss for the report: 3 decimals, or 3 digits when it is huge."""
    return f"{loss:.3f}" if abs(loss) < 1e4 else f"{loss:.3g}"


def _losses(lr, steps=STEPS):
    """The mean loss at steps 0..steps, or ``None`` if the weights overflow on the way."""
    import warnings

    from ..training import train_softmax_regression

    X, y = _data()
    if not math.isfinite(lr):
        return None
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            loss = np.asarray(train_softmax_regression(X, y, lr, steps).loss, dtype=float)
        except (ValueError, FloatingPointError, OverflowError):  # weights overflowed to inf
            return None
    return loss if np.isfinite(loss).all() else None


def learning_rate(fn) -> CheckResult:
    """Check ``fn()``: a learning rate that reaches a loss below 0.19 nats within 10 steps.

    The checker trains softmax regression with it (full batch, from zero weights, on
    ``xl.training.make_three_blobs(50, seed=0)``) and reports the loss after 10 steps; if
    the goal is missed it says whether the rate is too small or too large.

    Examples
    --------
    >>> import xent_lessons as xl
    >>> def choose_learning_rate():
    ...     raise NotImplementedError("Exercise: replace this line with your code")
    >>> xl.check.learning_rate(choose_learning_rate).status
    'not attempted'
    >>> xl.check.learning_rate(lambda: 0.01).status
    'failed'
    """
    exercise = "learning_rate"
    answer, early = answer_of(exercise, fn)
    if early is not None:
        return early
    numbers_, miss, _ = as_numbers(answer)
    is_number = (
        miss is None
        and numbers_.shape == ()
        and not isinstance(answer, bool | np.bool_)
        and (isinstance(answer, numbers.Real) or np.ndim(answer) == 0)
    )
    if not is_number:
        why = f"   got: {_short(answer)}" + (f"\n   ({miss.problem})" if miss else "")
        return failed(
            exercise,
            "your answer",
            why,
            "A learning rate is one positive number, e.g. `return 0.5` (a float, not text "
            "or a list).",
        )
    lr = float(numbers_)
    if not math.isfinite(lr) or lr <= 0:
        return failed(
            exercise,
            "your answer",
            f"   got: {lr!r}",
            "A learning rate must be a positive, finite number: with lr <= 0 gradient "
            "descent stands still or climbs uphill.",
        )
    loss = _losses(lr)
    if loss is None:
        return failed(
            exercise,
            f"lr = {lr:g}",
            f"   with lr = {lr:g} the weights overflow (grow past the largest float) within "
            f"{STEPS} steps",
            "Far too large: every step multiplies the weights' size. Try a learning rate "
            "many orders of magnitude smaller.",
        )
    trace = f"   loss (nats) at steps 0, 1, 2, 5, {STEPS}: " + ", ".join(
        _nats(loss[k]) for k in (0, 1, 2, 5, STEPS)
    )
    if loss[STEPS] < LOSS_GOAL:
        return CheckResult(
            exercise,
            "passed",
            f"✅ {exercise}: passed. With lr = {lr:g} the loss is {loss[STEPS]:.3f} nats "
            f"after {STEPS} steps (goal: below {LOSS_GOAL}).\n{trace}",
        )
    # Which way to go: the final loss is lower for a bigger rate when this one is too small.
    bigger = _losses(lr * 1.5)
    too_small = bigger is not None and bigger[STEPS] < loss[STEPS]
    details = (
        f"   after {STEPS} steps the loss is {_nats(loss[STEPS])} nats (goal: below {LOSS_GOAL})\n"
        f"{trace}"
    )
    rises = np.flatnonzero(np.diff(loss) > 0)
    if too_small:
        hint = (
            "Too small: the loss falls at every step, but the steps are too short to get "
            "there in time. Try a larger learning rate."
        )
    elif rises.size:
        k = int(rises[0]) + 1
        hint = (
            f"Too large: the loss went UP at step {k} ({_nats(loss[k - 1])} -> {_nats(loss[k])}). "
            "Each step jumps past the bottom of the valley. Try a smaller learning rate."
        )
    else:
        hint = (
            "Too large: the first step jumps far past the minimum and makes the model "
            "over-confident; the next steps only slowly undo it. Try a smaller learning rate."
        )
    return failed(exercise, f"lr = {lr:g}", details, hint)
