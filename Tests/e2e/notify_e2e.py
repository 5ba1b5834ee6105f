"""Helpers for the end-to-end tests (the fixtures that use them are in conftest.py).

The tests run against the services that scripts/test starts: nginx on a loopback port in front
of the notify-fcgi workers, PostgreSQL, and notify-sweep --follow. They only send traffic to
127.0.0.1 and unix sockets, and every HTTP request has a timeout.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

import pytest
import requests
from requests.structures import CaseInsensitiveDict

TIMEOUT = 10.0
"""Seconds: the timeout of every HTTP request the tests make."""

PROBLEM_JSON = "application/problem+json"


def env(name: str) -> str:
    """The value of an environment variable that scripts/test sets; fails the test if missing."""
    value = os.environ.get(name, "")
    if not value:
        pytest.fail(f"{name} is not set: run the end-to-end tests through scripts/test", pytrace=False)
    return value


# ---------------------------------------------------------------------------------------------
# notifyctl and merchants


def notifyctl(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Runs `$NOTIFY_BIN/notifyctl ARGS` against the test database; returns the finished process."""
    command = [os.path.join(env("NOTIFY_BIN"), "notifyctl"), *args]
    environment = dict(os.environ, NOTIFY_DATABASE_URL=env("NOTIFY_DATABASE_URL"))
    result = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=60)
    if check and result.returncode != 0:
        raise AssertionError(
            f"{' '.join(command)} exited {result.returncode}\nstdout: {result.stdout}\nstderr: {result.stderr}"
        )
    return result


def notifyctl_json(*args: str) -> dict[str, Any]:
    """Runs notifyctl and parses the one JSON line it prints."""
    out = notifyctl(*args).stdout.strip().splitlines()
    assert out, f"notifyctl {' '.join(args)} printed nothing"
    return json.loads(out[-1])


@dataclass(frozen=True)
class Merchant:
    """A merchant made by `notifyctl merchant create`, with its first token and signing secret."""

    id: str
    token: str
    signing_secret: str

    def auth_headers(self, token: str | None = None) -> dict[str, str]:
        return {"X-Merchant": self.id, "Authorization": f"Bearer {token or self.token}"}


def create_merchant(merchant_id: str) -> Merchant:
    data = notifyctl_json("merchant", "create", merchant_id)
    assert data["merchant"] == merchant_id, data
    assert data["signingSecret"].startswith("whsec_"), data
    return Merchant(id=merchant_id, token=data["token"], signing_secret=data["signingSecret"])


# ---------------------------------------------------------------------------------------------
# HTTP


class Api:
    """Requests to Notify through nginx, authenticated as `merchant` unless told otherwise.

    `headers` entries override the authentication headers; a value of None removes the header
    (e.g. `headers={"X-Merchant": None}`). Every request has a timeout (TIMEOUT by default).
    """

    def __init__(self, base_url: str, merchant: Merchant | None = None, session: requests.Session | None = None):
        self.base_url = base_url.rstrip("/")
        self.merchant = merchant
        self.session = session or requests.Session()

    def as_merchant(self, merchant: Merchant | None) -> "Api":
        return Api(self.base_url, merchant, self.session)

    def request(self, method: str, path: str, *, headers: dict[str, str | None] | None = None,
                **kwargs: Any) -> requests.Response:
        merged: dict[str, str | None] = dict(self.merchant.auth_headers()) if self.merchant else {}
        merged.update(headers or {})
        kwargs.setdefault("timeout", TIMEOUT)
        kwargs.setdefault("allow_redirects", False)
        # requests drops headers whose value is None, also from the session's defaults.
        return self.session.request(method, self.base_url + path, headers=merged, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)


def media_type(response: requests.Response) -> str:
    return response.headers.get("Content-Type", "").split(";")[0].strip().lower()


def assert_problem(response: requests.Response, status: int) -> dict[str, Any]:
    """Asserts an RFC 9457 problem response with this status; returns its JSON body."""
    assert response.status_code == status, (
        f"{response.request.method} {response.request.path_url}: expected {status}, "
        f"got {response.status_code}: {response.text[:500]!r}"
    )
    assert media_type(response) == PROBLEM_JSON, (
        f"expected Content-Type {PROBLEM_JSON}, got {response.headers.get('Content-Type')!r}: {response.text[:300]!r}"
    )
    body = response.json()
    assert body.get("status") == status, body
    for key in ("type", "title", "detail"):
        assert isinstance(body.get(key), str) and body[key], f"problem member {key!r} missing: {body}"
    return body


def assert_healthy(base_url: str) -> None:
    """GET /healthz answers 200 {"status": "ok"}."""
    response = requests.get(base_url.rstrip("/") + "/healthz", timeout=TIMEOUT)
    assert response.status_code == 200, f"/healthz: {response.status_code} {response.text[:300]!r}"
    assert response.json().get("status") == "ok", response.text


# ---------------------------------------------------------------------------------------------
# Receiver


@dataclass
class ReceivedRequest:
    """One request a Receiver got."""

    method: str
    path: str
    headers: CaseInsensitiveDict
    body: bytes
    received_at: float = field(default_factory=time.time)

    def json(self) -> Any:
        return json.loads(self.body)


Responder = Callable[[ReceivedRequest], "tuple[int, bytes | str, dict[str, str]] | None"]


class Receiver:
    """A webhook receiver on 127.0.0.1 (a port of its own) that records what it is sent.

    It records method, path, headers and body of each request and answers with the configured
    status, body, extra headers and delay (see `respond`), or with what a `responder` callable
    returns. HTTP/1.1 with keep-alive, so a client can reuse its connections. Use as a context
    manager or call start()/stop(); the `receiver` fixture does that for you.
    """

    def __init__(self, status: int = 200, body: bytes | str = b"ok", delay: float = 0.0,
                 headers: dict[str, str] | None = None):
        self.requests: list[ReceivedRequest] = []
        self._changed = threading.Condition()
        self._stopping = threading.Event()
        self._responder: Responder | None = None
        self.respond(status, body, delay, headers)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._server.block_on_close = False  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="receiver", daemon=True)

    # -- configuration

    def respond(self, status: int = 200, body: bytes | str = b"ok", delay: float = 0.0,
                headers: dict[str, str] | None = None, responder: Responder | None = None) -> None:
        """Sets the answer for the next requests. A `responder(request)` returning
        (status, body, headers) wins over the fixed answer; returning None falls back to it."""
        with self._changed:
            self.status = status
            self.body = body.encode() if isinstance(body, str) else body
            self.delay = delay
            self.headers = dict(headers or {})
            self._responder = responder

    # -- lifecycle

    def start(self) -> "Receiver":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # cuts delays short
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> "Receiver":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url_for(self, path: str = "/hook") -> str:
        return self.url + path

    # -- inspection

    def received(self) -> list[ReceivedRequest]:
        with self._changed:
            return list(self.requests)

    def wait_for(self, count: int = 1, timeout: float = 10.0) -> list[ReceivedRequest]:
        """Waits until at least `count` requests arrived; returns them all (fails after timeout)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self.requests) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"receiver got {len(self.requests)} request(s) within {timeout}s, expected {count}: "
                        + ", ".join(f"{r.method} {r.path}" for r in self.requests)
                    )
                self._changed.wait(left)
            return list(self.requests)

    def assert_quiet(self, seconds: float, count: int = 0) -> None:
        """Asserts that no more than `count` requests arrive during the next `seconds`."""
        time.sleep(seconds)
        got = self.received()
        assert len(got) <= count, f"expected at most {count} request(s), got {len(got)}"

    # -- server side

    def _record(self, request: ReceivedRequest) -> tuple[int, bytes, dict[str, str], float]:
        with self._changed:
            self.requests.append(request)
            self._changed.notify_all()
            responder, fixed = self._responder, (self.status, self.body, dict(self.headers), self.delay)
        if responder is not None:
            answer = responder(request)
            if answer is not None:
                status, body, headers = answer
                return status, body.encode() if isinstance(body, str) else body, dict(headers), fixed[3]
        return fixed

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep test output quiet
                pass

            def _read_body(self) -> bytes:
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    chunks = []
                    while True:
                        size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                        if size == 0:
                            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                                pass
                            return b"".join(chunks)
                        chunks.append(self.rfile.read(size))
                        self.rfile.readline()
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length > 0 else b""

            def _handle(self) -> None:
                request = ReceivedRequest(
                    method=self.command,
                    path=self.path,
                    headers=CaseInsensitiveDict(self.headers.items()),
                    body=self._read_body(),
                )
                status, body, headers, delay = receiver._record(request)
                if delay > 0 and receiver._stopping.wait(delay):
                    self.close_connection = True
                    return
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    no_body = self.command == "HEAD" or status in (204, 304) or 100 <= status < 200
                    if not no_body:
                        if not any(n.lower() == "content-type" for n in headers):
                            self.send_header("Content-Type", "text/plain")
                        self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    if not no_body and self.command != "HEAD":
                        self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle

        return Handler


# ---------------------------------------------------------------------------------------------
# Delivery (DESIGN §5): webhook signatures, the events API (§4.4), SQL, sweeps of a test's own

import base64  # noqa: E402 - this section's imports stay with it
import hashlib  # noqa: E402
import hmac  # noqa: E402
import signal  # noqa: E402

EVENTS = "/api/v0/checkout/notifications/events"
"""The events collection of the Notification API (DESIGN §4.4)."""


def webhook_signature(secret: str, msg_id: str, timestamp: int | str, body: bytes) -> str:
    """The Standard Webhooks `webhook-signature` value (`v1,<base64 HMAC-SHA256>`) for one
    message, computed independently of Notify: key = base64 of `secret` after `whsec_`."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def assert_signed(request: ReceivedRequest, secret: str, tolerance: float = 300.0) -> None:
    """Asserts that a delivery carries valid Standard Webhooks headers for `secret`: a
    `webhook-id`, a `webhook-timestamp` (unix seconds) within `tolerance` of its arrival and a
    `webhook-signature` with a `v1,` entry that matches the exact body bytes received."""
    msg_id = request.headers.get("webhook-id")
    timestamp = request.headers.get("webhook-timestamp")
    header = request.headers.get("webhook-signature")
    assert msg_id and timestamp and header, f"Standard Webhooks headers missing: {dict(request.headers)}"
    assert timestamp.isdigit(), f"webhook-timestamp is not unix seconds: {timestamp!r}"
    assert abs(int(timestamp) - request.received_at) <= tolerance, (
        f"webhook-timestamp {timestamp} is {int(timestamp) - request.received_at:.0f}s off the arrival time"
    )
    expected = webhook_signature(secret, msg_id, timestamp, request.body)
    candidates = header.split(" ")
    assert any(hmac.compare_digest(c.encode(), expected.encode()) for c in candidates), (
        f"webhook-signature {header!r} does not verify (expected {expected!r} over {len(request.body)} body bytes)"
    )


def get_event(api: Api, event_id: str) -> dict[str, Any]:
    """GET .../events/{id}: asserts 200 and returns the Event."""
    response = api.get(f"{EVENTS}/{event_id}")
    assert response.status_code == 200, f"GET event {event_id}: {response.status_code} {response.text[:500]!r}"
    return response.json()


def wait_for_event(api: Api, event_id: str, until: Callable[[dict[str, Any]], bool], timeout: float = 10.0,
                   what: str = "the expected state") -> dict[str, Any]:
    """Polls GET .../events/{id} until `until(event)` holds; returns that Event (fails after timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        event = get_event(api, event_id)
        if until(event):
            return event
        if time.monotonic() > deadline:
            raise AssertionError(f"event {event_id} did not reach {what} within {timeout}s: {event}")
        time.sleep(0.05)


def list_order_events(api: Api, order_id: str) -> list[dict[str, Any]]:
    """GET .../events?orderId=...: asserts 200 and returns the order's Events (newest first, up to 100)."""
    response = api.get(EVENTS, params={"orderId": order_id, "limit": "100"})
    assert response.status_code == 200, f"GET events: {response.status_code} {response.text[:500]!r}"
    return response.json()["data"]


def run_sql(script: str, **variables: str) -> str:
    """Runs an SQL script (any statements) against NOTIFY_DATABASE_URL with psql and returns what
    it prints (unaligned, tuples only). Values go in as psql variables, never spliced into the
    text: write `:'name'` for a quoted literal of `variables["name"]`."""
    args = ["psql", env("NOTIFY_DATABASE_URL"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"]
    for name, value in variables.items():
        assert name.isidentifier(), name
        args += ["-v", f"{name}={value}"]
    result = subprocess.run(args, input=script, capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise AssertionError(f"psql exited {result.returncode}: {result.stderr.strip()}\n{script}")
    return result.stdout


class Sweep:
    """A `notify-sweep ARGS` process of a test's own (cron mode unless ARGS has --follow), on the
    test database and allowed to deliver to 127.0.0.1/32 only; its output goes to `log_path`.
    It runs next to the shared `--follow` sweep of scripts/test. `stop()` ends it (SIGTERM, then
    SIGKILL); the `sweeps` fixture stops every sweep it started."""

    def __init__(self, *args: str, log_path: str, extra_env: dict[str, str] | None = None):
        self.command = [os.path.join(env("NOTIFY_BIN"), "notify-sweep"), *args]
        self.environment = dict(os.environ, NOTIFY_DATABASE_URL=env("NOTIFY_DATABASE_URL"),
                                NOTIFY_ALLOW_TARGETS="127.0.0.1/32", **(extra_env or {}))
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> "Sweep":
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(self.command, env=self.environment, stdin=subprocess.DEVNULL,
                                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None, "sweep not started"
        return self.process.pid

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log(self) -> str:
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as file:
                return file.read()
        except FileNotFoundError:
            return ""

    def wait(self, timeout: float) -> int:
        """Waits for the sweep to exit; returns its exit status (fails, with its log, after timeout)."""
        assert self.process is not None, "sweep not started"
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"{' '.join(self.command)} still running after {timeout}s:\n{self.log()[-3000:]}")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Sends `sig` (SIGKILL by default) and, for SIGKILL, waits until the process is gone."""
        if self.running():
            assert self.process is not None
            self.process.send_signal(sig)
            if sig == signal.SIGKILL:
                self.process.wait(timeout=10)

    def stop(self, grace: float = 5.0) -> None:
        if not self.running():
            return
        assert self.process is not None
        self.process.terminate()
        try:
            self.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self.process.kill()
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
