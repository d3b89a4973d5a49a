"""Shared by the classroom tests: where things are, and the timings they report at the end.

The tests measure what a teacher wants to know (how long the hub takes to start, a pull,
grading one notebook); ``record_timing`` keeps each figure and the end of the run prints
them, one line each, after pytest's summary.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
TOOLS = REPO / "tools"
VENV_BIN = Path(sys.executable).parent

_TIMINGS: list[str] = []


def load_tool(name: str):
    """A module of tools/ (they are scripts, not a package)."""
    spec = importlib.util.spec_from_file_location(name, TOOLS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(name, module)
    spec.loader.exec_module(module)
    return module


def isolated_jupyter_env(work: Path, **extra: str) -> dict:
    """The environment for a Jupyter process of a test: its config, data, runtime files,
    IPython profile and matplotlib cache in ``work``, the virtual environment's commands
    first on PATH (nbgrader runs ``alembic`` from there)."""
    env = dict(os.environ)
    for name, sub in {
        "JUPYTER_CONFIG_DIR": "jupyter-config",
        "JUPYTER_DATA_DIR": "jupyter-data",
        "JUPYTER_RUNTIME_DIR": "jupyter-runtime",
        "IPYTHONDIR": "ipython",
    }.items():
        path = work / sub
        path.mkdir(parents=True, exist_ok=True)
        env[name] = str(path)
    for name in ("JUPYTER_PATH", "JUPYTER_CONFIG_PATH", "JUPYTER_TOKEN", "NBGRADER_EXECUTION"):
        env.pop(name, None)
    env["PATH"] = os.pathsep.join([str(VENV_BIN), env.get("PATH", "")])
    env.update(extra)
    return env


def run_nbgrader(arguments, cwd: Path, env: dict) -> tuple[float, float]:
    """Run an nbgrader command; raise with its output if it fails. Return (wall, CPU) seconds,
    the CPU time including the kernels it started."""
    command = [str(VENV_BIN / "nbgrader"), *arguments]
    log = cwd / "nbgrader.log"
    started = time.perf_counter()
    with open(log, "ab") as out:
        out.write(f"\n$ {' '.join(command)}\n".encode())
        out.flush()
        process = subprocess.Popen(
            command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=out
        )
        try:
            _, status, usage = os.wait4(process.pid, 0)
        except BaseException:
            process.kill()
            raise
        process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    text = log.read_text(errors="replace")
    if process.returncode != 0 or "| ERROR]" in text.rsplit("\n$ ", 1)[-1]:
        raise AssertionError(f"{' '.join(command)} failed:\n{text[-4000:]}")
    return wall, usage.ru_utime + usage.ru_stime


@pytest.fixture(scope="session")
def record_timing():
    def record(text: str) -> None:
        _TIMINGS.append(text)

    return record


def pytest_terminal_summary(terminalreporter):
    if _TIMINGS:
        terminalreporter.section("classroom timings (wall clock on this machine, under its load)")
        for line in _TIMINGS:
            terminalreporter.write_line(line)
