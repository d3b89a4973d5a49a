"""The time limit in a real Jupyter kernel (nbclient): an endless loop in a learner's function
is reported after the limit, every checker included, and the kernel runs code afterwards."""

from __future__ import annotations

import json
import textwrap

import nbformat
import pytest

nbclient = pytest.importorskip("nbclient")

CELLS = [
    """
    import json, threading, time
    import numpy as np
    import xent_lessons as xl
    from xent_lessons.check import _calling
    baseline = threading.active_count()
    """,
    # The default limit, on a pure-Python endless loop.
    """
    def stable_softmax(z):
        while True:
            pass

    start = time.perf_counter()
    result = xl.check.stable_softmax(stable_softmax)
    print(json.dumps({"status": result.status, "message": result.message,
                      "seconds": time.perf_counter() - start}))
    """,
    # The looping thread really stopped.
    """
    deadline = time.monotonic() + 3
    while threading.active_count() > baseline and time.monotonic() < deadline:
        time.sleep(0.05)
    print(json.dumps({"extra_threads": threading.active_count() - baseline}))
    """,
    # Every checker, on its first call, with a short limit.
    """
    _calling.TIME_LIMIT = 0.05  # short: each spinning call burns a core until stopped

    def spins(*args, **kwargs):
        while True:
            pass

    reports = {name: checker(spins) for name, checker in xl.check.all_checkers().items()}
    print(json.dumps({name: [r.status, r.message] for name, r in reports.items()}))
    """,
    # A function asleep in C code: reported at the limit, left to wake up on its own.
    """
    start = time.perf_counter()
    result = xl.check.stable_softmax(lambda z: time.sleep(2))
    print(json.dumps({"status": result.status, "message": result.message,
                      "seconds": time.perf_counter() - start}))
    """,
    # The kernel still runs code, and checks still pass.
    """
    _calling.TIME_LIMIT = 5.0
    ok = xl.check.stable_softmax(lambda z: xl.softmax(z))
    print(json.dumps({"answer": 6 * 7, "status": ok.status}))
    """,
]


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(textwrap.dedent(c).strip()) for c in CELLS]
    client = nbclient.NotebookClient(
        nb,
        timeout=120,
        kernel_name="python3",
        extra_arguments=["--IPKernelApp.log_level=ERROR"],
        resources={"metadata": {"path": str(tmp_path_factory.mktemp("kernel"))}},
    )
    client.execute()  # starts the kernel and always shuts it down, also on an error
    printed = []
    for cell in nb.cells[1:]:
        text = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
        printed.append(json.loads(text.strip().splitlines()[-1]))
    return printed


def test_an_endless_loop_is_reported_after_the_default_time_limit(outputs):
    report = outputs[0]
    assert report["status"] == "failed"
    assert "your function was still running after 5 s: an endless loop?" in report["message"]
    assert "It was stopped; the kernel is fine." in report["message"]
    assert 5.0 <= report["seconds"] < 15.0


def test_the_looping_thread_is_stopped(outputs):
    assert outputs[1]["extra_threads"] == 0


def test_every_checker_stops_an_endless_loop_in_the_kernel(outputs):
    import xent_lessons as xl

    reports = outputs[2]
    assert set(reports) == set(xl.check.all_checkers())
    for name, (status, message) in reports.items():
        assert status == "failed", (name, message)
        assert "still running after 0.05 s: an endless loop?" in message, (name, message)


def test_a_sleeping_function_does_not_hold_the_kernel(outputs):
    report = outputs[3]
    assert report["status"] == "failed" and report["seconds"] < 2.0
    assert "could not be stopped yet" in report["message"]


def test_the_kernel_still_runs_code_afterwards(outputs):
    assert outputs[4] == {"answer": 42, "status": "passed"}
