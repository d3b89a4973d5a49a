"""Read code out of the solution notebooks, so tests use the one published reference.

The reference solution of every exercise lives in its solution notebook (see
``tools/make_notebooks.py``); tests of the checkers load it from there instead of keeping
a second copy that could drift.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import nbformat
import numpy as np

import xent_lessons as xl

SOLUTIONS = Path(__file__).resolve().parents[1] / "notebooks" / "solutions"


@cache
def _cells(notebook: str) -> tuple[str, ...]:
    path = SOLUTIONS / f"{notebook}.ipynb"
    nb = nbformat.read(path, as_version=4)
    return tuple(c.source for c in nb.cells if c.cell_type == "code")


def solution_function(notebook: str, name: str):
    """The function ``name`` as defined in ``notebooks/solutions/<notebook>.ipynb``.

    The cell that defines it is run on its own with ``np`` and ``xl`` in scope: notebook
    functions take their inputs as arguments, so that is all they may need.
    """
    for source in _cells(notebook):
        tree = ast.parse(source)
        defines = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
        if name in defines:
            namespace = {"np": np, "xl": xl}
            exec(compile(source, f"{notebook}.ipynb", "exec"), namespace)
            return namespace[name]
    raise LookupError(f"no code cell of notebooks/solutions/{notebook}.ipynb defines {name}()")
