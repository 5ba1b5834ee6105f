"""A webhook receiver on 127.0.0.1 that records every request and answers as a test tells it."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from requests.structures import CaseInsensitiveDict


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
