"""HTTP spoken on a socket, for the requests a client library refuses to send."""

from __future__ import annotations

import json
import socket
import time
from dataclasses import dataclass
from typing import Any

from .config import PROBLEM_JSON, TIMEOUT


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
