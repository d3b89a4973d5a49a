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

A follow-up cell that uses an exercise's function (``your function on the real text``) is
kept for the learner: in their notebook it runs inside ``try: ... except
NotImplementedError:``, so that while the exercise is a stub it prints that it waits for the
exercise instead of stopping Restart & Run All; once the exercise is done it runs as in the
solution. Such a cell needs no ``solution-only`` tag (that tag is for cells that show answers).

    python tools/make_notebooks.py            # write the learner notebooks, run all, save
    python tools/make_notebooks.py 03_softmax # only this lesson
    python tools/make_notebooks.py --check    # exit 1 if a learner notebook is out of step

Every notebook is saved after a fresh-kernel "Restart & Run All", with its outputs, and
exactly as JupyterLab would save it (tools/notebook_format.py), so opening it changes nothing.

A malformed marker would leak a solution into the learner notebook, so the generator refuses
it: a misspelt, wrongly cased or unspaced marker, a BEGIN without its END or an END without
its BEGIN, a nested block, a marker in a raw cell or in the wrong kind of cell, a misspelt
``solution-only`` tag, a check cell whose function has no solution block. Each problem is
reported with the notebook, the cell and the line, and then no notebook is written at all.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import json
import re
import sys
from copy import deepcopy
from pathlib import Path
from typing import NamedTuple

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
from notebook_format import write as write_like_jupyterlab

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


CODE_BEGIN, CODE_END = "# BEGIN SOLUTION", "# END SOLUTION"
MARKDOWN_BEGIN, MARKDOWN_END = "<!-- BEGIN SOLUTION -->", "<!-- END SOLUTION -->"
# Anything that could be meant as a marker: BEGIN or END, then a word like SOLUTION, in any
# case and spacing ("#END SOLUTON", "# begin solution", "BEGINSOLUTION").
MARKER_LIKE = re.compile(r"(?i)\b(?P<which>begin|end)[ \t_\-]*(?P<word>s[a-z]*)")
CHECK_CELL = re.compile(r"\s*xl\.check\.(?P<checker>\w+)\(\s*(?P<function>\w+)\s*\)\s*")


class NotebookError(Exception):
    """The solution notebooks cannot be turned into learner notebooks; ``problems`` says why."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class Problem(NamedTuple):
    """One thing wrong in a solution notebook, located as precisely as possible."""

    notebook: str  # its path, relative to the repository
    text: str
    cell: int | None = None  # 1-based, as a reader counts the cells from the top
    cell_type: str | None = None
    line: int | None = None  # 1-based, in the cell
    first_line: str | None = None  # the cell's first line, to find it by eye

    def __str__(self) -> str:
        where = self.notebook
        if self.cell is not None:
            where += f", cell {self.cell} ({self.cell_type}"
            if self.first_line:
                where += f" starting {self.first_line!r}"
            where += ")"
        if self.line is not None:
            where += f", line {self.line}"
        return f"{where}: {self.text}"


def _looks_like_marker(match) -> bool:
    word = match["word"].lower()
    return word.startswith("sol") or difflib.SequenceMatcher(None, word, "solution").ratio() >= 0.75


def _marker_like(text: str) -> list:
    return [m for m in MARKER_LIKE.finditer(text) if _looks_like_marker(m)]


def cell_problems(cell) -> list[tuple[int | None, str]]:
    """``(line, problem)`` for every malformed solution marker in ``cell``."""
    if cell.cell_type == "code":
        return _code_marker_problems(cell.source)
    if cell.cell_type == "markdown":
        return _markdown_marker_problems(cell.source)
    problems = []
    for match in _marker_like(cell.source):
        line = cell.source.count("\n", 0, match.start()) + 1
        problems.append((
            line,
            f"a solution marker ({match.group(0)!r}) in a {cell.cell_type} cell: markers are "
            "replaced only in code and Markdown cells, so the solution would reach the "
            "learner notebook. Put it in a code or a Markdown cell.",
        ))
    return problems


def _code_marker_problems(source: str) -> list[tuple[int | None, str]]:
    problems = []
    opened = None  # (line number, indentation) of the open BEGIN
    lines = source.split("\n")
    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        indent = line[: len(line) - len(line.lstrip())]
        if stripped == CODE_BEGIN:
            if opened is not None:
                problems.append((number, f"{CODE_BEGIN!r} inside the block opened at line "
                                 f"{opened[0]}: blocks cannot nest (is that block's "
                                 f"{CODE_END!r} missing?)"))
            elif not indent:
                problems.append((number, f"{CODE_BEGIN!r} at the top level of the cell: a "
                                 "solution block belongs inside a function's body (its stub, "
                                 "`raise NotImplementedError`, would stop Restart & Run All)"))
            opened = (number, indent)
        elif stripped == CODE_END:
            if opened is None:
                problems.append((number, f"{CODE_END!r} without a {CODE_BEGIN!r} before it "
                                 "in this cell"))
            else:
                if indent != opened[1]:
                    problems.append((number, f"{CODE_END!r} is indented differently from its "
                                     f"{CODE_BEGIN!r} (line {opened[0]})"))
                if number == opened[0] + 1:
                    problems.append((number, "an empty solution block (nothing between "
                                     f"{CODE_BEGIN!r} and {CODE_END!r})"))
                opened = None
        else:
            for match in _marker_like(line):
                expected = CODE_BEGIN if match["which"].lower() == "begin" else CODE_END
                problems.append((number, f"malformed marker {stripped!r}: a solution marker "
                                 f"in a code cell is a line of its own, exactly {expected!r}"))
    if opened is not None:
        problems.append((opened[0], f"{CODE_BEGIN!r} is never closed: no {CODE_END!r} after it "
                         "in this cell"))
    return problems


def _markdown_marker_problems(source: str) -> list[tuple[int | None, str]]:
    problems = []
    exact = re.compile(re.escape(MARKDOWN_BEGIN) + "|" + re.escape(MARKDOWN_END))
    spans = [(m.start(), m.end(), m.group(0)) for m in exact.finditer(source)]

    def line_of(position):
        return source.count("\n", 0, position) + 1

    for match in _marker_like(source):
        if not any(start <= match.start() < end for start, end, _ in spans):
            expected = MARKDOWN_BEGIN if match["which"].lower() == "begin" else MARKDOWN_END
            problems.append((line_of(match.start()), f"malformed marker "
                             f"{source[match.start():match.end()]!r}: a solution marker in a "
                             f"Markdown cell is exactly {expected!r}"))
    opened = None
    for start, _, marker in spans:
        if marker == MARKDOWN_BEGIN:
            if opened is not None:
                problems.append((line_of(start), f"{MARKDOWN_BEGIN!r} inside the block opened "
                                 f"at line {line_of(opened)}: blocks cannot nest"))
            opened = start
        elif opened is None:
            problems.append((line_of(start), f"{MARKDOWN_END!r} without a {MARKDOWN_BEGIN!r} "
                             "before it in this cell"))
        else:
            opened = None
    if opened is not None:
        problems.append((line_of(opened), f"{MARKDOWN_BEGIN!r} is never closed: no "
                         f"{MARKDOWN_END!r} after it in this cell"))
    return problems


def _tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def _defined_functions(source: str) -> set[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    return {n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}


def notebook_problems(nb, name: str) -> list[Problem]:
    """Every reason not to make a learner notebook from ``nb`` (``name``: its path)."""
    problems = []
    defined_in: dict[str, int] = {}  # function name -> index of the last cell defining it
    for index, cell in enumerate(nb.cells):
        first = cell.source.split("\n", 1)[0][:60]

        def problem(text, line=None, index=index, cell=cell, first=first):
            problems.append(Problem(name, text, index + 1, cell.cell_type, line, first))

        for line, text in cell_problems(cell):
            problem(text, line)
        for tag in _tags(cell):
            if tag != SOLUTION_ONLY_TAG and re.fullmatch(r"(?i)solutions?[ _\-]?only", tag):
                problem(f"tag {tag!r} looks like {SOLUTION_ONLY_TAG!r} but is not it: the "
                        "cell would be kept in the learner notebook")
        if cell.cell_type != "code":
            continue
        if cell.source.count(CODE_BEGIN) and SOLUTION_ONLY_TAG not in _tags(cell):
            learner = learner_source(cell)
            try:
                ast.parse(cell.source)
            except SyntaxError:
                pass  # IPython syntax (%magic): nothing to compare
            else:
                try:
                    ast.parse(learner)
                except SyntaxError as exc:
                    problem(f"the learner version of this cell is not valid Python ({exc.msg}, "
                            f"line {exc.lineno}): check the markers' indentation")
        check = CHECK_CELL.fullmatch(cell.source)
        if check and check["function"] in defined_in:
            home = nb.cells[defined_in[check["function"]]]
            if CODE_BEGIN not in home.source and SOLUTION_ONLY_TAG not in _tags(home):
                problem(f"this check cell grades {check['function']}(), but cell "
                        f"{defined_in[check['function']] + 1}, which defines it, has no "
                        f"{CODE_BEGIN!r} block: the learner notebook would show the solution")
        for function in _defined_functions(cell.source):
            defined_in[function] = index
    return problems


def read_notebook(path: Path):
    """Read a notebook, or raise :class:`NotebookError` naming the file and what is wrong."""
    name = _relative(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise NotebookError([Problem(name, f"cannot be read: {exc}")]) from exc
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        raise NotebookError([Problem(name, f"is not valid JSON (broken at line {exc.lineno}, "
                                     f"column {exc.colno}: {exc.msg})")]) from exc
    try:
        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)
    except Exception as exc:
        message = " ".join(str(exc).split())[:300]
        raise NotebookError([Problem(name, f"is not a valid notebook: {message}")]) from exc
    return nb


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def validated(path: Path):
    """The solution notebook at ``path``, read and checked; :class:`NotebookError` if not."""
    nb = read_notebook(path)
    problems = notebook_problems(nb, _relative(path))
    if problems:
        raise NotebookError(problems)
    return nb


def select(names) -> list[tuple[Path, Path]]:
    """The (solution, learner) pairs named by ``names`` (all when empty); unknown names are a
    :class:`NotebookError` listing the lessons there are."""
    available = pairs()
    if not names:
        return available
    by_stem = {solution.stem: (solution, learner) for solution, learner in available}
    chosen, unknown = [], []
    for name in names:
        stem = Path(name).name.removesuffix(".ipynb")
        if stem in by_stem:
            chosen.append(by_stem[stem])
        else:
            unknown.append(name)
    if unknown:
        lessons = ", ".join(by_stem) or "none"
        raise NotebookError([
            Problem(_relative(SOLUTIONS / f"{name}.ipynb"), f"no such solution notebook "
                    f"(asked for {name!r}; the lessons are: {lessons})")
            for name in unknown
        ])
    return chosen


def learner_source(cell) -> str:
    """The cell's source with every solution block replaced by its stub."""
    if cell.cell_type == "code":
        return CODE_BLOCK.sub(lambda m: CODE_STUB.format(indent=m["indent"]), cell.source)
    if cell.cell_type == "markdown":
        return MARKDOWN_BLOCK.sub(MARKDOWN_STUB, cell.source)
    return cell.source


def exercise_functions(nb) -> set[str]:
    """The functions a learner writes: those defined in a cell with a solution block."""
    names: set[str] = set()
    for cell in nb.cells:
        if cell.cell_type == "code" and CODE_BEGIN in cell.source:
            names |= _defined_functions(cell.source)
    return names


def _names_used(source: str) -> set[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:  # IPython syntax (%magic): leave the cell as it is
        return set()
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}


def follow_up_uses(cell, exercises: set[str]) -> list[str]:
    """The exercise functions a follow-up cell calls (empty for any other cell).

    Not a follow-up: the cell that defines the function, a check cell (the checker
    reports the stub itself), and a cell that catches ``NotImplementedError`` itself.
    """
    if cell.cell_type != "code" or CHECK_CELL.fullmatch(cell.source):
        return []
    if "except NotImplementedError" in cell.source:
        return []
    if CODE_BEGIN in cell.source:
        return []
    return sorted(_names_used(cell.source) & exercises)


def _string_continuation_lines(source: str) -> set[int]:
    """1-based numbers of the lines inside a multi-line string (not to be re-indented)."""
    import io
    import tokenize

    inside: set[int] = set()
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.STRING and token.end[0] > token.start[0]:
                inside.update(range(token.start[0] + 1, token.end[0] + 1))
    except (tokenize.TokenError, SyntaxError):
        pass
    return inside


def guarded_follow_up(source: str, functions: list[str]) -> str:
    """``source`` inside ``try: ... except NotImplementedError``, for the learner notebook."""
    named = ", ".join(f"{name}()" for name in functions)
    keep = _string_continuation_lines(source)
    body = "\n".join(
        line if number in keep or not line.strip() else "    " + line
        for number, line in enumerate(source.rstrip("\n").split("\n"), 1)
    )
    return (
        f"try:  # uses your {named} from the exercise above\n"
        f"{body}\n"
        "except NotImplementedError:\n"
        f'    print("This cell uses your {named}: do the exercise above first, then run this '
        'cell again.")'
    )


def guard_follow_up(cell, exercises: set[str]) -> None:
    """Put ``cell`` inside ``try: ... except NotImplementedError`` if it is a follow-up cell
    of ``exercises`` (see :func:`follow_up_uses`); leave any other cell as it is. Used for
    the learner notebook here and by nbgrader's ``generate_assignment`` (nbgrader_config.py),
    so that both make the same learner notebook."""
    uses = follow_up_uses(cell, exercises)
    if uses:
        cell.source = guarded_follow_up(cell.source, uses)


def learner_notebook(solution_nb, name: str = "the solution notebook"):
    """A learner notebook (sources only, outputs cleared) made from a solution notebook.

    Raises :class:`NotebookError` if a marker is malformed (see :func:`notebook_problems`),
    rather than copy a solution into the learner's version.
    """
    problems = notebook_problems(solution_nb, name)
    if problems:
        raise NotebookError(problems)
    # Deep copies: both notebooks are run next, and each run stores its own widget state in
    # the notebook's metadata. A shared metadata dict gave the solution the learner's state,
    # whose models its widget views do not name (blank widgets on the site's solution pages).
    nb = nbformat.v4.new_notebook(metadata=deepcopy(solution_nb.metadata))
    exercises = exercise_functions(solution_nb)
    for cell in solution_nb.cells:
        if SOLUTION_ONLY_TAG in cell.get("metadata", {}).get("tags", []):
            continue
        copy = nbformat.from_dict(deepcopy(dict(cell)))
        copy.source = learner_source(cell)
        guard_follow_up(copy, exercises)
        if copy.cell_type == "code":
            copy.outputs, copy.execution_count = [], None
        nb.cells.append(copy)
    leaks = [c for c in nb.cells if _marker_like(c.source)]
    if leaks:  # cannot happen after the checks above; never write a leaking notebook
        raise NotebookError([Problem(name, "a solution marker is left in the learner version")])
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
    """Names of learner notebooks that differ from what their solution notebook gives.

    Raises :class:`NotebookError` if a solution notebook cannot be read or has a malformed
    marker.
    """
    stale = []
    for solution_path, learner_path in pairs():
        expected = learner_notebook(validated(solution_path), _relative(solution_path))
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


def _fail(problems) -> int:
    for problem in problems:
        print(f"make_notebooks: error: {problem}", file=sys.stderr)
    print("make_notebooks: nothing was written for these notebooks.", file=sys.stderr)
    return 1


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check; write nothing")
    parser.add_argument("names", nargs="*", help="only these notebooks (e.g. 03_softmax)")
    args = parser.parse_args(argv)
    if args.check:
        try:
            stale = out_of_step()
        except NotebookError as exc:
            return _fail(exc.problems)
        for name in stale:
            print(f"out of step with its solution notebook: notebooks/{name}")
        if stale:
            print("run: make notebooks")
        return 1 if stale else 0
    # Read and check every notebook asked for before writing any: a malformed marker in
    # one lesson must not leave the others half regenerated.
    problems, jobs = [], []
    try:
        chosen = select(args.names)
    except NotebookError as exc:
        return _fail(exc.problems)
    for solution_path, learner_path in chosen:
        try:
            solution_nb = stamp_grading_metadata(validated(solution_path))
            learner_nb = learner_notebook(solution_nb, _relative(solution_path))
        except NotebookError as exc:
            problems += exc.problems
            continue
        jobs.append(((solution_nb, solution_path), (learner_nb, learner_path)))
    if problems:
        return _fail(problems)
    for job in jobs:
        for nb, path in job:
            print(f"running {path.relative_to(ROOT)}", flush=True)
            try:
                execute(nb, path.parent)
            except Exception as exc:  # nbclient's CellExecutionError, a dead kernel, a timeout
                text = str(exc).strip() or type(exc).__name__
                return _fail([Problem(_relative(path), f"Restart & Run All failed "
                                      f"({type(exc).__name__}): {text[-2000:]}")])
        for nb, path in job:  # both versions of a lesson, or neither
            write_like_jupyterlab(nb, path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
