"""A throw-away JupyterHub for the classroom test: real logins, real servers, all on loopback.

JupyterHub (this Python's), configurable-http-proxy (npm, ``tests/classroom/node_modules``),
the simple local spawner (each learner's JupyterLab runs as a process of this user, with its
home folder in the run's temporary folder) and the dummy authenticator (any allowed name,
one shared password) listen on 127.0.0.1 on ports chosen at run time. Everything the hub,
the proxy and the servers write (the sqlite database, the cookie secret, the pid files,
each learner's home with its Jupyter, IPython and matplotlib files) goes to that folder.

``stop()`` asks the hub to shut down (which stops the learners' servers and the proxy it
started), then kills whatever is left: every process that carries this run's marker in its
environment (the hub passes it to the proxy, the spawner to the servers, and the servers to
their kernels), whatever process group it is in.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
CHP = HERE / "node_modules" / ".bin" / "configurable-http-proxy"
MARKER = "XENT_CLASSROOM_RUN"
# JupyterLab for the learners: no news or update checks (no network; a toast could cover
# what the test clicks), no autosave (the test saves when a learner would).
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": (
        '{"checkForUpdates": false, "fetchNews": "false"}'
    ),
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": '{"autosave": false}',
}

CONFIG = """\
# Written by tests/classroom/_hub.py for one test run.
c = get_config()  # noqa
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {port}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {hub_port}
c.JupyterHub.db_url = "sqlite:///{work}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "{work}/jupyterhub_cookie_secret"
c.JupyterHub.pid_file = "{work}/jupyterhub.pid"
c.JupyterHub.cleanup_servers = True
c.JupyterHub.cleanup_proxy = True
c.JupyterHub.log_level = "INFO"

c.ConfigurableHTTPProxy.command = [{chp!r}]
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{proxy_api_port}"
c.ConfigurableHTTPProxy.pid_file = "{work}/jupyterhub-proxy.pid"
c.ConfigurableHTTPProxy.auth_token = {proxy_token!r}

c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = {password!r}
c.Authenticator.allowed_users = {users!r}

c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = "{work}/home/{{username}}"
c.Spawner.ip = "127.0.0.1"
c.Spawner.cmd = [{singleuser!r}]
c.Spawner.args = {args!r}
c.Spawner.default_url = "/lab"
c.Spawner.environment = {environment!r}
c.Spawner.start_timeout = 180
c.Spawner.http_timeout = 180
"""


def free_ports(count: int) -> list[int]:
    """``count`` distinct free TCP ports on 127.0.0.1 (held open together, then released)."""
    import socket

    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


class ClassroomHub:
    """``jupyterhub`` from this Python's environment, for the learners ``users``."""

    def __init__(self, work_dir: Path, users: list[str]):
        self.work = Path(work_dir)
        self.users = list(users)
        self.password = secrets.token_urlsafe(12)
        self.run_id = secrets.token_hex(8)
        self.port, self.hub_port, self.proxy_api_port = free_ports(3)
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = self.work / "jupyterhub.log"
        self.process: subprocess.Popen | None = None
        self._log = None

    def home(self, user: str) -> Path:
        return self.work / "home" / user

    def write_config(self) -> Path:
        settings = self.work / "lab-settings"
        for name, text in LAB_SETTINGS.items():
            path = settings / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        args = ["--LabApp.news_url=", "--ServerApp.open_browser=False"]
        if os.geteuid() == 0:  # CI and containers run as root
            args.append("--allow-root")
        environment = {
            MARKER: self.run_id,
            "JUPYTERLAB_SETTINGS_DIR": str(settings),
        }
        config = self.work / "jupyterhub_config.py"
        config.write_text(
            CONFIG.format(
                port=self.port,
                hub_port=self.hub_port,
                proxy_api_port=self.proxy_api_port,
                work=self.work,
                chp=str(CHP),
                proxy_token=secrets.token_hex(16),
                password=self.password,
                users=set(self.users),
                singleuser=str(Path(sys.executable).with_name("jupyterhub-singleuser")),
                args=args,
                environment=environment,
            )
        )
        return config

    def start(self, timeout: float = 120.0) -> float:
        """Start the hub and its proxy; return the seconds until the hub answered."""
        self.work.mkdir(parents=True, exist_ok=True)
        config = self.write_config()
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("JUPYTER", "JPY_", "NBGRADER"))
        }
        env[MARKER] = self.run_id
        env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
        self._log = open(self.log_path, "wb")  # closed in stop()
        started = time.perf_counter()
        self.process = subprocess.Popen(
            [str(Path(sys.executable).with_name("jupyterhub")), "-f", str(config)],
            cwd=self.work,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = started + timeout
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"jupyterhub exited at start:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/hub/health", timeout=5) as reply:
                    if reply.status == 200:
                        return time.perf_counter() - started
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.2)
        raise RuntimeError(f"jupyterhub did not answer within {timeout:.0f} s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.process is None:
            return
        try:
            if self.process.poll() is None:
                # SIGTERM: the hub stops the learners' servers and its proxy, then exits.
                self.process.send_signal(signal.SIGTERM)
                try:
                    self.process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    pass
        finally:
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.killpg(self.process.pid, sig)
                except ProcessLookupError:
                    pass
                self._kill_marked(sig)
                time.sleep(0.5)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
            if self._log is not None:
                self._log.close()

    def processes(self) -> list[int]:
        """The processes of this run still alive: hub, proxy, servers, kernels, git."""
        marker = f"{MARKER}={self.run_id}".encode()
        found = []
        for proc in Path("/proc").glob("[0-9]*"):
            try:
                environ = (proc / "environ").read_bytes()
            except OSError:
                continue
            if marker in environ.split(b"\0") and int(proc.name) != os.getpid():
                found.append(int(proc.name))
        return found

    def _kill_marked(self, sig) -> None:
        for pid in self.processes():
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""
