"""nbgrader settings for grading the cross-entropy course (nbgrader 0.9).

A course directory made by ``tools/nbgrader_course.py`` loads this file, so the teacher's
grading follows the course's own conventions (TEACHING.md, "Grading with nbgrader"):

- ``nbgrader generate_assignment`` makes the same learner notebook as ``make notebooks``
  (tools/make_notebooks.py): the same stub in place of each ``# BEGIN SOLUTION`` ...
  ``# END SOLUTION`` block, the same text in place of a written answer, the cells
  tagged ``solution-only`` left out, and the follow-up cells that use an exercise's
  function inside the same ``try: ... except NotImplementedError``;
- ``nbgrader autograde`` runs every notebook on a fresh kernel. While it runs, nbgrader sets
  ``NBGRADER_EXECUTION=autograde`` in the kernel's environment, and the course's checkers
  then raise when a check does not pass (``xent_lessons/check/_grading.py``), so the check
  cell, an autograded test cell, gets no points. Nothing needs setting here for that.

The grading metadata of the cells (which cell is a solution, which is a test and its
points) is in the notebooks themselves, stamped by ``make notebooks``
(tools/nbgrader_metadata.py).
"""

import importlib.util
from pathlib import Path

from nbconvert.preprocessors import Preprocessor, TagRemovePreprocessor
from nbgrader.converters import GenerateAssignment

c = get_config()  # noqa: F821 (defined by traitlets when it loads this file)

_TOOLS = Path(__file__).resolve().parent / "tools"
_spec = importlib.util.spec_from_file_location("make_notebooks", _TOOLS / "make_notebooks.py")
make_notebooks = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_notebooks)

# The learner's stubs: exactly the text that tools/make_notebooks.py writes.
c.ClearSolutions.code_stub = {
    "python": make_notebooks.CODE_STUB.format(indent="").rstrip("\n"),
}
c.ClearSolutions.text_stub = make_notebooks.MARKDOWN_STUB

# Cells tagged solution-only are left out of the learner's notebook, before nbgrader looks
# for solutions in the cells that remain.
c.TagRemovePreprocessor.enabled = True
c.TagRemovePreprocessor.remove_cell_tags = [make_notebooks.SOLUTION_ONLY_TAG]


class GuardFollowUps(Preprocessor):
    """A follow-up cell that uses an exercise's function waits for the exercise, as in the
    learner notebook of ``make notebooks``: it runs inside ``try: ... except
    NotImplementedError``. Runs before nbgrader clears the solutions (the exercises are
    found by their solution blocks)."""

    def preprocess(self, nb, resources):
        exercises = make_notebooks.exercise_functions(nb)
        for cell in nb.cells:
            make_notebooks.guard_follow_up(cell, exercises)
        return nb, resources


c.GuardFollowUps.enabled = True  # an nbconvert preprocessor does nothing unless enabled
c.GenerateAssignment.preprocessors = [
    TagRemovePreprocessor,
    GuardFollowUps,
    *GenerateAssignment.class_traits()["preprocessors"].default(),
]

# Each lesson runs in seconds; a cell still running after a minute is an endless loop in a
# learner's code. nbgrader then interrupts it, gives that cell no points and goes on.
c.Execute.timeout = 60

# A learner who deleted a check cell gets it back (and its points only if it passes).
c.OverwriteCells.add_missing_cells = True
