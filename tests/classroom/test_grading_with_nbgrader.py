"""Every lesson graded by nbgrader as a teacher grades it: right, stubbed and wrong answers.

For each lesson (each solution notebook, so a new lesson is covered as soon as it exists),
in a course directory made by ``tools/nbgrader_course.py``:

1. ``nbgrader generate_assignment`` makes the learner's notebook, and its cells are those
   of the repository's learner notebook (what ``make notebooks`` wrote and what a learner
   gets with the nbgitpuller link);
2. ``learner_mixed`` hands in one notebook that holds, side by side, every kind of answer
   (:func:`answer_plan`): a typical wrong answer to one exercise (``_mistakes.py``: the
   checker's first registered mistake, or a forgotten ``return``), the untouched stub of
   the last exercise (when the lesson has three or more), the right answer to the others,
   and its written answer right, or left as the stub when no exercise is;
3. ``nbgrader autograde`` runs it, and each check cell's score is exactly what its answer
   earns: all its points, or none; so the notebook gets a partial score. A written answer
   waits for the teacher, or scores 0 when left as the stub;
4. ``nbgrader generate_feedback`` shows the learner the checker's friendly report for the
   wrong answer and the stub, not a traceback (the only tracebacks are those of the cells
   after the stub that call it), and the passed report for the right ones.

For the first lesson and the first lesson with a written answer (:func:`three_learner_lessons`),
three more learners hand in a notebook each, and every graded cell gets each score:
``learner_solutions`` the solution notebook (all the points), ``learner_stubs`` the
repository's learner notebook untouched (none), ``learner_mistake`` the solutions with the
same typical wrong answer (all but that exercise's).

Every notebook nbgrader runs starts a kernel and runs a whole lesson; the nbgrader commands
themselves take seconds to start. So the lessons are graded in two course directories (one
gradebook each, one per core), each with one ``generate_assignment``, one ``autograde`` and
one ``generate_feedback`` for all its lessons. A plain kernel costs about 3 s of CPU before
the lesson's first line (ipykernel 0.6 s, ``import torch`` 2.4 s): here each kernel is
forked from a zygote that imported them once (``_fork_kernel.py``), still one fresh kernel
per notebook; ``XENT_GRADING_PLAIN_KERNEL=1`` grades on plain kernels instead, as the
JupyterHub test's teacher always does.
"""

from __future__ import annotations

import html
import os
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest
from conftest import HERE, REPO, isolated_jupyter_env, load_tool, run_nbgrader

nbgrader_api = pytest.importorskip("nbgrader.api", reason="nbgrader is not installed")

from _fork_kernel import Zygote  # noqa: E402
from _mistakes import registered_mistakes, typical_mistake  # noqa: E402

import xent_lessons as xl  # noqa: E402

nbgrader_course = load_tool("nbgrader_course")
nbgrader_metadata = load_tool("nbgrader_metadata")

LESSONS = nbgrader_course.lessons()
MIXED = "learner_mixed"
LEARNERS = ("learner_solutions", "learner_stubs", "learner_mistake")
WORKERS = max(1, min(2, os.cpu_count() or 1))
# Set (to anything) to grade on plain kernels (python -m ipykernel_launcher) instead of kernels
# forked warm from a zygote that imported torch once (_fork_kernel.py): each costs about 3 s
# of CPU more. The JupyterHub test's teacher grades on plain kernels in any case.
PLAIN_KERNEL = "XENT_GRADING_PLAIN_KERNEL"
RIGHT, STUB, MISTAKE = "right", "stub", "mistake"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _solution(lesson: str):
    return nbformat.read(REPO / "notebooks" / "solutions" / f"{lesson}.ipynb", 4)


def _learner(lesson: str):
    return nbformat.read(REPO / "notebooks" / f"{lesson}.ipynb", 4)


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


@dataclass(frozen=True)
class AnswerPlan:
    """What ``learner_mixed`` hands in for a lesson: per graded cell, a right answer, the
    untouched stub or (one exercise) the typical mistake."""

    checks: dict  # check_<exercise> -> RIGHT | STUB | MISTAKE
    written: dict  # written_<id> -> RIGHT | STUB
    mistake: tuple[str, str]  # (exercise, function) answered wrong
    stub: tuple[str, str] | None  # (exercise, function) left as the stub, if any


def answer_plan(nb) -> AnswerPlan:
    """The answers of ``learner_mixed`` to the solution notebook ``nb``.

    The wrong answer goes to the first exercise with a registered mistake (else the first,
    with a forgotten ``return``), not to the last when the last is stubbed; the stub goes to
    the last exercise when there are three or more (a stub makes every later use of the
    function raise, and no check comes after the last), so at least one answer is right.
    """
    exercises = function_exercises(nb)
    assert len(exercises) >= 2, "a lesson has at least two exercises whose answers are functions"
    stub_candidates = exercises if len(exercises) >= 3 else []
    may_be_wrong = exercises[:-1] if stub_candidates else exercises
    with_mistakes = [e for e in may_be_wrong if registered_mistakes(e[0])]
    mistake = (with_mistakes or may_be_wrong)[0]
    stub = next((e for e in reversed(stub_candidates) if e != mistake), None)
    checks = {}
    for exercise in exercises:
        state = MISTAKE if exercise == mistake else STUB if exercise == stub else RIGHT
        checks[f"check_{exercise[0]}"] = state
    graded = nbgrader_metadata.graded_cells(nb)
    written_state = RIGHT if stub else STUB
    written = {g: written_state for g in graded if g.startswith("written_")}
    return AnswerPlan(checks, written, mistake, stub)


def three_learner_lessons(lessons) -> list[str]:
    """The lessons also graded for three separate learners: the first lesson and the first
    with a written answer."""
    chosen = lessons[:1]
    for lesson in lessons:
        if any(g.startswith("written_") for g in nbgrader_metadata.graded_cells(_solution(lesson))):
            chosen.append(lesson)
            break
    return sorted(set(chosen))


THREE_LEARNER_LESSONS = three_learner_lessons(LESSONS)


def with_mistake(nb, exercise: str, function: str):
    """``nb`` with ``function`` replaced by the typical wrong answer (a copy)."""
    nb = nbformat.from_dict(nb)
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


def solution_cell_of(nb, function: str) -> str:
    """The grade id of the solution cell of ``nb`` that defines ``function``."""
    for cell in nb.cells:
        if cell.cell_type == "code" and function in nbgrader_metadata._functions_defined(
            cell.source
        ):
            return cell.metadata["nbgrader"]["grade_id"]
    raise AssertionError(f"no cell defines {function}()")


def with_stubs(nb, learner_nb, grade_ids):
    """``nb`` with the cells of ``grade_ids`` (solution cells) as the learner notebook has
    them, untouched (a copy)."""
    nb = nbformat.from_dict(nb)
    stubs = {
        cell.metadata["nbgrader"]["grade_id"]: cell.source
        for cell in learner_nb.cells
        if "nbgrader" in cell.metadata
    }
    replaced = set()
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in grade_ids:
            assert cell.source != stubs[grade_id], f"{grade_id}: the solution is the stub"
            cell.source = stubs[grade_id]
            replaced.add(grade_id)
    assert replaced == set(grade_ids), f"no cells {set(grade_ids) - replaced}"
    return nb


def mixed_submission(solution_nb, learner_nb, plan: AnswerPlan):
    """The notebook ``learner_mixed`` hands in, answered as ``plan`` says."""
    stubbed = [solution_cell_of(solution_nb, plan.stub[1])] if plan.stub else []
    stubbed += [g for g, state in plan.written.items() if state == STUB]
    return with_mistake(with_stubs(solution_nb, learner_nb, stubbed), *plan.mistake)


def stub_function(*args, **kwargs):
    """The untouched stub of an exercise, as the learner notebook has it."""
    raise NotImplementedError("Exercise: replace this line with your code")


@dataclass
class Graded:
    """What grading one lesson gave: its release, the grades and feedback of each learner."""

    lesson: str
    plan: AnswerPlan | None = None
    release: nbformat.NotebookNode | None = None
    grades: dict = field(default_factory=dict)  # learner -> {grade_id: (auto, max, manual?)}
    feedback: dict = field(default_factory=dict)  # learner -> the feedback page
    autograded: dict = field(default_factory=dict)  # learner -> the notebook as nbgrader ran it
    error: str = ""


def submit(course: Path, lesson: str, learner: str, nb) -> None:
    folder = course / "submitted" / learner / lesson
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / f"{lesson}.ipynb")


def grades_of(course: Path, lesson: str, learners) -> dict:
    with nbgrader_api.Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        found = {}
        for learner in learners:
            submission = gradebook.find_submission(lesson, learner)
            found[learner] = {
                grade.name: (grade.auto_score, grade.max_score, grade.needs_manual_grade)
                for notebook in submission.notebooks
                for grade in notebook.grades
            }
        return found


def learners_of(lesson: str, three: set) -> tuple[str, ...]:
    return (MIXED, *LEARNERS) if lesson in three else (MIXED,)


@dataclass
class Batch:
    """The lessons graded in one course directory, and what it cost."""

    results: dict
    notebooks: int = 0
    autograde_seconds: float = 0.0
    autograde_cpu_seconds: float = 0.0
    steps: dict = field(default_factory=dict)  # nbgrader command -> (wall, CPU) seconds


# The submissions are made one course directory at a time: under load, two threads building
# them at once (ast parses the notebooks' cells) once made CPython 3.11.7 raise "SystemError:
# AST constructor recursion depth mismatch". nbgrader's own runs still go side by side.
_PREPARING = threading.Lock()


def _prepare(batch: Batch, lessons, three: set, course: Path) -> None:
    """The course directory for ``lessons`` and every learner's submission in it."""
    nbgrader_course.make_course(course, lessons)
    for lesson, result in batch.results.items():
        solution_nb, learner_nb = _solution(lesson), _learner(lesson)
        try:
            result.plan = answer_plan(solution_nb)
            submissions = {MIXED: mixed_submission(solution_nb, learner_nb, result.plan)}
            if lesson in three:
                submissions["learner_solutions"] = solution_nb
                submissions["learner_stubs"] = learner_nb
                submissions["learner_mistake"] = with_mistake(solution_nb, *result.plan.mistake)
        except Exception as exc:  # reported by the lesson's own tests
            result.error = f"{type(exc).__name__}: {exc}"
            continue
        for learner, nb in submissions.items():
            submit(course, lesson, learner, nb)
        batch.notebooks += len(submissions)


def grade_batch(lessons, three: set, course: Path, env: dict) -> Batch:
    """Grade ``lessons`` in the course directory ``course``: each nbgrader command once for
    all of them ("*": every assignment in ``source/``, every learner in ``submitted/``)."""
    batch = Batch({lesson: Graded(lesson) for lesson in lessons})
    with _PREPARING:
        _prepare(batch, lessons, three, course)
    failed = ""
    for step in (["generate_assignment", "*"], ["autograde", "*"], ["generate_feedback", "*"]):
        try:
            wall, cpu = run_nbgrader(step, course, env)
        except AssertionError as exc:  # a lesson's failure: the others are graded all the same
            failed += f"{exc}\n"
            continue
        batch.steps[step[0]] = (wall, cpu)
        if step[0] == "autograde":
            batch.autograde_seconds, batch.autograde_cpu_seconds = wall, cpu
    for lesson, result in batch.results.items():
        if result.error:
            continue
        learners = learners_of(lesson, three)
        try:
            result.release = nbformat.read(course / "release" / lesson / f"{lesson}.ipynb", 4)
            result.grades = grades_of(course, lesson, learners)
            for learner in learners:
                page = course / "feedback" / learner / lesson / f"{lesson}.html"
                result.feedback[learner] = page.read_text(encoding="utf-8")
                ran = course / "autograded" / learner / lesson / f"{lesson}.ipynb"
                result.autograded[learner] = nbformat.read(ran, 4)
        except Exception as exc:  # reported by the lesson's own tests
            result.error = f"{type(exc).__name__}: {exc}\n{failed}"
        else:
            if failed:  # nbgrader failed, on this lesson or another: say so on every one
                result.error = f"nbgrader failed in the course directory of {lesson}:\n{failed}"
    return batch


def _selected(request, test_names) -> list[str]:
    return sorted(
        {
            item.callspec.params["lesson"]
            for item in request.session.items
            if getattr(item, "callspec", None)
            and "lesson" in item.callspec.params
            and item.module.__name__ == request.module.__name__
            and item.originalname in test_names
        }
    )


@pytest.fixture(scope="module")
def graded(request, tmp_path_factory, record_timing) -> dict[str, Graded]:
    """Grade every lesson this run selected, in WORKERS course directories side by side."""
    selected = _selected(request, PER_LESSON_TESTS | THREE_LEARNER_TESTS)
    three = set(_selected(request, THREE_LEARNER_TESTS))
    root = tmp_path_factory.mktemp("grading")
    # Kernels import the synthetic learner's mistakes from here; one matplotlib cache for all.
    shared_env = isolated_jupyter_env(
        root / "jupyter",
        PYTHONPATH=os.pathsep.join(p for p in (str(HERE), os.environ.get("PYTHONPATH")) if p),
        MPLCONFIGDIR=str(root / "matplotlib"),
    )
    # Round robin in lesson order: the lessons' lengths vary little from one to the next.
    groups = [selected[i::WORKERS] for i in range(WORKERS) if selected[i::WORKERS]]
    started = time.perf_counter()
    zygote, kernels_cpu = None, 0.0
    if not os.environ.get(PLAIN_KERNEL):  # kernels forked warm (_fork_kernel.py)
        zygote = Zygote(root / "kernels.sock", shared_env, root / "zygote.log")
        record_timing(
            f"nbgrader: the kernel zygote imported torch and listened in {zygote.start():.1f} s"
        )
        zygote.install(root / "kernel-spec")
        shared_env["JUPYTER_PATH"] = str(root / "kernel-spec")
    try:
        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            batches = list(
                pool.map(
                    lambda args: grade_batch(args[1], three, root / f"course{args[0]}", shared_env),
                    enumerate(groups),
                )
            )
    finally:
        if zygote is not None:
            kernels_cpu = zygote.cpu_seconds()
            zygote.stop()
            assert not zygote.processes(), "kernels of the grading test still alive"
    total = time.perf_counter() - started
    notebooks = sum(b.notebooks for b in batches)
    if notebooks and all(b.autograde_seconds for b in batches):
        wall = sum(b.autograde_seconds for b in batches) / notebooks
        # The forked kernels are the zygote's children, not nbgrader's: their CPU is its.
        cpu = (sum(b.autograde_cpu_seconds for b in batches) + kernels_cpu) / notebooks
        record_timing(
            f"nbgrader: {len(selected)} lessons, {notebooks} notebooks ({len(three)} lessons "
            f"with three more learners) graded in {total:.0f} s ({len(batches)} course "
            f"directories side by side); autograde {wall:.1f} s a notebook ({cpu:.1f} s of "
            "CPU, kernel included)"
        )
        # Where the time went, per nbgrader command (summed over the course directories).
        steps = {}
        for b in batches:
            for name, (w, c) in b.steps.items():
                steps[name] = (steps.get(name, (0, 0))[0] + w, steps.get(name, (0, 0))[1] + c)
        record_timing(
            "nbgrader commands (wall / CPU, summed over the course directories): "
            + "; ".join(f"{name} {w:.0f} s / {c:.0f} s" for name, (w, c) in steps.items())
        )
    return {lesson: r for b in batches for lesson, r in b.results.items()}


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
    learner_nb = _learner(lesson)
    assert _sources(lesson_graded.release) == _sources(learner_nb)
    for cell in lesson_graded.release.cells:
        assert "BEGIN SOLUTION" not in cell.source
        assert "solution-only" not in cell.metadata.get("tags", [])


def _check_max_scores(grades: dict, graded_cells: dict) -> None:
    for learner, found in grades.items():
        assert set(found) == set(graded_cells), learner
        for grade_id, points in graded_cells.items():
            assert found[grade_id][1] == points, (learner, grade_id)


def _check_written(found: dict, grade_id: str, state: str) -> None:
    auto, _, manual = found[grade_id]
    if state == RIGHT:  # an answer is the teacher's to grade
        assert (auto, manual) == (None, True), grade_id
    else:  # left as the stub, it scores 0 and needs no one
        assert (auto, manual) == (0, False), grade_id


@pytest.mark.parametrize("lesson", LESSONS)
def test_autograde_scores_each_answer_exactly(lesson_graded, lesson):
    graded_cells = nbgrader_metadata.graded_cells(_solution(lesson))
    plan = lesson_graded.plan
    assert set(plan.checks) == {g for g in graded_cells if g.startswith("check_")}
    assert set(plan.written) == {g for g in graded_cells if g.startswith("written_")}
    assert list(plan.checks.values()).count(MISTAKE) == 1 and RIGHT in plan.checks.values()
    found = lesson_graded.grades[MIXED]
    _check_max_scores({MIXED: found}, graded_cells)
    for grade_id, state in plan.checks.items():
        assert found[grade_id][0] == (graded_cells[grade_id] if state == RIGHT else 0), (
            grade_id,
            state,
        )
    for grade_id, state in plan.written.items():
        _check_written(found, grade_id, state)
    # A partial score: the right answers' points, and only theirs.
    total = sum(found[g][0] or 0 for g in plan.checks)
    right = sum(graded_cells[g] for g, state in plan.checks.items() if state == RIGHT)
    assert 0 < total == right < sum(graded_cells[g] for g in plan.checks)


@pytest.mark.parametrize("lesson", THREE_LEARNER_LESSONS)
def test_autograde_scores_the_three_learners_exactly(lesson_graded, lesson):
    graded_cells = nbgrader_metadata.graded_cells(_solution(lesson))
    checks = {g: p for g, p in graded_cells.items() if g.startswith("check_")}
    written = [g for g in graded_cells if g.startswith("written_")]
    assert checks, f"{lesson} has no check cell"
    wrong = f"check_{lesson_graded.plan.mistake[0]}"
    grades = {learner: lesson_graded.grades[learner] for learner in LEARNERS}
    _check_max_scores(grades, graded_cells)

    def auto(learner, grade_id):
        return grades[learner][grade_id][0]

    for grade_id, points in checks.items():
        assert auto("learner_solutions", grade_id) == points, grade_id
        assert auto("learner_stubs", grade_id) == 0, grade_id
        assert auto("learner_mistake", grade_id) == (0 if grade_id == wrong else points), grade_id
    for grade_id in written:
        _check_written(grades["learner_solutions"], grade_id, RIGHT)
        _check_written(grades["learner_stubs"], grade_id, STUB)
    total = sum(checks.values())
    auto_total = {learner: sum(auto(learner, g) or 0 for g in checks) for learner in LEARNERS}
    assert auto_total == {
        "learner_solutions": total,
        "learner_stubs": 0,
        "learner_mistake": total - checks[wrong],
    }


def _shows_report(page: str, report: str) -> None:
    for line in report.splitlines():
        assert line.strip() in page, line


def _no_traceback(page: str) -> None:
    assert "Traceback (most recent call last)" not in page
    assert "CheckFailed" not in page


def _only_reports_in_check_cells(nb, checks, stubbed: bool) -> None:
    """Every check cell of the graded notebook, and every check that fails elsewhere, shows
    the checker's report, never a traceback; the only other errors are those of a stub, in
    the cells after it that call it (so with no stub, none)."""
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        for output in cell.get("outputs", []):
            if output.output_type != "error":
                continue
            text = ANSI.sub("", "\n".join(output.traceback))
            if grade_id in checks or output.ename == "CheckFailed":
                assert "Traceback (most recent call last)" not in text, (grade_id, text[-2000:])
            else:
                assert stubbed and output.ename == "NotImplementedError", text[-2000:]


@pytest.mark.parametrize("lesson", LESSONS)
def test_feedback_shows_the_friendly_report_not_a_traceback(lesson_graded, lesson):
    plan = lesson_graded.plan
    page = html.unescape(lesson_graded.feedback[MIXED])
    exercise, _ = plan.mistake
    report = getattr(xl.check, exercise)(typical_mistake(exercise)).message
    assert not report.startswith("✅")
    _shows_report(page, report)
    if plan.stub:
        report = getattr(xl.check, plan.stub[0])(stub_function).message
        assert "not attempted" in report
        _shows_report(page, report)
    _only_reports_in_check_cells(lesson_graded.autograded[MIXED], plan.checks, bool(plan.stub))
    assert "CheckFailed" not in page
    if not plan.stub:
        _no_traceback(page)
    # The exercises the learner got right show their report too.
    assert page.count("✅") >= list(plan.checks.values()).count(RIGHT)


@pytest.mark.parametrize("lesson", THREE_LEARNER_LESSONS)
def test_feedback_of_the_three_learners(lesson_graded, lesson):
    exercises = function_exercises(_solution(lesson))
    pages = {learner: html.unescape(lesson_graded.feedback[learner]) for learner in LEARNERS}
    checks = {f"check_{exercise}" for exercise, _ in exercises}
    for learner, page in pages.items():
        assert "CheckFailed" not in page
        nb = lesson_graded.autograded[learner]
        _only_reports_in_check_cells(nb, checks, stubbed=learner == "learner_stubs")
    _no_traceback(pages["learner_solutions"])
    _no_traceback(pages["learner_mistake"])
    exercise, _ = lesson_graded.plan.mistake
    _shows_report(
        pages["learner_mistake"], getattr(xl.check, exercise)(typical_mistake(exercise)).message
    )
    for exercise, _ in exercises:
        _shows_report(pages["learner_stubs"], getattr(xl.check, exercise)(stub_function).message)
    assert pages["learner_solutions"].count("✅") >= len(exercises)


def test_every_kind_of_answer_and_score_is_graded():
    """Across the lessons, the mixed submissions hold every kind of answer; with the three
    learners, every check cell of those lessons gets all and none of its points."""
    plans = {lesson: answer_plan(_solution(lesson)) for lesson in LESSONS}
    kinds = {state for plan in plans.values() for state in plan.checks.values()}
    assert kinds == {RIGHT, STUB, MISTAKE}
    assert {state for plan in plans.values() for state in plan.written.values()} == {RIGHT, STUB}
    assert THREE_LEARNER_LESSONS and THREE_LEARNER_LESSONS[0] == LESSONS[0]
    assert any(
        any(g.startswith("written_") for g in nbgrader_metadata.graded_cells(_solution(lesson)))
        for lesson in THREE_LEARNER_LESSONS
    )


PER_LESSON_TESTS = {
    "test_generate_assignment_makes_the_repository_learner_notebook",
    "test_autograde_scores_each_answer_exactly",
    "test_feedback_shows_the_friendly_report_not_a_traceback",
}
THREE_LEARNER_TESTS = {
    "test_autograde_scores_the_three_learners_exactly",
    "test_feedback_of_the_three_learners",
}


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
