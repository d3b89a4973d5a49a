"""A throw-away JupyterLab server for the browser tests.

It listens on 127.0.0.1 on a free port, with a random token (never token-less), serves one
folder of notebooks, and keeps every setting, workspace, runtime file and kernel connection
file in a temporary folder, so a test run never reads or changes the user's own Jupyter set-up.
``stop()`` shuts the kernels and the server down, and kills whatever is left: the server's
process group and every kernel it started (kernels run in sessions of their own).
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

# JupyterLab's own settings, as a learner has them, but no look-ups for news or updates
# (there may be no network, and a toast could cover what the test clicks). Autosave stays
# as it is by default: on, every 120 s, for a notebook marked changed; the widget manager's
# "saveState" stays off.
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "checkForUpdates": False,
        "fetchNews": "false",
    },
}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LabServer:
    """``jupyter lab`` from this Python's environment, serving ``root_dir``."""

    def __init__(self, root_dir: Path, work_dir: Path, settings: dict | None = None):
        self.root_dir = Path(root_dir)
        self.work_dir = Path(work_dir)
        self.settings = LAB_SETTINGS if settings is None else settings
        self.token = secrets.token_hex(24)
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = self.work_dir / "jupyter-lab.log"
        self.process: subprocess.Popen | None = None
        self._log = None

    # ------------------------------------------------------------------ start and stop

    def environment(self) -> dict:
        dirs = {
            "JUPYTER_CONFIG_DIR": "config",
            "JUPYTER_DATA_DIR": "data",
            "JUPYTER_RUNTIME_DIR": "runtime",
            "JUPYTERLAB_SETTINGS_DIR": "lab-settings",
            "JUPYTERLAB_WORKSPACES_DIR": "lab-workspaces",
            "IPYTHONDIR": "ipython",
        }
        env = dict(os.environ)
        for name, sub in dirs.items():
            path = self.work_dir / sub
            path.mkdir(parents=True, exist_ok=True)
            env[name] = str(path)
        env.pop("JUPYTER_TOKEN", None)
        env.pop("JUPYTER_PATH", None)
        env.pop("JUPYTER_CONFIG_PATH", None)
        for name, settings in self.settings.items():
            path = Path(env["JUPYTERLAB_SETTINGS_DIR"]) / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(settings))
        return env

    def start(self, timeout: float = 90.0) -> LabServer:
        jupyter_lab = Path(sys.executable).with_name("jupyter-lab")
        command = [
            str(jupyter_lab),
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--ServerApp.root_dir={self.root_dir}",
            f"--IdentityProvider.token={self.token}",
            "--ServerApp.open_browser=False",
            "--ServerApp.allow_remote_access=False",
            "--LabApp.news_url=",
        ]
        if os.geteuid() == 0:  # CI and containers run as root
            command.append("--allow-root")
        self._log = open(self.log_path, "wb")  # closed in stop()
        self.process = subprocess.Popen(
            command,
            cwd=self.work_dir,
            env=self.environment(),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, killed as a whole in stop()
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"jupyter lab exited at start:\n{self.log_tail()}")
            try:
                self.api("GET", "/api/status")
                return self
            except (OSError, urllib.error.URLError):
                time.sleep(0.25)
        raise RuntimeError(f"jupyter lab did not answer within {timeout:.0f} s:\n{self.log_tail()}")

    def stop(self) -> None:
        """Shut down kernels and server; then kill anything of theirs still running."""
        if self.process is None:
            return
        try:
            if self.process.poll() is None:
                try:
                    for kernel in self.api("GET", "/api/kernels"):
                        self.api("DELETE", f"/api/kernels/{kernel['id']}")
                    self.api("POST", "/api/shutdown")
                except (OSError, urllib.error.URLError, ValueError):
                    pass
                try:
                    self.process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    pass
        finally:
            self._kill_group(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._kill_group(signal.SIGKILL)
                self.process.wait(timeout=10)
            self._kill_left_over_kernels()
            if self._log is not None:
                self._log.close()

    def _kill_group(self, sig) -> None:
        try:
            os.killpg(self.process.pid, sig)
        except ProcessLookupError:
            pass

    def _kill_left_over_kernels(self) -> None:
        """Kernels are started in sessions of their own; find ours by their connection file."""
        runtime = str(self.work_dir / "runtime")
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

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    # ------------------------------------------------------------------------ the API

    def url(self, path: str, **query: str) -> str:
        """A browser address on this server, with the token."""
        params = "&".join(f"{k}={v}" if v != "" else k for k, v in query.items())
        sep = "&" if "?" in path else "?"
        return f"{self.base_url}{path}{sep}token={self.token}" + (f"&{params}" if params else "")

    def api(self, method: str, path: str, body: dict | None = None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.base_url + path,
            data=data if data is not None else (b"" if method == "POST" else None),
            method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            raw = response.read()
        return json.loads(raw) if raw else None

    def kernel_state_of(self, notebook_path: str) -> str | None:
        """The execution state of the kernel of the session open on ``notebook_path``."""
        for session in self.api("GET", "/api/sessions"):
            if session.get("path") == notebook_path and session.get("kernel"):
                return session["kernel"].get("execution_state")
        return None

    def wait_for_kernel_state(
        self, notebook_path: str, state: str = "idle", timeout: float = 60.0
    ) -> str | None:
        """Poll until the kernel on ``notebook_path`` is in ``state``; return the last state seen.

        A kernel that has just started still answers the front end's first requests (kernel
        info, comm lists), so it can report "busy" for a moment after the page looks ready.
        """
        deadline = time.monotonic() + timeout
        current = self.kernel_state_of(notebook_path)
        while current != state and time.monotonic() < deadline:
            time.sleep(0.2)
            current = self.kernel_state_of(notebook_path)
        return current

    def shutdown_kernel_of(self, notebook_path: str) -> None:
        """Shut down the kernel of the session open on ``notebook_path`` (relative path)."""
        for session in self.api("GET", "/api/sessions"):
            if session.get("path") == notebook_path:
                self.api("DELETE", f"/api/sessions/{session['id']}")

    def saves_of(self, notebook_path: str) -> int:
        """How many times the server has saved ``notebook_path`` (its log says each one)."""
        log = self.log_path.read_text(errors="replace").splitlines()
        end = f"Saving file at /{notebook_path}"
        return sum(1 for line in log if line.rstrip().endswith(end))

    def __enter__(self) -> LabServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
