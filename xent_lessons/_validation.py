"""Argument checks shared by the math modules.

Every public function validates its inputs here, so that bad input fails early with a
message that names the argument and says what was expected, instead of a NaN or a
traceback from deep inside NumPy.
"""

from __future__ import annotations

import numbers

import numpy as np

REDUCTIONS = ("mean", "sum", "none")


def as_float_array(x, name: str, *, allow_empty: bool = False) -> np.ndarray:
    """Return ``x`` as a float32 or float64 array; reject NaN, non-numbers and empties.

    Integer and boolean input becomes float64; float16 becomes float32 (NumPy has no fast
    float16 math); float32 and float64 are kept as they are, never silently upcast.
    """
    try:
        arr = np.asarray(x)
    except Exception as exc:  # ragged lists and other non-arrays
        raise TypeError(f"{name} must be array-like of numbers; got {type(x).__name__}") from exc
    kind = arr.dtype.kind
    if kind in "biu":
        arr = arr.astype(np.float64)
    elif kind == "f":
        if arr.dtype == np.float16:
            arr = arr.astype(np.float32)
        elif arr.dtype not in (np.float32, np.float64):
            arr = arr.astype(np.float64)
    else:
        raise TypeError(
            f"{name} must be an array of real numbers; got dtype {arr.dtype}"
            + (" (a ragged list?)" if kind == "O" else "")
        )
    if arr.size == 0 and not allow_empty:
        raise ValueError(f"{name} is empty; expected at least one value")
    # min() carries a NaN through: the same answer as isnan(arr).any(), in half the time
    # and without a boolean array the size of the input (a quarter of float32 logits).
    if arr.size and np.isnan(arr.min()):
        raise ValueError(f"{name} contains NaN; expected real numbers")
    return arr


def check_no_pos_inf(arr: np.ndarray, name: str) -> None:
    """Logits may be finite or ``-inf`` (an impossible class), never ``+inf``."""
    if np.isposinf(arr).any():
        raise ValueError(f"{name} contains +inf; expected finite values or -inf")


def check_in_unit_interval(arr: np.ndarray, name: str) -> None:
    if arr.min() < 0 or arr.max() > 1:
        raise ValueError(
            f"{name} must hold probabilities in [0, 1]; got values in "
            f"[{arr.min():.6g}, {arr.max():.6g}]"
        )


def sum_tolerance(dtype) -> float:
    """How far a row of probabilities may sum from 1: loose enough for float32 rounding."""
    return 1e-4 if dtype == np.float32 else 1e-6


def check_distribution(arr: np.ndarray, name: str, axis: int) -> None:
    """``arr`` holds probabilities in [0, 1] that sum to 1 along ``axis``."""
    check_in_unit_interval(arr, name)
    sums = arr.sum(axis=axis, dtype=np.float64)
    tol = sum_tolerance(arr.dtype)
    bad = np.abs(sums - 1.0) > tol
    if np.any(bad):
        worst = np.asarray(sums)[np.asarray(bad)].flat[0]
        raise ValueError(
            f"{name} must sum to 1 along axis {axis} (tolerance {tol:g}); "
            f"found a sum of {worst:.6g}"
        )


def check_axis(axis, ndim: int, name: str = "axis") -> int:
    if not isinstance(axis, numbers.Integral) or isinstance(axis, bool):
        raise TypeError(f"{name} must be an integer; got {axis!r}")
    if not -ndim <= axis < ndim:
        raise ValueError(f"{name}={axis} is out of range for an array with {ndim} dimension(s)")
    return int(axis) % ndim


def check_reduction(reduction) -> str:
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}; got {reduction!r}")
    return reduction


def check_positive_scalar(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number; got {value!r}")
    value = float(value)
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0; got {value!r}")
    return value


def check_base(base) -> float | None:
    """``None`` means nats; otherwise a log base > 0 and != 1 (2 gives bits)."""
    if base is None:
        return None
    base = check_positive_scalar(base, "base")
    if base == 1.0:
        raise ValueError("base must be > 0 and != 1 (use 2 for bits, None for nats); got 1")
    return base


def check_unit_scalar(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number; got {value!r}")
    value = float(value)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be in [0, 1]; got {value!r}")
    return value


def check_same_shape(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    if a.shape != b.shape:
        raise ValueError(
            f"{name_b} must have the same shape as {name_a}; got {name_b} {b.shape} "
            f"and {name_a} {a.shape}"
        )


def broadcast_to(arr: np.ndarray, shape: tuple, name: str, target_name: str) -> np.ndarray:
    try:
        return np.broadcast_to(arr, shape)
    except ValueError:
        raise ValueError(
            f"{name} of shape {arr.shape} cannot be broadcast to {target_name}'s shape {shape}"
        ) from None


def as_class_indices(target, name: str, n_samples: int, n_classes: int, ignore_index: int):
    """Integer class indices of shape ``(n_samples,)`` in ``[0, n_classes)`` or ``ignore_index``."""
    arr = np.asarray(target)
    if arr.dtype.kind not in "iu":
        raise TypeError(
            f"{name} must hold integer class indices (or class probabilities with the "
            f"logits' shape); got dtype {arr.dtype}"
        )
    if arr.shape != (n_samples,):
        raise ValueError(
            f"{name} must have shape ({n_samples},) to match {n_samples} row(s) of logits; "
            f"got {arr.shape}"
        )
    arr = arr.astype(np.intp, copy=False)
    bad = ((arr < 0) | (arr >= n_classes)) & (arr != ignore_index)
    if bad.any():
        value = arr[bad][0]
        raise ValueError(
            f"{name} holds class index {value}, out of range for {n_classes} classes "
            f"(expected 0 to {n_classes - 1}, or ignore_index={ignore_index})"
        )
    return arr


def check_ignore_index(ignore_index) -> int:
    if isinstance(ignore_index, bool) or not isinstance(ignore_index, numbers.Integral):
        raise TypeError(f"ignore_index must be an integer; got {ignore_index!r}")
    return int(ignore_index)


def as_class_weight(weight, n_classes: int, dtype) -> np.ndarray | None:
    if weight is None:
        return None
    w = as_float_array(weight, "weight")
    if w.shape != (n_classes,):
        raise ValueError(f"weight must have shape ({n_classes},), one per class; got {w.shape}")
    if not np.isfinite(w).all():
        raise ValueError("weight must be finite")
    return w.astype(dtype, copy=False)


def to_python_scalar(x):
    """0-d results become a Python ``float``; arrays are returned unchanged."""
    if np.ndim(x) == 0:
        return float(x)
    return x
