"""Calling a learner's function safely: a time limit, capped output, untouched inputs.

A checker calls the learner's function on its cases through :func:`call_learner`, which

- runs it in a worker thread and waits at most ``TIME_LIMIT`` seconds. A function still
  running then (``while True:``) is stopped by an exception raised inside its thread
  (``PyThreadState_SetAsyncExc``, the only way to stop a pure-Python loop from outside that
  works in a Jupyter kernel on Linux, macOS and Windows alike: signals such as ``SIGALRM``
  exist on Unix only and reach only the main thread, and a subprocess cannot run a function
  defined in a notebook on Windows). The kernel's own thread is never blocked for longer than
  the limit, so the kernel stays usable;
- keeps what the function prints (up to a budget, see :class:`OutputBudget`) and shows it
  after the call, so a function that prints megabytes cannot flood the notebook;
- gives it deep copies of the inputs and compares them afterwards with a second copy, so an
  answer that changes its input in place is caught (and cannot spoil later cases);
- silences NumPy's floating-point warnings: a naive answer may overflow, and the checker
  reports that, not NumPy's warnings.

It never raises, except ``KeyboardInterrupt`` (the learner pressed "interrupt"): every other
outcome (a value, an exception, a time-out) comes back in a :class:`Call`.
"""

from __future__ import annotations

import contextvars
import copy
import inspect
import sys
import threading
import time
import warnings
from dataclasses import dataclass, field

import numpy as np

# Seconds one call of a learner's function may take. The course's reference answers take
# milliseconds, so a few seconds leaves room for a slow but honest loop on a busy machine.
TIME_LIMIT = 5.0
# Characters of what a learner's function prints that one check shows, all cases together.
PRINT_LIMIT = 2000
# After the time limit: how long to keep asking a stopped function's thread to end.
_STOP_PATIENCE = 30.0


class TimeLimitExceeded(BaseException):
    """Raised inside a learner's function that ran past the time limit.

    A ``BaseException``, so that a learner's ``except Exception:`` does not swallow it.
    """


class LearnerTimeout(Exception):
    """What :func:`call_quietly <xent_lessons.check._runner.call_quietly>` raises for a
    function that was still running after the time limit."""


@dataclass
class Call:
    """What came of one call of a learner's function."""

    value: object = None
    error: BaseException | None = None  # the exception it raised, if any
    timed_out: bool = False  # still running after the time limit
    stopped: bool = True  # (after a time-out) its thread did stop
    seconds: float = 0.0
    changed: list = field(default_factory=list)  # (name, before, after) of inputs it changed
    signature_problem: str | None = None  # the call does not fit the function's parameters

    @property
    def returned(self) -> bool:
        return self.error is None and not self.timed_out and self.signature_problem is None


class OutputBudget:
    """What a learner's function may print during one check (all its calls together).

    The first ``limit`` characters are shown; the rest are counted and summed up in one
    line at the end of the report (see :meth:`note`).
    """

    def __init__(self, limit: int | None = None):
        self.limit = PRINT_LIMIT if limit is None else limit
        self.shown = 0
        self.dropped = 0
        self.marked = False  # the cut has been marked in the output

    def take(self, text: str) -> str:
        room = max(self.limit - self.shown, 0)
        kept = text[:room]
        self.shown += len(kept)
        self.dropped += len(text) - len(kept)
        return kept

    def note(self) -> str | None:
        if not self.dropped:
            return None
        return (
            f"(your function printed {self.shown + self.dropped:,} characters; only the first "
            f"{self.shown:,} are shown)"
        )


class _ThreadOutput:
    """A stand-in for ``sys.stdout``/``sys.stderr``: text written from the worker thread is
    kept (up to the budget); text from any other thread goes on to the real stream."""

    def __init__(self, stream, worker: threading.Thread, budget: OutputBudget, kept: list):
        self._stream, self._worker, self._budget, self._kept = stream, worker, budget, kept

    def write(self, text):
        if threading.current_thread() is not self._worker:
            return self._stream.write(text)
        text = str(text)
        kept = self._budget.take(text)
        if kept:
            self._kept.append(kept)
        return len(text)

    def flush(self):
        if threading.current_thread() is not self._worker:
            self._stream.flush()

    def __getattr__(self, name):  # encoding, isatty, fileno, ...
        return getattr(self._stream, name)


def _raise_in(thread: threading.Thread, exc_type) -> None:
    """Raise ``exc_type`` in ``thread`` at its next Python instruction (CPython only)."""
    try:
        import ctypes

        set_async_exc = ctypes.pythonapi.PyThreadState_SetAsyncExc
    except (ImportError, AttributeError):  # not CPython: the thread is left to finish
        return
    ident = ctypes.c_ulong(thread.ident)
    if set_async_exc(ident, ctypes.py_object(exc_type)) > 1:  # never: undo it
        set_async_exc(ident, None)


def _stop(thread: threading.Thread, finished: threading.Event) -> bool:
    """Stop a running worker thread; ``True`` if it stopped within a second.

    A pure-Python loop stops at once. A thread waiting inside C code (``time.sleep``, a huge
    NumPy operation) only sees the exception when it returns to Python, so a helper thread
    keeps asking for a while (also if the learner's code catches the exception). The
    thread's end is read from ``finished`` (set by the thread itself), not ``is_alive()``,
    which an interrupted ``join`` can leave wrong.
    """
    deadline = time.monotonic() + 1.0
    while not finished.is_set() and time.monotonic() < deadline:
        _raise_in(thread, TimeLimitExceeded)
        finished.wait(0.05)
    if finished.is_set():
        return True

    def keep_asking():
        end = time.monotonic() + _STOP_PATIENCE
        while not finished.is_set() and time.monotonic() < end:
            _raise_in(thread, TimeLimitExceeded)
            finished.wait(0.1)

    threading.Thread(target=keep_asking, name="xent-check-stopper", daemon=True).start()
    return False


def snapshot(value):
    """A deep copy of ``value`` to compare with later (``value`` itself if it has none)."""
    try:
        return copy.deepcopy(value)
    except Exception:
        return value


def same(before, after) -> bool:
    """``True`` unless ``after`` is visibly different from ``before`` (an in-place change)."""
    if before is after:
        return True
    if isinstance(before, np.ndarray) and isinstance(after, np.ndarray):
        if before.shape != after.shape or before.dtype != after.dtype:
            return False
        try:
            return bool(np.array_equal(before, after, equal_nan=before.dtype.kind in "fc"))
        except Exception:
            return bool(np.array_equal(before, after))
    if isinstance(before, list | tuple) and isinstance(after, list | tuple):
        return len(before) == len(after) and all(map(same, before, after))
    if isinstance(before, dict) and isinstance(after, dict):
        return before.keys() == after.keys() and all(same(before[k], after[k]) for k in before)
    if type(before).__module__.startswith("torch") and hasattr(before, "detach"):
        try:
            import torch

            return bool(torch.equal(before.detach(), after.detach()))
        except Exception:
            return True
    return True  # numbers, strings, functions: nothing to change in place


def argument_names(fn, args, kwargs) -> list[str]:
    """A name for each argument: the learner's parameter name where it can be known."""
    names = [f"argument {k + 1}" for k in range(len(args))] + list(kwargs)
    try:
        bound = inspect.signature(fn).bind_partial(*args, **kwargs)
    except (TypeError, ValueError):
        return names
    positional = []
    for name, value in bound.arguments.items():
        kind = inspect.signature(fn).parameters[name].kind
        if kind is inspect.Parameter.VAR_POSITIONAL:
            positional += [f"{name}[{k}]" for k in range(len(value))]
        elif kind is not inspect.Parameter.VAR_KEYWORD and name not in kwargs:
            positional.append(name)
    if len(positional) == len(args):
        names[: len(args)] = positional
    return names


def signature_problem(fn, args, kwargs) -> str | None:
    """Why ``fn(*args, **kwargs)`` cannot even start, in words; ``None`` if it can."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):  # a builtin or a NumPy ufunc: just try the call
        return None
    try:
        sig.bind(*args, **kwargs)
    except TypeError as exc:
        shown = [f"<{k + 1}>" for k in range(len(args))] + [f"{k}=..." for k in kwargs]
        name = getattr(fn, "__name__", "your_function")
        return (
            f"your function's parameters {sig} do not fit the call this check makes, "
            f"{name}({', '.join(shown)}): {exc}"
        )
    return None


def _code_of(fn):
    fn = inspect.unwrap(fn) if callable(fn) else fn
    fn = getattr(fn, "func", fn)  # functools.partial
    fn = getattr(fn, "__func__", fn)  # a bound method
    if not hasattr(fn, "__code__") and not isinstance(fn, type):
        fn = vars(type(fn)).get("__call__", fn)  # an object with a __call__ method
    return getattr(fn, "__code__", None)


def raised_by_the_function_itself(fn, exc: BaseException) -> bool:
    """``True`` if ``exc`` was raised by a line of ``fn``'s own body (not a function it
    called): how the untouched stub ``raise NotImplementedError`` is recognised."""
    code = _code_of(fn)
    tb = exc.__traceback__
    if code is None or tb is None:
        return True
    while tb.tb_next is not None:
        tb = tb.tb_next
    return tb.tb_frame.f_code is code


def call_learner(fn, args=(), kwargs=None, *, time_limit=None, budget=None) -> Call:
    """Call ``fn(*args, **kwargs)`` with a time limit, capped output and copied inputs.

    Parameters
    ----------
    fn : callable
        The learner's function.
    args, kwargs : tuple, dict
        The inputs; ``fn`` gets deep copies, compared with the originals afterwards.
    time_limit : float, optional
        Seconds; default :data:`TIME_LIMIT` (read at call time).
    budget : OutputBudget, optional
        Shared by the calls of one check, so that the cap holds for the whole report.

    Returns
    -------
    Call
        The value or the exception, whether it timed out, the inputs it changed in place.
    """
    kwargs = dict(kwargs or {})
    limit = TIME_LIMIT if time_limit is None else time_limit
    budget = budget if budget is not None else OutputBudget()
    problem = signature_problem(fn, args, kwargs)
    if problem is not None:
        return Call(signature_problem=problem)
    given_args, given_kwargs = snapshot(tuple(args)), snapshot(kwargs)
    box: dict = {}
    finished = threading.Event()

    def work():
        try:
            with np.errstate(all="ignore"):  # NumPy's error state belongs to the thread
                box["value"] = fn(*given_args, **given_kwargs)
        except BaseException as exc:  # everything, TimeLimitExceeded and SystemExit included
            box["error"] = exc
        finally:
            finished.set()

    context = contextvars.copy_context()  # the caller's NumPy print/err state, decimal, ...
    worker = threading.Thread(target=context.run, args=(work,), name="xent-check", daemon=True)
    kept: list[str] = []
    dropped_before = budget.dropped
    real_out, real_err = sys.stdout, sys.stderr
    sys.stdout = _ThreadOutput(real_out, worker, budget, kept)
    sys.stderr = _ThreadOutput(real_err, worker, budget, kept)
    start = time.perf_counter()
    try:
        # Warning filters are global: set here, so they are restored when the call ends.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            worker.start()
            # Short waits, so that an interrupt (Jupyter's stop button) is seen at once on
            # every platform, even where it cannot wake a long wait.
            deadline = time.monotonic() + limit
            while not finished.is_set() and time.monotonic() < deadline:
                finished.wait(min(0.05, max(deadline - time.monotonic(), 0)))
            timed_out = not finished.is_set()
            stopped = _stop(worker, finished) if timed_out else True
    except KeyboardInterrupt:  # the learner interrupted the kernel: stop the function too
        _stop(worker, finished)
        raise
    finally:
        seconds = time.perf_counter() - start
        sys.stdout, sys.stderr = real_out, real_err
        dropped = budget.dropped - dropped_before
        if kept or dropped:
            text = "".join(kept)
            if text and not text.endswith("\n"):
                text += "\n"
            if dropped and not budget.marked:  # say where the cut is, once per check
                budget.marked = True
                text += (
                    f"[… your function printed more than {budget.limit:,} characters: the "
                    "rest is not shown]\n"
                )
            real_out.write(text)
            real_out.flush()
    if timed_out:
        return Call(timed_out=True, stopped=stopped, seconds=seconds)
    error = box.get("error")
    if isinstance(error, TimeLimitExceeded):  # it ended only just after the limit
        return Call(timed_out=True, seconds=seconds)
    names = argument_names(fn, args, kwargs)
    changed = [
        (name, before, after)
        for name, before, after in zip(
            names, (*args, *kwargs.values()), (*given_args, *given_kwargs.values()), strict=False
        )
        if not same(before, after)
    ]
    return Call(value=box.get("value"), error=error, seconds=seconds, changed=changed)
