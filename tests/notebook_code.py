"""Read code out of the notebooks, so tests use the one published reference.

The reference solution of every exercise lives in its solution notebook (see
``tools/make_notebooks.py``); tests of the checkers load it from there instead of keeping
a second copy that could drift. The exercises themselves are found the same way: every
check cell ``xl.check.<checker>(<function>)`` of a solution notebook names a checker and the
function it grades, so a new lesson's exercises are covered by the generic checker tests
as soon as its notebook and checker land, with no list to keep by hand.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import nbformat
import numpy as np

import xent_lessons as xl

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
SOLUTIONS = NOTEBOOKS / "solutions"
CHECK_CELL = re.compile(r"\s*xl\.check\.(?P<checker>\w+)\(\s*(?P<function>\w+)\s*\)\s*")


@cache
def _code_cells(path: Path) -> tuple[tuple[str, tuple[str, ...]], ...]:
    nb = nbformat.read(path, as_version=4)
    return tuple(
        (c.source, tuple(c.get("metadata", {}).get("tags", [])))
        for c in nb.cells
        if c.cell_type == "code"
    )


def _cells(notebook: str) -> tuple[str, ...]:
    return tuple(source for source, _ in _code_cells(SOLUTIONS / f"{notebook}.ipynb"))


def _defines(source: str) -> set[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    return {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}


def _function_from(path: Path, name: str):
    for source, _ in _code_cells(path):
        if name in _defines(source):
            namespace = {"np": np, "xl": xl}
            exec(compile(source, path.name, "exec"), namespace)
            return namespace[name]
    raise LookupError(f"no code cell of {path.relative_to(NOTEBOOKS.parent)} defines {name}()")


def solution_function(notebook: str, name: str):
    """The function ``name`` as defined in ``notebooks/solutions/<notebook>.ipynb``.

    The cell that defines it is run on its own with ``np`` and ``xl`` in scope: notebook
    functions take their inputs as arguments, so that is all they may need.
    """
    return _function_from(SOLUTIONS / f"{notebook}.ipynb", name)


def learner_function(notebook: str, name: str):
    """The function ``name`` as the learner first sees it, in ``notebooks/<notebook>.ipynb``
    (for an exercise: the untouched stub)."""
    return _function_from(NOTEBOOKS / f"{notebook}.ipynb", name)


@dataclass(frozen=True)
class Exercise:
    """One exercise: the checker, the notebook, and the function its check cell grades."""

    checker: str
    notebook: str
    function: str

    def reference(self):
        return solution_function(self.notebook, self.function)

    def stub(self):
        return learner_function(self.notebook, self.function)


@cache
def exercises() -> dict[str, Exercise]:
    """Every exercise of the solution notebooks, by checker name.

    A check cell is a code cell holding only ``xl.check.<checker>(<function>)``; the
    exercise is the one whose function has a solution block (``# BEGIN SOLUTION``), so a
    demonstration such as lesson 00's deliberately wrong function is not taken for it.
    """
    found: dict[str, Exercise] = {}
    for path in sorted(SOLUTIONS.glob("*.ipynb")):
        cells = _code_cells(path)
        for source, _ in cells:
            match = CHECK_CELL.fullmatch(source)
            if not match:
                continue
            home = [s for s, _ in cells if match["function"] in _defines(s)]
            if home and "# BEGIN SOLUTION" in home[-1]:
                found[match["checker"]] = Exercise(match["checker"], path.stem, match["function"])
    return found
