"""Every lesson graded by nbgrader as a teacher grades it, for three synthetic learners.

For each lesson (each solution notebook, so a new lesson is covered as soon as it exists),
in a course directory of its own made by ``tools/nbgrader_course.py``:

1. ``nbgrader generate_assignment`` makes the learner's notebook, and its cells are those
   of the repository's learner notebook (what ``make notebooks`` wrote and what a learner
   gets with the nbgitpuller link);
2. three learners submit: ``learner_solutions`` hands in the solution notebook,
   ``learner_stubs`` the repository's learner notebook untouched, ``learner_mistake`` the
   solutions with one typical wrong answer (``_mistakes.py``: the checker's first registered
   mistake, or a forgotten ``return``);
3. ``nbgrader autograde`` runs the three notebooks, and each check cell's score is exactly
   what it should be: all the points, none, all but the wrong exercise's; a written answer
   waits for the teacher (or scores 0 when left as the stub);
4. ``nbgrader generate_feedback`` shows the mistaken learner the checker's friendly report,
   not a traceback.

The lessons are graded two at a time (one course directory, hence one gradebook, each):
nbgrader grades one notebook after another, so this is where the two cores help.
"""

from __future__ import annotations

import html
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest
from conftest import HERE, REPO, isolated_jupyter_env, load_tool, run_nbgrader

nbgrader_api = pytest.importorskip("nbgrader.api", reason="nbgrader is not installed")

from _mistakes import registered_mistakes, typical_mistake  # noqa: E402

import xent_lessons as xl  # noqa: E402

nbgrader_course = load_tool("nbgrader_course")
nbgrader_metadata = load_tool("nbgrader_metadata")

LESSONS = nbgrader_course.lessons()
LEARNERS = ("learner_solutions", "learner_stubs", "learner_mistake")
WORKERS = max(1, min(2, os.cpu_count() or 1))


@dataclass
class Graded:
    """What grading one lesson gave: its release, the grades, the feedback, the times."""

    lesson: str
    release: nbformat.NotebookNode | None = None
    grades: dict = field(default_factory=dict)  # learner -> {grade_id: (auto, max, manual?)}
    mistake: tuple[str, str] | None = None  # (exercise, function name)
    feedback: str = ""
    autograde_seconds: float = 0.0
    autograde_cpu_seconds: float = 0.0
    error: str = ""


def function_exercises(nb) -> list[tuple[str, str]]:
    """``(exercise, function)`` of every check cell whose argument is a function defined in
    a solution cell of ``nb``, in notebook order."""
    defined = set()
    found = []
    for cell in nb.cells:
        if cell.cell_type == "code" and nbgrader_metadata.has_solution(cell):
            defined.update(nbgrader_metadata._functions_defined(cell.source))
        call = nbgrader_metadata.check_call(cell)
        if call and call[1] in defined:
            found.append(call)
    return found


def choose_mistake(nb) -> tuple[str, str]:
    """The exercise the third learner gets wrong: the first with a registered mistake,
    else the first function exercise (a forgotten ``return``)."""
    exercises = function_exercises(nb)
    assert exercises, "a lesson has at least one exercise whose answer is a function"
    with_mistakes = [e for e in exercises if registered_mistakes(e[0])]
    return (with_mistakes or exercises)[0]


def with_mistake(solution_nb, exercise: str, function: str):
    """The solution notebook with ``function`` replaced by the typical wrong answer."""
    nb = nbformat.from_dict(solution_nb)
    for cell in nb.cells:
        if cell.cell_type == "code" and function in nbgrader_metadata._functions_defined(
            cell.source
        ):
            cell.source += (
                "\n\n# The synthetic learner's typical mistake (tests/classroom/_mistakes.py):\n"
                "from _mistakes import typical_mistake\n"
                f"{function} = typical_mistake({exercise!r})"
            )
            return nb
    raise AssertionError(f"no cell defines {function}()")


def submit(course: Path, lesson: str, learner: str, nb) -> None:
    folder = course / "submitted" / learner / lesson
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / f"{lesson}.ipynb")


def grades_of(course: Path, lesson: str) -> dict:
    with nbgrader_api.Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        found = {}
        for learner in LEARNERS:
            submission = gradebook.find_submission(lesson, learner)
            found[learner] = {
                grade.name: (grade.auto_score, grade.max_score, grade.needs_manual_grade)
                for notebook in submission.notebooks
                for grade in notebook.grades
            }
        return found


def grade_lesson(lesson: str, work: Path, shared_env: dict) -> Graded:
    result = Graded(lesson)
    try:
        course = work / "course"
        nbgrader_course.make_course(course, [lesson])
        env = dict(shared_env)
        run_nbgrader(["generate_assignment", lesson], course, env)
        result.release = nbformat.read(course / "release" / lesson / f"{lesson}.ipynb", 4)

        solution_nb = nbformat.read(REPO / "notebooks" / "solutions" / f"{lesson}.ipynb", 4)
        learner_nb = nbformat.read(REPO / "notebooks" / f"{lesson}.ipynb", 4)
        result.mistake = choose_mistake(solution_nb)
        submit(course, lesson, "learner_solutions", solution_nb)
        submit(course, lesson, "learner_stubs", learner_nb)
        submit(course, lesson, "learner_mistake", with_mistake(solution_nb, *result.mistake))

        wall, cpu = run_nbgrader(["autograde", lesson], course, env)
        result.autograde_seconds, result.autograde_cpu_seconds = wall, cpu
        result.grades = grades_of(course, lesson)

        run_nbgrader(["generate_feedback", lesson, "--student", "learner_mistake"], course, env)
        feedback = course / "feedback" / "learner_mistake" / lesson / f"{lesson}.html"
        result.feedback = feedback.read_text(encoding="utf-8")
    except Exception as exc:  # reported by the lesson's own test
        result.error = f"{type(exc).__name__}: {exc}"
    return result


@pytest.fixture(scope="module")
def graded(request, tmp_path_factory, record_timing) -> dict[str, Graded]:
    """Grade every lesson this run selected, two at a time."""
    selected = sorted(
        {
            item.callspec.params["lesson"]
            for item in request.session.items
            if getattr(item, "callspec", None)
            and "lesson" in item.callspec.params
            and item.module.__name__ == request.module.__name__
        }
    )
    root = tmp_path_factory.mktemp("grading")
    # Kernels import the synthetic learner's mistakes from here; one matplotlib cache for all.
    shared_env = isolated_jupyter_env(
        root / "jupyter",
        PYTHONPATH=os.pathsep.join(p for p in (str(HERE), os.environ.get("PYTHONPATH")) if p),
        MPLCONFIGDIR=str(root / "matplotlib"),
    )
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        futures = {
            lesson: pool.submit(grade_lesson, lesson, root / lesson, shared_env)
            for lesson in selected
        }
        results = {lesson: future.result() for lesson, future in futures.items()}
    total = time.perf_counter() - started
    notebooks = [r for r in results.values() if r.autograde_seconds]
    if notebooks:
        per_notebook = sum(r.autograde_seconds for r in notebooks) / (3 * len(notebooks))
        cpu = sum(r.autograde_cpu_seconds for r in notebooks) / (3 * len(notebooks))
        record_timing(
            f"nbgrader: {len(selected)} lessons x 3 learners graded in {total:.0f} s "
            f"({WORKERS} at a time); autograde {per_notebook:.1f} s a notebook "
            f"({cpu:.1f} s of CPU, kernel included)"
        )
    return results


@pytest.fixture
def lesson_graded(graded, lesson) -> Graded:
    result = graded[lesson]
    assert not result.error, result.error
    return result


def _sources(nb) -> list[tuple[str, str]]:
    # nbgrader joins a stubbed cell's lines without the final newline that make_notebooks
    # writes after a stub on the cell's last line; nothing else may differ.
    return [(cell.cell_type, cell.source.rstrip("\n")) for cell in nb.cells]


@pytest.mark.parametrize("lesson", LESSONS)
def test_generate_assignment_makes_the_repository_learner_notebook(lesson_graded, lesson):
    learner_nb = nbformat.read(REPO / "notebooks" / f"{lesson}.ipynb", 4)
    assert _sources(lesson_graded.release) == _sources(learner_nb)
    for cell in lesson_graded.release.cells:
        assert "BEGIN SOLUTION" not in cell.source
        assert "solution-only" not in cell.metadata.get("tags", [])


@pytest.mark.parametrize("lesson", LESSONS)
def test_autograde_scores_the_three_learners_exactly(lesson_graded, lesson):
    solution_nb = nbformat.read(REPO / "notebooks" / "solutions" / f"{lesson}.ipynb", 4)
    graded_cells = nbgrader_metadata.graded_cells(solution_nb)
    checks = {g: p for g, p in graded_cells.items() if g.startswith("check_")}
    written = {g: p for g, p in graded_cells.items() if g.startswith("written_")}
    assert checks, f"{lesson} has no check cell"
    wrong = f"check_{lesson_graded.mistake[0]}"
    grades = lesson_graded.grades
    for learner in LEARNERS:
        assert set(grades[learner]) == set(graded_cells), learner
        for grade_id, points in graded_cells.items():
            assert grades[learner][grade_id][1] == points, (learner, grade_id)

    def auto(learner, grade_id):
        return grades[learner][grade_id][0]

    for grade_id, points in checks.items():
        assert auto("learner_solutions", grade_id) == points, grade_id
        assert auto("learner_stubs", grade_id) == 0, grade_id
        assert auto("learner_mistake", grade_id) == (0 if grade_id == wrong else points), grade_id
    for grade_id in written:
        # A written answer is the teacher's to grade; left as the stub, it scores 0.
        assert grades["learner_solutions"][grade_id][0] is None
        assert grades["learner_solutions"][grade_id][2] is True
        assert grades["learner_stubs"][grade_id][0] == 0
        assert grades["learner_stubs"][grade_id][2] is False

    total = sum(checks.values())
    auto_total = {learner: sum(auto(learner, g) or 0 for g in checks) for learner in LEARNERS}
    assert auto_total == {
        "learner_solutions": total,
        "learner_stubs": 0,
        "learner_mistake": total - checks[wrong],
    }


@pytest.mark.parametrize("lesson", LESSONS)
def test_feedback_shows_the_friendly_report_not_a_traceback(lesson_graded, lesson):
    exercise, _ = lesson_graded.mistake
    report = getattr(xl.check, exercise)(typical_mistake(exercise)).message
    assert not report.startswith("✅")
    page = html.unescape(lesson_graded.feedback)
    for line in report.splitlines():
        assert line.strip() in page, line
    assert "Traceback (most recent call last)" not in page
    assert "CheckFailed" not in page
    # The exercises the learner got right show their report too.
    assert "✅" in page


def test_the_grading_test_covers_every_lesson():
    assert LESSONS, "no solution notebooks"
    assert LESSONS == sorted(p.stem for p in (REPO / "notebooks" / "solutions").glob("*.ipynb"))


def test_the_course_directory_is_kept_out_of_the_repository():
    with pytest.raises(SystemExit, match="outside the repository"):
        nbgrader_course.make_course(REPO / "grading")


def test_a_teachers_own_source_is_kept_unless_updated(tmp_path):
    lesson = LESSONS[0]
    nbgrader_course.make_course(tmp_path, [lesson])
    source = tmp_path / "source" / lesson / f"{lesson}.ipynb"
    source.write_text(source.read_text().replace("Lesson", "Leçon", 1))
    assert "kept" in nbgrader_course.make_course(tmp_path, [lesson])[0]
    assert "Leçon" in source.read_text()
    nbgrader_course.make_course(tmp_path, [lesson], update=True)
    assert (
        source.read_bytes() == (REPO / "notebooks" / "solutions" / f"{lesson}.ipynb").read_bytes()
    )
    with pytest.raises(SystemExit, match="no such lesson"):
        nbgrader_course.make_course(tmp_path, ["99_nope"])
