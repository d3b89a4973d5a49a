"""nbval's sanitizer (tests/nbval_sanitize.cfg) rewrites memory addresses and nothing else.

A rule that rewrites too much makes nbval blind: with ``0x[0-9a-fA-F]+``, the saved
``<Figure size 700x360 with 1 Axes>`` and a fresh ``<Figure size 700x999 ...>`` both became
``70ADDRESS`` and compared equal. Each rule is applied here to every text output of every
saved notebook, and every match must be a memory address as Python prints it.
"""

from __future__ import annotations

import configparser
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
SANITIZE_FILE = ROOT / "tests" / "nbval_sanitize.cfg"
# The lessons (learner and solution versions), not JupyterLab's .ipynb_checkpoints copies.
NOTEBOOKS = sorted(
    [*ROOT.glob("notebooks/[0-9][0-9]_*.ipynb"), *ROOT.glob("notebooks/solutions/[0-9][0-9]_*.ipynb")]
)
# How CPython writes an object's address in a repr: "<... at 0x7f3a2b1c9d50>".
ADDRESS = re.compile(r"0x[0-9a-f]{6,16}")


def is_address(text: str, start: int, end: int) -> bool:
    return text[max(0, start - 4) : start] == " at " and bool(ADDRESS.fullmatch(text[start:end]))


def rules() -> list[tuple[str, re.Pattern, str]]:
    parser = configparser.ConfigParser()
    parser.read(SANITIZE_FILE, encoding="utf-8")
    return [
        (name, re.compile(parser[name]["regex"]), parser[name]["replace"])
        for name in parser.sections()
    ]


def sanitize(text: str) -> str:
    for _, regex, replace in rules():
        text = regex.sub(replace, text)
    return text


def output_texts(path: Path):
    """Every text nbval compares in a notebook: streams, errors, and text/* of each output."""
    nb = nbformat.read(path, as_version=4)
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                yield index, output.text
            elif output.output_type == "error":
                yield index, "\n".join(output.traceback)
            for mime, value in output.get("data", {}).items():
                if mime.startswith("text/"):
                    yield index, value if isinstance(value, str) else "".join(value)


def test_the_sanitize_file_is_out_of_the_learners_folder():
    assert SANITIZE_FILE.is_file()
    assert not list((ROOT / "notebooks").rglob("*.cfg"))
    assert rules(), "no rules read from the sanitize file"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<function f at 0x7f3a2b1c9d50>", "<function f at 0xADDRESS>"),
        ("<Figure size 700x360 with 1 Axes>", "<Figure size 700x360 with 1 Axes>"),
        ("<Figure size 1000x420 with 3 Axes>", "<Figure size 1000x420 with 3 Axes>"),
        ("shape 3x0, 10x0f", "shape 3x0, 10x0f"),
        ("id 0xdeadbeef", "id 0xADDRESS"),
    ],
)
def test_rules_rewrite_addresses_only(text, expected):
    assert sanitize(text) == expected


def test_a_changed_figure_size_is_not_hidden():
    assert sanitize("<Figure size 700x360 with 1 Axes>") != sanitize(
        "<Figure size 700x999 with 1 Axes>"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[str(p.relative_to(ROOT)) for p in NOTEBOOKS])
def test_nothing_but_addresses_is_rewritten_in_saved_outputs(path):
    for name, regex, _ in rules():
        for cell, text in output_texts(path):
            for match in regex.finditer(text):
                start, end = match.span()
                context = text[max(0, start - 30) : end + 10]
                assert is_address(text, start, end), (
                    f"rule [{name}] rewrites {match.group()!r} in cell {cell}: ...{context}..."
                )
