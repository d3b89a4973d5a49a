"""``make lab`` as a learner runs it: the printed link opens lesson 00, with no news pop-up.

The real Makefile target runs (``make lab`` with ``LAB_ARGS`` for a free port and no
browser), with Jupyter's per-user folders in a temporary directory so that neither the
user's own settings nor an earlier run decide what it shows. The link it prints must lead
to lesson 00 (not the Launcher); the course's settings (jupyter_config/) must be in force:
no "official Jupyter news" question, no update check; and lesson 00 must be left as it was.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from _browser import REPO, SCREENSHOTS, open_browser, skip_without_browser

skip_without_browser(pytest)

# The jupyterlab lane (conftest.py).
pytestmark = pytest.mark.jupyterlab_lane

from _lab_page import is_dirty  # noqa: E402
from _lab_server import free_port  # noqa: E402

LINK = re.compile(r"(http://127\.0\.0\.1:\d+/\S*\?token=[0-9a-f]+)")
FIRST_LESSON = REPO / "notebooks" / "00_welcome.ipynb"
NEWS = re.compile(r"official Jupyter news|Jupyter news|newer version", re.IGNORECASE)


class MakeLab:
    """``make lab`` in a process group of its own; ``stop()`` ends it and its kernels."""

    def __init__(self, work: Path):
        self.work = work
        self.port = free_port()
        self.log = work / "make-lab.log"
        self.process = None

    def start(self, timeout: float = 120.0) -> str:
        env = dict(os.environ)
        for name, sub in {
            "JUPYTER_CONFIG_DIR": "config",
            "JUPYTER_DATA_DIR": "data",
            "JUPYTER_RUNTIME_DIR": "runtime",
            "JUPYTERLAB_SETTINGS_DIR": "lab-settings",
            "JUPYTERLAB_WORKSPACES_DIR": "lab-workspaces",
            "IPYTHONDIR": "ipython",
        }.items():
            (self.work / sub).mkdir(parents=True, exist_ok=True)
            env[name] = str(self.work / sub)
        for name in ("JUPYTER_TOKEN", "JUPYTER_PATH", "JUPYTER_CONFIG_PATH", "MAKEFLAGS"):
            env.pop(name, None)
        args = f"--no-browser --ServerApp.port={self.port} --ServerApp.port_retries=0"
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                ["make", "-s", "lab", f"LAB_ARGS={args}"],
                cwd=REPO,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            links = LINK.findall(self.log.read_text(errors="replace"))
            if links and self._answers(links[-1].rsplit("token=", 1)[1]):
                return links[-1]
            if self.process.poll() is not None:
                raise RuntimeError(f"make lab exited:\n{self.log.read_text(errors='replace')}")
            time.sleep(0.25)
        raise RuntimeError(f"make lab printed no link in {timeout:.0f} s")

    def _answers(self, token: str) -> bool:
        try:
            self.api(token, "/api/status")
        except OSError:
            return False
        return True

    def api(self, token: str, path: str):
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", headers={"Authorization": f"token {token}"}
        )
        # A busy machine can keep a first settings request waiting for seconds.
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read() or b"null")

    def stop(self, token: str | None) -> None:
        if self.process is None:
            return
        if token and self.process.poll() is None:
            try:
                for kernel in self.api(token, "/api/kernels"):
                    request = urllib.request.Request(
                        f"http://127.0.0.1:{self.port}/api/kernels/{kernel['id']}",
                        method="DELETE",
                        headers={"Authorization": f"token {token}"},
                    )
                    urllib.request.urlopen(request, timeout=10).close()
            except OSError:
                pass
        for sig, wait in ((signal.SIGINT, 5), (signal.SIGTERM, 10), (signal.SIGKILL, 10)):
            if self.process.poll() is not None:
                break
            try:
                os.killpg(self.process.pid, sig)
                if sig == signal.SIGINT:  # Jupyter asks to confirm a single Ctrl-C
                    time.sleep(0.5)
                    os.killpg(self.process.pid, sig)
                self.process.wait(timeout=wait)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
        # Kernels run in sessions of their own: find ours by their connection files' folder.
        runtime = str(self.work / "runtime")
        for proc in Path("/proc").glob("[0-9]*"):
            try:
                cmdline = (proc / "cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            if runtime in cmdline and "kernel" in cmdline:
                try:
                    os.kill(int(proc.name), signal.SIGKILL)
                except ProcessLookupError:
                    pass


def test_make_lab_opens_lesson_00_without_the_news_pop_up(tmp_path):
    lesson = FIRST_LESSON.read_bytes()
    lab = MakeLab(tmp_path)
    token = None
    try:
        link = lab.start()
        token = link.rsplit("token=", 1)[1]
        assert "/lab/tree/00_welcome.ipynb?" in link, f"make lab prints {link}"
        notification = lab.api(
            token, "/lab/api/settings/@jupyterlab/apputils-extension:notification"
        )
        # jupyter_config/ overrides the defaults (the user's own settings would still win).
        defaults = notification["schema"]["properties"]
        assert defaults["fetchNews"]["default"] == "false"
        assert defaults["checkForUpdates"]["default"] is False
        with open_browser() as browser:
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            page = context.new_page()
            page.goto(link)
            page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=90_000)
            tab = page.locator(".lm-TabBar-tab.jp-mod-current .lm-TabBar-tabLabel").first
            assert tab.inner_text().strip() == "00_welcome.ipynb"
            assert page.locator(".jp-Launcher:visible").count() == 0
            deadline = time.monotonic() + 60  # the kernel up and idle, as a learner waits
            while time.monotonic() < deadline and not any(
                session["kernel"]["execution_state"] == "idle"
                for session in lab.api(token, "/api/sessions")
                if session.get("kernel")
            ):
                time.sleep(0.5)
            time.sleep(5)  # JupyterLab asks about news a moment after it starts
            toasts = page.locator(".Toastify__toast, .jp-Notification-Toast").all_inner_texts()
            assert not [t for t in toasts if NEWS.search(t)], toasts
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / "make-lab.png"))
            assert not is_dirty(page)
            context.close()
    finally:
        lab.stop(token)
    assert FIRST_LESSON.read_bytes() == lesson, "opening lesson 00 changed it"
