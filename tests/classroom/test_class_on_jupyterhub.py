"""A class on a JupyterHub, end to end on this machine: logins, the nbgitpuller link, a lesson.

A real JupyterHub (6.x) with configurable-http-proxy, the simple local spawner and the
dummy authenticator, on 127.0.0.1 (``_hub.py``). The course repository is a local clone
of this repository (its committed state), on branch ``main``, as a teacher's would be.
Two learners log in through the hub's login form in Chromium and click the nbgitpuller
link that ``tools/nbgitpuller_link.py`` makes (the link of TEACHING.md):

- each gets the course in their own home folder, and JupyterLab opens lesson 00;
- ada runs lesson 00 from the top, moves its widget, solves the warm-up exercise (the
  check passes) and saves the notebook;
- the teacher pushes a course update (a new commit in the course repository);
- the second click merges the update into both copies, and ada's solution is still there;
- the teacher collects lesson 00 from the learners' homes, grades it with nbgrader (ada
  gets the warm-up's point, alan, who did nothing, none) and returns the feedback pages into
  the homes (``tools/nbgrader_course.py``, as TEACHING.md says).

Every server started here (hub, proxy, the learners' JupyterLab servers and kernels) is
stopped at the end, also when the test fails; everything they write is in the test's
temporary folder.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from _hub import CHP, ClassroomHub, free_ports
from conftest import REPO, isolated_jupyter_env, load_tool, run_nbgrader

BROWSER_TESTS = REPO / "tests" / "browser"
sys.path.insert(0, str(BROWSER_TESTS))

from _browser import chromium_path, open_browser  # noqa: E402


def _skip_reason() -> str | None:
    if not Path("/proc/self/environ").exists():
        return "classroom test SKIPPED: needs Linux (/proc) to find and stop every server it starts"
    if not shutil.which("git"):
        return "classroom test SKIPPED: git not found (apt-get install -y git)"
    if not CHP.exists():
        how = (
            "npm ci --prefix tests/classroom"
            if shutil.which("npm")
            else "apt-get install -y npm; then npm ci --prefix tests/classroom"
        )
        return f"classroom test SKIPPED: configurable-http-proxy is not installed ({how})"
    if chromium_path() is None:
        return "classroom test SKIPPED: Chromium not found (apt-get install -y chromium, or set CHROMIUM=/path)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return (
            "classroom test SKIPPED: playwright is not installed (pip install -r requirements.txt)"
        )
    try:
        free_ports(3)
    except OSError as exc:
        return f"classroom test SKIPPED: no free port on 127.0.0.1 ({exc})"
    return None


if (_reason := _skip_reason()) is not None:
    pytest.skip(_reason, allow_module_level=True)

from _lab_page import (  # noqa: E402
    COURSE_WIDGET,
    errors_in,
    exercise_widget,
    open_notebook,
    run_all,
)
from test_lessons_in_jupyterlab import expected_from_file  # noqa: E402

nbgitpuller_link = load_tool("nbgitpuller_link")
nbgrader_course = load_tool("nbgrader_course")

LEARNERS = ["ada", "alan"]
COURSE = "cross-entropy-course"  # the repository's name, hence the learners' folder
LESSON = "00_welcome"
ADAS_ANSWER = (
    "def normalize_weights(weights):\n"
    "    # ada's answer: divide by the total\n"
    "    weights = np.asarray(weights, dtype=float)\n"
    "    return weights / weights.sum()"
)
UPDATE_LINE = "Course update: lesson 01 now opens with this line."


def git(*args, cwd: Path) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True, timeout=60
    ).stdout.strip()


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("classroom")


@pytest.fixture(scope="module")
def course_repo(work) -> Path:
    """The teacher's course repository: a clone of this one, its branch called main."""
    repo = work / "teacher" / COURSE
    subprocess.run(
        ["git", "clone", "--quiet", "--no-hardlinks", str(REPO), str(repo)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    git("checkout", "--quiet", "-B", "main", cwd=repo)
    git("config", "user.email", "teacher@example.edu", cwd=repo)
    git("config", "user.name", "The teacher", cwd=repo)
    return repo


@pytest.fixture(scope="module")
def hub(work, record_timing):
    hub = ClassroomHub(work / "hub", LEARNERS)
    try:
        record_timing(f"JupyterHub 6 + configurable-http-proxy: up in {hub.start():.1f} s")
        yield hub
    finally:
        hub.stop()
        left = hub.processes()
        assert not left, f"processes of the classroom run still alive: {left}"


@pytest.fixture(scope="module")
def browser():
    with open_browser() as browser:
        yield browser


def log_in(browser, hub, user: str):
    """A learner's own browser session, logged in through the hub's login form."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(120_000)
    page.goto(f"{hub.url}/hub/login")
    page.fill("#username_input", user)
    page.fill("#password_input", hub.password)
    page.click("#login_submit")
    page.wait_for_url(f"**/user/{user}/lab**", timeout=180_000)  # the server started
    return context, page


def click_the_link(page, link: str, user: str, n_cells: int) -> float:
    """Open the nbgitpuller link; wait for the pull and for lesson 00 to open. Seconds."""
    started = time.perf_counter()
    page.goto(link)
    page.wait_for_url(f"**/user/{user}/lab/tree/{COURSE}/notebooks/{LESSON}.ipynb", timeout=180_000)
    pulled = time.perf_counter() - started
    open_notebook(page, page.url, n_cells, timeout=180)
    return pulled


def cell_index(nb, starts_with: str) -> int:
    return next(i for i, c in enumerate(nb.cells) if c.source.startswith(starts_with))


def resident_mb(pid: int) -> tuple[float, float]:
    """(current, peak) resident memory of a process, in MB."""
    fields = dict(
        line.split(":", 1)
        for line in Path(f"/proc/{pid}/status").read_text().splitlines()
        if ":" in line
    )
    return tuple(int(fields[k].split()[0]) / 1024 for k in ("VmRSS", "VmHWM"))


def learner_processes(hub, user: str) -> dict[str, int]:
    found = {}
    for pid in hub.processes():
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if f"JUPYTERHUB_USER={user}".encode() not in environ:
            continue
        if "jupyterhub-singleuser" in cmdline:
            found["server"] = pid
        elif "ipykernel" in cmdline:
            found["kernel"] = pid
    return found


def test_two_learners_pull_the_course_run_a_lesson_and_merge_an_update(
    hub, course_repo, browser, record_timing
):
    repo_status = git("status", "--porcelain", cwd=REPO)
    link = nbgitpuller_link.link(hub.url, f"file://{course_repo}", LESSON, "main")
    lesson_file = REPO / "notebooks" / f"{LESSON}.ipynb"
    runnable, may_raise, saved_widgets = expected_from_file(lesson_file)
    n_cells = len(runnable)
    sessions = {}
    try:
        # Both learners log in and click the link: the course lands in their own homes.
        for user in LEARNERS:
            started = time.perf_counter()
            sessions[user] = log_in(browser, hub, user)
            logged_in = time.perf_counter() - started
            pulled = click_the_link(sessions[user][1], link, user, n_cells)
            record_timing(
                f"{user}: logged in and server up in {logged_in:.1f} s; first nbgitpuller "
                f"click (clone) {pulled:.1f} s"
            )
            clone = hub.home(user) / COURSE
            assert git("rev-parse", "HEAD", cwd=clone) == git("rev-parse", "HEAD", cwd=course_repo)
            assert (clone / "notebooks" / f"{LESSON}.ipynb").read_bytes() == (
                course_repo / "notebooks" / f"{LESSON}.ipynb"
            ).read_bytes()

        # ada runs lesson 00 from the top and moves its widget.
        page = sessions["ada"][1]
        started = time.perf_counter()
        states = run_all(page, runnable, may_raise)
        assert errors_in(states, may_raise) == []
        widgets = page.locator(COURSE_WIDGET)
        assert widgets.count() >= max(1, saved_widgets)
        shots = hub.work / "screenshots"
        shots.mkdir(exist_ok=True)
        move = exercise_widget(widgets.nth(0), 0, shots)
        assert move.changed_by and move.pixels_changed, f"the widget did not move: {move}"
        ran = time.perf_counter() - started
        memory = {name: resident_mb(pid) for name, pid in learner_processes(hub, "ada").items()}
        record_timing(
            f"ada: lesson 00 ran in JupyterLab and its widget moved in {ran:.1f} s; memory "
            + ", ".join(f"{n} {now:.0f} MB (peak {peak:.0f})" for n, (now, peak) in memory.items())
        )

        # ada solves the warm-up exercise, runs it and its check, and saves.
        nb = nbformat.read(lesson_file, as_version=4)
        exercise = cell_index(nb, "def normalize_weights(")
        cells = page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell")
        editor = cells.nth(exercise).locator(".cm-content")
        editor.click()
        page.keyboard.press("Control+a")
        page.keyboard.insert_text(ADAS_ANSWER)
        page.keyboard.press("Shift+Enter")  # run the answer; the check cell is next
        page.keyboard.press("Shift+Enter")  # run the check
        page.wait_for_function(
            "([i, text]) => document.querySelectorAll('.jp-NotebookPanel .jp-Cell')[i]"
            ".textContent.includes(text)",
            arg=[exercise + 1, "normalize_weights: passed"],
        )
        page.keyboard.press("Control+s")
        saved = hub.home("ada") / COURSE / "notebooks" / f"{LESSON}.ipynb"
        deadline = time.monotonic() + 30
        while "ada's answer" not in saved.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert nbformat.read(saved, 4).cells[exercise].source == ADAS_ANSWER

        # The teacher pushes a course update: a fix in lesson 01 (a new commit).
        updated = course_repo / "notebooks" / "01_surprisal_and_entropy.ipynb"
        lesson01 = nbformat.read(updated, as_version=4)
        lesson01.cells[0].source += f"\n\n{UPDATE_LINE}"
        nbformat.write(lesson01, updated)
        git("commit", "--quiet", "-am", "Lesson 01: a course update", cwd=course_repo)
        head = git("rev-parse", "HEAD", cwd=course_repo)

        # The second click merges the update and keeps ada's work.
        for user in LEARNERS:
            pulled = click_the_link(sessions[user][1], link, user, n_cells)
            record_timing(f"{user}: second nbgitpuller click (fetch and merge) {pulled:.1f} s")
            clone = hub.home(user) / COURSE
            assert head in git("log", "--format=%H", cwd=clone).split()
            text = (clone / "notebooks" / "01_surprisal_and_entropy.ipynb").read_text()
            assert UPDATE_LINE in text, f"{user} did not get the course update"
        mine = nbformat.read(hub.home("ada") / COURSE / "notebooks" / f"{LESSON}.ipynb", 4)
        assert mine.cells[exercise].source == ADAS_ANSWER, "the merge lost ada's answer"
        theirs = nbformat.read(hub.home("alan") / COURSE / "notebooks" / f"{LESSON}.ipynb", 4)
        assert theirs.cells[exercise].source == nb.cells[exercise].source  # homes are separate
        # And her server gives her own answer back to JupyterLab after the merge.
        reply = sessions["ada"][1].request.get(
            f"{hub.url}/user/ada/api/contents/{COURSE}/notebooks/{LESSON}.ipynb"
        )
        assert reply.ok, reply.status
        served = nbformat.from_dict(reply.json()["content"])
        assert served.cells[exercise].source == ADAS_ANSWER
        # The teacher collects lesson 00 from the homes, grades it, returns the feedback.
        homes = hub.work / "home"
        course = hub.work / "grading"
        env = isolated_jupyter_env(hub.work / "grading-jupyter")
        nbgrader_course.make_course(course, [LESSON])
        assign_wall, assign_cpu = run_nbgrader(["generate_assignment", LESSON], course, env)
        assert len(nbgrader_course.collect(course, LESSON, homes)) == len(LEARNERS)
        wall, cpu = run_nbgrader(["autograde", LESSON], course, env)
        record_timing(
            f"teacher: collected lesson 00 from {len(LEARNERS)} homes and autograded it in "
            f"{wall:.1f} s ({cpu:.1f} s of CPU); generate_assignment {assign_wall:.1f} s "
            f"({assign_cpu:.1f} s of CPU)"
        )
        from nbgrader.api import Gradebook

        with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
            score = {
                user: {
                    g.name: g.auto_score
                    for nb in gradebook.find_submission(LESSON, user).notebooks
                    for g in nb.grades
                }
                for user in LEARNERS
            }
        assert score["ada"]["check_normalize_weights"] == 1
        assert score["alan"]["check_normalize_weights"] == 0
        assert sum(score["alan"].values()) == 0
        wall, cpu = run_nbgrader(["generate_feedback", LESSON], course, env)
        record_timing(f"teacher: generate_feedback {wall:.1f} s ({cpu:.1f} s of CPU)")
        assert len(nbgrader_course.return_feedback(course, LESSON, homes)) == len(LEARNERS)
        feedback = {
            user: (homes / user / f"{COURSE}-feedback" / f"{LESSON}.html").read_text()
            for user in LEARNERS
        }
        assert "normalize_weights: passed" in feedback["ada"]
        assert "normalize_weights: not attempted" in feedback["alan"]
    finally:
        for context, _ in sessions.values():
            context.close()
    # Nothing was written into the repository the course came from.
    assert git("status", "--porcelain", cwd=REPO) == repo_status
