"""nbgrader's grading metadata, stamped on a solution notebook from the course's convention.

The convention (see ``make_notebooks.py``): an exercise is a function whose solution sits
between ``# BEGIN SOLUTION`` and ``# END SOLUTION``, and the next cell holds only
``xl.check.<exercise>(<function>)``; a written answer sits between ``<!-- BEGIN SOLUTION -->``
and ``<!-- END SOLUTION -->`` in a Markdown cell. From that alone, every cell gets what
nbgrader needs (its ``metadata.nbgrader``), so a new lesson is gradable as soon as
``make notebooks`` has run on it:

- a code cell with a solution block is a *solution cell* (the learner writes there),
  ``solution_<exercise>`` when its check follows it;
- a check cell is an *autograded test cell* (``check_<exercise>``, locked), worth
  ``POINTS.get("check_<exercise>", DEFAULT_POINTS)``: nbgrader gives the points when the
  cell runs without an error, and in grading mode a check that does not pass raises
  (``xent_lessons/check/_grading.py``);
- a Markdown cell with a written answer is a *manually graded answer*
  (``written_<cell id>``; nbgrader wants Markdown solution cells graded), worth
  ``POINTS.get(<grade id>, DEFAULT_POINTS)``;
- every other cell has no nbgrader metadata (cells tagged ``solution-only`` are left out
  of the learner's notebook, so they need none).

``make notebooks`` stamps the solution notebook before it makes the learner notebook from
it, so both carry the same metadata; ``tests/classroom/test_grading_metadata.py`` fails
when a committed notebook disagrees with what :func:`stamp` gives.
"""

from __future__ import annotations

import ast
import copy
import re

SCHEMA_VERSION = 3  # nbgrader 0.9's cell metadata format
DEFAULT_POINTS = 1
# Points that differ from DEFAULT_POINTS, by grade id: the harder exercise of a lesson
# (the numerically stable one, or the one that puts the pieces together) is worth two.
POINTS = {
    "check_smallest_gibbs_gap": 2,
    "check_log_softmax": 2,
    "check_bce_with_logits": 2,
    "check_label_smoothing_ce": 2,
    "check_softmax_ce_grad": 2,
    "check_training_step": 2,
}
SOLUTION_ONLY_TAG = "solution-only"
# nbgrader's own test for a solution region (ClearSolutions): a line containing the words.
SOLUTION_MARK = "BEGIN SOLUTION"
CHECK_CELL = re.compile(r"^xl\.check\.(?P<exercise>\w+)\((?P<argument>[^()]*)\)$")


class MetadataError(ValueError):
    """A notebook whose exercises cannot be given grading metadata (e.g. a repeated check)."""


def check_call(cell) -> tuple[str, str] | None:
    """``(exercise, argument)`` if ``cell`` is a check cell ``xl.check.<exercise>(<argument>)``."""
    if cell.cell_type != "code":
        return None
    match = CHECK_CELL.match(cell.source.strip())
    return (match["exercise"], match["argument"].strip()) if match else None


def has_solution(cell) -> bool:
    return cell.cell_type in ("code", "markdown") and SOLUTION_MARK in cell.source


def _functions_defined(source: str) -> list[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    return [node.name for node in tree.body if isinstance(node, ast.FunctionDef)]


def _base(grade_id: str, *, grade: bool, solution: bool, locked: bool, points=None) -> dict:
    meta = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": SCHEMA_VERSION,
        "solution": solution,
        "task": False,
    }
    if grade:
        meta["points"] = points
    return meta


def points_of(grade_id: str) -> int:
    return POINTS.get(grade_id, DEFAULT_POINTS)


def cell_metadata(cells, index: int) -> dict | None:
    """What ``metadata.nbgrader`` of ``cells[index]`` should be (``None``: no metadata)."""
    cell = cells[index]
    if SOLUTION_ONLY_TAG in cell.get("metadata", {}).get("tags", []):
        return None
    call = check_call(cell)
    if call is not None:
        grade_id = f"check_{call[0]}"
        return _base(grade_id, grade=True, solution=False, locked=True, points=points_of(grade_id))
    if not has_solution(cell):
        return None
    if cell.cell_type == "markdown":
        grade_id = f"written_{cell.get('id') or index}"
        return _base(grade_id, grade=True, solution=True, locked=False, points=points_of(grade_id))
    following = check_call(cells[index + 1]) if index + 1 < len(cells) else None
    if following is not None:
        name = following[0]
    else:
        defined = _functions_defined(cell.source)
        name = defined[0] if defined else (cell.get("id") or str(index))
    return _base(f"solution_{name}", grade=False, solution=True, locked=False)


def expected_metadata(nb) -> list[dict | None]:
    """``metadata.nbgrader`` of every cell of ``nb``, as :func:`stamp` would set it."""
    found = [cell_metadata(nb.cells, i) for i in range(len(nb.cells))]
    seen = {}
    for index, meta in enumerate(found):
        if meta is None:
            continue
        if meta["grade_id"] in seen:
            raise MetadataError(
                f"cells {seen[meta['grade_id']]} and {index} would both be nbgrader's "
                f"{meta['grade_id']!r}: each exercise is checked once per notebook"
            )
        seen[meta["grade_id"]] = index
    return found


def stamp(nb):
    """Set (or remove) ``metadata.nbgrader`` on every cell of ``nb``, in place; return it."""
    for cell, meta in zip(nb.cells, expected_metadata(nb), strict=True):
        if meta is None:
            cell.metadata.pop("nbgrader", None)
        else:
            cell.metadata["nbgrader"] = copy.deepcopy(meta)
    return nb


def graded_cells(nb) -> dict[str, int]:
    """``{grade_id: points}`` of the graded cells, in notebook order."""
    return {m["grade_id"]: m["points"] for m in expected_metadata(nb) if m and m["grade"]}
