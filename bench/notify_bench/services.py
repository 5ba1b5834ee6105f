"""Clients of the services scripts/bench started (PostgreSQL, the API through nginx) and the
webhook receiver of figure 4, which the bench runs itself."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .common import BenchError


class Database:
    def __init__(self, conninfo: str, pgbin: str):
        self.conninfo = conninfo
        self.psql_bin = os.path.join(pgbin, "psql")
        self.pgbench_bin = os.path.join(pgbin, "pgbench")

    def psql(self, sql: str, timeout: float = 120, **variables) -> str:
        """Runs SQL (a script) and returns its unaligned, tuples-only output."""
        args = [self.psql_bin, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"]
        for name, value in variables.items():
            args += ["-v", f"{name}={value}"]
        args += ["-d", self.conninfo, "-f", "-"]
        done = subprocess.run(args, input=sql, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise BenchError(f"psql failed ({done.returncode}): {done.stderr.strip()}\nSQL: {sql[:400]}")
        return done.stdout.strip()

    def value(self, sql: str, **variables) -> str:
        return self.psql(sql, **variables).splitlines()[-1] if sql else ""

    def parallel(self, scripts: list[str], timeout: float) -> None:
        """Runs SQL scripts at the same time, one session each."""
        procs = []
        for sql in scripts:
            p = subprocess.Popen(
                [self.psql_bin, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", self.conninfo, "-f", "-"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            p.stdin.write(sql)
            p.stdin.close()
            procs.append(p)
        deadline = time.monotonic() + timeout
        errors = []
        for p in procs:
            try:
                p.wait(timeout=max(1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
                errors.append("timed out")
                continue
            if p.returncode != 0:
                errors.append(p.stderr.read().strip())
        if errors:
            raise BenchError("parallel load failed: " + "; ".join(errors))


class Api:
    """A keep-alive client of the Notify API through nginx."""

    def __init__(self, base: str, merchant: str, token: str):
        parts = urllib.parse.urlsplit(base)
        self.host, self.port = parts.hostname, parts.port
        self.merchant, self.token = merchant, token
        self.conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body=None, headers=None) -> tuple[int, dict | list | None]:
        data = None if body is None else json.dumps(body).encode()
        all_headers = {"X-Merchant": self.merchant, "Authorization": f"Bearer {self.token}"}
        if data is not None:
            all_headers["Content-Type"] = "application/json"
        all_headers.update(headers or {})
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=15)
            try:
                self.conn.request(method, path, body=data, headers=all_headers)
                response = self.conn.getresponse()
                raw = response.read()
                break
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
        payload = json.loads(raw) if raw else None
        return response.status, payload

    def expect(self, status: int, method: str, path: str, body=None, headers=None):
        got, payload = self.request(method, path, body, headers)
        if got != status:
            raise BenchError(f"{method} {path}: expected {status}, got {got}: {payload}")
        return payload

    def close(self):
        if self.conn:
            self.conn.close()


class LatencyReceiver:
    """Figure 4's webhook receiver on 127.0.0.1: records when each delivery arrives (time.perf_counter,
    the clock the sender reads after each API response), keyed by (order id, order lastModified)."""

    def __init__(self):
        self.arrivals: dict[tuple[str, str], float] = {}
        self.arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                now = time.perf_counter()
                try:
                    order = json.loads(body)["order"]
                    key = (order["id"], order["lastModified"])
                except (ValueError, KeyError, TypeError):
                    key = None
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()
                if key:
                    with receiver.arrived:
                        receiver.arrivals.setdefault(key, now)
                        receiver.arrived.notify_all()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
