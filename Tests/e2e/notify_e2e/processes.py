"""Services a test starts itself (notify-fcgi, notify-sweep), and the CPU and health of processes."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from .config import env
from .fastcgi import fcgi_request


class Service:
    """A process of a test's own in its own session (so its children can be signalled with it),
    output to `log_path`. `stop()` sends SIGTERM, then SIGKILL to the whole process group."""

    def __init__(self, command: list[str], environment: dict[str, str], log_path: str):
        self.command = command
        self.environment = environment
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Service:
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                self.command,
                env=self.environment,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None, "not started"
        return self.process.pid

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log(self) -> str:
        try:
            return Path(self.log_path).read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def stop(self, grace: float = 5.0) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)  # the group of the process we started (workers too)
        except (ProcessLookupError, PermissionError):
            pass
        if self.process.poll() is None:
            self.process.wait(timeout=10)


class Sweep(Service):
    """A `notify-sweep ARGS` process of a test's own (cron mode unless ARGS has --follow), on the
    test database and allowed to deliver to 127.0.0.1/32 only; its output goes to `log_path`.
    It runs next to the shared `--follow` sweep of scripts/test. `stop()` ends it (SIGTERM, then
    SIGKILL); the `sweeps` fixture stops every sweep it started."""

    def __init__(self, *args: str, log_path: str, extra_env: dict[str, str] | None = None):
        super().__init__(
            [os.path.join(env("NOTIFY_BIN"), "notify-sweep"), *args],
            dict(
                os.environ,
                NOTIFY_DATABASE_URL=env("NOTIFY_DATABASE_URL"),
                NOTIFY_ALLOW_TARGETS="127.0.0.1/32",
                **(extra_env or {}),
            ),
            log_path,
        )

    def wait(self, timeout: float) -> int:
        """Waits for the sweep to exit; returns its exit status (fails, with its log, after timeout)."""
        assert self.process is not None, "sweep not started"
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(
                f"{' '.join(self.command)} still running after {timeout}s:\n{self.log()[-3000:]}"
            ) from None

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Sends `sig` (SIGKILL by default) and, for SIGKILL, waits until the process is gone."""
        if self.running():
            assert self.process is not None
            self.process.send_signal(sig)
            if sig == signal.SIGKILL:
                self.process.wait(timeout=10)

    def log_messages(self, message: str) -> list[dict[str, Any]]:
        """The JSON log lines of this sweep whose `msg` is `message`."""
        lines = []
        for line in self.log().splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict) and entry.get("msg") == message:
                lines.append(entry)
        return lines


def children(pid: int) -> set[int]:
    """Live (not zombie) child processes of `pid`."""
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, timeout=10).stdout
    alive = set()
    for child in map(int, out.split()):
        try:
            state = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        if state != "Z":
            alive.add(child)
    return alive


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_healthy(base_url: str, timeout: float = 15.0) -> float:
    """Polls /healthz until it answers 200; returns the seconds it took (fails after timeout)."""
    started = time.monotonic()
    last = ""
    while time.monotonic() - started < timeout:
        try:
            response = requests.get(base_url.rstrip("/") + "/healthz", timeout=2)
            if response.status_code == 200:
                return time.monotonic() - started
            last = f"{response.status_code} {response.text[:200]!r}"
        except requests.RequestException as error:
            last = repr(error)
        time.sleep(0.1)
    raise AssertionError(f"/healthz not 200 within {timeout}s: {last}")


def wait_for_socket(path: str, master: Service, timeout: float = 15.0) -> None:
    """Polls /healthz of a notify-fcgi of the test's own over FastCGI on `path` until it answers 200;
    fails at once if the master exits, and after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path):
            try:
                if fcgi_request(path, "GET", "/healthz", timeout=5).status == 200:
                    return
            except OSError:
                pass
        assert master.running(), f"notify-fcgi exited:\n{master.log()[-2000:]}"
        time.sleep(0.1)
    raise AssertionError(f"notify-fcgi did not serve /healthz on {path} within {timeout}s:\n{master.log()[-2000:]}")


def alive(pid: int) -> bool:
    """True while the process runs (a zombie waiting for its parent counts as gone)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(what: str, condition: Callable[[], Any], timeout: float, interval: float = 0.1) -> float:
    """Polls `condition` until it is true; returns the seconds it took (fails after `timeout`)."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"{what}: not within {timeout}s")
        time.sleep(interval)
    return time.monotonic() - started
