"""The hostile receivers of test_faults_receivers.py: one server on 127.0.0.1 whose paths misbehave
in each way (never answer, trickle, reset, malformed HTTP, endless body, slow 200s)."""

from __future__ import annotations

import socket
import struct
import threading
import time
from typing import Any

from notify_e2e import Merchant, fcgi_request

TIMEOUT = 3.0
"""The attempt timeout of the test's sweep (--timeout)."""


class HostileServer:
    """A TCP server on 127.0.0.1 that reads one HTTP request per connection and then misbehaves
    as `mode` says. Every wait is cut short by stop(); every loop is bounded."""

    def __init__(self, mode: str, delay: float = 0.0):
        self.mode = mode
        self.delay = delay
        self.arrivals: list[float] = []
        self._stop = threading.Event()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self._sock.settimeout(0.1)
        self._threads = [threading.Thread(target=self._accept, name=f"hostile-{mode}", daemon=True)]
        self._threads[0].start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}/{self.mode}"

    def stop(self) -> None:
        self._stop.set()
        for thread in list(self._threads):
            thread.join(timeout=3)
        self._sock.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except (TimeoutError, OSError):
                continue
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    @staticmethod
    def _read_request(conn: socket.socket) -> bytes:
        conn.settimeout(5)
        data = b""
        while b"\r\n\r\n" not in data and len(data) < 1 << 20:
            chunk = conn.recv(65536)
            if not chunk:
                return data
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        while len(body) < length:
            chunk = conn.recv(65536)
            if not chunk:
                break
            body += chunk
        return data

    def _serve(self, conn: socket.socket) -> None:
        try:
            self._read_request(conn)
            self.arrivals.append(time.time())
            if self.mode == "silent":
                self._stop.wait(30)
            elif self.mode == "trickle":
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\n")
                for _ in range(100):
                    if self._stop.wait(1.0):
                        break
                    conn.sendall(b"x")
            elif self.mode == "reset":
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            elif self.mode == "http09":
                conn.sendall(b"HELLO, THIS IS NOT HTTP\r\n\r\n")
            elif self.mode == "bad-status":
                conn.sendall(b"HTTP/1.1 2OO OK\r\nContent-Length: nope\r\n\r\nok")
            elif self.mode == "endless":
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n")
                chunk = b"y" * 16384
                for _ in range(4096):  # at most 64 MiB
                    if self._stop.is_set():
                        break
                    conn.sendall(chunk)
            elif self.mode.startswith("slow"):
                if not self._stop.wait(self.delay):
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
        except OSError:
            pass
        finally:
            conn.close()


HOSTILE = {
    "silent": 0.0,
    "trickle": 0.0,
    "reset": 0.0,
    "http09": 0.0,
    "bad-status": 0.0,
    "endless": 0.0,
    "slow-ok": TIMEOUT - 1.0,
    "slow-late": TIMEOUT + 1.0,
}


def call(
    socket_path: str, merchant: Merchant, method: str, path: str, body: Any = None, query: str = "", status: int = 200
) -> Any:
    headers = {**merchant.auth_headers(), "X-Channel": "web"}
    response = fcgi_request(socket_path, method, path, headers=headers, json_body=body, query=query, timeout=10)
    assert response.status == status, f"{method} {path}: {response.status} {response.body[:300]!r}"
    return response.json()
