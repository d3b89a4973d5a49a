"""Notebooks are written as JupyterLab writes them (tools/notebook_format.py).

The rules were found by saving our notebooks in JupyterLab (tests/browser checks every
lesson there); here each rule is tested on its own, and every committed notebook must be a
fixed point: formatting it again changes nothing, byte for byte.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import notebook_format as fmt  # noqa: E402

# The lessons (learner and solution versions), not JupyterLab's .ipynb_checkpoints copies.
NOTEBOOKS = sorted(
    [*ROOT.glob("notebooks/[0-9][0-9]_*.ipynb"), *ROOT.glob("notebooks/solutions/[0-9][0-9]_*.ipynb")]
)


def test_integral_floats_become_integers_as_in_javascript():
    value = {"a": 1.0, "b": [-0.0, 2.5, 1e21, 3], "c": {"d": 1e20, "e": True, "f": "1.0"}}
    assert fmt.js_numbers(value) == {
        "a": 1,
        "b": [0, 2.5, 1e21, 3],
        "c": {"d": 10**20, "e": True, "f": "1.0"},
    }
    assert type(fmt.js_numbers(1.0)) is int and type(fmt.js_numbers(1e21)) is float
    assert fmt.js_numbers(True) is True  # a bool is not a number here


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain", "plain"),
        ("abc\rxy\n", "xyc\n"),  # \r returns to the start of the line
        ("10%\r50%\r100%\n", "100%\n"),
        ("one\ntwo\n", "one\ntwo\n"),
    ],
)
def test_carriage_returns_work_as_in_a_terminal(text, expected):
    assert fmt.process_text(0, text)[0] == expected


def test_consecutive_streams_of_one_name_are_merged():
    outputs = [
        {"output_type": "stream", "name": "stdout", "text": "a\n"},
        {"output_type": "stream", "name": "stdout", "text": "b\n"},
        {"output_type": "stream", "name": "stderr", "text": "warning\n"},
        {"output_type": "stream", "name": "stdout", "text": "c\n"},
        {"output_type": "display_data", "data": {"text/plain": "x"}, "metadata": {}},
        {"output_type": "stream", "name": "stdout", "text": "d\n"},
    ]
    merged = fmt.merge_streams(outputs)
    assert [(o.get("name"), o.get("text")) for o in merged] == [
        ("stdout", "a\nb\n"),
        ("stderr", "warning\n"),
        ("stdout", "c\n"),
        (None, None),
        ("stdout", "d\n"),
    ]


def test_kernelspec_timing_and_numbers_are_set_as_jupyterlab_saves_them():
    nb = nbformat.v4.new_notebook(
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        }
    )
    cell = nbformat.v4.new_code_cell("1", execution_count=1)
    cell.metadata["execution"] = {"iopub.status.idle": "2026-01-01T00:00:00Z"}
    cell.outputs = [
        nbformat.v4.new_output("execute_result", {"text/plain": "1"}, execution_count=1)
    ]
    nb.cells.append(cell)
    nb.metadata["widgets"] = {"state": {"value": 2.0}}
    out = fmt.lab_format(nb)
    assert out.metadata.kernelspec == fmt.kernelspec("python3")
    assert out.metadata.kernelspec.display_name == "Python 3 (ipykernel)"
    assert "execution" not in out.cells[0].metadata
    assert (
        out.metadata.widgets["state"]["value"] == 2
        and type(out.metadata.widgets["state"]["value"]) is int
    )
    text = fmt.writes(nb)
    assert text.endswith("}\n") and fmt.writes(nbformat.reads(text, as_version=4)) == text


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[str(p.relative_to(ROOT)) for p in NOTEBOOKS])
def test_every_notebook_is_saved_as_jupyterlab_saves_it(path):
    text = path.read_text(encoding="utf-8")
    assert fmt.writes(nbformat.reads(text, as_version=4)) == text, (
        f"{path.relative_to(ROOT)} is not in JupyterLab's format: run make notebooks"
    )
