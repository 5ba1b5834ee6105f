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
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
import requests
import standardwebhooks
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


def notifyctl(*args: str, check: bool = True, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """Runs `$NOTIFY_BIN/notifyctl ARGS` against the test database, with `stdin` as its standard
    input; returns the finished process."""
    command = [os.path.join(env("NOTIFY_BIN"), "notifyctl"), *args]
    environment = dict(os.environ, NOTIFY_DATABASE_URL=env("NOTIFY_DATABASE_URL"))
    result = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=60, input=stdin)
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

    def as_merchant(self, merchant: Merchant | None) -> Api:
        return Api(self.base_url, merchant, self.session)

    def request(
        self, method: str, path: str, *, headers: dict[str, str | None] | None = None, **kwargs: Any
    ) -> requests.Response:
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

    def __init__(
        self, status: int = 200, body: bytes | str = b"ok", delay: float = 0.0, headers: dict[str, str] | None = None
    ):
        self.requests: list[ReceivedRequest] = []
        self._changed = threading.Condition()
        self._stopping = threading.Event()
        self._responder: Responder | None = None
        self.respond(status, body, delay, headers)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._server.block_on_close = False  # type: ignore[attr-defined]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="receiver", daemon=True
        )

    # -- configuration

    def respond(
        self,
        status: int = 200,
        body: bytes | str = b"ok",
        delay: float = 0.0,
        headers: dict[str, str] | None = None,
        responder: Responder | None = None,
    ) -> None:
        """Sets the answer for the next requests. A `responder(request)` returning
        (status, body, headers) wins over the fixed answer; returning None falls back to it."""
        with self._changed:
            self.status = status
            self.body = body.encode() if isinstance(body, str) else body
            self.delay = delay
            self.headers = dict(headers or {})
            self._responder = responder

    # -- lifecycle

    def start(self) -> Receiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # cuts delays short
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Receiver:
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
# Orders and the database (read-only look-ups of what the HTTP API does not show yet)

ORDERS = "/api/v0/checkout/orders"
"""The orders collection of the order-service API."""


def create_order(api: Api, channel: str = "web", body: dict[str, Any] | None = None) -> dict[str, Any]:
    """POSTs a new order in `channel` (with `body`, if any); asserts 201 and returns the Order JSON."""
    kwargs: dict[str, Any] = {} if body is None else {"json": body}
    response = api.post(ORDERS, headers={"X-Channel": channel}, **kwargs)
    assert response.status_code == 201, f"create order: {response.status_code} {response.text[:500]!r}"
    return response.json()


def db_rows(sql: str, **variables: str) -> list[dict[str, Any]]:
    """Runs one SELECT against NOTIFY_DATABASE_URL with psql and returns its rows as dicts.

    Values are passed as psql variables, never spliced into the text: write `:'name'` in `sql`
    for a quoted literal of `variables["name"]`. `sql` is one SELECT without a trailing `;`.
    """
    return sql_json(sql, **variables)


def db_execute(sql: str, **variables: str) -> None:
    """Runs one statement (e.g. a test's clean-up) against NOTIFY_DATABASE_URL, with `:'name'`
    variables as in `db_rows`."""
    args = ["psql", env("NOTIFY_DATABASE_URL"), "-X", "-q", "-v", "ON_ERROR_STOP=1"]
    for name, value in variables.items():
        assert name.isidentifier(), name
        args += ["-v", f"{name}={value}"]
    result = subprocess.run(args, input=sql + ";\n", capture_output=True, text=True, timeout=30)
    if result.returncode != 0:
        raise AssertionError(f"psql exited {result.returncode}: {result.stderr.strip()}\n{sql}")


def order_events(order_id: str) -> list[dict[str, Any]]:
    """The rows of `events` for one order, oldest first, each with `deliveries`: its number of
    rows in `deliveries`."""
    return db_rows(
        "SELECT e.*, (SELECT count(*) FROM deliveries d"
        " WHERE d.merchant = e.merchant AND d.event_id = e.event_id) AS deliveries"
        " FROM events e WHERE e.order_id = :'order_id'::uuid ORDER BY e.created_at, e.event_id",
        order_id=order_id,
    )


# ---------------------------------------------------------------------------------------------
# Delivery: webhook signatures, the events API, SQL, sweeps of a test's own

import base64  # noqa: E402 - this section's imports stay with it
import hashlib  # noqa: E402
import hmac  # noqa: E402
import signal  # noqa: E402

EVENTS = "/api/v0/checkout/notifications/events"
"""The events collection of the Notification API."""


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
    # And with the stock Standard Webhooks library, as a receiver would (it also checks the
    # timestamp against now, with its own 5-minute tolerance).
    try:
        standardwebhooks.Webhook(secret).verify(request.body, dict(request.headers.items()), json_parse=False)
    except standardwebhooks.WebhookVerificationError as error:
        raise AssertionError(f"the standardwebhooks package refuses the delivery: {error}") from error


def get_event(api: Api, event_id: str) -> dict[str, Any]:
    """GET .../events/{id}: asserts 200 and returns the Event."""
    response = api.get(f"{EVENTS}/{event_id}")
    assert response.status_code == 200, f"GET event {event_id}: {response.status_code} {response.text[:500]!r}"
    return response.json()


def wait_for_event(
    api: Api,
    event_id: str,
    until: Callable[[dict[str, Any]], bool],
    timeout: float = 10.0,
    what: str = "the expected state",
) -> dict[str, Any]:
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


# ---------------------------------------------------------------------------------------------
# Faults (issue 8): raw HTTP, a FastCGI client, processes and databases of a test's own, and a
# load of order changes whose every outcome is recorded and checked against the database.

import secrets  # noqa: E402 - this section's imports stay with it
import socket  # noqa: E402
import struct  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
"""The repository (Tests/e2e/../..)."""

PGCTL = str(ROOT / "scripts" / "pgctl")


@dataclass
class RawResponse:
    """A response read off a socket: status, headers (lower-case names), body, seconds taken."""

    status: int
    headers: dict[str, str]
    body: bytes
    elapsed: float

    @property
    def media_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    def json(self) -> Any:
        return json.loads(self.body)


def parse_http_head(head: bytes) -> tuple[int, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    status = int(parts[1]) if lines[0].startswith("HTTP/") else int(parts[0])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name:
            headers[name.strip().lower()] = value.strip()
    return status, headers


def dechunk(body: bytes) -> bytes:
    """The payload of a `Transfer-Encoding: chunked` body."""
    out, rest = [], body
    while rest:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line.split(b";")[0].strip() or b"0", 16)
        if size == 0:
            break
        out.append(rest[:size])
        rest = rest[size + 2 :]
    return b"".join(out)


def raw_http(base_url: str, data: bytes, timeout: float = TIMEOUT) -> RawResponse:
    """Sends raw request bytes (end the head with `Connection: close`) to nginx and reads the
    response until the server closes. Raises TimeoutError when nothing complete arrives in time."""
    from urllib.parse import urlsplit

    parts = urlsplit(base_url)
    started = time.monotonic()
    deadline = started + timeout
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as sock:
        try:
            sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # nginx may answer (e.g. 413) and close before it read everything: read that answer
        chunks = []
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no complete response within {timeout}s (got {sum(map(len, chunks))} bytes)")
            sock.settimeout(left)
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            except TimeoutError:
                raise TimeoutError(
                    f"no complete response within {timeout}s (got {sum(map(len, chunks))} bytes)"
                ) from None
            if not chunk:
                break
            chunks.append(chunk)
    raw = b"".join(chunks)
    if b"\r\n\r\n" not in raw:
        raise ConnectionError(f"connection closed without a complete response head: {raw[:200]!r}")
    head, _, body = raw.partition(b"\r\n\r\n")
    status, headers = parse_http_head(head)
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = dechunk(body)
    return RawResponse(status, headers, body, time.monotonic() - started)


def assert_raw_problem(response: RawResponse, what: str = "") -> dict[str, Any]:
    """Asserts that a raw response is an RFC 9457 problem whose `status` matches; returns its body."""
    assert response.media_type == PROBLEM_JSON, (
        f"{what}: {response.status} is {response.headers.get('content-type')!r}, not {PROBLEM_JSON}: "
        f"{response.body[:300]!r}"
    )
    problem = response.json()
    assert problem.get("status") == response.status, f"{what}: {problem}"
    for key in ("type", "title", "detail"):
        assert isinstance(problem.get(key), str) and problem[key], f"{what}: problem member {key!r} missing: {problem}"
    return problem


# -- FastCGI, spoken directly to a notify-fcgi socket (no nginx in between)

FCGI_BEGIN_REQUEST, FCGI_END_REQUEST, FCGI_PARAMS, FCGI_STDIN, FCGI_STDOUT, FCGI_STDERR = 1, 3, 4, 5, 6, 7


def _fcgi_length(n: int) -> bytes:
    return bytes([n]) if n < 128 else struct.pack("!I", n | 0x80000000)


class FastCGIRequest:
    """One FastCGI request on its own connection to a unix socket, step by step: `begin(params)`,
    `send_body(...)` (as many times as wanted, e.g. to keep a request in flight), `end_body()`,
    then `response()`. Role responder, request id 1, connection closed by the application."""

    def __init__(self, socket_path: str, timeout: float = TIMEOUT):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(socket_path)
        self.timeout = timeout

    def _send(self, record_type: int, content: bytes) -> None:
        for start in range(0, max(1, len(content)), 65535):
            piece = content[start : start + 65535]
            padding = (8 - len(piece) % 8) % 8
            self.sock.sendall(struct.pack("!BBHHBx", 1, record_type, 1, len(piece), padding) + piece + b"\0" * padding)

    def begin(self, params: dict[str, str]) -> None:
        self._send(FCGI_BEGIN_REQUEST, struct.pack("!HB5x", 1, 0))
        encoded = b""
        for name, value in params.items():
            n, v = name.encode(), value.encode("utf-8", "surrogateescape")
            encoded += _fcgi_length(len(n)) + _fcgi_length(len(v)) + n + v
        self._send(FCGI_PARAMS, encoded)
        self._send(FCGI_PARAMS, b"")

    def send_body(self, data: bytes) -> None:
        if data:
            self._send(FCGI_STDIN, data)

    def end_body(self) -> None:
        self._send(FCGI_STDIN, b"")

    def response(self, timeout: float | None = None) -> RawResponse:
        """Reads records until END_REQUEST; parses the CGI response (`Status:` header, body)."""
        started = time.monotonic()
        deadline = started + (timeout or self.timeout)
        buffer, stdout = b"", b""
        while True:
            while len(buffer) >= 8:
                _, record_type, _, length, padding = struct.unpack("!BBHHBx", buffer[:8])
                if len(buffer) < 8 + length + padding:
                    break
                content = buffer[8 : 8 + length]
                buffer = buffer[8 + length + padding :]
                if record_type == FCGI_STDOUT:
                    stdout += content
                elif record_type == FCGI_END_REQUEST:
                    head, _, body = stdout.partition(b"\r\n\r\n")
                    headers: dict[str, str] = {}
                    for line in head.decode("latin-1").split("\r\n"):
                        name, _, value = line.partition(":")
                        if name:
                            headers[name.strip().lower()] = value.strip()
                    status = int(headers.get("status", "200").split()[0])
                    return RawResponse(status, headers, body, time.monotonic() - started)
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no FastCGI END_REQUEST in time")
            self.sock.settimeout(left)
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError(f"FastCGI connection closed before END_REQUEST ({len(stdout)} stdout bytes)")
            buffer += chunk

    def close(self) -> None:
        self.sock.close()


def fcgi_params(
    method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b"", query: str = ""
) -> dict[str, str]:
    """The CGI parameters nginx would send for this request."""
    params = {
        "REQUEST_METHOD": method,
        "REQUEST_URI": path + (f"?{query}" if query else ""),
        "DOCUMENT_URI": path,
        "QUERY_STRING": query,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "REQUEST_ID": secrets.token_hex(16),
        "CONTENT_LENGTH": str(len(body)) if body else "",
    }
    for name, value in (headers or {}).items():
        if name.lower() == "content-type":
            params["CONTENT_TYPE"] = value
        else:
            params["HTTP_" + name.upper().replace("-", "_")] = value
    return params


def fcgi_request(
    socket_path: str,
    method: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    body: bytes = b"",
    json_body: Any = None,
    query: str = "",
    timeout: float = TIMEOUT,
) -> RawResponse:
    """One whole request straight to a notify-fcgi socket."""
    if json_body is not None:
        body = json.dumps(json_body).encode()
        headers = {"Content-Type": "application/json", **(headers or {})}
    request = FastCGIRequest(socket_path, timeout)
    try:
        request.begin(fcgi_params(method, path, headers, body, query))
        request.send_body(body)
        request.end_body()
        return request.response()
    finally:
        request.close()


# -- processes and databases of a test's own


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


def pgctl(command: str, *args: str, timeout: float = 90) -> str:
    """`scripts/pgctl COMMAND $NOTIFY_TEST_STATE/pg ARGS` on the throwaway cluster of scripts/test."""
    cluster = os.path.join(env("NOTIFY_TEST_STATE"), "pg")
    result = subprocess.run([PGCTL, command, cluster, *args], capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0 and command != "status":
        raise AssertionError(f"pgctl {command} exited {result.returncode}: {result.stderr.strip()}")
    return result.stdout if result.returncode == 0 else ""


def postgres_running() -> bool:
    cluster = os.path.join(env("NOTIFY_TEST_STATE"), "pg")
    return subprocess.run([PGCTL, "status", cluster], capture_output=True, timeout=30).returncode == 0


def sql_json(sql: str, conninfo: str | None = None, **variables: str) -> list[dict[str, Any]]:
    """The rows of one SELECT (no trailing `;`) as dicts, via psql, against NOTIFY_DATABASE_URL
    unless `conninfo` is given. Values go in as psql variables: write `:'name'` in `sql`."""
    args = ["psql", conninfo or env("NOTIFY_DATABASE_URL"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"]
    for name, value in variables.items():
        assert name.isidentifier(), name
        args += ["-v", f"{name}={value}"]
    script = f"SELECT coalesce(json_agg(row_to_json(q)), '[]'::json) FROM ({sql}) q;\n"
    result = subprocess.run(args, input=script, capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise AssertionError(f"psql exited {result.returncode}: {result.stderr.strip()}\n{sql}")
    return json.loads(result.stdout)


class PrivateDatabase:
    """A database of a test's own in the cluster of scripts/test (`faults_<hex>`), migrated, with
    its own merchants: for processes (workers, sweeps) that must not share work with the shared
    ones. `drop()` removes it (with FORCE, after the test stopped its processes)."""

    def __init__(self) -> None:
        self.name = "faults_" + secrets.token_hex(4)
        pgctl("createdb", self.name)
        self.conninfo = pgctl("conninfo", self.name).strip()
        self.environment = dict(os.environ, NOTIFY_DATABASE_URL=self.conninfo, NOTIFY_ALLOW_TARGETS="127.0.0.1/32")
        self.notifyctl("migrate")

    def notifyctl(self, *args: str) -> str:
        command = [os.path.join(env("NOTIFY_BIN"), "notifyctl"), *args]
        result = subprocess.run(command, env=self.environment, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, f"{' '.join(command)}: {result.returncode} {result.stderr}"
        return result.stdout

    def create_merchant(self) -> Merchant:
        merchant_id = "faults-" + secrets.token_hex(4)
        data = json.loads(self.notifyctl("merchant", "create", merchant_id).strip().splitlines()[-1])
        return Merchant(id=merchant_id, token=data["token"], signing_secret=data["signingSecret"])

    def rows(self, sql: str, **variables: str) -> list[dict[str, Any]]:
        return sql_json(sql, self.conninfo, **variables)

    def drop(self) -> None:
        postgres = pgctl("conninfo", "postgres").strip()
        subprocess.run(
            ["psql", postgres, "-X", "-q", "-c", f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)"],
            capture_output=True,
            text=True,
            timeout=60,
        )


# -- a load of order changes, every outcome recorded

STATE_SCOPE = {"state": ["processing", "checkout"]}
"""A notification scope that fires on every toggle between checkout and processing."""


@dataclass
class ChangeOutcome:
    """One `PUT .../state` of the load: what was asked, when, and what came back."""

    order_id: str
    target: str
    started: float  # time.time()
    elapsed: float
    status: int | None = None  # None: no response (timeout or connection error)
    media_type: str = ""
    transitions: list[dict[str, Any]] | None = None  # of a 2xx
    error: str = ""

    @property
    def finished(self) -> float:
        return self.started + self.elapsed


class OrderLoad:
    """Threads that each toggle one order of their own between checkout and processing through
    nginx as fast as the service answers, until `stop()`, at most `max_per_order` requests each
    and `max_seconds` in all. After an error the same change is sent again (a repeat of an applied
    change is a 200 without a new transition). Every outcome is kept in `outcomes`."""

    def __init__(
        self,
        base_url: str,
        merchant: Merchant,
        order_ids: list[str],
        request_timeout: float = 5.0,
        max_per_order: int = 2000,
        max_seconds: float = 60.0,
    ):
        self.base_url = base_url.rstrip("/")
        self.merchant = merchant
        self.order_ids = order_ids
        self.request_timeout = request_timeout
        self.max_per_order = max_per_order
        self.max_seconds = max_seconds
        self.outcomes: list[ChangeOutcome] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._run, args=(oid,), name=f"load-{i}", daemon=True)
            for i, oid in enumerate(order_ids)
        ]

    def start(self) -> OrderLoad:
        self._deadline = time.monotonic() + self.max_seconds
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=self.request_timeout + 5)
        assert not any(t.is_alive() for t in self._threads), "a load thread did not stop"

    def _run(self, order_id: str) -> None:
        url = f"{self.base_url}/api/v0/checkout/orders/{order_id}/state"
        target = "processing"
        with requests.Session() as session:
            for _ in range(self.max_per_order):
                if self._stop.is_set() or time.monotonic() > self._deadline:
                    return
                started, clock = time.time(), time.monotonic()
                outcome = ChangeOutcome(order_id, target, started, 0.0)
                try:
                    response = session.put(
                        url,
                        json={"currentStatus": target},
                        headers=self.merchant.auth_headers(),
                        timeout=self.request_timeout,
                    )
                    outcome.status = response.status_code
                    outcome.media_type = media_type(response)
                    if 200 <= response.status_code < 300:
                        outcome.transitions = response.json()["state"]["transitions"]
                    else:
                        outcome.error = response.text[:300]
                except (requests.RequestException, ValueError) as error:
                    outcome.error = repr(error)
                    session.close()  # a fresh connection after a failure
                outcome.elapsed = time.monotonic() - clock
                with self._lock:
                    self.outcomes.append(outcome)
                if outcome.status is not None and 200 <= outcome.status < 300:
                    target = "checkout" if target == "processing" else "processing"
                elif outcome.status is None or outcome.status >= 500:
                    time.sleep(0.05)  # a client backs off a little from a failing service


def order_with_toggle_hook(api: Api, url: str) -> str:
    """A new order with a notification to `url` that fires on every checkout/processing toggle."""
    response = api.post("/api/v0/checkout/orders", headers={"X-Channel": "web"}, json={"reference": "faults"})
    assert response.status_code == 201, f"create order: {response.status_code} {response.text[:300]!r}"
    order_id = response.json()["id"]
    response = api.post(f"/api/v0/checkout/orders/{order_id}/notifications", json={"url": url, "scope": STATE_SCOPE})
    assert response.status_code == 201, f"register: {response.status_code} {response.text[:300]!r}"
    return order_id


def check_changes_applied(api: Api, outcomes: list[ChangeOutcome]) -> dict[str, Any]:
    """Checks the load's orders against the database: every 2xx change is in the order (its
    transitions are a prefix of the final ones), and every transition has exactly its one event
    (the transactional outbox: nothing half-applied, also for requests that got an error).
    Returns counts and the event ids, for the delivery check."""
    by_order: dict[str, list[ChangeOutcome]] = {}
    for outcome in outcomes:
        by_order.setdefault(outcome.order_id, []).append(outcome)
    event_ids: list[str] = []
    transitions_total = 0
    for order_id, mine in by_order.items():
        response = api.get(f"/api/v0/checkout/orders/{order_id}")
        assert response.status_code == 200, f"GET order {order_id}: {response.status_code} {response.text[:300]!r}"
        final = response.json()["state"]["transitions"]
        statuses = [t["status"] for t in final]
        for a, b in pairwise(statuses):
            assert a != b, f"order {order_id}: a transition to the same status: {statuses}"
        for outcome in mine:
            if outcome.transitions is not None:
                assert outcome.transitions == final[: len(outcome.transitions)], (
                    f"order {order_id}: a 2xx change ({outcome.target} at {outcome.started:.3f}) is not in the "
                    f"order: {len(outcome.transitions)} transitions answered, final {statuses}"
                )
        events = sql_json(
            "SELECT event_id::text AS id, scope, jsonb_array_length(payload->'order'->'state'->'transitions') AS n"
            " FROM events WHERE order_id = :'order_id'::uuid",
            order_id=order_id,
        )
        lengths = sorted(e["n"] for e in events)
        assert lengths == list(range(2, len(final) + 1)), (
            f"order {order_id}: {len(final) - 1} transitions but events for {lengths} (expected one per "
            f"transition: a change without its event, or an event without its change)"
        )
        event_ids += [e["id"] for e in events]
        transitions_total += len(final) - 1
    return {"orders": len(by_order), "changes": transitions_total, "event_ids": event_ids}


def wait_delivered(receiver: Receiver, event_ids: list[str], timeout: float) -> dict[str, int]:
    """Waits until the receiver got a request with each webhook-id; returns {"delivered",
    "duplicates", "webhooks"} (fails, naming what is missing, after timeout)."""
    wanted = set(event_ids)
    deadline = time.monotonic() + timeout
    while True:
        got = [r.headers.get("webhook-id") for r in receiver.received()]
        missing = wanted - set(got)
        if not missing or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert not missing, f"{len(missing)} of {len(wanted)} events not delivered within {timeout}s: {sorted(missing)[:5]}"
    mine = [g for g in got if g in wanted]
    return {"delivered": len(set(mine)), "duplicates": len(mine) - len(set(mine)), "webhooks": len(mine)}


def fault_report(name: str, **counts: Any) -> None:
    """Prints one summary line of a fault test (shown with `pytest -s` or in a failure report)."""
    print(f"FAULT {name}: " + ", ".join(f"{k}={v}" for k, v in counts.items()), flush=True)


# ---- orders with a webhook (shared by the delivery and destination tests) ----


def new_order(api: Api) -> str:
    response = api.post(ORDERS, headers={"X-Channel": "web"}, json={"reference": "delivery-e2e"})
    assert response.status_code == 201, f"create order: {response.status_code} {response.text[:500]!r}"
    return response.json()["id"]


def register(api: Api, order_id: str, notification: dict[str, Any]) -> dict[str, Any]:
    response = api.post(f"{ORDERS}/{order_id}/notifications", json=notification)
    assert response.status_code == 201, f"register: {response.status_code} {response.text[:500]!r}"
    return response.json()


def put_state(api: Api, order_id: str, status: str) -> dict[str, Any]:
    response = api.put(f"{ORDERS}/{order_id}/state", json={"currentStatus": status})
    assert response.status_code == 200, f"state {status}: {response.status_code} {response.text[:500]!r}"
    return response.json()


def order_with_hook(api: Api, url: str, states: list[str], **extra: Any) -> str:
    """A new order with a notification to `url` on entering one of `states`."""
    order_id = new_order(api)
    register(api, order_id, {"url": url, "scope": {"state": states}, **extra})
    return order_id


def fire(api: Api, url: str) -> tuple[str, str]:
    """An order whose move to processing makes one event for `url`; returns (order id, event id)."""
    order_id = order_with_hook(api, url, ["processing"])
    put_state(api, order_id, "processing")
    events = list_order_events(api, order_id)
    assert len(events) == 1, events
    return order_id, events[0]["id"]
