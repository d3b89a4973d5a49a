"""TEACHING.md shows the commands the classroom tests run, not a sketch of them."""

from __future__ import annotations

import re

from conftest import REPO, load_tool

TEACHING = (REPO / "TEACHING.md").read_text()
nbgitpuller_link = load_tool("nbgitpuller_link")
nbgrader_course = load_tool("nbgrader_course")


def test_the_link_in_teaching_md_is_the_one_the_tool_makes():
    example = nbgitpuller_link.link(
        "https://hub.example.edu", "https://github.com/ORG/cross-entropy-course"
    )
    assert example in TEACHING
    assert "python tools/nbgitpuller_link.py https://hub.example.edu" in TEACHING
    assert nbgitpuller_link.folder_of("https://example.org/x/course.git") == "course"


def test_the_grading_commands_are_the_tested_ones():
    for command in (
        "python tools/nbgrader_course.py ~/grading 03_softmax",
        "nbgrader generate_assignment 03_softmax",
        "tools/nbgrader_course.py ~/grading --collect 03_softmax --homes /home",
        "nbgrader autograde 03_softmax",
        "nbgrader generate_feedback 03_softmax",
        "tools/nbgrader_course.py ~/grading --return-feedback 03_softmax --homes /home",
    ):
        assert command in TEACHING, command
    folder = nbgrader_course.COURSE_FOLDER
    assert f"~/{folder}-feedback/03_softmax.html" in TEACHING
    assert re.search(rf"/home/<learner>/{folder}/notebooks/03_softmax.ipynb", TEACHING)


def test_collect_and_return_feedback_go_through_the_learners_homes(tmp_path):
    folder = nbgrader_course.COURSE_FOLDER
    homes, course = tmp_path / "home", tmp_path / "grading"
    for learner in ("ada", "alan", "grace"):
        (homes / learner).mkdir(parents=True)
    for learner in ("ada", "alan"):  # grace never clicked the link
        notebooks = homes / learner / folder / "notebooks"
        notebooks.mkdir(parents=True)
        (notebooks / "03_softmax.ipynb").write_text(f"{learner}'s notebook")
    assert len(nbgrader_course.collect(course, "03_softmax", homes)) == 2
    submitted = course / "submitted" / "ada" / "03_softmax" / "03_softmax.ipynb"
    assert submitted.read_text() == "ada's notebook"
    assert not (course / "submitted" / "grace").exists()
    page = course / "feedback" / "alan" / "03_softmax" / "03_softmax.html"
    page.parent.mkdir(parents=True)
    page.write_text("alan's feedback")
    assert len(nbgrader_course.return_feedback(course, "03_softmax", homes)) == 1
    returned = homes / "alan" / f"{folder}-feedback" / "03_softmax.html"
    assert returned.read_text() == "alan's feedback"
