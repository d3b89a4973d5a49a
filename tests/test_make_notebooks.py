"""The learner notebooks are generated from the solution notebooks: one source of truth."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("make_notebooks", ROOT / "tools" / "make_notebooks.py")
make_notebooks = importlib.util.module_from_spec(spec)
spec.loader.exec_module(make_notebooks)


def _solution_notebook():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell(
            "Why?\n<!-- BEGIN SOLUTION -->Because logs add.<!-- END SOLUTION -->"
        ),
        nbformat.v4.new_code_cell(
            "def double(x):\n"
            '    """Twice x."""\n'
            "    # BEGIN SOLUTION\n"
            "    y = 2 * x\n"
            "    return y\n"
            "    # END SOLUTION\n"
            "\n"
            "def triple(x):\n"
            "    # BEGIN SOLUTION\n"
            "    return 3 * x\n"
            "    # END SOLUTION"
        ),
        nbformat.v4.new_code_cell("print('the answer is 6')", metadata={"tags": ["solution-only"]}),
        nbformat.v4.new_code_cell("xl.check.double(double)"),
    ]
    return nb


def test_solution_blocks_become_stubs_at_their_indentation():
    learner = make_notebooks.learner_notebook(_solution_notebook())
    code = learner.cells[1].source
    assert "2 * x" not in code and "3 * x" not in code
    assert code.count('    raise NotImplementedError("Exercise: replace this line') == 2
    assert '"""Twice x."""' in code  # the docstring stays: it is the exercise's statement
    compile(code, "<learner cell>", "exec")  # and the stubbed cell is still valid Python


def test_written_answers_are_hidden_and_solution_only_cells_dropped():
    learner = make_notebooks.learner_notebook(_solution_notebook())
    assert "Because logs add" not in learner.cells[0].source
    assert make_notebooks.MARKDOWN_STUB in learner.cells[0].source
    sources = [c.source for c in learner.cells]
    assert "print('the answer is 6')" not in sources
    assert sources[-1] == "xl.check.double(double)"  # other cells are kept as they are
    assert all(c.get("outputs", []) == [] for c in learner.cells if c.cell_type == "code")


@pytest.mark.skipif(not make_notebooks.pairs(), reason="no solution notebooks yet")
def test_committed_learner_notebooks_are_in_step_with_their_solutions():
    stale = make_notebooks.out_of_step()
    assert not stale, f"out of step (run `make notebooks`): {stale}"


def test_every_learner_notebook_has_a_solution_notebook():
    learners = {p.name for p in (ROOT / "notebooks").glob("*.ipynb")}
    solutions = {p.name for p in (ROOT / "notebooks" / "solutions").glob("*.ipynb")}
    assert learners == solutions
