"""FastCGI spoken directly to a notify-fcgi socket (no nginx in between)."""

from __future__ import annotations

import json
import secrets
import socket
import struct
import time
from typing import Any

from .config import TIMEOUT
from .raw_http import RawResponse

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
