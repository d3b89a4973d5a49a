"""What went wrong, in words: a learner's result against the expected one, or an exception.

Each function here looks at what actually happened and names it as precisely as it can:
text or complex numbers where numbers were expected, a kept or a transposed axis, a result
exactly N times too large (a sum for a mean), a log in the wrong base, the exception's own
type and the line that raised it. A checker's hand-written hints and listed mistakes
(:class:`~xent_lessons.check.Mistake`) come on top of this.
"""

from __future__ import annotations

import collections.abc
import linecache
import math
import re
import sysconfig
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ._text import cap, exception_text, short

RETURNED_NONE = (
    "your function returned None: did you forget `return`? A function without a `return` "
    "line (or whose body is only `...` or `pass`) gives None; printing a value does not "
    "return it."
)
RETURN_ADVICE = (
    "Put `return` in front of the result (e.g. `return total / n`), run the function's cell "
    "again, then this check."
)
NUMBERS_ADVICE = (
    "Return numbers: one float, or a NumPy array of floats (what np.sum, np.log and the "
    "other NumPy functions give)."
)


@dataclass(frozen=True)
class Miss:
    """Why a result is wrong (``problem``), and what to do about it when that is clear from
    the result alone (``advice``; otherwise the case's hint applies)."""

    problem: str
    advice: str | None = None


def _a(value) -> str:
    """'a NumPy array', 'a list', 'an int': what ``value`` is, for a sentence."""
    if isinstance(value, np.ndarray):
        return "a NumPy array"
    name = type(value).__name__
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"


# ------------------------------------------------------------------ results as numbers


def _is_torch_tensor(value) -> bool:
    return type(value).__module__.startswith("torch") and hasattr(value, "detach")


def _from_torch(tensor):
    tensor = tensor.detach().cpu()
    if not tensor.is_complex() and not tensor.is_floating_point():
        return tensor.numpy()
    if str(tensor.dtype) == "torch.bfloat16":  # NumPy has no bfloat16
        tensor = tensor.float()
    return tensor.resolve_conj().numpy()


def _text_miss(got) -> Miss:
    return Miss(
        f"got text, {short(got, 60)}, not a number",
        "Return the number itself (e.g. `return total / n`), not str(...), an f-string or "
        "format(); print() it as well if you want to see it.",
    )


def as_numbers(got):
    """``(array, None, dtype)``: ``got`` as float64 numbers and the learner's own dtype;
    or ``(None, Miss, None)`` saying why it is not numbers. Never raises."""
    if got is None:
        return None, Miss(RETURNED_NONE, RETURN_ADVICE), None
    if isinstance(got, str | bytes):
        return None, _text_miss(got), None
    if isinstance(got, bool | np.bool_):
        return None, Miss(f"got {got!r}, a truth value, where a number was expected", NUMBERS_ADVICE), None
    if isinstance(got, dict | set | frozenset):
        return None, Miss(f"got {_a(got)}, {short(got, 60)}, where numbers were expected", NUMBERS_ADVICE), None
    if isinstance(got, collections.abc.Iterator):
        return None, Miss(
            f"got {_a(got)}, which computes nothing until it is used",
            "Build an array instead: np.array([... for ...]) rather than (... for ...), or "
            "better, NumPy on the whole array at once.",
        ), None
    if callable(got) and not hasattr(got, "__array__"):
        name = getattr(got, "__name__", type(got).__name__)
        return None, Miss(
            f"got a function ({name}) instead of a value",
            "Did you return a function without calling it (e.g. `return np.sum` rather than "
            "`return np.sum(x)`)? Return its result.",
        ), None
    try:
        arr = _from_torch(got) if _is_torch_tensor(got) else np.asarray(got)
    except Exception as exc:
        return None, Miss(
            f"got {_a(got)} that NumPy cannot turn into an array of numbers "
            f"({exception_text(exc, 120)})",
            NUMBERS_ADVICE,
        ), None
    kind = arr.dtype.kind
    if kind == "b":
        return None, Miss(f"got truth values (True/False), {short(arr, 60)}, where numbers were expected", NUMBERS_ADVICE), None
    if kind in "US":
        return None, _text_miss(got), None
    if kind == "c":
        imaginary = np.any(np.imag(arr) != 0)
        return None, Miss(
            f"got complex numbers, {short(arr, 80)}"
            + ("" if imaginary else " (all with imaginary part 0)")
            + ": the answer is real",
            "Find where the complex numbers come from (complex input, np.emath or cmath, "
            "a negative number to a fractional power) and compute with real numbers.",
        ), None
    if kind == "O":
        flat = list(arr.flat)
        if any(isinstance(v, str | bytes) for v in flat):
            return None, _text_miss(got), None
        if any(v is None for v in flat):
            return None, Miss(
                "the result contains None",
                "A helper function that forgot its `return`? Every entry must be a number.",
            ), None
        if any(_is_torch_tensor(v) for v in flat):
            try:
                arr = np.array([_from_torch(v) for v in flat]).reshape(arr.shape)
            except Exception:
                pass
    if arr.dtype.kind not in "iuf":
        try:
            arr = arr.astype(np.float64)
        except Exception:
            kinds = sorted({type(v).__name__ for v in np.asarray(arr, dtype=object).flat})
            return None, Miss(
                f"got {_a(got)} holding things that are not numbers ({', '.join(kinds[:4])})",
                NUMBERS_ADVICE,
            ), None
    dtype = arr.dtype
    if dtype.kind in "iu":
        dtype = np.dtype(np.float64)  # whole numbers are exact: no precision to warn about
    return arr.astype(np.float64), None, dtype


# ------------------------------------------------------------------------------ shapes


def _input_arrays(inputs) -> list[np.ndarray]:
    arrays = []
    for value in inputs:
        if isinstance(value, np.ndarray | list) or _is_torch_tensor(value):
            try:
                arr = np.asarray(_from_torch(value) if _is_torch_tensor(value) else value)
            except Exception:
                continue
            if arr.dtype.kind in "biuf" and arr.ndim >= 1:
                arrays.append(arr)
    return arrays


def _with_axis_inserted(shape: tuple, into: tuple) -> bool:
    """``into`` is ``shape`` with one extra axis of length 1 somewhere."""
    return len(into) == len(shape) + 1 and any(
        into[:k] + into[k + 1 :] == shape and into[k] == 1 for k in range(len(into))
    )


def shape_miss(got: tuple, expected: tuple, inputs=()) -> Miss:
    """Why a result has the wrong shape, as precisely as the shapes tell."""
    head = f"wrong shape: expected {expected}, got {got}"
    arrays = _input_arrays(inputs)
    if any(got == arr.shape for arr in arrays) and len(got) >= 1:
        if expected == ():
            return Miss(
                f"{head}, the input's shape: one value per element",
                "One number was expected: the mean (or the sum, as the exercise asks) over "
                "every element is missing.",
            )
        if any(expected == arr.shape[:-1] for arr in arrays):
            return Miss(
                f"{head}, the input's shape: one value per element",
                "One value per row was expected: the sum along the last axis (axis=-1) is "
                "missing.",
            )
    for arr in arrays:
        if arr.ndim >= 2 and expected == arr.shape and got == arr.shape[:-1]:
            return Miss(
                f"{head}, one value per row where one per element was expected",
                "The result has the input's shape, one value per element: no sum or mean "
                "over the row (or keepdims=True, if a row's sum must broadcast back).",
            )
        if arr.ndim >= 1 and expected == arr.shape and got == ():
            return Miss(
                f"{head}, one number where one value per element was expected",
                "The result has the input's shape, one value per element: no mean or sum.",
            )
    if expected == () and math.prod(got) == 1:
        return Miss(
            f"{head}, a kept axis",
            "One number was expected: drop the kept axis of length 1 (no keepdims=True in "
            "the final sum or mean, or take .item()).",
        )
    if expected == ():
        return Miss(
            f"{head}, several values where one number was expected",
            "One number was expected: take the mean (or the sum, as the exercise asks) over "
            "every element, with no axis= (or reduce the remaining axes too).",
        )
    if _with_axis_inserted(expected, got):
        return Miss(
            f"{head}, an extra axis of length 1 (a kept axis)",
            "Drop the kept axis: keepdims=False in the last reduction (or np.squeeze(..., "
            "axis=-1)). keepdims=True is for a sum or max that broadcasts back over the row.",
        )
    if _with_axis_inserted(got, expected):
        return Miss(
            f"{head}, an axis of length 1 missing",
            "Keep that axis: keepdims=True in the reduction (or add it back with [..., None]).",
        )
    if len(got) >= 2 and got == expected[::-1]:
        return Miss(
            f"{head}, the axes in the wrong order (transposed)",
            f"Your result is transposed: {got} for {expected}. Did you multiply in the wrong "
            "order (X @ G where X.T @ G is needed), or reduce/stack along the other axis?",
        )
    if len(expected) == 1 and got == (expected[0], expected[0]):
        return Miss(
            f"{head}, an (N, N) array where one value per row was expected",
            "Indexing with [:, y] takes whole columns (every row, for each entry of y): take "
            "one entry per row, row i and column y[i], with [np.arange(N), y].",
        )
    for arr in arrays:
        if arr.ndim >= 2 and expected == arr.shape[:-1]:
            axes = [k for k in range(arr.ndim - 1) if got == arr.shape[:k] + arr.shape[k + 1 :]]
            if axes == [0] and arr.ndim == 2:
                return Miss(
                    f"{head}, one value per column instead of one per row",
                    "Reduce along the last axis (axis=-1), across each row, not along axis 0 "
                    "(down the columns).",
                )
            if axes:
                which = " or ".join(map(str, axes))
                return Miss(
                    f"{head}, reduced along axis {which} instead of the last one",
                    "Reduce along the last axis with axis=-1: it works for any number of "
                    f"batch axes in front, where axis={axes[-1]} does not.",
                )
    if got == ():
        return Miss(
            f"{head}, one number where one value per row was expected",
            "One value per row was expected: no mean or sum over the rows (reduce, if at "
            "all, along the last axis only: axis=-1).",
        )
    return Miss(head)


def shape_problem(got: tuple, expected: tuple, inputs=()) -> str:
    """:func:`shape_miss` as one sentence."""
    miss = shape_miss(got, expected, inputs)
    return miss.problem + (f": {miss.advice}" if miss.advice else "")


# ------------------------------------------------------------------------------ values

_LN2, _LN10 = math.log(2), math.log(10)
_BASES = (
    (1 / _LN2, "1/ln 2", "a log in base 2 (bits) where the natural log (nats) was expected: np.log, not np.log2"),
    (_LN2, "ln 2", "nats where bits were expected: divide nats by ln 2 (or, where you take a log yourself, use np.log2 rather than np.log)"),
    (1 / _LN10, "1/ln 10", "a log in base 10 where the natural log was expected: np.log, not np.log10"),
    (_LN2 / _LN10, "log10(2)", "a log in base 10 where a log in base 2 was expected: np.log2"),
)


def _counts(inputs) -> dict[int, str]:
    """Sizes a wrong result could be scaled by (the first array input's), and what each is."""
    arrays = _input_arrays(inputs)
    if not arrays:
        return {}
    arr = arrays[0]
    sizes = [(arr.size, "elements")] if arr.ndim == 1 else [
        (arr.shape[0], "rows"), (arr.shape[-1], "columns"), (arr.size, "elements")
    ]
    counts: dict[int, list[str]] = {}
    for n, what in sizes:
        if n >= 2 and what not in counts.setdefault(n, []):
            counts[n].append(what)
    return {n: "the number of " + " and of ".join(whats) for n, whats in counts.items() if whats}


def _scalars(inputs) -> list[float]:
    """The plain numbers among the inputs (a learning rate, an eps), other than 0 and ±1."""
    found = []
    for value in inputs:
        if isinstance(value, bool) or not isinstance(value, int | float | np.floating | np.integer):
            continue
        value = float(value)
        if math.isfinite(value) and value not in (0.0, 1.0, -1.0) and value not in found:
            found.append(value)
    return found


def scale_miss(got: np.ndarray, expected: np.ndarray, inputs=()) -> Miss | None:
    """If ``got`` is ``expected`` times one constant, name the constant's likely meaning."""
    finite = np.isfinite(got) & np.isfinite(expected)
    nonzero = finite & (expected != 0)
    if not nonzero.any() or not np.allclose(got[finite & ~nonzero], 0, atol=1e-12):
        return None
    ratios = got[nonzero] / expected[nonzero]
    k = float(np.median(ratios))
    if k == 0 or not np.allclose(ratios, k, rtol=1e-6, atol=0) or math.isclose(k, 1, rel_tol=1e-6):
        return None
    sign = " and the sign is flipped" if k < 0 else ""
    also_sign = " Check the minus sign as well." if k < 0 else ""
    size = abs(k)

    def near(value):
        return math.isclose(size, value, rel_tol=1e-6)

    if near(1):
        return Miss("you got minus the answer: the sign is flipped")
    for value in _scalars(inputs):
        if near(abs(1 / value)):
            return Miss(
                f"exactly the answer divided by {value:g}{sign}, and {value:g} is one of the "
                "inputs: a multiplication by it is missing (or it divides where it should "
                "multiply)?"
            )
        if near(abs(value)):
            return Miss(
                f"exactly {value:g} times the answer{sign}, and {value:g} is one of the inputs: "
                "multiplied by it once too often?"
            )
    for n, what in sorted(_counts(inputs).items()):
        if near(n):
            return Miss(
                f"exactly {n} times the answer{sign}, and {n} is {what} of the input: a sum "
                "where the mean was expected?"
            )
        if near(1 / n):
            return Miss(
                f"exactly 1/{n} of the answer{sign}, and {n} is {what} of the input: divided "
                "by that count once too often?",
                "Divide by the count once only: np.mean already divides by it, so a mean "
                "needs no / N after it (and a sum needs exactly one)." + also_sign,
            )
    for value, name, meaning in _BASES:
        if near(value):
            return Miss(f"{size:.4g} (= {name}) times the answer{sign}: {meaning}")
    if near(2):
        return Miss(f"exactly twice the answer{sign}: a factor 2 too many")
    if near(0.5):
        return Miss(f"exactly half the answer{sign}: a factor 2 missing")
    if nonzero.sum() < 2:  # one number is always some multiple of another
        return None
    return Miss(f"{k:.6g} times the answer: right up to a constant factor")


def scale_problem(got: np.ndarray, expected: np.ndarray, inputs=()) -> str | None:
    """:func:`scale_miss` as a sentence (``None`` if ``got`` is not a multiple)."""
    miss = scale_miss(got, expected, inputs)
    return None if miss is None else miss.problem


def rounding_miss(got: np.ndarray, expected: np.ndarray) -> Miss | None:
    """If ``got`` is ``expected`` rounded to a few decimals, say so."""
    finite = np.isfinite(expected)
    if np.array_equal(got[finite], np.round(got[finite])):
        return None  # whole numbers (0 included) are too often "rounded" by chance
    for decimals in range(1, 7):  # (0 decimals: whole numbers, too often right by chance)
        if np.array_equal(got[finite], np.round(expected[finite], decimals)):
            return Miss(
                f"your numbers are the answer rounded to {decimals} decimals",
                "Return the exact values: round only where you print them "
                "(e.g. print(f\"{p:.3f}\")), never in the result.",
            )
    return None


def _first_difference(got, expected, rtol, atol) -> str:
    bad = ~np.isclose(got, expected, rtol=rtol, atol=atol, equal_nan=True)
    if got.ndim == 0 or not bad.any():
        return ""
    where = tuple(int(i) for i in np.argwhere(bad)[0])
    index = where[0] if len(where) == 1 else list(where)
    return (
        f": {int(bad.sum())} of {bad.size} entries differ, the first at index {index} "
        f"(expected {expected[where]:.10g}, got {got[where]:.10g})"
    )


def value_miss(got, expected, rtol: float, atol: float, inputs=()) -> Miss | None:
    """``None`` if ``got`` matches ``expected``; otherwise what is wrong with it."""
    if isinstance(expected, str):
        if isinstance(got, str):
            return None if got == expected else Miss("a different answer")
        return Miss(f"a string was expected; got {_a(got)}, {short(got, 60)}")
    if isinstance(expected, bool | np.bool_):
        if isinstance(got, bool | np.bool_):
            return None if bool(got) == bool(expected) else Miss("a different answer")
        return Miss(f"True or False was expected; got {_a(got)}, {short(got, 60)}")
    got_arr, miss, dtype = as_numbers(got)
    if miss is not None:
        return miss
    exp_arr = np.asarray(expected, dtype=np.float64)
    if got_arr.shape != exp_arr.shape:
        return shape_miss(got_arr.shape, exp_arr.shape, inputs)
    got_nan, exp_nan = np.isnan(got_arr), np.isnan(exp_arr)
    if (got_nan & ~exp_nan).any():
        return Miss(
            "got NaN where a number was expected: an overflow (inf / inf, inf - inf), "
            "0 * log 0, or 0 / 0?"
        )
    if np.allclose(got_arr, exp_arr, rtol=rtol, atol=atol, equal_nan=True):
        return None
    got_inf, exp_inf = np.isinf(got_arr), np.isinf(exp_arr)
    if (got_inf & ~exp_inf).any():
        which = "-inf" if (got_arr[got_inf & ~exp_inf] < 0).all() else "inf"
        return Miss(
            f"got {which} where a finite number was expected: an overflow (np.exp of a large "
            "number), or the log of a probability that rounded to 0?"
        )
    if (exp_inf & ~got_inf).any():
        return Miss(
            "expected inf (an infinite value) where yours is finite: a small epsilon or a "
            "clip hides the infinity"
        )
    if (exp_inf & (np.sign(got_arr) != np.sign(exp_arr))).any():
        return Miss("got -inf where inf was expected (or the other way round): a sign")
    if dtype is not None and dtype.kind == "f" and dtype.itemsize < 8:
        if np.allclose(got_arr, exp_arr, rtol=2e-5, atol=1e-6, equal_nan=True):
            digits = 7 if dtype.itemsize == 4 else 3
            return Miss(
                f"your result is {dtype}, right only to about {digits} digits",
                "Compute in float64, NumPy's default (torch tensors are float32 unless you ask "
                "for torch.float64; np.float32(...) and float32 inputs stay float32).",
            )
    scaled = scale_miss(got_arr, exp_arr, inputs)
    if scaled is not None:
        return scaled
    rounded = rounding_miss(got_arr, exp_arr)
    if rounded is not None:
        return rounded
    return Miss("the values differ" + _first_difference(got_arr, exp_arr, rtol, atol))


def value_problem(got, expected, rtol: float, atol: float, inputs=()) -> str | None:
    """``None`` if ``got`` matches ``expected``; otherwise what is wrong with it, in words."""
    miss = value_miss(got, expected, rtol, atol, inputs)
    return None if miss is None else miss.problem


def parts_miss(got, expected: tuple, rtol, atol, names=None, inputs=()) -> Miss | None:
    """:func:`value_miss` part by part, for a function that returns several arrays."""
    names = list(names or [f"part {k + 1}" for k in range(len(expected))])
    listing = ", ".join(names)
    if not isinstance(got, tuple | list):
        if got is None:
            return Miss(RETURNED_NONE, RETURN_ADVICE)
        got_arr, _, _ = as_numbers(got)
        for name, part in zip(names, expected, strict=True):
            if got_arr is not None and got_arr.shape == np.shape(part):
                return Miss(
                    f"got one array (the shape of {name}) where {len(expected)} were expected",
                    f"Return them all, as a tuple: `return {listing}` (in this order).",
                )
        return Miss(
            f"expected a tuple of {len(expected)} arrays ({listing}), got {short(got, 80)}",
            f"Return them all, as a tuple: `return {listing}` (in this order).",
        )
    if len(got) != len(expected):
        return Miss(
            f"expected {len(expected)} results ({listing}), got {_a(got)} of {len(got)}",
            f"Return exactly these, in this order: `return {listing}`.",
        )
    shapes = [np.shape(p) for p in expected]
    got_shapes = []
    for part in got:
        arr, _, _ = as_numbers(part)
        got_shapes.append(None if arr is None else arr.shape)
    if got_shapes != shapes and sorted(map(str, got_shapes)) == sorted(map(str, shapes)):
        return Miss(
            "the results are in the wrong order",
            f"Return them in the order the exercise asks: `return {listing}`.",
        )
    for name, g, e in zip(names, got, expected, strict=True):
        miss = value_miss(g, e, rtol, atol, inputs)
        if miss is not None:
            return Miss(f"{name}: {miss.problem}", miss.advice)
    return None


def parts_problem(got, expected: tuple, rtol, atol, names=None, inputs=()) -> str | None:
    """:func:`parts_miss` as a sentence (``None`` if every part matches)."""
    miss = parts_miss(got, expected, rtol, atol, names, inputs)
    return None if miss is None else miss.problem


# -------------------------------------------------------------------------- exceptions

_PACKAGE = Path(__file__).resolve().parents[1]
_LIBRARIES = tuple(
    str(Path(p).resolve())
    for p in {sysconfig.get_paths().get(k) for k in ("stdlib", "platstdlib", "purelib", "platlib")}
    if p
)


def _is_learner_file(filename: str) -> bool:
    if filename.startswith("<") and not filename.startswith("<ipython"):
        return False  # <frozen ...>, <string>: not something the learner can open
    try:
        path = str(Path(filename).resolve())
    except (OSError, ValueError):
        return True
    return not path.startswith(str(_PACKAGE)) and not path.startswith(_LIBRARIES)


def learner_line(exc: BaseException) -> tuple[str, str] | None:
    """``(function name, source line)`` of the learner's line that raised, if known."""
    found = None
    tb = exc.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if _is_learner_file(code.co_filename):
            line = linecache.getline(code.co_filename, tb.tb_lineno, tb.tb_frame.f_globals)
            found = (code.co_name, line.strip())
        tb = tb.tb_next
    return found


def _math_name(line: str) -> str | None:
    match = re.search(r"\bmath\.(\w+)", line)
    return match[1] if match else None


# (exception type names, a pattern its message matches or None, the hint). First match wins.
def _hint_for(exc: BaseException, line: str) -> str:
    name = type(exc).__name__
    try:
        message = str(exc)
    except Exception:
        message = ""
    names = {cls.__name__ for cls in type(exc).__mro__}

    def says(pattern):
        return re.search(pattern, message, flags=re.IGNORECASE) is not None

    if name == "NameError":
        match = re.search(r"name '(\w+)'", message)
        what = f"`{match[1]}`" if match else "a name"
        return (
            f"{what} is not defined where your function runs. A variable from another cell "
            "(a function should take what it needs as arguments), a typo, or a missing "
            "import (np, xl)?"
        )
    if name == "UnboundLocalError":
        return (
            "a local variable is used before it gets a value: give it one first (e.g. "
            "`total = 0` before `total += ...`), or don't reuse the name of a variable "
            "from outside the function"
        )
    if name == "RecursionError":
        return (
            "your function calls itself again and again: does it call its own name (e.g. "
            "`def softmax(z): return softmax(z)`)? Write the formula, or call the package's "
            "version (xl.softmax)"
        )
    if name == "ZeroDivisionError":
        return (
            "a division by zero with plain Python numbers (Python raises; NumPy arrays give "
            "inf or nan instead): which denominator is 0 for this input?"
        )
    if name == "OverflowError":
        fn = _math_name(line) or "exp"
        return (
            f"math.{fn} overflowed (math.exp(1000) raises): use np.{fn} on the whole array, "
            "and shift by the largest value so that exp never sees a large positive number"
        )
    if "AxisError" in names:
        return (
            "that axis does not exist for an input with fewer dimensions: use axis=-1, the "
            "last axis, which works for 1-D and 2-D input alike"
        )
    if says("math domain error"):
        fn = _math_name(line) or "log"
        return (
            f"math.{fn} of 0 or of a negative number raises: use np.{fn}, which works on whole "
            "arrays (and gives -inf at 0), and keep zeros away from the log (np.where)"
        )
    if says(r"only (length-1|size-1|0-dimensional|integer scalar) arrays") or says(
        r"must be real number, not"
    ):
        fn = _math_name(line)
        if fn:
            return f"math.{fn} takes a single number, and got an array: use np.{fn}, which works elementwise on whole arrays"
        return (
            "a function that takes a single number (math.*, float(), int()) got an array: "
            "use the NumPy version (np.log, np.exp, ...), which works on whole arrays"
        )
    if name == "IndexError" and says("shape mismatch"):
        return (
            "row and column index arrays of different lengths: np.arange(N) and y must both "
            "have N entries. Take N from the input (len(y) or probs.shape[0]); don't "
            "hard-code it"
        )
    if says("cannot cast ufunc") or (name == "UFuncTypeError" and says("cast")):
        return (
            "an in-place operation (/=, *=, -=) on an array of whole numbers cannot store "
            "fractions: work on a float copy, np.array(x, dtype=float), and write "
            "`x = x / total` rather than `x /= total`"
        )
    if says(r"matmul: Input operand \d+ has a mismatch in its core dimension"):
        return (
            "the inner sizes of @ do not agree: (N, D) @ (D, C) works, (N, D) @ (N, C) does "
            "not. Check which side needs a transpose (.T), e.g. X.T @ G for a (D, C) result"
        )
    if says("could not be broadcast"):
        shapes = re.findall(r"\(([\d, ]*)\)", message)
        if len(shapes) >= 2:
            a, b = (tuple(int(n) for n in re.findall(r"\d+", t)) for t in shapes[:2])
            if len(a) >= 2 and a == b[::-1]:
                return (
                    f"one array is the transpose of the other, {a} and {b}: a product in the "
                    "wrong order (G.T @ X where X.T @ G is meant), or a missing .T"
                )
            if len(a) != len(b) and (a[:1] == b[:1] or a[-1:] == b[-1:]):
                pass  # (N,) against (N, C): the keepdims hint below
            elif not (len(a) == 1 or len(b) == 1):
                return (
                    f"two arrays whose shapes do not line up, {a} and {b}: print the shapes "
                    "of what that line combines, just before it"
                )
        return (
            "two arrays whose shapes do not line up. A sum or max over the last axis has "
            "shape (N,), which does not broadcast against (N, C): keep the axis with "
            "keepdims=True (or add it back with [:, None])"
        )
    if says("truth value of an array"):
        return (
            "`if`, `and`, `or` or `not` on a whole array: NumPy cannot say whether an array is "
            "True. Use np.where(condition, a, b) or a boolean mask (and & | between arrays)"
        )
    if says("unable to allocate") or "MemoryError" in names:
        return (
            "ran out of memory: an intermediate array far bigger than the input? (q[:, y] "
            "makes an (N, N) array; broadcasting (N, 1) against (N,) too)"
        )
    if name == "IndexError" and says("out of bounds"):
        return (
            "an index past the end of an axis: take N and C from the input's shape instead "
            "of hard-coding them, and index the rows with np.arange(N), N = the number of rows"
        )
    if name == "IndexError" and says("too many indices"):
        return (
            "more indices than the array has axes: is the input 1-D here (one row)? Index "
            "with [..., j] or use axis=-1 so that any number of axes works"
        )
    if name == "IndexError" and says("arrays used as indices|only integers"):
        return (
            "an index that is not an integer (a float such as 2.0?): class indices are "
            "integers; convert with .astype(int)"
        )
    if says("'NoneType'"):
        return (
            "something in your function is None: a helper function that forgot its "
            "`return`, or a method that works in place and returns None (list.sort())?"
        )
    if name == "AttributeError" and says(r"^'(list|tuple)' object"):
        return (
            "a Python list has no NumPy methods (.sum(), .max(), .shape): make it an array "
            "first, np.asarray(...)"
        )
    if name == "AttributeError" and says(r"^'(float|int)' object"):
        return (
            "a plain Python number has no NumPy methods: use the np functions (np.sum(x), "
            "np.log(x)), or make it an array first, np.asarray(...)"
        )
    if name == "AttributeError" and says("^module 'numpy'"):
        return (
            "NumPy has no function of that name: a typo, or one from another library "
            "(math, scipy, torch)? The NumPy names are np.log, np.exp, np.sum, np.max, ..."
        )
    if name == "TypeError" and says(r"for [^:]+: 'list'|'list' and|sequence by non-int"):
        return (
            "arithmetic on a Python list: lists do not compute elementwise (a list times 2 "
            "repeats it). Make it an array first, np.asarray(...)"
        )
    if name == "TypeError" and says("not callable"):
        return (
            "you called something that is not a function: a variable named like a function "
            "(e.g. `sum = ...` hides sum()), or a missing * (2(x) instead of 2 * (x))?"
        )
    if name == "TypeError" and says("not subscriptable"):
        return "indexing ([...]) something that is not an array or a list: check its type"
    if name == "TypeError" and says("positional argument|keyword argument"):
        return "a function was called with the wrong arguments: compare the call on that line with the function's definition"
    if name == "TypeError" and says("cannot be interpreted as an integer"):
        return "an integer was needed (a size, or a range()): convert with int(...)"
    if says("requires grad"):
        return (
            "a torch tensor that requires grad cannot become a NumPy array: call .detach() "
            "first, or write this exercise in NumPy"
        )
    if name == "KeyError":
        return "a dictionary key (or a column name) that does not exist: check the spelling"
    if name == "NotImplementedError":
        return (
            "a function yours calls raised NotImplementedError: is it one of your other "
            "exercises, still the stub? Finish that one first (or compute it here)"
        )
    if name in ("ModuleNotFoundError", "ImportError"):
        return (
            "a module that is not installed here: the course uses numpy, xent_lessons "
            "(xl), matplotlib and torch"
        )
    if name == "SystemExit":
        return "your function called exit() or sys.exit(): return a value instead"
    if name == "AssertionError":
        return "an `assert` in your function failed: the condition it checks is False for this input"
    return (
        "Python stopped your function with this error at the line shown: fix that line first "
        "(print the shapes and values it works on, just before it)"
    )


def exception_report(exc: BaseException) -> tuple[str, str]:
    """``(details, hint)`` for an exception raised by the learner's function."""
    details = f"   your function raised {exception_text(exc)}"
    where = learner_line(exc)
    if where is not None and where[1]:
        function, line = where
        details += f"\n   in {function}, at: {cap(line, 120)}"
    hint = _hint_for(exc, where[1] if where else "")
    return details, hint[:1].upper() + hint[1:] + ("" if hint.endswith((".", "?", ")")) else ".")
