"""The Binder set-up (binder/) is in step with requirements.txt, and repo2docker reads it right.

With a ``binder/`` folder, repo2docker (what Binder builds images with) ignores the
repository's root packaging files and installs ``binder/requirements.txt`` on the Python of
``binder/runtime.txt``. So that a learner on Binder runs the notebooks with the same versions
that made their saved outputs, every package both files list has the same pin.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
BINDER = ROOT / "binder"
PYTHON = "3.11"
CPU_INDEX = "--extra-index-url https://download.pytorch.org/whl/cpu"
# Tools for developing and testing the course, not for learning with it.
DEV_ONLY = {
    "ruff",
    "pytest",
    "pytest-xdist",
    "nbval",
    "hypothesis",
    "nltk",  # a reference for lesson 08's Kneser-Ney model in tests/test_kneser_ney.py only
    "playwright",
    "jupyter-repo2docker",
    # the static site's builder (make html)
    "sphinx",
    "myst-nb",
    "sphinx-book-theme",
    "pydata-sphinx-theme",
}
# A teacher's tools (tests/classroom/): the hub and the grader run beside the learners'
# servers, not in them. (The image keeps its own jupyterhub-singleuser: see deploy/z2jh/.)
DEV_ONLY |= {"jupyterhub", "nbgrader", "pyyaml"}
# In binder/ only: Binder's base image has a notebook release too old for our jupyterlab.
# (nbgrader needs notebook too, so requirements.txt now pins the same release.)
BINDER_ONLY = {"notebook"}
MARKER_ENV = {"python_version": PYTHON, "python_full_version": f"{PYTHON}.0"}


def lines(path: Path) -> list[str]:
    stripped = (line.split(" #")[0].strip() for line in path.read_text().splitlines())
    return [line for line in stripped if line and not line.startswith("#")]


def pins(path: Path) -> dict[str, str]:
    """``{name: specifier}`` of the requirements that apply on Python 3.11."""
    found = {}
    for line in lines(path):
        if line.startswith("-"):
            continue  # options: -e ., --extra-index-url
        req = Requirement(line)
        if req.marker is None or req.marker.evaluate(MARKER_ENV):
            name = req.name.lower().replace("_", "-")
            assert name not in found, f"{path.name}: {name} listed twice for Python {PYTHON}"
            found[name] = str(req.specifier)
    return found


ROOT_PINS = pins(ROOT / "requirements.txt")
BINDER_PINS = pins(BINDER / "requirements.txt")


def test_runtime_is_python_3_11():
    assert (BINDER / "runtime.txt").read_text().strip() == f"python-{PYTHON}"


def test_binder_installs_the_course_package_from_the_repository_root():
    # repo2docker runs `pip install -r binder/requirements.txt` in the repository's root,
    # and pip reads a local path in a requirements file from the current directory.
    assert "-e ." in lines(BINDER / "requirements.txt")
    assert (ROOT / "pyproject.toml").exists()


def test_torch_is_the_cpu_build_of_the_same_version():
    assert CPU_INDEX in lines(BINDER / "requirements.txt")
    assert ROOT_PINS["torch"].startswith("=="), ROOT_PINS["torch"]
    assert BINDER_PINS["torch"] == ROOT_PINS["torch"]


@pytest.mark.parametrize("name", sorted(set(ROOT_PINS) & set(BINDER_PINS)))
def test_same_pin_in_both_files(name):
    assert BINDER_PINS[name] == ROOT_PINS[name]


def test_binder_has_every_package_the_lessons_need():
    missing = set(ROOT_PINS) - set(BINDER_PINS) - DEV_ONLY
    assert not missing, f"in requirements.txt but not in binder/requirements.txt: {missing}"
    extra = set(BINDER_PINS) - set(ROOT_PINS) - BINDER_ONLY
    assert not extra, f"in binder/requirements.txt only: {extra}"
    assert not DEV_ONLY & set(BINDER_PINS), "dev-only tools make the Binder image bigger"


def test_every_binder_requirement_is_pinned_exactly():
    loose = {n: s for n, s in BINDER_PINS.items() if not (s.startswith("==") and "," not in s)}
    assert not loose, f"not pinned with ==: {loose}"


def test_repo2docker_would_install_binder_requirements_on_python_3_11(tmp_path):
    """``repo2docker --no-build`` prints the Dockerfile it would build; no Docker needed."""
    exe = Path(sys.executable).with_name("repo2docker")
    if not exe.exists():
        exe = shutil.which("repo2docker")
    if not exe:
        pytest.skip("repo2docker is not installed (pip install -r requirements.txt)")
    result = subprocess.run(
        [
            str(exe),
            "--no-build",
            "--debug",
            "--user-id",
            "1000",
            "--user-name",
            "jovyan",
            str(ROOT),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-3000:]
    assert "Building conda environment for python=3.11" in out
    assert "environment.py-3.11-linux-64.lock" in out.replace("-2e", ".").replace("-2d", "-")
    install = (
        'RUN ${KERNEL_PYTHON_PREFIX}/bin/pip install --no-cache-dir -r "binder/requirements.txt"'
    )
    assert install in out
    # `-e .` needs the whole repository in place before the install runs.
    copy_repo = out.index("COPY --chown=1000:1000 src/ ${REPO_DIR}/")
    assert copy_repo < out.index(install)
    # The root requirements.txt is not what Binder installs.
    assert '-r "requirements.txt"' not in out


def test_binder_installs_the_course_a11y_labextension():
    """binder/postBuild copies jupyter_config's labextension where JupyterLab finds it."""
    script = (ROOT / "binder" / "postBuild").read_text()
    assert os.access(ROOT / "binder" / "postBuild", os.X_OK)
    source = re.search(r"cp -r (\S+) ", script).group(1)
    assert (ROOT / source / "package.json").is_file()
    assert (ROOT / source / "static" / "remoteEntry.js").is_file()
    assert "share/jupyter/labextensions" in script
