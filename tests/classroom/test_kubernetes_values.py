"""The Zero to JupyterHub values (deploy/z2jh/values.yaml): what can be checked without a cluster.

- The YAML parses, and every key is one the chart knows. ``CHART_KEYS`` is written by hand
  from the chart's ``values.schema.yaml`` (chart 4.4.0): the sections a class needs, down to
  the keys whose values are free-form (traitlets classes under ``hub.config``, pod specs).
- The learner's image is the one repo2docker builds from binder/: the pinned packages, with
  nbgitpuller pinned as in requirements.txt, and the base environment's
  jupyterhub-singleuser of the chart's JupyterHub major version (binder/ pins no jupyterhub).
- The start-up pull (``lifecycleHooks.postStart``, nbgitpuller's ``gitpuller``) really
  clones and then merges the course: run here against a local clone.
- The default URL opens lesson 00 in the folder that pull makes; idle servers are culled;
  memory and CPU cover the lessons' measured needs (``deploy/z2jh/lesson-needs.json``,
  written by ``deploy/measure_lessons.py --write``).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import REPO
from packaging.requirements import Requirement

VALUES = REPO / "deploy" / "z2jh" / "values.yaml"
NEEDS = REPO / "deploy" / "z2jh" / "lesson-needs.json"
CHART_VERSION = "4.4.0"
CHART_JUPYTERHUB = "5.5.0"  # the hub image of chart 4.4.0 (images/hub/requirements.txt)
# The learner's JupyterLab server (jupyterhub-singleuser) measured by the classroom test
# after lesson 00: 167 MB.
SERVER_MB = 170

LEAF = "leaf"  # a value (scalar or list), no keys below
FREE = "free"  # an object the chart passes through (additionalProperties: true)
CLASSES = "classes"  # hub.config: traitlets classes (capitalised names), each free-form

_IMAGE = {"name": LEAF, "tag": LEAF, "pullPolicy": LEAF, "pullSecrets": LEAF}
_HOOKS = {"postStart": FREE, "preStop": FREE}
_NETWORK_POLICY = {
    "enabled": LEAF,
    "ingress": LEAF,
    "egress": LEAF,
    "egressAllowRules": FREE,
    "interNamespaceAccessLabels": LEAF,
    "allowedIngressPorts": LEAF,
}
CHART_KEYS = {
    "enabled": LEAF,
    "fullnameOverride": LEAF,
    "nameOverride": LEAF,
    "imagePullSecret": FREE,
    "imagePullSecrets": LEAF,
    "custom": FREE,
    "debug": FREE,
    "rbac": FREE,
    "global": FREE,
    "ingress": FREE,
    "httpRoute": FREE,
    "hub": {
        "config": CLASSES,
        "baseUrl": LEAF,
        "command": LEAF,
        "args": LEAF,
        "cookieSecret": LEAF,
        "image": _IMAGE,
        "networkPolicy": _NETWORK_POLICY,
        "db": {"type": LEAF, "pvc": FREE, "upgrade": LEAF, "url": LEAF, "password": LEAF},
        "extraConfig": FREE,
        "extraEnv": FREE,
        "extraFiles": FREE,
        "resources": FREE,
        "services": FREE,
        "loadRoles": FREE,
        "nodeSelector": FREE,
        "tolerations": LEAF,
        "activeServerLimit": LEAF,
        "allowNamedServers": LEAF,
        "concurrentSpawnLimit": LEAF,
        "consecutiveFailureLimit": LEAF,
        "namedServerLimitPerUser": LEAF,
        "redirectToServer": LEAF,
        "shutdownOnLogout": LEAF,
        "templatePaths": LEAF,
        "templateVars": FREE,
        "existingSecret": LEAF,
        "pdb": {"enabled": LEAF, "maxUnavailable": LEAF, "minAvailable": LEAF},
    },
    "proxy": {
        "secretToken": LEAF,
        "chp": FREE,
        "traefik": FREE,
        "secretSync": FREE,
        "labels": FREE,
        "annotations": FREE,
        "deploymentStrategy": {"rollingUpdate": LEAF, "type": LEAF},
        "service": {
            "type": LEAF,
            "labels": FREE,
            "annotations": FREE,
            "nodePorts": FREE,
            "disableHttpPort": LEAF,
            "extraPorts": LEAF,
            "externalIPs": LEAF,
            "loadBalancerIP": LEAF,
            "loadBalancerSourceRanges": LEAF,
            "ipFamilyPolicy": LEAF,
            "ipFamilies": LEAF,
        },
        "https": {
            "enabled": LEAF,
            "type": LEAF,
            "letsencrypt": FREE,
            "manual": FREE,
            "secret": FREE,
            "hosts": LEAF,
        },
    },
    "singleuser": {
        "image": _IMAGE,
        "cmd": LEAF,
        "defaultUrl": LEAF,
        "startTimeout": LEAF,
        "cpu": {"limit": LEAF, "guarantee": LEAF},
        "memory": {"limit": LEAF, "guarantee": LEAF},
        "extraResource": {"guarantees": FREE, "limits": FREE},
        "storage": {
            "type": LEAF,
            "capacity": LEAF,
            "homeMountPath": LEAF,
            "dynamic": FREE,
            "static": FREE,
            "extraLabels": FREE,
            "extraVolumes": LEAF,
            "extraVolumeMounts": LEAF,
        },
        "lifecycleHooks": _HOOKS,
        "extraEnv": FREE,
        "extraFiles": FREE,
        "extraLabels": FREE,
        "extraAnnotations": FREE,
        "extraPodConfig": FREE,
        "extraContainers": LEAF,
        "initContainers": LEAF,
        "profileList": LEAF,
        "nodeSelector": FREE,
        "extraTolerations": LEAF,
        "networkPolicy": _NETWORK_POLICY,
        "networkTools": {"image": _IMAGE, "resources": FREE},
        "cloudMetadata": {"blockWithIptables": LEAF, "ip": LEAF},
        "events": LEAF,
        "fsGid": LEAF,
        "uid": LEAF,
        "allowPrivilegeEscalation": LEAF,
        "podNameTemplate": LEAF,
        "serviceAccountName": LEAF,
    },
    "scheduling": {
        "userScheduler": FREE,
        "podPriority": {
            "enabled": LEAF,
            "globalDefault": LEAF,
            "defaultPriority": LEAF,
            "imagePullerPriority": LEAF,
            "userPlaceholderPriority": LEAF,
        },
        "userPlaceholder": FREE,
        "corePods": FREE,
        "userPods": FREE,
    },
    "prePuller": {
        "hook": FREE,
        "continuous": FREE,
        "pullProfileListImages": LEAF,
        "extraImages": FREE,
        "resources": FREE,
        "extraTolerations": LEAF,
        "containerSecurityContext": FREE,
        "pause": FREE,
        "labels": FREE,
        "annotations": FREE,
        "revisionHistoryLimit": LEAF,
    },
    "cull": {
        "enabled": LEAF,
        "users": LEAF,
        "adminUsers": LEAF,
        "removeNamedServers": LEAF,
        "timeout": LEAF,
        "every": LEAF,
        "concurrency": LEAF,
        "maxAge": LEAF,
    },
}


def unknown_keys(values, known, path="") -> list[str]:
    """The keys of ``values`` that ``known`` (a tree of CHART_KEYS) does not have."""
    if known in (FREE, LEAF):
        return [] if known == FREE or not isinstance(values, dict) else [f"{path} is not a value"]
    if known == CLASSES:
        return [
            f"{path}.{name} (not a class name)"
            for name, section in values.items()
            if not re.match(r"^[A-Z]\w*$", name) or not isinstance(section, dict)
        ]
    if not isinstance(values, dict):
        return [f"{path} should be a mapping"]
    problems = []
    for key, value in values.items():
        where = f"{path}.{key}" if path else key
        if key not in known:
            problems.append(where)
        else:
            problems.extend(unknown_keys(value, known[key], where))
    return problems


@pytest.fixture(scope="module")
def values() -> dict:
    return yaml.safe_load(VALUES.read_text())


def _pins(path: Path) -> dict[str, str]:
    found = {}
    for line in path.read_text().splitlines():
        line = line.split(" #")[0].strip()
        if not line or line.startswith(("#", "-")):
            continue
        req = Requirement(line)
        if req.marker is None or req.marker.evaluate({"python_version": "3.11"}):
            found[req.name.lower()] = str(req.specifier)
    return found


def _bytes(quantity) -> float:
    units = {"K": 1e3, "M": 1e6, "G": 1e9, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30}
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([KMG]i?)?", str(quantity))
    assert match, f"not a Kubernetes quantity: {quantity!r}"
    return float(match[1]) * units.get(match[2] or "", 1)


def _pull_command(values) -> list[str]:
    command = values["singleuser"]["lifecycleHooks"]["postStart"]["exec"]["command"]
    assert command[:2] == ["sh", "-c"], command
    pull = command[2].split("||")[0]
    return shlex.split(pull)


def test_values_parse_and_use_only_keys_the_chart_knows(values):
    assert isinstance(values, dict) and values
    assert unknown_keys(values, CHART_KEYS) == []


def test_the_key_check_can_fail():
    bad = {
        "singleuser": {"memory": {"limit": "1G", "guarante": "1G"}, "defaultURL": "/lab"},
        "hub": {"config": {"jupyterhub": {}}},
        "cul": {},
    }
    assert sorted(unknown_keys(bad, CHART_KEYS)) == [
        "cul",
        "hub.config.jupyterhub (not a class name)",
        "singleuser.defaultURL",
        "singleuser.memory.guarante",
    ]


def test_the_helm_command_names_the_chart_version_checked_here(values):
    text = VALUES.read_text()
    assert f"--version {CHART_VERSION}" in text
    assert f"--version {CHART_VERSION}" in (REPO / "TEACHING.md").read_text()


def test_the_image_is_binders_with_nbgitpuller_pinned_as_in_requirements():
    binder, root = _pins(REPO / "binder" / "requirements.txt"), _pins(REPO / "requirements.txt")
    assert binder["nbgitpuller"] == root["nbgitpuller"]
    assert binder["nbgitpuller"].startswith("==")
    # The hub talks to the image's jupyterhub-singleuser: repo2docker's base environment
    # brings it, of the chart's major version; binder/ must not replace it.
    assert "jupyterhub" not in binder
    spec = importlib.util.find_spec("repo2docker")
    if spec is None:
        pytest.skip("repo2docker is not installed (pip install -r requirements.txt)")
    lock = Path(spec.origin).parent / "buildpacks" / "conda" / "environment.py-3.11-linux-64.lock"
    found = re.search(r"/jupyterhub-singleuser-(\d+)\.(\d+)\.(\d+)-", lock.read_text())
    assert found, f"no jupyterhub-singleuser in {lock}"
    assert found[1] == CHART_JUPYTERHUB.split(".")[0]


def test_jupyterlab_opens_lesson_00_in_the_folder_the_pull_makes(values):
    _, url, branch, target = _pull_command(values)
    assert url.startswith("https://") and branch == "main"
    folder = Path(target)
    assert str(folder.parent) == values["hub"]["config"]["KubeSpawner"]["working_dir"]
    default_url = values["singleuser"]["defaultUrl"]
    assert default_url == f"/lab/tree/{folder.name}/notebooks/00_welcome.ipynb"
    assert (REPO / "notebooks" / "00_welcome.ipynb").exists()


def test_idle_servers_are_culled(values):
    cull = values["cull"]
    assert cull["enabled"] is True
    assert 600 <= cull["timeout"] <= 4 * 3600 and cull["every"] <= cull["timeout"]


def test_memory_and_cpu_cover_the_lessons_measured_needs(values):
    needs = json.loads(NEEDS.read_text())
    lessons = {p.name for p in (REPO / "notebooks").glob("[0-9][0-9]_*.ipynb")}
    assert set(needs["lessons"]) == lessons, (
        "run: .venv/bin/python deploy/measure_lessons.py --write"
    )
    peak = max(n["peak_mb"] for n in needs["lessons"].values()) * 1e6
    memory, cpu = values["singleuser"]["memory"], values["singleuser"]["cpu"]
    # Guaranteed: the server and the biggest lesson; the limit: two more lessons left open.
    assert _bytes(memory["guarantee"]) >= SERVER_MB * 1e6 + peak
    assert _bytes(memory["limit"]) >= SERVER_MB * 1e6 + 3 * peak
    assert _bytes(memory["limit"]) >= _bytes(memory["guarantee"])
    # A lesson needs seconds of CPU at most; a quarter of a core runs it within a minute.
    most_cpu = max(n["cpu_s"] for n in needs["lessons"].values())
    assert 0 < cpu["guarantee"] <= cpu["limit"]
    assert most_cpu / cpu["guarantee"] <= 60


def test_the_start_up_pull_clones_then_merges_the_course(values, tmp_path):
    gitpuller = shutil.which("gitpuller", path=str(Path(sys.executable).parent))
    if gitpuller is None or shutil.which("git") is None:
        pytest.skip("gitpuller (nbgitpuller) or git is not installed")
    name, _, branch, target = _pull_command(values)
    assert name == "gitpuller"
    source = tmp_path / "course"
    subprocess.run(["git", "init", "-q", "-b", branch, str(source)], check=True)
    (source / "lesson.txt").write_text("lesson 00\n")
    env = {
        "HOME": str(tmp_path),
        "PATH": os.environ["PATH"],
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@x",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@x",
    }

    def git(*args):
        subprocess.run(["git", *args], cwd=source, check=True, env=env, capture_output=True)

    git("add", "-A")
    git("commit", "-qm", "course")
    home_copy = tmp_path / "home" / Path(target).name
    pull = [gitpuller, f"file://{source}", branch, str(home_copy)]
    subprocess.run(pull, check=True, env=env, capture_output=True, timeout=120)
    (home_copy / "notes.txt").write_text("the learner's notes\n")
    (source / "lesson.txt").write_text("lesson 00, updated\n")
    git("commit", "-qam", "update")
    subprocess.run(pull, check=True, env=env, capture_output=True, timeout=120)
    assert (home_copy / "lesson.txt").read_text() == "lesson 00, updated\n"
    assert (home_copy / "notes.txt").read_text() == "the learner's notes\n"
