"""Grading mode: under nbgrader a check that does not pass fails its cell; elsewhere it never does.

nbgrader sets ``NBGRADER_EXECUTION`` for the kernels of ``nbgrader autograde`` and
``nbgrader validate``; only then does ``xl.check.<exercise>`` raise. The tests run a real
kernel (nbclient), as nbgrader does, with and without it.
"""

from __future__ import annotations

import os

import nbformat
import numpy as np
import pytest
from conftest import isolated_jupyter_env
from nbclient import NotebookClient

import xent_lessons as xl
from xent_lessons.check import _grading


def naive_softmax(z):
    return np.exp(z) / np.sum(np.exp(z), axis=-1, keepdims=True)


def test_self_study_never_raises(monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    result = xl.check.stable_softmax(naive_softmax)
    assert result.status == "failed" and "overflows" in result.message


@pytest.mark.parametrize("run", ["autograde", "validate"])
def test_under_nbgrader_a_failed_check_raises_with_the_report(monkeypatch, run):
    monkeypatch.setenv("NBGRADER_EXECUTION", run)
    with pytest.raises(_grading.CheckFailed) as caught:
        xl.check.stable_softmax(naive_softmax)
    report = xl.check.all_checkers()["stable_softmax"](naive_softmax).message
    assert str(caught.value) == report
    assert caught.value._render_traceback_() == report.splitlines()

    def stub(z):
        raise NotImplementedError("Exercise: replace this line with your code")

    with pytest.raises(_grading.CheckFailed, match="not attempted"):
        xl.check.stable_softmax(stub)
    assert xl.check.stable_softmax(xl.softmax) is None  # passed: shown, and no value


def test_other_values_of_the_variable_do_not_switch_it_on(monkeypatch):
    for value in ("", "0", "1", "feedback"):
        monkeypatch.setenv("NBGRADER_EXECUTION", value)
        assert xl.check.stable_softmax(naive_softmax).status == "failed"


def _run_check_cells(tmp_path, env_extra):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("import numpy as np\nimport sys\nimport xent_lessons as xl"),
        nbformat.v4.new_code_cell(
            "def naive(z):\n    return np.exp(z) / np.sum(np.exp(z), axis=-1, keepdims=True)"
        ),
        nbformat.v4.new_code_cell("xl.check.stable_softmax(naive)"),
        nbformat.v4.new_code_cell(
            "def noisy(z):\n    print('debugging', file=sys.stderr)\n    return xl.softmax(z)"
        ),
        nbformat.v4.new_code_cell("xl.check.stable_softmax(noisy)"),
    ]
    saved = os.environ.copy()
    os.environ.clear()
    os.environ.update(isolated_jupyter_env(tmp_path, **env_extra))
    try:
        NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True).execute()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return nb.cells[2].outputs, nb.cells[4].outputs


def test_in_a_kernel_started_by_nbgrader_the_cell_fails_with_the_report_only(tmp_path):
    failed, passed = _run_check_cells(tmp_path, {"NBGRADER_EXECUTION": "autograde"})
    errors = [o for o in failed if o.output_type == "error"]
    assert len(errors) == 1 and errors[0].ename == "CheckFailed"
    text = "\n".join(errors[0].traceback)
    assert text.startswith("❌ stable_softmax: failed") and "hint:" in text
    assert "Traceback" not in text and "File " not in text
    # nbgrader gives points to a cell with no error and nothing on stderr: the passing
    # check shows its report, and the learner's print to stderr lands on stdout.
    assert all(o.output_type != "error" for o in passed)
    assert not [o for o in passed if o.output_type == "stream" and o.name == "stderr"]
    assert not [o for o in passed if o.output_type == "execute_result"]
    shown = "".join(o.get("text", "") + o.get("data", {}).get("text/plain", "") for o in passed)
    assert "debugging" in shown and "✅ stable_softmax: passed" in shown


def test_in_a_learners_kernel_the_cell_shows_the_report_and_never_fails(tmp_path):
    failed, _ = _run_check_cells(tmp_path, {})
    assert all(o.output_type != "error" for o in failed)
    (result,) = [o for o in failed if o.output_type == "execute_result"]
    assert result.data["text/plain"].startswith("❌ stable_softmax: failed")
