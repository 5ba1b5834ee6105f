"""nginx under more load than the workers can take: requests above the in-flight cap
(limit_conn, NOTIFY_MAX_IN_FLIGHT) get a quick 503 problem+json with Retry-After, a worker that
dies with a request is a 503 too, and thousands of concurrent clients get answers, never resets
(worker_connections, the listen backlogs)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import resource
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from nginx_e2e import render_dev_config, run_nginx, state_folder
from notify_e2e import PROBLEM_JSON, TIMEOUT, assert_healthy, free_port
from test_nginx import raw_request

REQUEST = b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"


class StalledWorker:
    """A FastCGI socket whose one "worker" accepts connections and never answers: the requests
    nginx passes to it stay in flight until `release` closes them (nginx then sees the worker die
    with the request)."""

    def __init__(self, path: Path) -> None:
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(str(path))
        path.chmod(0o666)  # nginx's workers run as nobody when we are root
        self.listener.listen(16)
        self.held: list[socket.socket] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept, name="stalled-worker", daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with self._lock:
                self.held.append(conn)

    def wait_held(self, count: int, seconds: float = 10) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.held) >= count:
                    return
            time.sleep(0.02)
        pytest.fail(f"nginx passed {len(self.held)} requests on, not {count}")

    def release(self) -> None:
        with self._lock:
            for conn in self.held:
                conn.close()
            self.held.clear()

    def close(self) -> None:
        self.release()
        self.listener.close()


@pytest.fixture
def capped_at_two() -> Iterator[tuple[str, StalledWorker]]:
    """The dev config rendered by scripts/lib/nginx.sh with NOTIFY_MAX_IN_FLIGHT=2, in front of a
    stalled worker."""
    folder = state_folder("nginx-capped")
    worker = StalledWorker(folder / "stalled.sock")
    port = free_port()
    conf = render_dev_config(folder, port, str(folder / "stalled.sock"), NOTIFY_MAX_IN_FLIGHT="2")
    assert "limit_conn notify_in_flight 2;" in conf.read_text()
    try:
        with run_nginx(folder, conf, [port]):
            yield f"http://127.0.0.1:{port}", worker
    finally:
        worker.close()


def assert_retry_later(status: int, headers: dict[str, str], body: bytes) -> None:
    assert status == 503, body
    assert headers.get("content-type") == PROBLEM_JSON, headers
    assert headers.get("retry-after") == "1", headers
    problem = json.loads(body)
    assert problem["status"] == 503 and problem["title"] == "Service Unavailable", problem
    assert headers.get("x-request-id") == problem["requestId"]


def test_requests_past_the_in_flight_cap_get_a_quick_503(capped_at_two: tuple[str, StalledWorker]) -> None:
    url, worker = capped_at_two
    answers: list[tuple[int, dict[str, str], bytes]] = []
    stuck = [threading.Thread(target=lambda: answers.append(raw_request(url, REQUEST)), daemon=True) for _ in range(2)]
    for thread in stuck:
        thread.start()
    worker.wait_held(2)
    # Both slots are taken by requests the worker holds: the third is refused at once.
    started = time.monotonic()
    status, headers, body = raw_request(url, REQUEST)
    assert time.monotonic() - started < 2, "the refusal should not wait for a worker"
    assert_retry_later(status, headers, body)
    assert len(worker.held) == 2, "the refused request reached the worker"
    # The worker dies with the two requests it held: nginx's 502 reaches the clients as a 503.
    worker.release()
    for thread in stuck:
        thread.join(TIMEOUT)
    assert len(answers) == 2
    for answer in answers:
        assert_retry_later(*answer)


async def one_client(port: int) -> tuple[str, bytes]:
    """One connection, one request; the raw answer, or how the connection failed."""
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError as error:
        return f"connect: {error!r}", b""
    try:
        writer.write(REQUEST)
        await writer.drain()
        raw = await reader.read()
    except OSError as error:
        return f"reset: {error!r}", b""
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
    return ("ok" if raw else "closed without an answer"), raw


async def many_clients(port: int, count: int) -> list[tuple[str, bytes]]:
    return await asyncio.wait_for(asyncio.gather(*(one_client(port) for _ in range(count))), 60)


def test_three_thousand_concurrent_clients_get_answers_not_resets(base_url: str) -> None:
    # Past the old sizing (1,024 connections per nginx worker): every client gets 200 or a 503 it
    # may retry, none a closed or reset connection.
    count = 3000
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < count + 200:
        if hard != resource.RLIM_INFINITY and hard < count + 200:
            pytest.fail(f"open-file limit {hard} is too low for {count} clients (scripts/test raises it)")
        resource.setrlimit(resource.RLIMIT_NOFILE, (count + 200, hard))
    port = int(base_url.rsplit(":", 1)[1])
    results = asyncio.run(many_clients(port, count))
    failures = [outcome for outcome, _ in results if outcome != "ok"]
    assert not failures, f"{len(failures)} of {count} failed, e.g. {failures[:3]}"
    statuses: dict[int, int] = {}
    for _, raw in results:
        head, _, body = raw.partition(b"\r\n\r\n")
        status = int(head.split(b"\r\n", 1)[0].split(b" ")[1])
        statuses[status] = statuses.get(status, 0) + 1
        if status == 503:
            assert b"\r\nretry-after: " in head.lower() and json.loads(body)["status"] == 503, raw[:500]
    assert set(statuses) <= {200, 503}, statuses
    assert statuses.get(200, 0) > 0, statuses
    assert_healthy(base_url)
