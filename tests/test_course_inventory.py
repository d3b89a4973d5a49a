"""Every exercise has a checker that a notebook calls and a test exercises; every widget too."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

import xent_lessons as xl

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((ROOT / "notebooks" / "solutions").glob("*.ipynb"))
TEST_TEXT = "\n".join(
    p.read_text() for p in (ROOT / "tests").glob("test_*.py") if p.name != Path(__file__).name
)


def _code(path: Path) -> str:
    nb = nbformat.read(path, as_version=4)
    return "\n".join(c.source for c in nb.cells if c.cell_type == "code")


NOTEBOOK_CODE = "\n".join(_code(p) for p in SOLUTIONS)


@pytest.mark.parametrize("name", sorted(xl.check.all_checkers()))
def test_every_checker_is_used_by_a_notebook_and_tested(name):
    assert re.search(rf"xl\.check\.{name}\(", NOTEBOOK_CODE), f"no notebook calls {name}"
    assert re.search(rf"\b{name}\b", TEST_TEXT), f"no test mentions the checker {name}"


@pytest.mark.parametrize("name", sorted(xl.widgets.all_builders()))
def test_every_widget_is_shown_in_a_notebook_and_tested(name):
    assert re.search(rf"xl\.widgets\.{name}\(", NOTEBOOK_CODE), f"no notebook shows {name}"
    assert re.search(rf"\b{name}\b", TEST_TEXT), f"no test builds the widget {name}"


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.stem)
def test_every_lesson_follows_the_guide_outline(path):
    nb = nbformat.read(path, as_version=4)
    first = nb.cells[0].source
    assert first.startswith(f"# Lesson {path.stem[:2]} · "), "title: '# Lesson NN · ...'"
    first_code = next(c.source for c in nb.cells if c.cell_type == "code")
    for line in ("import numpy as np", "import xent_lessons as xl", "np.random.default_rng(0)"):
        assert line in first_code, f"the first code cell should have {line!r}"
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown").lower()
    assert "goals" in text or "you will be able to" in text, "no learning goals"
    for part in ("time", "pitfall", "exercise", "summary"):
        assert part in text, f"no {part!r} section"
    if path.stem != "00_welcome":
        assert "xl.widgets." in _code(path) and "xl.check." in _code(path)
