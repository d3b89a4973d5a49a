"""The learner notebooks are generated from the solution notebooks: one source of truth."""

from __future__ import annotations

import importlib.util
import re
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


def _follow_up_notebook(follow_up_source):
    nb = _solution_notebook()
    nb.cells.append(nbformat.v4.new_code_cell(follow_up_source))
    return nb


def test_a_follow_up_cell_is_kept_and_waits_for_the_exercise():
    source = 'for x in [1, 2]:\n    print(double(x), """a\nb""")\n\nprint("done")'
    learner = make_notebooks.learner_notebook(_follow_up_notebook(source))
    guarded = learner.cells[-1].source
    assert guarded.startswith("try:  # uses your double() from the exercise above\n")
    assert '    print("done")' in guarded and '\nb""")' in guarded  # a string keeps its lines
    compile(guarded, "<learner cell>", "exec")

    def stub(x):
        raise NotImplementedError("Exercise: replace this line with your code")

    def run(double):
        import contextlib
        import io

        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(guarded, {"double": double})
        return printed.getvalue()

    assert run(stub) == ("This cell uses your double(): do the exercise above first, then run "
                         "this cell again.\n")
    assert run(lambda x: 2 * x) == "2 a\nb\n4 a\nb\ndone\n"  # once done: as in the solution


def test_cells_that_are_not_follow_ups_stay_as_they_are():
    for source in ["xl.check.double(double)", "print(quadruple(2))",
                   "try:\n    double(1)\nexcept NotImplementedError:\n    pass"]:
        learner = make_notebooks.learner_notebook(_follow_up_notebook(source))
        assert learner.cells[-1].source == source


@pytest.mark.skipif(not make_notebooks.pairs(), reason="no solution notebooks yet")
def test_committed_learner_notebooks_are_in_step_with_their_solutions():
    stale = make_notebooks.out_of_step()
    assert not stale, f"out of step (run `make notebooks`): {stale}"


def test_every_learner_notebook_has_a_solution_notebook():
    learners = {p.name for p in (ROOT / "notebooks").glob("*.ipynb")}
    solutions = {p.name for p in (ROOT / "notebooks" / "solutions").glob("*.ipynb")}
    assert learners == solutions


# ------------------------------------------------------------------ malformed markers

GOOD_FUNCTION = (
    "def double(x):\n"
    "    # BEGIN SOLUTION\n"
    "    return 2 * x\n"
    "    # END SOLUTION\n"
)


def _code(source, **kwargs):
    return nbformat.v4.new_code_cell(source, **kwargs)


MALFORMED = {
    "misspelt END": (_code(GOOD_FUNCTION.replace("# END SOLUTION", "# END SOLUTON")), "misspelt|malformed", 4),
    "misspelt BEGIN": (_code(GOOD_FUNCTION.replace("# BEGIN SOLUTION", "# BEGIN SOLUTOIN")), "malformed", 2),
    "unterminated": (_code("def double(x):\n    # BEGIN SOLUTION\n    return 2 * x\n"), "never closed", 2),
    "unopened": (_code("def double(x):\n    return 2 * x\n    # END SOLUTION\n"), "without a '# BEGIN SOLUTION'", 3),
    "lower case": (_code(GOOD_FUNCTION.replace("# BEGIN SOLUTION", "# begin solution")), "malformed", 2),
    "no spaces": (_code(GOOD_FUNCTION.replace("# END SOLUTION", "#END SOLUTION")), "malformed", 4),
    "no space in the words": (_code(GOOD_FUNCTION.replace("# BEGIN SOLUTION", "# BEGINSOLUTION")), "malformed", 2),
    "trailing text": (_code(GOOD_FUNCTION.replace("# END SOLUTION", "# END SOLUTION here")), "malformed", 4),
    "nested": (
        _code(GOOD_FUNCTION.replace("    return 2 * x\n", "    # BEGIN SOLUTION\n    return 2 * x\n")),
        "cannot nest",
        3,
    ),
    "END indented differently": (_code(GOOD_FUNCTION.replace("    # END SOLUTION", "# END SOLUTION")), "indented differently", 4),
    "at the top level": (_code("# BEGIN SOLUTION\nanswer = 2\n# END SOLUTION\n"), "top level", 1),
    "in a raw cell": (nbformat.v4.new_raw_cell(GOOD_FUNCTION), "raw cell", 2),
    "HTML marker in a code cell": (
        _code("def double(x):\n    <!-- BEGIN SOLUTION -->\n    return 2 * x\n"),
        "malformed",
        2,
    ),
    "code marker in a Markdown cell": (
        nbformat.v4.new_markdown_cell("Why?\n# BEGIN SOLUTION\nBecause.\n# END SOLUTION"),
        "malformed",
        2,
    ),
    "Markdown marker misspelt": (
        nbformat.v4.new_markdown_cell("Why?\n<!-- BEGIN SOLUTION -->Because.<!-- END SOLUTON -->"),
        "malformed",
        2,
    ),
    "Markdown marker unterminated": (
        nbformat.v4.new_markdown_cell("Why?\n<!-- BEGIN SOLUTION -->Because."),
        "never closed",
        2,
    ),
    "Markdown marker unopened": (
        nbformat.v4.new_markdown_cell("Why? Because.<!-- END SOLUTION -->"),
        "without",
        1,
    ),
    "Markdown marker in lower case": (
        nbformat.v4.new_markdown_cell("<!-- begin solution -->Because.<!-- end solution -->"),
        "malformed",
        1,
    ),
    "misspelt solution-only tag": (
        _code("print('the answer is 6')", metadata={"tags": ["solution_only"]}),
        "looks like 'solution-only'",
        None,
    ),
}


def _notebook_with(cell):
    nb = _solution_notebook()
    nb.cells.insert(2, cell)
    return nb


@pytest.mark.parametrize("kind", sorted(MALFORMED))
def test_a_malformed_marker_is_an_error_naming_the_cell_and_the_line(kind):
    cell, what, line = MALFORMED[kind]
    with pytest.raises(make_notebooks.NotebookError) as error:
        make_notebooks.learner_notebook(_notebook_with(cell), "notebooks/solutions/x.ipynb")
    text = str(error.value)
    assert text.startswith("notebooks/solutions/x.ipynb, cell 3 ("), text
    assert re.search(what, text), text
    if line is not None:
        assert f", line {line}:" in text, text


def test_a_check_cell_whose_function_has_no_solution_block_is_an_error():
    nb = _solution_notebook()
    nb.cells[1].source = "def double(x):\n    return 2 * x\n"  # the markers forgotten
    with pytest.raises(make_notebooks.NotebookError, match="the learner notebook would show the solution"):
        make_notebooks.learner_notebook(nb, "x.ipynb")


def test_the_course_notebooks_have_no_malformed_marker():
    for solution, _ in make_notebooks.pairs():
        assert make_notebooks.notebook_problems(make_notebooks.read_notebook(solution), solution.name) == []


# ------------------------------------------------------------------ the command line


@pytest.fixture
def course(tmp_path, monkeypatch):
    """A copy of the generator's folders with two small lessons, and no kernel to start."""
    solutions = tmp_path / "notebooks" / "solutions"
    solutions.mkdir(parents=True)
    for stem in ("00_a", "01_b"):
        nbformat.write(_solution_notebook(), solutions / f"{stem}.ipynb")
    monkeypatch.setattr(make_notebooks, "ROOT", tmp_path)
    monkeypatch.setattr(make_notebooks, "NOTEBOOKS", tmp_path / "notebooks")
    monkeypatch.setattr(make_notebooks, "SOLUTIONS", solutions)
    monkeypatch.setattr(make_notebooks, "execute", lambda nb, cwd: nb)
    return tmp_path / "notebooks"


def _written(course):
    return sorted(p.name for p in course.glob("*.ipynb"))


def test_the_command_writes_the_learner_notebooks(course):
    assert make_notebooks.main([]) == 0
    assert _written(course) == ["00_a.ipynb", "01_b.ipynb"]
    assert make_notebooks.main(["--check"]) == 0


@pytest.mark.parametrize("kind", ["misspelt END", "unterminated", "in a raw cell", "lower case"])
def test_a_malformed_marker_stops_the_command_and_nothing_is_written(course, kind, capsys):
    bad = _notebook_with(MALFORMED[kind][0])
    nbformat.write(bad, course / "solutions" / "01_b.ipynb")
    assert make_notebooks.main([]) == 1
    err = capsys.readouterr().err
    assert "notebooks/solutions/01_b.ipynb, cell 3" in err and "nothing was written" in err
    assert _written(course) == []  # not even the good lesson 00_a
    assert make_notebooks.main(["--check"]) == 1


def test_broken_json_is_an_error_naming_the_file(course, capsys):
    path = course / "solutions" / "01_b.ipynb"
    path.write_text(path.read_text()[:-10])
    assert make_notebooks.main([]) == 1
    err = capsys.readouterr().err
    assert "notebooks/solutions/01_b.ipynb: is not valid JSON" in err and "line" in err
    assert _written(course) == []


def test_a_notebook_that_is_not_a_notebook_is_an_error_naming_the_file(course, capsys):
    (course / "solutions" / "01_b.ipynb").write_text('{"cells": 3}')
    assert make_notebooks.main([]) == 1
    assert "notebooks/solutions/01_b.ipynb: is not a valid notebook" in capsys.readouterr().err
    assert _written(course) == []


def test_an_unknown_lesson_is_an_error_listing_the_lessons(course, capsys):
    assert make_notebooks.main(["99_nope"]) == 1
    err = capsys.readouterr().err
    assert "no such solution notebook (asked for '99_nope'; the lessons are: 00_a, 01_b)" in err
    assert _written(course) == []


def test_one_lesson_by_name(course):
    assert make_notebooks.main(["01_b.ipynb"]) == 0
    assert _written(course) == ["01_b.ipynb"]


def test_a_failing_notebook_run_is_an_error_and_that_lesson_is_not_written(course, monkeypatch, capsys):
    def fails(nb, cwd):
        raise RuntimeError("a cell raised ZeroDivisionError")

    monkeypatch.setattr(make_notebooks, "execute", fails)
    before = (course / "solutions" / "00_a.ipynb").read_text()
    assert make_notebooks.main(["00_a"]) == 1
    assert "Restart & Run All failed (RuntimeError): a cell raised" in capsys.readouterr().err
    assert _written(course) == [] and (course / "solutions" / "00_a.ipynb").read_text() == before


def test_make_notebooks_with_an_unknown_lesson_fails():
    """`make notebooks NB=99_nope` is an error (the Makefile passes NB on)."""
    import subprocess

    run = subprocess.run(
        ["make", "-s", "notebooks", "NB=99_nope"], cwd=ROOT, capture_output=True, text=True
    )
    assert run.returncode != 0
    assert "99_nope" in run.stderr and "no such solution notebook" in run.stderr


def test_the_learner_notebook_shares_no_metadata_with_its_solution():
    # Both are run afterwards, and a run writes its widget state into the metadata.
    solution = _solution_notebook()
    solution.metadata["widgets"] = {"state": "the solution's"}
    learner = make_notebooks.learner_notebook(solution, "notebooks/solutions/99_test.ipynb")
    learner.metadata["widgets"] = {"state": "the learner's"}
    learner.cells[-1].metadata["note"] = "the learner's"
    assert solution.metadata["widgets"] == {"state": "the solution's"}
    assert "note" not in solution.cells[-1].metadata


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
SAVED = sorted(
    [*ROOT.glob("notebooks/[0-9][0-9]_*.ipynb"), *ROOT.glob("notebooks/solutions/[0-9][0-9]_*.ipynb")]
)


@pytest.mark.parametrize("path", SAVED, ids=[str(p.relative_to(ROOT)) for p in SAVED])
def test_every_saved_widget_view_names_a_model_of_its_own_notebook(path):
    """A view whose model is missing from the saved state shows nothing on GitHub or the
    site: its notebook must carry the widget state of its own run."""
    nb = nbformat.read(path, as_version=4)
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    views = [
        output["data"][WIDGET_VIEW]["model_id"]
        for cell in nb.cells
        for output in cell.get("outputs", [])
        if WIDGET_VIEW in output.get("data", {})
    ]
    missing = [model_id for model_id in views if model_id not in state]
    assert not missing, f"{len(missing)} of {len(views)} widget views have no saved model"
