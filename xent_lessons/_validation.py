"""Argument checks shared by the math modules.

Every public function validates its inputs here, so that bad input fails early with a
message that names the argument and says what was expected, instead of a NaN or a
traceback from deep inside NumPy.

What every array argument accepts (:func:`as_array`): anything ``np.asarray`` takes, and
PyTorch tensors, also ones with ``requires_grad=True`` or on a GPU (their values are
copied out; nothing is differentiated through them). Masked arrays with masked entries
and ragged lists are rejected with a message that says what to do instead. Where numbers
are expected, boolean arrays are rejected too (:func:`check_not_bool`): PyTorch's losses
refuse them, and reading ``True`` as 1 hides a mask passed for a probability.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

REDUCTIONS = ("mean", "sum", "none")

# How far a distribution may sum from 1, by the float type it was given in: loose enough
# for the rounding of numbers stored in that type (float16 keeps about 3 digits), tight
# enough to catch a forgotten normalisation.
_SUM_TOLERANCE = {np.dtype(np.float16): 5e-3, np.dtype(np.float32): 1e-4}
_FLOAT64_SUM_TOLERANCE = 1e-6


# ------------------------------------------------------------------ array conversion


_INT64_MAX = 2**63 - 1


def is_torch_tensor(x) -> bool:
    """A ``torch.Tensor`` (or subclass, e.g. ``nn.Parameter``), without importing torch."""
    return any(
        cls.__module__.split(".")[0] == "torch" and cls.__name__ == "Tensor"
        for cls in type(x).__mro__
    )


def _tensor_to_numpy(x) -> np.ndarray:
    """A tensor's values as NumPy: detached, on the CPU, conjugation resolved.

    bfloat16 has no NumPy type, so such a tensor is read as float32 (its values exactly).
    """
    if str(x.dtype) == "torch.bfloat16":
        x = x.float()
    return x.numpy(force=True)


def _describe(x) -> str:
    return type(x).__name__


def as_array(x, name: str) -> np.ndarray:
    """``x`` as a NumPy array, with a clear error for what NumPy would get wrong or mangle.

    - a PyTorch tensor is detached and copied to the CPU (``requires_grad`` is fine);
    - a masked array with masked entries is rejected: NumPy's math would use the values
      under the mask, so a masked padding logit would still take its share of a softmax;
    - a ragged list (rows of different lengths) is a ``TypeError`` naming ``name``.
    """
    if is_torch_tensor(x):
        return _tensor_to_numpy(x)
    if isinstance(x, np.ma.MaskedArray):
        if np.ma.getmaskarray(x).any():
            raise TypeError(
                f"{name} is a masked array with masked entries, and this function would use "
                "the values under the mask as if they were there. Fill them first: for "
                f"logits, {name}.filled(-np.inf) makes the masked classes impossible; for "
                "class-index targets of padding, fill with the ignore_index "
                "(target.filled(-100)) so those positions are left out of the loss"
            )
        return np.asarray(x.data)
    try:
        return np.asarray(x)
    except (ValueError, TypeError) as exc:  # ragged lists and other non-arrays
        hint = " (a ragged list? every row must have the same length)"
        raise TypeError(
            f"{name} must be array-like of numbers{hint if isinstance(x, list | tuple) else ''}; "
            f"got {_describe(x)}"
        ) from exc


def check_not_bool(arr: np.ndarray, name: str, what: str = "numbers") -> None:
    """A boolean array where numbers are expected is refused, with the fix in the message."""
    if arr.dtype.kind == "b":
        fix = "int" if "integer" in what or "id" in what or "class" in what else "float"
        raise TypeError(
            f"{name} is a boolean array; expected {what}. If True and False mean 1 and 0, "
            f"say so: pass {name}.astype({fix})"
        )


def as_int_array(x, name: str, what: str = "integers") -> np.ndarray:
    """``x`` as an integer array (not bool, not float): class indices, token ids, symbols."""
    arr = as_array(x, name)
    check_not_bool(arr, name, what)
    if arr.dtype.kind not in "iu":
        raise TypeError(
            f"{name} must hold {what}; got dtype {arr.dtype}"
            + (" (a ragged list?)" if arr.dtype.kind == "O" else "")
        )
    return arr


def compute_dtype(dtype: np.dtype) -> np.dtype:
    """The float type the math runs in for input of ``dtype``.

    float32 and float64 are kept; float16 is computed in float32 (as PyTorch does on the
    CPU; NumPy has no fast float16 math); integers become float64.
    """
    if dtype == np.float32 or dtype == np.float16:
        return np.dtype(np.float32)
    return np.dtype(np.float64)


def output_dtype(dtype: np.dtype) -> np.dtype:
    """The float type of array results for input of ``dtype``: float16 stays float16."""
    return np.dtype(np.float16) if dtype == np.float16 else compute_dtype(dtype)


def as_real_array(x, name: str, *, allow_empty: bool = True, check_nan: bool = True):
    """``(array, out_dtype)``: ``x`` in its compute dtype, and the dtype results go back in.

    Rejects non-numbers, complex numbers and NaN (see :func:`as_float_array`). A kernel
    that finds NaN on its own way through the array (the row max of :mod:`._rowwise`
    carries it) passes ``check_nan=False`` and saves this pass over the input.
    """
    arr = as_array(x, name)
    check_not_bool(arr, name)
    kind = arr.dtype.kind
    if kind not in "iuf":
        raise TypeError(
            f"{name} must be an array of real numbers; got dtype {arr.dtype}"
            + (" (a ragged list?)" if kind == "O" else "")
        )
    out = output_dtype(arr.dtype)
    arr = arr.astype(compute_dtype(arr.dtype), copy=False)
    if arr.size == 0 and not allow_empty:
        raise ValueError(f"{name} is empty; expected at least one value")
    # min() carries a NaN through: the same answer as isnan(arr).any(), in half the time
    # and without a boolean array the size of the input (a quarter of float32 logits).
    if check_nan and arr.size and np.isnan(arr.min()):
        raise ValueError(f"{name} contains NaN; expected real numbers")
    return arr, out


def as_float_array(x, name: str, *, allow_empty: bool = False) -> np.ndarray:
    """Return ``x`` as a float32 or float64 array; reject NaN, non-numbers and empties.

    Integer input becomes float64 (booleans are refused); float16 becomes float32 (NumPy has no fast
    float16 math); float32 and float64 are kept as they are, never silently upcast.
    """
    return as_real_array(x, name, allow_empty=allow_empty)[0]


def to_output(arr: np.ndarray, out_dtype: np.dtype) -> np.ndarray:
    """An array result in the caller's float type (float16 in, float16 out).

    A value beyond the smaller type's range becomes ``inf``, its correct rounding.
    """
    if arr.dtype == out_dtype:
        return arr
    with np.errstate(over="ignore"):
        return arr.astype(out_dtype)


def check_not_scalar(arr: np.ndarray, name: str, what: str) -> None:
    """Functions of a distribution or a row of logits need an axis to work along."""
    if arr.ndim == 0:
        raise ValueError(
            f"{name} is a scalar ({arr.item()!r}); expected an array with {what} along `axis`"
        )


def check_no_pos_inf(arr: np.ndarray, name: str) -> None:
    """Logits may be finite or ``-inf`` (an impossible class), never ``+inf``."""
    if arr.size and np.isposinf(arr.max()):
        raise ValueError(f"{name} contains +inf; expected finite values or -inf")


def check_finite(arr: np.ndarray, name: str) -> None:
    if arr.size and not np.isfinite(arr).all():
        raise ValueError(f"{name} must be finite; got {float(arr[~np.isfinite(arr)].flat[0])!r}")


def check_in_unit_interval(arr: np.ndarray, name: str) -> None:
    if arr.size and (arr.min() < 0 or arr.max() > 1):
        raise ValueError(
            f"{name} must hold probabilities in [0, 1]; got values in "
            f"[{arr.min():.6g}, {arr.max():.6g}]"
        )


def sum_tolerance(dtype, n_terms: int = 1) -> float:
    """How far a distribution of ``n_terms`` probabilities given in ``dtype`` may sum from 1.

    1e-6 for float64 (and integers), 1e-4 for float32, 5e-3 for float16, plus half a step
    of the type's smallest spacing per term: a float16 probability below 6e-5 is stored
    to the nearest 6e-8, which over 50,257 classes adds up to 1.5e-3.
    """
    dtype = np.dtype(dtype)
    tol = _SUM_TOLERANCE.get(dtype, _FLOAT64_SUM_TOLERANCE)
    if dtype.kind == "f":
        tol += 0.5 * n_terms * float(np.finfo(dtype).smallest_subnormal)
    return tol


def stored_precision(arr: np.ndarray) -> np.dtype:
    """float32 if every value of the float64 array ``arr`` is a float32 number, else its dtype."""
    if arr.dtype == np.float64:
        with np.errstate(over="ignore", invalid="ignore"):
            if np.array_equal(arr.astype(np.float32).astype(np.float64), arr):
                return np.dtype(np.float32)
    return arr.dtype


def check_distribution(arr: np.ndarray, name: str, axis: int, given_dtype=None) -> None:
    """``arr`` holds probabilities in [0, 1] that sum to 1 along ``axis``.

    ``given_dtype`` is the type the numbers came in (default: ``arr``'s), which sets the
    tolerance: a float16 or float32 distribution upcast for the computation still only
    sums to 1 to its own precision.
    """
    check_in_unit_interval(arr, name)
    if arr.size == 0:
        if arr.shape[axis] == 0 and all(n for i, n in enumerate(arr.shape) if i != axis):
            raise ValueError(
                f"{name} is empty along axis {axis}: a distribution needs at least one outcome"
            )
        return  # an empty batch: no distribution to check
    sums = arr.sum(axis=axis, dtype=np.float64)
    given = arr.dtype if given_dtype is None else np.dtype(given_dtype)
    tol = sum_tolerance(given, arr.shape[axis])
    bad = np.abs(sums - 1.0) > tol
    if np.any(bad) and given == np.float64 and stored_precision(arr) == np.float32:
        # Numbers computed in float32 and upcast (torch.softmax of a float32 teacher, then
        # .double()) sum to 1 only to float32's precision: they pass at its tolerance.
        if not np.any(np.abs(sums - 1.0) > sum_tolerance(np.float32, arr.shape[axis])):
            return
    if np.any(bad):
        worst = float(np.asarray(sums)[np.asarray(bad)].flat[0])
        where = ""
        if np.ndim(sums):
            where = f" at index {tuple(int(i) for i in np.argwhere(bad)[0])}"
        raise ValueError(
            f"{name} must sum to 1 along axis {axis} (to within {tol:.2g}); found a sum of "
            f"{worst!r}{where}, {worst - 1:+.3g} away from 1"
        )


def check_axis(axis, ndim: int, name: str = "axis") -> int:
    if not isinstance(axis, numbers.Integral) or isinstance(axis, bool):
        raise TypeError(f"{name} must be an integer; got {axis!r}")
    if not -ndim <= axis < ndim:
        raise ValueError(f"{name}={axis} is out of range for an array with {ndim} dimension(s)")
    return int(axis) % ndim


def is_finite_real(value) -> bool:
    """A real number that is finite as a float (an int beyond float's range is not)."""
    try:
        return math.isfinite(float(value))
    except OverflowError:
        return False


def check_choice(value, name: str, choices: tuple) -> str:
    """One of the strings ``choices`` (an array is refused here, not by ``in``'s truth value)."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {choices}; got {value!r}")
    return value


def check_reduction(reduction) -> str:
    if not isinstance(reduction, str) or reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}; got {reduction!r}")
    return reduction


def check_bool(value, name: str) -> bool:
    """Only ``True`` or ``False``: a string like ``"no"`` would otherwise count as true."""
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{name} must be True or False; got {value!r}")
    return bool(value)


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


def as_class_indices(
    target, name: str, n_samples: int, n_classes: int, ignore_index: int, *, shape=None
):
    """Integer class indices in ``[0, n_classes)`` or ``ignore_index``, as ``intp``.

    The expected shape is ``(n_samples,)``, or ``shape`` when given (the K-dimensional
    case, ``(N, d1, ..., dk)``). Unsigned targets are range-checked before the cast, so
    2**64 - 100 is out of range rather than wrapping around to -100.
    """
    arr = as_array(target, name)
    if arr.dtype.kind not in "iu":
        raise TypeError(
            f"{name} must hold integer class indices (or class probabilities with the "
            f"logits' shape); got dtype {arr.dtype}"
        )
    expected = (n_samples,) if shape is None else tuple(shape)
    if arr.shape != expected:
        what = (
            f"to match {n_samples} row(s) of logits"
            if shape is None
            else "the logits' shape without its class axis (dim 1)"
        )
        raise ValueError(f"{name} must have shape {expected}, {what}; got {arr.shape}")
    if arr.size == 0:
        return arr.astype(np.intp)
    # Compared in the array's own type (NumPy compares mixed signed/unsigned values
    # exactly), before any cast could wrap a large unsigned value around. One pass finds
    # both ends: read as unsigned, a negative index is larger than any class (speed only).
    if arr.dtype.kind == "i" and n_classes <= np.iinfo(arr.dtype).max + 1:
        outside = arr.view(arr.dtype.str.replace("i", "u")) >= n_classes
    else:
        outside = (arr < 0) | (arr >= n_classes)
    if outside.any():
        bad = outside & (arr != ignore_index)
        if bad.any():
            raise ValueError(_out_of_range_message(arr, bad, name, n_classes, ignore_index))
    return arr.astype(np.intp, copy=False)


def _out_of_range_message(arr, bad, name, n_classes, ignore_index, shown=3) -> str:
    """Names the bad class indices, where they are, the valid range and the likely cause."""
    positions = np.argwhere(bad)
    values = arr[bad]
    where = ", ".join(
        f"{name}[{', '.join(str(int(i)) for i in pos)}] = {value}"
        for pos, value in zip(positions[:shown], values[:shown], strict=True)
    )
    if values.size > shown:
        where += f" and {values.size - shown} more"
    valid = arr[~bad & (arr != ignore_index)]
    low = min(int(values.min()), int(valid.min())) if valid.size else int(values.min())
    high = int(values.max())
    if int(values.min()) < 0:
        cause = (
            f"a negative index ({int(values.min())}) usually marks padding or a missing "
            f"label: pass it as ignore_index={int(values.min())} (ignore_index is "
            f"{ignore_index} here)"
        )
    elif low >= 1 and high == n_classes:
        cause = (
            f"labels numbered 1 to {n_classes} instead of 0 to {n_classes - 1} (subtract 1), "
            f"or a model with one output too few (the logits have {n_classes} classes)"
        )
    else:
        cause = (
            f"the model outputs too few classes: label {high} needs at least {high + 1}, "
            f"the logits have {n_classes} on their class axis"
        )
        if low >= 1:
            cause += "; or the labels are numbered from 1 (subtract 1)"
    return (
        f"{name} holds class index {values[0]}, out of range for {n_classes} classes "
        f"(expected 0 to {n_classes - 1}, or ignore_index={ignore_index}): "
        f"{values.size} of {arr.size} out of range, {where}. Likely cause: {cause}."
    )


def check_count(value, name: str, minimum: int = 0) -> int:
    """An integer count (Python's or NumPy's, not bool) from ``minimum`` to ``2**63 - 1``.

    The upper bound is int64's: a larger count (``2**70``) can be no array's length and
    no loop's end, so it gets this error instead of NumPy's "Maximum allowed dimension
    exceeded" or a loop that never ends.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer; got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}; got {value}")
    if value > _INT64_MAX:
        raise ValueError(f"{name} must be at most 2**63 - 1 (an int64); got {value}")
    return int(value)


def check_ignore_index(ignore_index) -> int:
    if isinstance(ignore_index, bool) or not isinstance(ignore_index, numbers.Integral):
        raise TypeError(f"ignore_index must be an integer; got {ignore_index!r}")
    if not -(2**63) <= ignore_index < 2**63:
        raise ValueError(f"ignore_index must fit in int64; got {ignore_index!r}")
    return int(ignore_index)


def as_class_weight(weight, n_classes: int, dtype) -> np.ndarray | None:
    if weight is None:
        return None
    w = as_float_array(weight, "weight")
    if w.shape != (n_classes,):
        raise ValueError(f"weight must have shape ({n_classes},), one per class; got {w.shape}")
    check_finite(w, "weight")
    return w.astype(dtype, copy=False)


def to_python_scalar(x):
    """0-d results become a Python ``float``; arrays are returned unchanged."""
    if np.ndim(x) == 0:
        return float(x)
    return x
