"""Helpers of the nginx tests (test_nginx*.py): nginx started from the repository's configs on loopback
ports, in a state folder of the test's own."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from notify_e2e import env

ROOT = Path(__file__).resolve().parents[2]


def wait_for_port(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"nginx exited {process.returncode}: {log.read_text() if log.exists() else ''}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    pytest.fail(f"nginx did not listen on {port}")


@contextlib.contextmanager
def run_nginx(folder: Path, conf: Path, ports: list[int]) -> Iterator[None]:
    log = folder / "error.log"
    args = ["nginx", "-p", f"{folder}/", "-c", str(conf), "-e", str(log)]
    check = subprocess.run([*args, "-t", "-q"], capture_output=True, text=True, timeout=30)
    assert check.returncode == 0, check.stderr + (log.read_text() if log.exists() else "")
    process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        for port in ports:
            wait_for_port(port, process, log)
        yield
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def state_folder(name: str) -> Path:
    folder = Path(env("NOTIFY_TEST_STATE")) / name
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "tmp").mkdir(parents=True)
    for path in (folder, folder / "tmp"):
        path.chmod(0o755)  # nginx workers run as nobody when we are root
    return folder


def render_dev_config(folder: Path, port: int, fcgi_socket: str | Path, **settings: str) -> Path:
    """The dev config rendered by scripts/lib/nginx.sh into `folder`, listening on 127.0.0.1:`port` in front
    of `fcgi_socket`, with `settings` (NOTIFY_* variables) in its environment; returns the file."""
    rendered = subprocess.run(
        [
            "bash",
            "-c",
            'source scripts/lib/common.sh && source scripts/lib/nginx.sh && notify_nginx_render "$@"',
            "render",
            str(folder),
            f"127.0.0.1:{port}",
            str(fcgi_socket),
            str(folder),
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        timeout=30,
        env=dict(os.environ, **settings),
    )
    return Path(rendered.stdout.strip())
