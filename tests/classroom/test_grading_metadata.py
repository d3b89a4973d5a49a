"""The notebooks' grading metadata is the one the course's convention gives, and nbgrader's.

``make notebooks`` stamps nbgrader's metadata on the solution notebook from the convention
(tools/nbgrader_metadata.py) and copies it into the learner notebook. These tests fail when
a committed notebook disagrees, e.g. a new lesson, or a check cell added or renamed, before
``make notebooks`` has run on it.
"""

from __future__ import annotations

import nbformat
import pytest
from conftest import REPO, load_tool

make_notebooks = load_tool("make_notebooks")
nbgrader_metadata = load_tool("nbgrader_metadata")
SOLUTIONS = sorted((REPO / "notebooks" / "solutions").glob("*.ipynb"))
NAMES = [path.stem for path in SOLUTIONS]


def _read(path):
    return nbformat.read(path, as_version=4)


def _metadata(nb):
    return [cell.metadata.get("nbgrader") for cell in nb.cells]


@pytest.mark.parametrize("name", NAMES)
def test_solution_notebook_metadata_is_what_its_check_cells_give(name):
    nb = _read(REPO / "notebooks" / "solutions" / f"{name}.ipynb")
    expected = nbgrader_metadata.expected_metadata(nb)
    committed = _metadata(nb)
    wrong = [
        f"cell {i}: has {have!r}, the convention gives {want!r}"
        for i, (have, want) in enumerate(zip(committed, expected, strict=True))
        if have != want
    ]
    assert not wrong, f"run `make notebooks NB={name}`:\n" + "\n".join(wrong)


@pytest.mark.parametrize("name", NAMES)
def test_learner_notebook_carries_the_same_metadata(name):
    solution_nb = _read(REPO / "notebooks" / "solutions" / f"{name}.ipynb")
    learner_nb = _read(REPO / "notebooks" / f"{name}.ipynb")
    expected = make_notebooks.learner_notebook(nbgrader_metadata.stamp(solution_nb))
    assert _metadata(learner_nb) == _metadata(expected)


@pytest.mark.parametrize("name", NAMES)
def test_every_check_cell_is_graded_and_every_solution_is_a_solution_cell(name):
    nb = _read(REPO / "notebooks" / "solutions" / f"{name}.ipynb")
    from nbgrader.nbgraderformat import MetadataValidator

    MetadataValidator().validate_nb(nb)  # what nbgrader itself checks
    checks = 0
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader")
        call = nbgrader_metadata.check_call(cell)
        if call:
            checks += 1
            assert meta["grade"] and meta["locked"] and not meta["solution"], cell.source
            assert meta["grade_id"] == f"check_{call[0]}"
            assert meta["points"] == nbgrader_metadata.POINTS.get(meta["grade_id"], 1)
        elif "BEGIN SOLUTION" in cell.source and "solution-only" not in cell.metadata.get(
            "tags", []
        ):
            assert meta and meta["solution"], cell.source[:80]
        else:
            assert meta is None, cell.source[:80]
    assert checks >= 2, "a lesson has 2 to 4 exercises"


def test_points_table_names_only_existing_check_cells():
    graded = {}
    for path in SOLUTIONS:
        graded.update(nbgrader_metadata.graded_cells(_read(path)))
    stale = set(nbgrader_metadata.POINTS) - set(graded)
    assert not stale, f"POINTS lists cells that no notebook has: {stale}"
    assert all(isinstance(p, int) and p > 0 for p in nbgrader_metadata.POINTS.values())


def test_stamping_follows_the_convention_on_a_new_lesson():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("import numpy as np\nimport xent_lessons as xl"),
        nbformat.v4.new_code_cell(
            "def perplexity(p):\n    # BEGIN SOLUTION\n    return 1 / p\n    # END SOLUTION"
        ),
        nbformat.v4.new_code_cell("xl.check.perplexity(perplexity)"),
        nbformat.v4.new_markdown_cell(
            "Why?\n\n<!-- BEGIN SOLUTION -->\nBecause.\n<!-- END SOLUTION -->"
        ),
        nbformat.v4.new_code_cell("print(1)", metadata={"tags": ["solution-only"]}),
        nbformat.v4.new_code_cell("x = 1", metadata={"nbgrader": {"grade": True}}),  # stale
    ]
    nbgrader_metadata.stamp(nb)
    meta = _metadata(nb)
    assert meta[0] is None and meta[4] is None and meta[5] is None
    assert meta[1]["solution"] and meta[1]["grade_id"] == "solution_perplexity"
    assert meta[2]["grade"] and meta[2]["points"] == 1 and meta[2]["grade_id"] == "check_perplexity"
    assert meta[3]["grade"] and meta[3]["solution"] and meta[3]["grade_id"].startswith("written_")
    learner = make_notebooks.learner_notebook(nb)
    assert [c.metadata.get("nbgrader") for c in learner.cells] == [*meta[:4], meta[5]]


def test_a_check_repeated_in_a_notebook_is_an_error():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("xl.check.perplexity(f)") for _ in range(2)]
    with pytest.raises(nbgrader_metadata.MetadataError, match="check_perplexity"):
        nbgrader_metadata.stamp(nb)
