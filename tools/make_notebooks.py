"""Make the learner notebooks from the solution notebooks: one source of truth.

The solution notebooks in ``notebooks/solutions/`` are what authors edit. In them, the
reference solution of an exercise sits between marker lines::

    def stable_softmax(z):
        # BEGIN SOLUTION
        shifted = z - np.max(z, axis=-1, keepdims=True)
        ...
        # END SOLUTION

and a written answer in a Markdown cell between ``<!-- BEGIN SOLUTION -->`` and
``<!-- END SOLUTION -->``. The learner notebook in ``notebooks/`` is the same notebook with
each marked block replaced by a stub, and cells tagged ``solution-only`` left out.

    python tools/make_notebooks.py            # write the learner notebooks, run all, save
    python tools/make_notebooks.py --check    # exit 1 if a learner notebook is out of step

Every notebook is saved after a fresh-kernel "Restart & Run All", with its outputs.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
SOLUTIONS = NOTEBOOKS / "solutions"

CODE_BLOCK = re.compile(
    r"^(?P<indent>[ \t]*)# BEGIN SOLUTION[^\n]*\n.*?^[ \t]*# END SOLUTION[^\n]*(\n|$)",
    re.MULTILINE | re.DOTALL,
)
MARKDOWN_BLOCK = re.compile(r"<!-- BEGIN SOLUTION -->.*?<!-- END SOLUTION -->", re.DOTALL)
CODE_STUB = '{indent}raise NotImplementedError("Exercise: replace this line with your code")\n'
MARKDOWN_STUB = "*Your answer here.*"
SOLUTION_ONLY_TAG = "solution-only"


def learner_source(cell) -> str:
    """The cell's source with every solution block replaced by its stub."""
    if cell.cell_type == "code":
        return CODE_BLOCK.sub(lambda m: CODE_STUB.format(indent=m["indent"]), cell.source)
    if cell.cell_type == "markdown":
        return MARKDOWN_BLOCK.sub(MARKDOWN_STUB, cell.source)
    return cell.source


def learner_notebook(solution_nb):
    """A learner notebook (sources only, outputs cleared) made from a solution notebook."""
    nb = nbformat.v4.new_notebook(metadata=solution_nb.metadata)
    for cell in solution_nb.cells:
        if SOLUTION_ONLY_TAG in cell.get("metadata", {}).get("tags", []):
            continue
        copy = nbformat.from_dict(dict(cell))
        copy.source = learner_source(cell)
        if copy.cell_type == "code":
            copy.outputs, copy.execution_count = [], None
        nb.cells.append(copy)
    return nb


def cell_sources(nb) -> list[tuple[str, str, tuple]]:
    """What must agree between a generated and a committed notebook: types, sources, tags."""
    return [
        (c.cell_type, c.source, tuple(c.get("metadata", {}).get("tags", []))) for c in nb.cells
    ]


def pairs():
    """(solution path, learner path) for every solution notebook."""
    return [(path, NOTEBOOKS / path.name) for path in sorted(SOLUTIONS.glob("*.ipynb"))]


def out_of_step() -> list[str]:
    """Names of learner notebooks that differ from what their solution notebook gives."""
    stale = []
    for solution_path, learner_path in pairs():
        expected = learner_notebook(nbformat.read(solution_path, as_version=4))
        if not learner_path.exists():
            stale.append(f"{learner_path.name} (missing)")
        elif cell_sources(nbformat.read(learner_path, as_version=4)) != cell_sources(expected):
            stale.append(learner_path.name)
    return stale


def stamp_grading_metadata(solution_nb):
    """nbgrader's grading metadata on the exercises' cells, from the convention above
    (tools/nbgrader_metadata.py); the learner notebook made from it then carries it too."""
    if str(Path(__file__).resolve().parent) not in sys.path:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
    from nbgrader_metadata import stamp

    return stamp(solution_nb)


def execute(nb, cwd: Path):
    """Restart & Run All on a fresh kernel, as a learner would, keeping outputs and widget state."""
    from nbclient import NotebookClient

    client = NotebookClient(
        nb,
        timeout=300,
        kernel_name="python3",
        store_widget_state=True,
        # Quiet the kernel's start-up warning about TCP on localhost; errors still show.
        extra_arguments=["--IPKernelApp.log_level=ERROR"],
        resources={"metadata": {"path": str(cwd)}},
    )
    client.execute()
    return nb


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check; write nothing")
    parser.add_argument("names", nargs="*", help="only these notebooks (e.g. 03_softmax)")
    args = parser.parse_args(argv)
    if args.check:
        stale = out_of_step()
        for name in stale:
            print(f"out of step with its solution notebook: notebooks/{name}")
        if stale:
            print("run: make notebooks")
        return 1 if stale else 0
    for solution_path, learner_path in pairs():
        if args.names and solution_path.stem not in args.names:
            continue
        solution_nb = stamp_grading_metadata(nbformat.read(solution_path, as_version=4))
        learner_nb = learner_notebook(solution_nb)
        for nb, path in ((solution_nb, solution_path), (learner_nb, learner_path)):
            print(f"running {path.relative_to(ROOT)}", flush=True)
            execute(nb, path.parent)
            nbformat.write(nb, path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
