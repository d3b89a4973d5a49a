"""Make (or update) an nbgrader course directory for grading the course's lessons.

    python tools/nbgrader_course.py ~/grading               # every lesson
    python tools/nbgrader_course.py ~/grading 03_softmax    # one lesson

nbgrader wants one folder per assignment under ``source/``; here an assignment is a lesson,
and its source is the lesson's solution notebook (``notebooks/solutions/NN_*.ipynb``, which
carries the grading metadata). The course directory gets:

- ``nbgrader_config.py``, which loads this repository's ``nbgrader_config.py`` (the course's
  stubs, the ``solution-only`` cells left out, the time limit);
- ``source/<lesson>/<lesson>.ipynb``, a copy of each solution notebook. An existing copy is
  kept unless ``--update`` is given, so a teacher's own variations are not overwritten.

Keep the course directory outside the repository: it will hold the learners' submissions
and the gradebook (``gradebook.db``). Then, in it: ``nbgrader generate_assignment 03_softmax``.
"""

from __future__ import annotations

import argparse
import filecmp
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "notebooks" / "solutions"
REPO_CONFIG = ROOT / "nbgrader_config.py"

CONFIG_TEMPLATE = """\
# Made by tools/nbgrader_course.py. The grading settings live with the course:
# {repo_config}
import os

c = get_config()  # noqa: F821
_course_config = {repo_config!r}
if not os.path.exists(_course_config):
    raise FileNotFoundError(
        f"{{_course_config}} is missing: run tools/nbgrader_course.py again from the course's "
        "repository to point this course directory at it"
    )
load_subconfig(_course_config)  # noqa: F821
"""


def lessons() -> list[str]:
    return sorted(path.stem for path in SOLUTIONS.glob("*.ipynb"))


def make_course(directory: Path, names=(), update: bool = False) -> list[str]:
    """Lay out ``directory`` for nbgrader; return what was written, one line per file."""
    known = lessons()
    unknown = [name for name in names if name not in known]
    if unknown:
        raise SystemExit(
            f"no such lesson: {', '.join(unknown)} (lessons: {', '.join(known) or 'none'})"
        )
    directory = directory.expanduser().resolve()
    if directory == ROOT or ROOT in directory.parents:
        raise SystemExit(
            "make the course directory outside the repository: it will hold the learners' "
            "submissions and grades"
        )
    directory.mkdir(parents=True, exist_ok=True)
    done = []
    config = directory / "nbgrader_config.py"
    text = CONFIG_TEMPLATE.format(repo_config=str(REPO_CONFIG))
    if not config.exists() or config.read_text() != text:
        config.write_text(text)
        done.append(f"wrote {config}")
    for name in names or known:
        source = SOLUTIONS / f"{name}.ipynb"
        target = directory / "source" / name / f"{name}.ipynb"
        if target.exists() and (filecmp.cmp(source, target, shallow=False) or not update):
            if not filecmp.cmp(source, target, shallow=False):
                done.append(f"kept {target} (it differs from {source}; --update replaces it)")
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        done.append(f"copied {source.relative_to(ROOT)} -> {target}")
    return done


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path, help="the course directory, e.g. ~/grading")
    parser.add_argument("lessons", nargs="*", help="only these lessons (e.g. 03_softmax)")
    parser.add_argument(
        "--update", action="store_true", help="replace sources that differ from the repository's"
    )
    args = parser.parse_args(argv)
    for line in make_course(args.directory, args.lessons, args.update):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
