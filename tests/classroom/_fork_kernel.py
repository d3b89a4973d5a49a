"""A kernel spec for the grading test whose kernels start warm: forked from a process that has
already imported what every lesson's kernel imports first (torch, NumPy, ipykernel).

Measured on this machine (CPU seconds): a plain ``python -m ipykernel_launcher`` costs 0.6 s
to start, and ``import torch`` 2.4 s more in every kernel; a lesson's own cells cost 1-4 s. The
grading test starts one kernel per graded notebook (23 of them), so most of its CPU time went
into starting kernels. Here a *zygote* imports those modules once; each kernel nbgrader starts
is a fresh ``fork()`` of it, which then runs ipykernel exactly as ``ipykernel_launcher`` does
(with nbgrader's arguments, environment and working folder). Every notebook still runs from
its first cell on a kernel of its own; nothing a notebook runs is shared with another.

How it fits jupyter_client: the kernel spec's command is this file's ``client``, a small
process that jupyter_client starts, watches, signals and kills as if it were the kernel. It
asks the zygote (over a Unix socket in the test's folder) for a kernel, handing over its
stdin/stdout/stderr, environment, working folder and arguments; it forwards every signal it
gets to the kernel (SIGINT interrupts a cell), and exits with the kernel's exit status. If
the client is killed, the zygote kills its kernel; when the zygote is stopped, it kills every
kernel it forked. The teacher's own grading (the JupyterHub test, TEACHING.md) keeps the
plain kernel, so that path is graded end to end too.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1)
PRELOAD = ("torch", "numpy", "ipykernel.kernelapp")
MARKER = "XENT_KERNEL_ZYGOTE"


def kernel_spec(socket_path: Path) -> dict:
    """The ``kernel.json`` of a ``python3`` kernel started by the zygote at ``socket_path``."""
    return {
        "argv": [
            sys.executable,
            str(Path(__file__).resolve()),
            "client",
            str(socket_path),
            "-f",
            "{connection_file}",
        ],
        "display_name": "Python 3 (ipykernel, forked warm)",
        "language": "python",
        "interrupt_mode": "signal",
        "metadata": {"debugger": True},
    }


class Zygote:
    """The zygote as a process of the test: ``start()`` it, install ``kernel_spec`` as the
    ``python3`` kernel of a Jupyter data folder, ``stop()`` it (also when the test fails)."""

    def __init__(self, socket_path: Path, env: dict, log_path: Path):
        self.socket_path = Path(socket_path)
        self.env = env
        self.log_path = Path(log_path)
        self.process: subprocess.Popen | None = None
        # In the zygote's environment, so in every kernel's /proc/<pid>/environ too (a fork
        # keeps it): stop() finds and kills whatever is left by it.
        self.marker = f"{MARKER}={os.getpid()}-{time.monotonic_ns()}"

    def start(self, timeout: float = 300.0) -> float:
        """Start the zygote; return the seconds until it listens."""
        started = time.perf_counter()
        self.socket_path.unlink(missing_ok=True)  # the zygote makes it when it listens
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, str(Path(__file__).resolve()), "zygote", str(self.socket_path)],
                env={**self.env, MARKER: self.marker.split("=", 1)[1]},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        while not self.socket_path.exists():
            if self.process.poll() is not None:
                raise RuntimeError(f"the kernel zygote exited: {self.log_path.read_text()[-2000:]}")
            if time.perf_counter() - started > timeout:
                self.stop()
                raise RuntimeError(f"the kernel zygote did not listen within {timeout:.0f} s")
            time.sleep(0.05)
        return time.perf_counter() - started

    def install(self, data_dir: Path) -> None:
        """Write the ``python3`` kernel spec into ``data_dir``: put ``data_dir`` first on
        ``JUPYTER_PATH`` (in a virtual environment, its own ``python3`` kernel comes before
        ``JUPYTER_DATA_DIR``'s)."""
        folder = Path(data_dir) / "kernels" / "python3"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "kernel.json").write_text(json.dumps(kernel_spec(self.socket_path), indent=1))

    def cpu_seconds(self) -> float:
        """CPU time of the zygote and of the kernels it forked and reaped so far."""
        if self.process is None or self.process.poll() is not None:
            return 0.0
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = sum(int(v) for v in fields[11:15])  # utime stime cutime cstime
        return ticks / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        """SIGTERM: the zygote kills the kernels it forked, then exits; SIGKILL after 10 s,
        and any process of it still alive (found by the marker) is killed too."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        for pid in self.processes():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def processes(self) -> list[int]:
        """The zygote's processes still alive (the zygote and its kernels)."""
        marker = self.marker.encode()
        found = []
        for proc in Path("/proc").glob("[0-9]*"):
            try:
                if marker in (proc / "environ").read_bytes().split(b"\0"):
                    found.append(int(proc.name))
            except OSError:
                continue
        return found


# --- the zygote -----------------------------------------------------------------------------


def _serve(socket_path: str) -> None:
    for module in PRELOAD:
        __import__(module)
    kernels: set[int] = set()
    lock = threading.RLock()  # the SIGTERM handler may run while the loop holds it

    def stop(signum, frame):
        with lock:
            for pid in kernels:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    server.bind(socket_path + ".tmp")
    server.listen(64)
    os.rename(socket_path + ".tmp", socket_path)  # the test waits for the name
    while True:
        conn, _ = server.accept()
        message, fds, _, _ = socket.recv_fds(conn, 1 << 20, 3)
        request = json.loads(message)
        with lock:
            pid = os.fork()
            if pid == 0:  # the kernel
                _become_kernel(request, fds, (server, conn))
            kernels.add(pid)
        for fd in fds:
            os.close(fd)
        conn.send(str(pid).encode())
        threading.Thread(target=_watch, args=(conn, pid, kernels, lock), daemon=True).start()


def _become_kernel(request: dict, fds, sockets) -> None:
    """In the forked child: become ipykernel. Its exit (or an error, printed on its stderr)
    ends this process as it would end ``python -m ipykernel_launcher``: never back in the
    zygote's loop."""
    for sock in sockets:
        sock.close()
    os.setsid()
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGCHLD):
        signal.signal(signum, signal.SIG_DFL)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    argv = list(request["argv"])
    if os.environ.get("JPY_PARENT_PID"):  # read when ipykernel was imported, in the zygote
        argv.append(f"--IPKernelApp.parent_handle={os.environ['JPY_PARENT_PID']}")
    sys.argv = [sys.executable, *argv]
    from ipykernel import kernelapp

    kernelapp.launch_new_instance(argv=argv)
    sys.exit(0)


def _watch(conn, pid: int, kernels: set, lock) -> None:
    """Send the client its kernel's exit status; kill the kernel if the client goes away."""
    gone = threading.Event()

    def client_gone():
        try:
            conn.recv(16)  # the client sends nothing: this returns when it exits
        except OSError:
            pass
        if not gone.is_set():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    threading.Thread(target=client_gone, daemon=True).start()
    _, status = os.waitpid(pid, 0)
    gone.set()
    with lock:
        kernels.discard(pid)
    try:
        conn.send(str(os.waitstatus_to_exitcode(status)).encode())
    except OSError:
        pass
    conn.close()


# --- the client (what jupyter_client starts) -----------------------------------------------


def _client(socket_path: str, argv: list[str]) -> int:
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    conn.connect(socket_path)
    request = {"argv": argv, "cwd": os.getcwd(), "env": dict(os.environ)}
    socket.send_fds(conn, [json.dumps(request).encode()], [0, 1, 2])
    pid = int(conn.recv(64))

    def forward(signum, frame):
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            pass

    for signum in FORWARDED:
        signal.signal(signum, forward)
    while True:
        try:
            reply = conn.recv(64)
            break
        except InterruptedError:
            continue
    code = int(reply) if reply else 1
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    if sys.argv[1] == "zygote":
        _serve(sys.argv[2])
    elif sys.argv[1] == "client":
        sys.exit(_client(sys.argv[2], sys.argv[3:]))
    else:
        sys.exit(f"usage: {sys.argv[0]} zygote SOCKET | client SOCKET KERNEL-ARGUMENTS")
