"""Make (or update) an nbgrader course directory for grading the course's lessons.

    python tools/nbgrader_course.py ~/grading               # every lesson
    python tools/nbgrader_course.py ~/grading 03_softmax    # one lesson
    python tools/nbgrader_course.py ~/grading --collect 03_softmax --homes /home
    python tools/nbgrader_course.py ~/grading --return-feedback 03_softmax --homes /home

nbgrader wants one folder per assignment under ``source/``; here an assignment is a lesson,
and its source is the lesson's solution notebook (``notebooks/solutions/NN_*.ipynb``, which
carries the grading metadata). The course directory gets:

- ``nbgrader_config.py``, which loads this repository's ``nbgrader_config.py`` (the course's
  stubs, the ``solution-only`` cells left out, the time limit);
- ``source/<lesson>/<lesson>.ipynb``, a copy of each solution notebook. An existing copy is
  kept unless ``--update`` is given, so a teacher's own variations are not overwritten.

Keep the course directory outside the repository: it will hold the learners' submissions
and the gradebook (``gradebook.db``). Then, in it: ``nbgrader generate_assignment 03_softmax``.

On a JupyterHub whose learners got the course with the nbgitpuller link, their work is in
``<homes>/<learner>/cross-entropy-course/notebooks/``. ``--collect LESSON`` copies each
learner's notebook of that lesson to ``submitted/<learner>/<lesson>/``, where
``nbgrader autograde`` looks for it; ``--return-feedback LESSON`` copies each learner's
feedback page (``nbgrader generate_feedback``) to
``<homes>/<learner>/cross-entropy-course-feedback/<lesson>.html``, owned by the learner.
Both need to read (and write) the learners' homes: run them as the hub's administrator.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "notebooks" / "solutions"
REPO_CONFIG = ROOT / "nbgrader_config.py"
COURSE_FOLDER = "cross-entropy-course"  # where the nbgitpuller link puts the course in a home

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


def collect(directory: Path, lesson: str, homes: Path, folder: str = COURSE_FOLDER) -> list[str]:
    """Copy each learner's notebook of ``lesson`` into ``directory/submitted/``."""
    done = []
    for home in sorted(p for p in Path(homes).iterdir() if p.is_dir()):
        notebook = home / folder / "notebooks" / f"{lesson}.ipynb"
        if not notebook.is_file():
            continue
        target = Path(directory) / "submitted" / home.name / lesson / f"{lesson}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(notebook, target)
        done.append(f"collected {notebook} -> {target}")
    return done


def return_feedback(
    directory: Path, lesson: str, homes: Path, folder: str = COURSE_FOLDER
) -> list[str]:
    """Copy each learner's feedback page of ``lesson`` into their home, owned by them."""
    done = []
    for page in sorted((Path(directory) / "feedback").glob(f"*/{lesson}/{lesson}.html")):
        learner = page.parents[1].name
        home = Path(homes) / learner
        if not home.is_dir():
            done.append(f"skipped {page}: no home folder {home}")
            continue
        target = home / f"{folder}-feedback" / f"{lesson}.html"
        target.parent.mkdir(exist_ok=True)
        shutil.copyfile(page, target)
        owner = home.stat()
        if os.geteuid() == 0:  # the administrator copies; the learner owns the copy
            for path in (target.parent, target):
                os.chown(path, owner.st_uid, owner.st_gid)
        done.append(f"returned {page} -> {target}")
    return done


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path, help="the course directory, e.g. ~/grading")
    parser.add_argument("lessons", nargs="*", help="only these lessons (e.g. 03_softmax)")
    parser.add_argument(
        "--update", action="store_true", help="replace sources that differ from the repository's"
    )
    parser.add_argument("--collect", metavar="LESSON", help="collect a lesson from the homes")
    parser.add_argument(
        "--return-feedback", metavar="LESSON", help="copy a lesson's feedback into the homes"
    )
    parser.add_argument("--homes", type=Path, default=Path("/home"), help="default: /home")
    parser.add_argument("--folder", default=COURSE_FOLDER, help="the course's folder in a home")
    args = parser.parse_args(argv)
    if args.collect:
        lines = collect(args.directory, args.collect, args.homes, args.folder)
    elif args.return_feedback:
        lines = return_feedback(args.directory, args.return_feedback, args.homes, args.folder)
    else:
        lines = make_course(args.directory, args.lessons, args.update)
    for line in lines:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
