#!/usr/bin/env python3
"""The measurements of scripts/bench (issue 7). Run by scripts/bench, which builds everything and
starts PostgreSQL, notify-fcgi, the C hello world (bench/hello_fcgi.c), the nginx in front of each
and the 204 receiver nginx, and passes their addresses in the environment:

  BENCH_API_URL       nginx in front of notify-fcgi (nginx/notify-dev.conf.template)
  BENCH_HELLO_URL     nginx in front of hello_fcgi (the same template)
  BENCH_RECEIVER_URL  nginx answering 204 at /hook (bench/nginx-receiver.conf.template)
  BENCH_BIN           folder of notify-fcgi, notify-sweep, notifyctl
  BENCH_PGBIN         folder of psql and pgbench
  BENCH_TMP           the run's temporary folder (logs in BENCH_TMP/logs)
  BENCH_FCGI_PIDFILE  pid file of the notify-fcgi master
  NOTIFY_DATABASE_URL the database (libpq conninfo)

It loads data with SQL (INSERT ... SELECT generate_series, copies of an order, event and attempt
that the API and the sweep made themselves), runs each figure and its baseline in alternation,
writes the table and, as the report's last line, `bench: {json}` to --report. Python's standard
library only. Every request loop is bounded in count and time, and talks to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"

# What each mode runs. `small_events`: events (with attempts) in the database for figure 1;
# `sweep_deliveries`: due deliveries for figure 3; `history`: events + attempts for figure 5;
# `retention_per_day`: events (with an attempt each) per simulated day of figure 7;
# `metrics_requests`: sequential GET /metrics per latency measurement (figure 7).
MODES = {
    "full": dict(
        runs=3, small_events=100_000, wrk_seconds=6, write_seconds=6, write_orders=4_000,
        sweep_deliveries=100_000, latency_changes=1_000, latency_rate=100, latency_orders=200,
        history=5_000_000, warmup_seconds=2, retention_per_day=20_000, metrics_requests=300,
    ),
    "quick": dict(
        runs=3, small_events=20_000, wrk_seconds=3, write_seconds=3, write_orders=2_000,
        sweep_deliveries=10_000, latency_changes=300, latency_rate=100, latency_orders=100,
        history=300_000, warmup_seconds=1, retention_per_day=4_000, metrics_requests=200,
    ),
    "smoke": dict(
        runs=1, small_events=2_000, wrk_seconds=1, write_seconds=1, write_orders=200,
        sweep_deliveries=1_000, latency_changes=20, latency_rate=50, latency_orders=20,
        history=10_000, warmup_seconds=0, retention_per_day=200, metrics_requests=50,
    ),
}

GOALS = {
    "api_read_ratio": (">=", 0.5),
    "api_write_ratio": (">=", 0.6),
    "sweep_per_s": (">=", 5000),
    "sweep_ratio": (">=", 0.5),
    "latency_p50_ms": ("<", 20),
    "latency_p99_ms": ("<", 100),
    "history_api_ratio": (">=", 0.9),
    "history_sweep_ratio": (">=", 0.9),
    "worker_rss_mib": ("<", 40),
    "sweep_rss_mib": ("<", 150),
    "retention_size_ratio": ("within", 0.1),
    "housekeeping_s": ("<", 1),
    "metrics_history_ratio": (">=", 0.9),
}

# Figure 7's simulated traffic: RETENTION_SIM_DAYS days, NOTIFY_RETENTION_DAYS = RETENTION_DAYS,
# placed RETENTION_SIM_OFFSET days before today (older than any other history of the bench).
RETENTION_DAYS = 30
RETENTION_SIM_DAYS = 60
RETENTION_SIM_OFFSET = 200

MERCHANT = "bench"  # figures 1, 2, 4 and the history
SWEEP_MERCHANT = "bench-sweep"  # the due deliveries of figures 3 and 5
CHANNEL = "web"
ORDER_BODY = {
    "reference": "bench-order",
    "culture": "nb-NO",
    "currency": "NOK",
    "country": "NO",
    "cart": {
        "items": [
            {"sku": "A-100", "name": "Coffee beans 1 kg", "quantity": 2, "price": 34900},
            {"sku": "B-200", "name": "Grinder", "quantity": 1, "price": 129900},
            {"sku": "C-300", "name": "Filter papers", "quantity": 3, "price": 4900},
        ],
        "total": 214400,
    },
    "customer": {"email": "customer@example.com", "name": "Bench Customer", "phone": "+4700000000"},
    "attributes": {"source": "bench"},
}

# Salts keep the generated ids of each kind of row apart (bench.uuid7's second argument).
SALT_ORDER_CLONE = 1 << 40
SALT_NOTIFICATION = 2 << 40
SALT_SMALL_EVENT = 3 << 40
SALT_SMALL_ORDER = 4 << 40
SALT_SWEEP_EVENT = 5 << 40
SALT_SWEEP_ORDER = 6 << 40
SALT_HISTORY_EVENT = 7 << 40
SALT_HISTORY_ORDER = 8 << 40
SALT_RETENTION_EVENT = 9 << 40
SALT_RETENTION_ORDER = 10 << 40
SALT_ATTEMPT = 16 << 40

T0 = time.monotonic()
LOG_FILE = None


def log(message: str) -> None:
    line = f"[bench {time.monotonic() - T0:6.1f}s] {message}"
    print(line, file=sys.stderr, flush=True)
    if LOG_FILE:
        with open(LOG_FILE, "a", encoding="utf-8") as f:
            f.write(line + "\n")


class BenchError(Exception):
    pass


def env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise BenchError(f"{name} is not set (run scripts/bench)")
    return value


def loopback(url: str) -> str:
    host = urllib.parse.urlsplit(url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise BenchError(f"the bench only talks to this machine, not {url}")
    return url.rstrip("/")


# ---------------------------------------------------------------- PostgreSQL


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
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
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


# ---------------------------------------------------------------- HTTP


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


# ---------------------------------------------------------------- helpers


def median_min_max(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "runs": values}


def median_parts(runs: list[dict[str, float]]) -> dict[str, float]:
    """The median of each part over runs."""
    return {key: round(statistics.median(run[key] for run in runs), 1) for key in runs[0]} if runs else {}


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def read_proc_status(pid: int) -> dict[str, str]:
    fields = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            name, _, value = line.partition(":")
            fields[name] = value.strip()
    return fields


def children_of(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            found.append(int(entry))
    return found


def process_table() -> dict[int, tuple[int, int]]:
    """pid -> (parent pid, clock ticks of CPU) of every process."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # utime + stime, and cutime + cstime: the CPU of children it has reaped (a PostgreSQL backend
        # that ended is then counted in the postmaster), so the sums over a tree are conserved.
        table[int(entry)] = (int(fields[1]), sum(int(v) for v in fields[11:15]))
    return table


def tree_ticks(table: dict[int, tuple[int, int]], root: int) -> dict[int, int]:
    """Clock ticks of `root` and its descendants, by pid."""
    members, frontier = {root}, [root]
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    while frontier:
        for child in children.get(frontier.pop(), []):
            if child not in members:
                members.add(child)
                frontier.append(child)
    return {pid: table[pid][1] for pid in members if pid in table}


class CpuMeter:
    """CPU time that each of our services (a process and its children: nginx workers, FastCGI
    workers, PostgreSQL backends) and our own child processes (wrk, pgbench, the sweep) spend
    during one operation. Unlike throughput, it hardly depends on what else runs on the machine."""

    TICK = os.sysconf("SC_CLK_TCK")

    def __init__(self, roots: dict[str, int]):
        self.roots = roots

    def measure(self, operation):
        before_table, before_children = process_table(), os.times()
        before = {name: tree_ticks(before_table, root) for name, root in self.roots.items()}
        result = operation()
        after_table, after_children = process_table(), os.times()
        cpu = {}
        for name, root in self.roots.items():
            ticks = 0
            for pid, t in tree_ticks(after_table, root).items():
                ticks += t - before[name].get(pid, 0)
            cpu[name] = ticks / self.TICK
        cpu["client"] = (after_children.children_user + after_children.children_system
                         - before_children.children_user - before_children.children_system)
        return result, cpu


def loadavg() -> str:
    with open("/proc/loadavg", encoding="ascii") as f:
        return " ".join(f.read().split()[:3])


def swift_statements(path: Path) -> dict[str, str]:
    """The SQL of `static let NAME = Statement("name", ...)` declarations in a Swift file, by NAME:
    the pgbench baselines run the application's own statements, not copies of them."""
    text = path.read_text(encoding="utf-8")
    found = {}
    pattern = re.compile(
        r'static let (\w+) = Statement\(\s*"[\w-]+",\s*(?:"""\n(.*?)"""|"((?:[^"\\]|\\.)*)")\s*\)', re.S
    )
    for match in pattern.finditer(text):
        sql = match.group(2) if match.group(2) is not None else match.group(3)
        if "\\(" in sql:
            continue  # interpolated Swift strings are not plain SQL
        found[match.group(1)] = sql.strip()
    return found


def claim_as_cte(claim: str) -> str:
    """`WITH ... <ctes> UPDATE ... RETURNING ...` as `WITH ... <ctes>, claimed AS (UPDATE ...)`."""
    head, separator, update = claim.rpartition("UPDATE deliveries AS d")
    if not separator or not head.lstrip().startswith("WITH"):
        raise BenchError("DeliveryStatements.claim is not WITH ... UPDATE deliveries AS d ...")
    return f"{head.rstrip()},\nclaimed AS (\n{separator}{update}\n)"


def bind(sql: str, values: dict[int, str]) -> str:
    """Replaces $n placeholders with pgbench expressions (values[n])."""

    def replace(match: re.Match) -> str:
        n = int(match.group(1))
        if n not in values:
            raise BenchError(f"no value for ${n} in: {sql[:200]}")
        return values[n]

    return re.sub(r"\$(\d+)", replace, sql)


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


# ---------------------------------------------------------------- the bench


class Bench:
    def __init__(self, mode: str, runs: int | None):
        self.mode = mode
        self.cfg = dict(MODES[mode])
        if runs:
            self.cfg["runs"] = runs
        self.api_url = loopback(env("BENCH_API_URL"))
        self.hello_url = loopback(env("BENCH_HELLO_URL"))
        self.receiver_url = loopback(env("BENCH_RECEIVER_URL"))
        self.bin = Path(env("BENCH_BIN"))
        self.tmp = Path(env("BENCH_TMP"))
        self.fcgi_pidfile = Path(env("BENCH_FCGI_PIDFILE"))
        self.db = Database(env("NOTIFY_DATABASE_URL"), env("BENCH_PGBIN"))
        self.workers = int(os.environ.get("NOTIFY_WORKERS") or os.cpu_count() or 2)
        self.results: dict = {}
        self.notes: list[str] = []
        self.timings: dict[str, float] = {}
        # The bench's sweeps keep all history (their housekeeping drops nothing), so that a drop
        # happens only where figure 7 times it, not in the middle of figure 5.
        self.sweep_env = dict(os.environ, NOTIFY_ALLOW_TARGETS="127.0.0.1/32", NOTIFY_LOG_LEVEL="info",
                              NOTIFY_RETENTION_DAYS="3650")
        self.children: list[subprocess.Popen] = []
        self.receiver: LatencyReceiver | None = None
        roots = {}
        for name in ("nginx-api", "nginx-hello", "nginx-receiver", "notify-fcgi", "hello_fcgi"):
            roots[name] = int((self.tmp / "pids" / f"{name}.pid").read_text().split()[0])
        roots["postgres"] = int((self.tmp / "pg" / "data" / "postmaster.pid").read_text().split()[0])
        self.meter = CpuMeter(roots)

    # ---- set-up ----

    def notifyctl(self, *args: str) -> dict:
        done = subprocess.run(
            [str(self.bin / "notifyctl"), *args], capture_output=True, text=True, timeout=60
        )
        if done.returncode != 0:
            raise BenchError(f"notifyctl {' '.join(args)} failed: {done.stderr.strip()}")
        return json.loads(done.stdout)

    def setup(self) -> None:
        log(f"mode {self.mode}: {json.dumps(self.cfg)}")
        created = self.notifyctl("merchant", "create", MERCHANT)
        self.token = created["token"]
        self.notifyctl("merchant", "create", SWEEP_MERCHANT)
        self.db.psql((BENCH / "setup.sql").read_text(encoding="utf-8"))
        self.api = Api(self.api_url, MERCHANT, self.token)
        self.results["metrics_empty_ms"] = self.metrics_latency("empty database")

        # A real order with one notification, made by the API: every bulk row is a copy of it.
        order = self.api.expect(
            201, "POST", "/api/v0/checkout/orders", ORDER_BODY, headers={"X-Channel": CHANNEL}
        )
        self.template_order = order["id"]
        self.api.expect(
            201, "POST", f"/api/v0/checkout/orders/{self.template_order}/notifications",
            {"url": f"{self.receiver_url}/hook", "scope": {"state": ["processing", "checkout"]}},
        )
        # Copies (still in `checkout`) for figure 2's API and pgbench runs; figure 4 makes its own.
        n = self.cfg["write_orders"]
        self.clone_orders(1, n, f"{self.receiver_url}/hook")  # API writes
        self.clone_orders(n + 1, 2 * n, f"{self.receiver_url}/hook")  # pgbench writes
        self.receiver = LatencyReceiver()
        self.clone_orders(2 * n + 1, 2 * n + self.cfg["latency_orders"], self.receiver.url)  # figure 4
        # One change through the API and one sweep give the template event and attempt.
        self.api.expect(200, "PUT", f"/api/v0/checkout/orders/{self.template_order}/state",
                        {"currentStatus": "processing"})
        self.run_sweep_once(timeout=60)
        self.template_event = self.db.value(
            "SELECT event_id FROM events WHERE merchant = :'m' AND order_id = :'o'",
            m=MERCHANT, o=self.template_order)
        status = self.db.value("SELECT status FROM events WHERE event_id = :'e'", e=self.template_event)
        if status != "succeeded":
            raise BenchError(f"the template event was not delivered (status {status})")
        self.payload_bytes = int(self.db.value(
            "SELECT octet_length(payload::text) FROM events WHERE event_id = :'e'", e=self.template_event))

        # Figure 1's database: `small_events` events with one attempt each, 10 per order; the
        # order read by figure 1 is the template order, with 10 events.
        total = self.cfg["small_events"]
        started = time.monotonic()
        self.load_events(
            "small", count=9, merchant=MERCHANT, salt=SALT_SMALL_EVENT, order_expr=f"'{self.template_order}'::uuid",
            days_ago=1, delivered=True, payload="t.payload")
        self.load_events(
            "small", count=total - 10, merchant=MERCHANT, salt=SALT_SMALL_EVENT + 100, order_salt=SALT_SMALL_ORDER,
            days_ago=30, delivered=True, payload="t.payload")
        self.db.psql("VACUUM (ANALYZE) orders, order_notifications, events, attempts, deliveries", timeout=600)
        self.timings["load_small_s"] = time.monotonic() - started
        events = int(self.db.value("SELECT count(*) FROM events"))
        log(f"database: {events} events, payload {self.payload_bytes} bytes "
            f"(loaded in {self.timings['load_small_s']:.1f} s)")
        self.results["small_events"] = events

    def clone_orders(self, first: int, last: int, url: str) -> None:
        """Copies the template order and its notification to bench.order_id(first..last), in `checkout`."""
        self.db.psql(
            """
            SET synchronous_commit = off;
            INSERT INTO orders (merchant, order_id, channel, document, created_at, last_modified)
            SELECT o.merchant, bench.order_id(n),  o.channel,
                   jsonb_set(o.document, '{id}', to_jsonb(bench.order_id(n)::text)), o.created_at, o.last_modified
            FROM orders o, generate_series(:first::bigint, :last::bigint) n
            WHERE o.merchant = :'m' AND o.order_id = :'o';
            INSERT INTO order_notifications (merchant, order_id, notification_id, origin, adapter_id, reference, spec,
                                             created_at)
            SELECT s.merchant, bench.order_id(n), bench.uuid7(1700000000000 + n, :salt + n)::text, s.origin,
                   s.adapter_id, s.reference, jsonb_set(s.spec, '{url}', to_jsonb(:'url'::text)), s.created_at
            FROM order_notifications s, generate_series(:first::bigint, :last::bigint) n
            WHERE s.merchant = :'m' AND s.order_id = :'o';
            """,
            first=first, last=last, m=MERCHANT, o=self.template_order, url=url, salt=SALT_NOTIFICATION)

    def load_events(self, label: str, count: int, merchant: str, salt: int, days_ago: float, delivered: bool,
                    payload: str, order_salt: int = 0, order_expr: str | None = None, sessions: int = 1,
                    url: str | None = None, start_ms: int | None = None, span_ms: int | None = None,
                    quiet: bool = False) -> None:
        """INSERT ... SELECT generate_series: `count` copies of the template event, 10 per order, spread
        over the last `days_ago` days in time order (or over `span_ms` from `start_ms`). delivered:
        succeeded, with one attempt and no queue row (as the sweep leaves them); else pending and due
        now, no attempt. The day partitions of the span are created first, as housekeeping does."""
        if count <= 0:
            return
        now_ms = int(time.time() * 1000)
        ms0 = now_ms - int(days_ago * 86_400_000) if start_ms is None else start_ms
        span = int(days_ago * 86_400_000 * 0.9) if span_ms is None else span_ms
        step = max(1, int(span / count))
        self.db.psql(
            "SELECT history_create_partitions((to_timestamp(:first / 1000.0) AT TIME ZONE 'UTC')::date, "
            "(to_timestamp(:last / 1000.0) AT TIME ZONE 'UTC')::date)",
            first=str(ms0), last=str(ms0 + count * step))
        if order_expr is None:
            order_expr = f"bench.uuid7({ms0} + (g.i / 10) * 10 * {step} - 60000, {order_salt} + g.i / 10)"
        url_expr = "t.request_url" if url is None else f"'{url}'"
        if delivered:
            status, attempts, next_at, last_at, code, body = (
                "'succeeded'", "1", "NULL", "to_timestamp((g.ms + 20) / 1000.0)", "204", "''")
        else:
            status, attempts, next_at, last_at, code, body = (
                "'pending'", "0", "now()", "NULL", "NULL", "NULL")
        scripts = []
        chunk = math.ceil(count / sessions)
        for first in range(1, count + 1, chunk):
            last = min(count, first + chunk - 1)
            series = f"(SELECT i, {ms0}::bigint + i * {step} AS ms FROM generate_series({first}::bigint, {last}::bigint) AS i) g"
            sql = f"""
            SET synchronous_commit = off;
            INSERT INTO destinations (merchant, destination_id, origin, created_at)
            SELECT '{merchant}', destination_id('{merchant}', url_origin(u.url)), url_origin(u.url), now()
            FROM (SELECT {url_expr} AS url FROM events AS t
                  WHERE merchant = '{MERCHANT}' AND event_id = '{self.template_event}') AS u
            ON CONFLICT DO NOTHING;
            INSERT INTO events (merchant, event_id, order_id, channel, notification_id, adapter_id, reference, scope,
                                scope_key, status, created_at, request_method, request_url, request_headers, payload,
                                error, attempt_count, next_attempt_at, last_attempt_at, last_status_code,
                                last_response_body, destination_id, automatic_attempts)
            SELECT '{merchant}', bench.uuid7(g.ms, {salt} + g.i), {order_expr}, t.channel, t.notification_id,
                   t.adapter_id, t.reference, t.scope, t.scope_key, {status}, to_timestamp(g.ms / 1000.0),
                   t.request_method, {url_expr}, t.request_headers, {payload}, NULL, {attempts}, {next_at}, {last_at},
                   {code}, {body}, t.destination, {attempts}
            FROM (SELECT *, destination_id('{merchant}', url_origin({url_expr})) AS destination FROM events AS t
                  WHERE merchant = '{MERCHANT}' AND event_id = '{self.template_event}') t, {series};
            """
            if delivered:
                sql += f"""
            INSERT INTO attempts (merchant, event_id, attempt_id, attempted_at, status_code, response_body,
                                  duration_ms, error, trigger)
            SELECT '{merchant}', bench.uuid7(g.ms, {salt} + g.i), bench.uuid7(g.ms + 20, {SALT_ATTEMPT} + {salt} + g.i),
                   to_timestamp((g.ms + 20) / 1000.0), 204, '', 3, NULL, 'automatic'
            FROM {series};
            """
            if not delivered:
                sql += f"""
            INSERT INTO deliveries (merchant, event_id, due_at, attempt, destination_id)
            SELECT '{merchant}', bench.uuid7(g.ms, {salt} + g.i), now() - interval '1 second', 0, t.destination_id
            FROM (SELECT destination_id FROM events
                  WHERE merchant = '{merchant}' AND event_id = bench.uuid7({ms0}::bigint + {first}::bigint * {step}, {salt} + {first})) t,
                 {series};
            """
            scripts.append(sql)
        if not quiet:
            log(f"loading {count:,} {label} events ({'with attempts' if delivered else 'due'}, "
                f"{len(scripts)} session(s))")
        self.db.parallel(scripts, timeout=1500)

    # ---- processes ----

    def run_sweep_once(self, timeout: float, args: tuple[str, ...] = ()) -> tuple[float, int]:
        """Runs notify-sweep in cron mode until nothing is due. Returns (seconds, peak RSS in KiB)."""
        log_path = self.tmp / "logs" / "notify-sweep.log"
        with open(log_path, "ab") as out:
            started = time.monotonic()
            proc = subprocess.Popen(
                [str(self.bin / "notify-sweep"), "--budget", str(int(timeout)), *args],
                env=self.sweep_env, stdout=out, stderr=out, stdin=subprocess.DEVNULL, start_new_session=True)
            self.children.append(proc)
            watchdog = threading.Timer(timeout + 15, proc.kill)
            watchdog.start()
            try:
                _, status, usage = os.wait4(proc.pid, 0)
            finally:
                watchdog.cancel()
            elapsed = time.monotonic() - started
            proc.returncode = os.waitstatus_to_exitcode(status)
            self.children.remove(proc)
        if proc.returncode != 0:
            raise BenchError(f"notify-sweep exited with {proc.returncode} (log {log_path})")
        return elapsed, usage.ru_maxrss

    def wrk(self, url: str, seconds: int, *script_args: str) -> dict:
        args = ["wrk", "-t2", "-c32", f"-d{seconds}s", "--timeout", "5s", "-s", str(BENCH / "wrk.lua"), url, "--",
                *script_args]
        done = subprocess.run(args, capture_output=True, text=True, timeout=seconds + 60)
        if done.returncode != 0:
            raise BenchError(f"wrk failed: {done.stderr.strip()} {done.stdout.strip()}")
        for line in done.stdout.splitlines():
            if line.startswith("wrk-result: "):
                result = json.loads(line[len("wrk-result: "):])
                result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
                result["errors"] = sum(result[k] for k in (
                    "connect_errors", "read_errors", "write_errors", "status_errors", "timeouts"))
                return result
        raise BenchError(f"wrk printed no result: {done.stdout}")

    def pgbench(self, script: Path, clients: int, extra: list[str], timeout: float) -> dict:
        args = [self.db.pgbench_bin, "-n", "-M", "prepared", "-c", str(clients), "-j", str(clients),
                "-f", str(script), *extra, self.db.conninfo]
        done = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise BenchError(f"pgbench failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
        tps = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", done.stdout)
        processed = re.search(r"number of transactions actually processed: (\d+)", done.stdout)
        failed = re.search(r"number of failed transactions: (\d+)", done.stdout)
        if not tps or not processed:
            raise BenchError(f"cannot read pgbench's output: {done.stdout}")
        return {"tps": float(tps.group(1)), "transactions": int(processed.group(1)),
                "failed": int(failed.group(1)) if failed else 0}

    @staticmethod
    def per_op(cpu: dict, ops: int, parts: dict[str, str]) -> dict[str, float]:
        """Microseconds of CPU per operation for the named parts (label -> meter name), and their total."""
        out = {label: cpu[name] * 1e6 / max(1, ops) for label, name in parts.items()}
        out["total"] = sum(out.values())
        return out

    def worker_rss_mib(self) -> float:
        master = int(self.fcgi_pidfile.read_text().split()[0])
        peaks = []
        for pid in children_of(master):
            status = read_proc_status(pid)
            if "VmHWM" in status:
                peaks.append(int(status["VmHWM"].split()[0]) / 1024)
        if not peaks:
            raise BenchError("no notify-fcgi worker found")
        return max(peaks)

    # ---- figure 1 (and 5): API read ----

    def figure_read(self, label: str) -> dict:
        path = f"/api/v0/checkout/notifications/events?orderId={self.template_order}"
        page = self.api.expect(200, "GET", path)
        if page["pagination"]["totalSize"] != 10 or len(page["data"]) != 10:
            raise BenchError(f"the read order should have 10 events: {page['pagination']}")
        args = ("get", MERCHANT, self.token, path)
        seconds, warmup = self.cfg["wrk_seconds"], self.cfg["warmup_seconds"]
        if warmup:
            self.wrk(self.hello_url, warmup, *args)
            self.wrk(self.api_url, warmup, *args)
        api, hello, ratios, api_cpu, hello_cpu = [], [], [], [], []
        for run in range(self.cfg["runs"]):
            h, hc = self.meter.measure(lambda: self.wrk(self.hello_url, seconds, *args))
            a, ac = self.meter.measure(lambda: self.wrk(self.api_url, seconds, *args))
            hello_cpu.append(self.per_op(hc, h["requests"], {
                "nginx": "nginx-hello", "hello_fcgi": "hello_fcgi", "postgres": "postgres", "wrk": "client"}))
            api_cpu.append(self.per_op(ac, a["requests"], {
                "nginx": "nginx-api", "notify-fcgi": "notify-fcgi", "postgres": "postgres", "wrk": "client"}))
            for name, r in (("hello world", h), ("API", a)):
                if r["errors"]:
                    raise BenchError(f"{label}: {name} run had errors: {r}")
            api.append(a["rps"])
            hello.append(h["rps"])
            ratios.append(a["rps"] / h["rps"])
            log(f"{label} run {run + 1}: API {a['rps']:.0f} req/s (p99 {a['latency_p99_us'] / 1000:.1f} ms), "
                f"hello world {h['rps']:.0f} req/s, ratio {ratios[-1]:.3f}   [load {loadavg()}]")
        return {"api": median_min_max(api), "hello": median_min_max(hello), "ratio": median_min_max(ratios),
                "api_cpu_us": median_parts(api_cpu), "hello_cpu_us": median_parts(hello_cpu)}

    # ---- figure 2: API write ----

    def write_pgbench_script(self) -> Path:
        statements = swift_statements(ROOT / "Sources/NotifyStore/OrderStatements.swift")
        order = "bench.order_id(:n)"
        event = "bench.uuid7((extract(epoch FROM now()) * 1000)::bigint, :eid)"
        lock = bind(statements["lockOrder"], {1: ":merchant", 2: order})
        notifications = bind(statements["selectNotifications"], {1: ":merchant", 2: order})
        update = bind(statements["updateOrder"], {1: ":merchant", 2: order, 3: ":doc", 4: "now()"})
        record_events = bind(statements["recordEvents"], {
            1: ":merchant", 2: order, 3: ":channel", 4: "now()", 5: f"ARRAY[{event}]", 6: "ARRAY[:notification]",
            7: "ARRAY[NULL]", 8: "ARRAY[NULL]", 9: "ARRAY[:scope]", 10: "ARRAY[:method]", 11: "ARRAY[:url]",
            12: "ARRAY[:headers]", 13: "ARRAY[:payload]", 14: "ARRAY[NULL]",
            15: "ARRAY[:scope]", 16: "ARRAY[url_origin(:url)]"})
        n = self.cfg["write_orders"]
        script = "\n".join([
            "-- figure 2 baseline: the order-change transaction of OrderStore.change (OrderStatements.swift): lock, notifications, update, recordEvents",
            f"\\set n random({n + 1}, {2 * n})",
            "\\set eid random(1, 4000000000000000000)",
            "BEGIN;",
            lock + ";",
            notifications + ";",
            update + ";",
            record_events + ";",
            "END;",
            "",
        ])
        path = self.tmp / "write.sql"
        path.write_text(script, encoding="utf-8")
        return path

    def write_pgbench_variables(self) -> list[str]:
        row = json.loads(self.db.value(
            """
            SELECT json_build_object('doc', o.document::text, 'channel', e.channel, 'notification', e.notification_id,
                                     'scope', e.scope, 'method', e.request_method, 'url', e.request_url,
                                     'headers', e.request_headers::text, 'payload', e.payload::text)
            FROM events e JOIN orders o USING (merchant, order_id) WHERE e.event_id = :'e'
            """, e=self.template_event))
        row.update(merchant=MERCHANT, status="pending")
        return [arg for name, value in row.items() for arg in ("-D", f"{name}={value}")]

    def write_orders_file(self) -> Path:
        """Figure 2's orders and the status each must be sent next (the opposite of the current one)."""
        n = self.cfg["write_orders"]
        rows = self.db.psql(
            """
            SELECT order_id, CASE WHEN document->'state'->>'currentStatus' = 'processing' THEN 'checkout'
                                  ELSE 'processing' END
            FROM orders WHERE merchant = :'m' AND order_id IN (SELECT bench.order_id(n) FROM generate_series(1, :n) n)
            """, m=MERCHANT, n=n)
        lines = [" ".join(row.split("|")) for row in rows.splitlines()]
        if len(lines) != n:
            raise BenchError(f"expected {n} orders for figure 2, found {len(lines)}")
        path = self.tmp / "write-orders.txt"
        path.write_text("\n".join(lines) + "\n", encoding="ascii")
        return path

    def count_events(self) -> int:
        return int(self.db.value("SELECT count(*) FROM events WHERE merchant = :'m'", m=MERCHANT))

    def figure_write(self) -> dict:
        script = self.write_pgbench_script()
        variables = self.write_pgbench_variables()
        seconds, warmup = self.cfg["write_seconds"], self.cfg["warmup_seconds"]
        api, base, ratios, api_cpu, base_cpu = [], [], [], [], []
        for run in range(-1 if warmup else 0, self.cfg["runs"]):
            duration = warmup if run < 0 else seconds
            before = self.count_events()
            orders_file = str(self.write_orders_file())
            r, rc = self.meter.measure(
                lambda: self.wrk(self.api_url, duration, "toggle", MERCHANT, self.token, orders_file, "2"))
            time.sleep(0.5)  # changes still in flight when wrk stopped
            created = self.count_events() - before
            if r["errors"]:
                raise BenchError(f"API write run had errors: {r}")
            # wrk does not count the (at most 32) requests in flight at its end; each change is one event.
            if not r["requests"] <= created <= r["requests"] + 32:
                raise BenchError(f"API write: {r['requests']} changes answered 200 but {created} events were created")
            p, pc = self.meter.measure(
                lambda: self.pgbench(script, self.workers, ["-T", str(duration), *variables], timeout=duration + 60))
            if p["failed"]:
                raise BenchError(f"pgbench write run had failures: {p}")
            if run < 0:
                continue
            api.append(r["rps"])
            base.append(p["tps"])
            ratios.append(r["rps"] / p["tps"])
            api_cpu.append(self.per_op(rc, r["requests"], {
                "nginx": "nginx-api", "notify-fcgi": "notify-fcgi", "postgres": "postgres", "wrk": "client"}))
            base_cpu.append(self.per_op(pc, p["transactions"], {"postgres": "postgres", "pgbench": "client"}))
            log(f"write run {run + 1}: API {r['rps']:.0f} changes/s (p99 {r['latency_p99_us'] / 1000:.1f} ms), "
                f"pgbench {p['tps']:.0f} tx/s ({self.workers} clients), ratio {ratios[-1]:.3f}   [load {loadavg()}]")
        # The pending deliveries these changes queued are not figure 3's: take them out of the queue.
        self.db.psql("DELETE FROM deliveries WHERE merchant = :'m' AND due_at IS NOT NULL; VACUUM deliveries",
                     m=MERCHANT)
        return {"api": median_min_max(api), "pgbench": median_min_max(base), "ratio": median_min_max(ratios),
                "api_cpu_us": median_parts(api_cpu), "pgbench_cpu_us": median_parts(base_cpu)}

    # ---- figure 3 (and 5): sweep throughput ----

    def sweep_pgbench_script(self) -> Path:
        statements = swift_statements(ROOT / "Sources/NotifyStore/DeliveryStatements.swift")
        lease = "bench.uuid7(0, :lease)"
        claim = bind(statements["claim"], {
            1: "now()", 2: "100", 3: "(now() + interval '1 minute')", 4: lease, 5: "'{}'", 6: "'{}'", 7: "'{}'",
            8: "'{}'", 9: "100", 10: "100"})
        # The complete statement takes one array per outcome column (unnest(...) AS o(columns)):
        # each gets the outcome of a 204 for every claimed delivery; a scalar parameter is the lease.
        complete_sql = statements["complete"]
        unnest = re.search(r"unnest\((.*?)\)\s+AS\s+o\((.*?)\)", complete_sql, re.S)
        if not unnest:
            raise BenchError("cannot find unnest(...) AS o(...) in DeliveryStatements.complete")
        params = re.findall(r"\$(\d+)::(\w+)\[\]", unnest.group(1))
        columns = [c.strip() for c in unnest.group(2).split(",")]
        if len(params) != len(columns):
            raise BenchError("DeliveryStatements.complete: unnest arguments and columns do not match")
        outcome = {
            "merchant": "merchant", "event_id": "event_id", "attempt_id": "gen_random_uuid()",
            "attempted_at": "now()", "status_code": "204", "response_body": "''", "duration_ms": "2",
            "error": "NULL", "trigger": "trigger", "status": "'succeeded'", "next_due": "NULL",
            "automatic_attempts": "attempt + 1", "lease_token": lease,
        }
        aggregates, values = [], {}
        for (number, element_type), column in zip(params, columns):
            if column not in outcome:
                raise BenchError(f"DeliveryStatements.complete has a column the bench does not know: {column}")
            aggregates.append(f"array_agg(({outcome[column]})::{element_type}) AS p{number}")
            values[int(number)] = f":p{number}"
        # The destinations' health ($14 on): no change in the baseline.
        for number in re.findall(r"\$(\d+)", complete_sql):
            values.setdefault(int(number), lease if int(number) < 14 else "'{}'")
        complete = bind(complete_sql, values)
        script = "\n".join([
            "-- figure 3 baseline: the sweep's claim and complete (DeliveryStatements.swift), batches of 100,",
            "-- with the outcomes of a 204 for every delivery",
            "\\set lease random(1, 4000000000000000000)",
            # The claim is a WITH statement of its own: its final UPDATE becomes one more CTE.
            claim_as_cte(claim),
            "SELECT " + ",\n       ".join(aggregates) + ",",
            "       sum(octet_length(request_headers::text) + octet_length(payload::text)",
            "           + octet_length(signing_secret) + octet_length(request_url)) AS claimed_bytes",
            "FROM claimed \\gset",
            complete + ";",
            "",
        ])
        path = self.tmp / "sweep.sql"
        path.write_text(script, encoding="utf-8")
        return path

    def reset_due(self) -> None:
        """Makes figure 3's deliveries due again, as they were before a run (a finished delivery left the
        queue: it is queued again), and vacuums the queue."""
        self.db.psql(
            """
            SET synchronous_commit = off;
            INSERT INTO deliveries (merchant, event_id, due_at, destination_id)
            SELECT merchant, event_id, now() - interval '1 second', destination_id FROM events WHERE merchant = :'m'
            ON CONFLICT (merchant, event_id) DO UPDATE
            SET due_at = EXCLUDED.due_at, attempt = 0, trigger = 'automatic', lease_token = NULL,
                retry_requested = false;
            VACUUM (ANALYZE) deliveries;
            VACUUM events;
            """, m=SWEEP_MERCHANT, timeout=600)
        due = int(self.db.value("SELECT count(*) FROM deliveries WHERE due_at IS NOT NULL"))
        if due != self.cfg["sweep_deliveries"]:
            raise BenchError(f"expected {self.cfg['sweep_deliveries']} due deliveries, found {due}")

    def check_swept(self, what: str) -> None:
        left = int(self.db.value("SELECT count(*) FROM deliveries WHERE due_at IS NOT NULL"))
        if left:
            raise BenchError(f"{what}: {left} deliveries still due after the run")

    def setup_sweep(self) -> None:
        started = time.monotonic()
        self.load_events(
            "due", count=self.cfg["sweep_deliveries"], merchant=SWEEP_MERCHANT, salt=SALT_SWEEP_EVENT,
            order_salt=SALT_SWEEP_ORDER, days_ago=0.01, delivered=False, payload="t.payload",
            url=f"{self.receiver_url}/hook")
        self.db.psql("CHECKPOINT", timeout=600)  # as after the history load (figure 5)
        self.timings["load_due_s"] = time.monotonic() - started

    def figure_sweep(self, label: str) -> dict:
        n = self.cfg["sweep_deliveries"]
        script = self.sweep_pgbench_script()
        sweep, base, ratios, rss, sweep_cpu, base_cpu = [], [], [], [], [], []
        for run in range(self.cfg["runs"]):
            self.reset_due()
            since = self.db.value("SELECT now()")
            (seconds, peak_kib), sc = self.meter.measure(lambda: self.run_sweep_once(timeout=300))
            self.check_swept(f"{label} sweep run")
            recorded = int(self.db.value(
                "SELECT count(*) FROM events WHERE merchant = :'m' AND status = 'succeeded' AND last_status_code = 204"
                " AND last_attempt_at >= :'since'", m=SWEEP_MERCHANT, since=since))
            if recorded != n:
                raise BenchError(f"{label}: {recorded} of {n} deliveries recorded as succeeded with a 204")
            self.reset_due()
            p, pc = self.meter.measure(lambda: self.pgbench(script, 1, ["-t", str(math.ceil(n / 100))], timeout=600))
            sweep_cpu.append(self.per_op(sc, n, {
                "notify-sweep": "client", "postgres": "postgres", "receiver": "nginx-receiver"}))
            base_cpu.append(self.per_op(pc, n, {"postgres": "postgres", "pgbench": "client"}))
            self.check_swept(f"{label} pgbench run")
            per_s = n / seconds
            base_per_s = p["tps"] * 100
            sweep.append(per_s)
            base.append(base_per_s)
            ratios.append(per_s / base_per_s)
            rss.append(peak_kib / 1024)
            log(f"{label} run {run + 1}: sweep {per_s:.0f} deliveries/s ({seconds:.1f} s, peak RSS "
                f"{peak_kib / 1024:.1f} MiB), pgbench claim+complete {base_per_s:.0f}/s, ratio {ratios[-1]:.3f}"
                f"   [load {loadavg()}]")
        return {"sweep": median_min_max(sweep), "pgbench": median_min_max(base), "ratio": median_min_max(ratios),
                "rss_mib": median_min_max(rss), "sweep_cpu_us": median_parts(sweep_cpu),
                "pgbench_cpu_us": median_parts(base_cpu)}

    # ---- figure 4: change-to-delivery latency ----

    def figure_latency(self) -> dict:
        m = self.cfg["latency_orders"]
        first = 2 * self.cfg["write_orders"] + 1
        rows = self.db.psql(
            "SELECT order_id, document->'state'->>'currentStatus' FROM orders WHERE merchant = :'m' "
            "AND order_id IN (SELECT bench.order_id(n) FROM generate_series(:a::bigint, :b::bigint) n)",
            m=MERCHANT, a=first, b=first + m - 1).splitlines()
        states = dict(row.split("|") for row in rows)
        orders = sorted(states)
        receiver = self.receiver
        arrivals, arrived = receiver.arrivals, receiver.arrived

        log_path = self.tmp / "logs" / "notify-sweep-follow.log"
        out = open(log_path, "ab")
        sweep = subprocess.Popen([str(self.bin / "notify-sweep"), "--follow"], env=self.sweep_env, stdout=out,
                                 stderr=out, stdin=subprocess.DEVNULL, start_new_session=True)
        self.children.append(sweep)
        api = Api(self.api_url, MERCHANT, self.token)
        try:
            time.sleep(1)  # let it connect and LISTEN
            if sweep.poll() is not None:
                raise BenchError(f"notify-sweep --follow exited ({sweep.returncode}); log {log_path}")
            runs = []
            counter = 0

            def change() -> tuple[tuple[str, str], float]:
                nonlocal counter
                order = orders[counter % len(orders)]
                counter += 1
                target = "processing" if states[order] == "checkout" else "checkout"
                body = api.expect(200, "PUT", f"/api/v0/checkout/orders/{order}/state", {"currentStatus": target})
                answered = time.perf_counter()
                states[order] = target
                return (order, body["lastModified"]), answered

            def wait_for(keys: list, seconds: float) -> None:
                deadline = time.monotonic() + seconds
                with arrived:
                    while any(k not in arrivals for k in keys) and time.monotonic() < deadline:
                        arrived.wait(timeout=0.1)

            # Warm-up: a few changes, each delivered before the next.
            for _ in range(min(5, len(orders))):
                key, _ = change()
                wait_for([key], 5)
            n, rate = self.cfg["latency_changes"], self.cfg["latency_rate"]
            for run in range(self.cfg["runs"]):
                sent: list[tuple[tuple[str, str], float]] = []
                start = time.perf_counter()
                for i in range(n):
                    pause = start + i / rate - time.perf_counter()
                    if pause > 0:
                        time.sleep(pause)
                    sent.append(change())
                wait_for([k for k, _ in sent], 15)
                with arrived:
                    latencies = sorted((arrivals[k] - t) * 1000 for k, t in sent if k in arrivals)
                lost = n - len(latencies)
                if lost:
                    raise BenchError(f"latency run {run + 1}: {lost} of {n} changes were not delivered within 15 s")
                result = {"p50": percentile(latencies, 50), "p99": percentile(latencies, 99),
                          "max": latencies[-1], "min": latencies[0]}
                runs.append(result)
                log(f"latency run {run + 1}: {n} changes at {rate}/s: p50 {result['p50']:.1f} ms, "
                    f"p99 {result['p99']:.1f} ms, max {result['max']:.1f} ms (min {result['min']:.1f} ms)"
                    f"   [load {loadavg()}]")
        finally:
            api.close()
            sweep.terminate()
            try:
                sweep.wait(timeout=15)
            except subprocess.TimeoutExpired:
                sweep.kill()
                sweep.wait()
            self.children.remove(sweep)
            out.close()
        return {"p50": median_min_max([r["p50"] for r in runs]), "p99": median_min_max([r["p99"] for r in runs]),
                "max": max(r["max"] for r in runs)}

    # ---- figure 5: history ----

    def load_history(self) -> None:
        n = self.cfg["history"]
        started = time.monotonic()
        # Small payloads (an event's id and scope, the order's id and status) keep 5,000,000 rows
        # within minutes; what the claim and the reads use, the indexes, are full size.
        payload = ("jsonb_build_object('event', jsonb_build_object('id', bench.uuid7(g.ms, "
                   f"{SALT_HISTORY_EVENT} + g.i), 'scope', 'state.processing'), 'order', "
                   "jsonb_build_object('state', jsonb_build_object('currentStatus', 'processing')))")
        self.load_events(
            "history", count=n, merchant=MERCHANT, salt=SALT_HISTORY_EVENT, order_salt=SALT_HISTORY_ORDER,
            days_ago=RETENTION_DAYS + 1.5, delivered=True, payload=payload, sessions=2 if n >= 100_000 else 1)
        self.timings["load_history_s"] = time.monotonic() - started
        log(f"loaded {n:,} events + attempts in {self.timings['load_history_s']:.0f} s; "
            "VACUUM (FREEZE, ANALYZE), CHECKPOINT")
        started = time.monotonic()
        # The load leaves gigabytes of dirty pages; a checkpoint writes them out now, so that the
        # figures after it do not run beside the kernel's write-back of the load.
        self.db.psql("VACUUM (FREEZE, ANALYZE) events, attempts, deliveries; CHECKPOINT", timeout=1200)
        self.timings["vacuum_history_s"] = time.monotonic() - started
        sizes = self.db.psql(
            "SELECT t || '=' || pg_size_pretty((SELECT sum(pg_total_relation_size(relid)) FROM pg_partition_tree(t))) "
            "FROM unnest(ARRAY['attempts', 'deliveries', 'events']::regclass[]) AS t")
        self.results["history_sizes"] = sizes.replace("\n", ", ")
        log(f"vacuumed and checkpointed in {self.timings['vacuum_history_s']:.0f} s; "
            f"sizes: {self.results['history_sizes']}")

    # ---- figure 7: history that stays bounded ----

    def metrics_latency(self, label: str) -> float:
        """Median milliseconds of `metrics_requests` sequential GET /metrics (one keep-alive connection
        to nginx), after 10 unmeasured ones."""
        parts = urllib.parse.urlsplit(self.api_url)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=15)
        times = []
        try:
            for index in range(10 + self.cfg["metrics_requests"]):
                started = time.perf_counter()
                conn.request("GET", "/metrics")
                response = conn.getresponse()
                body = response.read()
                if response.status != 200 or b"notify_events" not in body:
                    raise BenchError(f"GET /metrics: {response.status} {body[:200]!r}")
                if index >= 10:
                    times.append((time.perf_counter() - started) * 1000)
        finally:
            conn.close()
        median = statistics.median(times)
        log(f"GET /metrics on the {label}: median {median:.2f} ms over {len(times)} requests")
        return median

    def figure_housekeeping(self) -> dict:
        """One `notifyctl housekeeping` over figure 5's history (it spans RETENTION_DAYS + 1.5 days, so
        the oldest day or two are wholly past the retention): drop those days, create one more day ahead
        (NOTIFY_PARTITIONS_AHEAD one more than the partitions there are). The time includes the
        process start and the connection."""
        events_before = int(self.db.value("SELECT reltuples::bigint FROM pg_class WHERE relname = 'events'"))
        environment = dict(os.environ, NOTIFY_RETENTION_DAYS=str(RETENTION_DAYS), NOTIFY_PARTITIONS_AHEAD="8")
        started = time.monotonic()
        done = subprocess.run([str(self.bin / "notifyctl"), "housekeeping"], env=environment,
                              capture_output=True, text=True, timeout=120)
        seconds = time.monotonic() - started
        if done.returncode != 0:
            raise BenchError(f"notifyctl housekeeping failed: {done.stderr.strip()}")
        report = json.loads(done.stdout)
        if not report["ran"] or report["droppedDays"] < 1 or report["createdDays"] < 1:
            raise BenchError(f"housekeeping dropped or created nothing: {report}")
        log(f"housekeeping over {self.cfg['history']:,} events of history: {seconds:.3f} s "
            f"(dropped {report['droppedDays']} day(s), created {report['createdDays']}; "
            f"events estimate before {events_before:,})")
        return {"seconds": seconds, "dropped_days": report["droppedDays"], "created_days": report["createdDays"]}

    def figure_retention(self) -> dict:
        """RETENTION_SIM_DAYS simulated days of steady traffic (`retention_per_day` events with an attempt
        each) with NOTIFY_RETENTION_DAYS = RETENTION_DAYS: before each day's traffic, the application's
        housekeeping statements (HistoryStatements.swift) run with that day's noon as now. The size of the
        simulation's partitions after day RETENTION_DAYS and after the last day."""
        statements = swift_statements(ROOT / "Sources/NotifyStore/HistoryStatements.swift")
        per_day = self.cfg["retention_per_day"]
        day_ms = 86_400_000
        first_day_ms = (int(time.time() * 1000) // day_ms - RETENTION_SIM_OFFSET) * day_ms
        size_sql = """
            SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_inherits AS i JOIN pg_class AS c ON c.oid = i.inhrelid
            WHERE i.inhparent IN ('events'::regclass, 'attempts'::regclass) AND c.relname ~ '_p[0-9]{8}$'
              AND to_date(right(c.relname, 8), 'YYYYMMDD')
                  BETWEEN (to_timestamp(:lo / 1000.0) AT TIME ZONE 'UTC')::date - 1
                      AND (to_timestamp(:hi / 1000.0) AT TIME ZONE 'UTC')::date + 10
            """
        bounds = {"lo": str(first_day_ms), "hi": str(first_day_ms + RETENTION_SIM_DAYS * day_ms)}
        sizes, started, housekeeping = {}, time.monotonic(), []
        log(f"figure 7: {RETENTION_SIM_DAYS} simulated days of {per_day:,} events, retention {RETENTION_DAYS} days")
        for day in range(1, RETENTION_SIM_DAYS + 1):
            day_start = first_day_ms + day * day_ms
            now = f"(to_timestamp({day_start + day_ms // 2} / 1000.0))"
            script = "\n".join([
                "BEGIN;",
                bind(statements["drop"], {1: now, 2: str(RETENTION_DAYS)}) + ";",
                bind(statements["create"], {1: now, 2: "7"}) + ";",
                "COMMIT;",
            ])
            begun = time.monotonic()
            self.db.psql(script)
            housekeeping.append(time.monotonic() - begun)
            self.load_events(
                "retention", count=per_day, merchant=MERCHANT, salt=SALT_RETENTION_EVENT + day * per_day,
                order_salt=SALT_RETENTION_ORDER + day * per_day, days_ago=0, delivered=True,
                payload="t.payload", start_ms=day_start + 3_600_000, span_ms=day_ms - 7_200_000, quiet=True)
            if day in (RETENTION_DAYS, RETENTION_SIM_DAYS):
                sizes[day] = int(self.db.value(size_sql, **bounds))
                log(f"day {day}: history of the simulation {sizes[day] / 2**20:,.1f} MiB")
        ratio = sizes[RETENTION_SIM_DAYS] / sizes[RETENTION_DAYS]
        log(f"figure 7 took {time.monotonic() - started:.0f} s; size day {RETENTION_SIM_DAYS} / day {RETENTION_DAYS}: "
            f"{ratio:.3f}; simulated housekeeping median {statistics.median(housekeeping) * 1000:.0f} ms")
        return {"sizes": sizes, "ratio": ratio, "housekeeping_median_s": statistics.median(housekeeping)}

    # ---- the run ----

    def hold(self, seconds: int) -> None:
        """Profiling aid (scripts/bench --hold N): after the set-up, writes BENCH_TMP/hold.env and waits up to
        N seconds, or until BENCH_TMP/release exists, before the figures run."""
        env_file = self.tmp / "hold.env"
        master = self.fcgi_pidfile.read_text().split()[0]
        lines = {
            "BENCH_API_URL": self.api_url, "BENCH_HELLO_URL": self.hello_url, "BENCH_RECEIVER_URL": self.receiver_url,
            "BENCH_MERCHANT": MERCHANT, "BENCH_TOKEN": self.token, "BENCH_READ_ORDER": self.template_order,
            "NOTIFY_DATABASE_URL": self.db.conninfo, "BENCH_FCGI_MASTER": master, "BENCH_BIN": str(self.bin),
        }
        env_file.write_text("".join(f"export {k}='{v}'\n" for k, v in lines.items()), encoding="utf-8")
        release = self.tmp / "release"
        log(f"holding for up to {seconds} s: . {env_file}; touch {release} to go on")
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not release.exists():
            time.sleep(0.5)

    def run(self, hold: int = 0) -> dict:
        self.setup()
        if hold:
            self.hold(hold)
        r = self.results
        r["read"] = self.figure_read("read")
        r["worker_rss_mib"] = self.worker_rss_mib()
        log(f"worker peak RSS after figure 1: {r['worker_rss_mib']:.1f} MiB")
        r["write"] = self.figure_write()
        self.setup_sweep()
        r["sweep"] = self.figure_sweep("sweep")
        r["latency"] = self.figure_latency()
        self.load_history()
        r["read_history"] = self.figure_read("read (history)")
        r["sweep_history"] = self.figure_sweep("sweep (history)")
        # The sweep just emptied the queue; its dead rows are the queue's cost, not the history's, and
        # autovacuum takes them: vacuum it as before each sweep run.
        self.db.psql("VACUUM (ANALYZE) deliveries", timeout=600)
        r["metrics_history_ms"] = self.metrics_latency(f"{self.cfg['history']:,} events of history")
        r["housekeeping"] = self.figure_housekeeping()
        r["retention"] = self.figure_retention()
        r["worker_rss_mib_end"] = self.worker_rss_mib()
        return r

    def stop_children(self) -> None:
        if self.receiver:
            self.receiver.close()
        for proc in list(self.children):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()


# ---------------------------------------------------------------- report


def summary(r: dict, cfg: dict) -> dict:
    s = {
        "api_read_rps": r["read"]["api"]["median"],
        "api_read_ratio": r["read"]["ratio"]["median"],
        "hello_rps": r["read"]["hello"]["median"],
        "api_write_per_s": r["write"]["api"]["median"],
        "api_write_ratio": r["write"]["ratio"]["median"],
        "pgbench_write_tps": r["write"]["pgbench"]["median"],
        "sweep_per_s": r["sweep"]["sweep"]["median"],
        "sweep_ratio": r["sweep"]["ratio"]["median"],
        "pgbench_sweep_per_s": r["sweep"]["pgbench"]["median"],
        "latency_p50_ms": r["latency"]["p50"]["median"],
        "latency_p99_ms": r["latency"]["p99"]["median"],
        "latency_max_ms": r["latency"]["max"],
        "history_api_rps": r["read_history"]["api"]["median"],
        "history_api_ratio": r["read_history"]["api"]["median"] / r["read"]["api"]["median"],
        "history_api_ratio_vs_hello": r["read_history"]["ratio"]["median"] / r["read"]["ratio"]["median"],
        "history_sweep_per_s": r["sweep_history"]["sweep"]["median"],
        "history_sweep_ratio": r["sweep_history"]["sweep"]["median"] / r["sweep"]["sweep"]["median"],
        "history_pgbench_sweep_ratio": r["sweep_history"]["pgbench"]["median"] / r["sweep"]["pgbench"]["median"],
        "worker_rss_mib": r["worker_rss_mib"],
        "sweep_rss_mib": r["sweep"]["rss_mib"]["max"],
        "retention_size_ratio": r["retention"]["ratio"],
        "housekeeping_s": r["housekeeping"]["seconds"],
        "metrics_empty_ms": r["metrics_empty_ms"],
        "metrics_history_ms": r["metrics_history_ms"],
        # latency on the empty database over latency with the history: 1 = history costs nothing
        "metrics_history_ratio": r["metrics_empty_ms"] / r["metrics_history_ms"],
    }
    return {k: round(v, 3) if isinstance(v, float) else v for k, v in s.items()}


def cpu_lines(r: dict) -> tuple[list[str], dict]:
    """The CPU cost per operation of each figure and its baseline, and the ratio of the two (the
    baseline's cost over the figure's): what the throughput ratio approaches on an idle machine."""

    def parts(x: dict) -> str:
        return " + ".join(f"{k} {v:,.0f}" for k, v in x.items() if k != "total") + f" = {x['total']:,.0f}"

    rows = [
        ("1 API read, per request", r["read"]["api_cpu_us"], "hello world", r["read"]["hello_cpu_us"], "api_read"),
        ("2 API write, per change", r["write"]["api_cpu_us"], "pgbench", r["write"]["pgbench_cpu_us"], "api_write"),
        ("3 sweep, per delivery", r["sweep"]["sweep_cpu_us"], "pgbench", r["sweep"]["pgbench_cpu_us"], "sweep"),
        ("5 API read (history)", r["read_history"]["api_cpu_us"], "hello world", r["read_history"]["hello_cpu_us"],
         "history_api_read"),
        ("5 sweep (history)", r["sweep_history"]["sweep_cpu_us"], "pgbench", r["sweep_history"]["pgbench_cpu_us"],
         "history_sweep"),
    ]
    lines, data = [], {}
    width = max(len(row[0]) for row in rows)
    for label, mine, base_name, base, key in rows:
        ratio = base["total"] / mine["total"] if mine.get("total") else 0.0
        lines.append(f"  {label:<{width}}  {parts(mine)}   |  {base_name}: {parts(base)}   ->  {ratio:.2f}")
        data[key] = {"figure": mine, "baseline": base, "cpu_ratio": round(ratio, 3)}
    return lines, data


def goal_text(key: str) -> str:
    op, value = GOALS[key]
    if op == "within":
        return f"1 ± {value:g}"
    return f"{op} {value:g}"


def goal_met(key: str, value: float) -> bool:
    op, limit = GOALS[key]
    if op == "within":
        return abs(value - 1) <= limit
    return value >= limit if op == ">=" else value < limit


def fmt(value: float, digits: int = 0) -> str:
    return f"{value:,.{digits}f}"


def table(r: dict, s: dict, cfg: dict, mode: str) -> list[str]:
    rows = []  # (figure, median, min, max, baseline, ratio, goal key(s))

    def mmm(x: dict, digits=0):
        return fmt(x["median"], digits), fmt(x["min"], digits), fmt(x["max"], digits)

    events = f"{r['small_events']:,}"
    history = f"+{cfg['history']:,}"
    rows.append(("1 API read, req/s (wrk -t2 -c32, " + events + " events)", *mmm(r["read"]["api"]),
                 "hello " + fmt(r["read"]["hello"]["median"]), fmt(r["read"]["ratio"]["median"], 2),
                 ["api_read_ratio"]))
    rows.append(("2 API write, changes/s (wrk -t2 -c32)", *mmm(r["write"]["api"]),
                 "pgbench " + fmt(r["write"]["pgbench"]["median"]), fmt(r["write"]["ratio"]["median"], 2),
                 ["api_write_ratio"]))
    rows.append((f"3 sweep, deliveries/s ({cfg['sweep_deliveries']:,} due, 204)", *mmm(r["sweep"]["sweep"]),
                 "pgbench " + fmt(r["sweep"]["pgbench"]["median"]), fmt(r["sweep"]["ratio"]["median"], 2),
                 ["sweep_per_s", "sweep_ratio"]))
    rows.append((f"4 latency p50, ms ({cfg['latency_changes']:,} changes at {cfg['latency_rate']}/s)",
                 *mmm(r["latency"]["p50"], 1), "", "", ["latency_p50_ms"]))
    rows.append(("4 latency p99, ms", *mmm(r["latency"]["p99"], 1), "max " + fmt(r["latency"]["max"], 1), "",
                 ["latency_p99_ms"]))
    rows.append((f"5 API read, req/s ({history} history)", *mmm(r["read_history"]["api"]),
                 "hello " + fmt(r["read_history"]["hello"]["median"]), fmt(s["history_api_ratio"], 2),
                 ["history_api_ratio"]))
    rows.append((f"5 sweep, deliveries/s ({history} history)", *mmm(r["sweep_history"]["sweep"]),
                 "pgbench " + fmt(r["sweep_history"]["pgbench"]["median"]), fmt(s["history_sweep_ratio"], 2),
                 ["history_sweep_ratio"]))
    rows.append(("6 peak RSS of a worker after fig. 1, MiB", fmt(s["worker_rss_mib"], 1), "", "", "", "",
                 ["worker_rss_mib"]))
    rows.append(("6 peak RSS of the sweep in fig. 3, MiB", *mmm(r["sweep"]["rss_mib"], 1), "", "",
                 ["sweep_rss_mib"]))
    rows.append((f"7 history size, day {RETENTION_SIM_DAYS} / day {RETENTION_DAYS} "
                 f"({cfg['retention_per_day']:,} events a day, {RETENTION_DAYS} days kept)",
                 fmt(s["retention_size_ratio"], 3), "", "", "", "", ["retention_size_ratio"]))
    rows.append((f"7 housekeeping (drop + create), s ({history} history)", fmt(s["housekeeping_s"], 3), "", "", "",
                 "", ["housekeeping_s"]))
    rows.append((f"7 GET /metrics, ms ({history} history)", fmt(s["metrics_history_ms"], 2), "", "",
                 "empty " + fmt(s["metrics_empty_ms"], 2), fmt(s["metrics_history_ratio"], 2),
                 ["metrics_history_ratio"]))
    header = ("figure", "median", "min", "max", "baseline (median)", "ratio", "goal", "met")
    lines_out = []
    body = []
    for figure, med, lo, hi, baseline, ratio, keys in rows:
        goal = ", ".join(goal_text(k) if not k.endswith("ratio") else "ratio " + goal_text(k) for k in keys)
        met = "yes" if all(goal_met(k, s[k]) for k in keys) else "NO"
        body.append((figure, med, lo, hi, baseline, ratio, goal, met))
    widths = [max(len(str(row[i])) for row in [header, *body]) for i in range(len(header))]
    align = ["<", ">", ">", ">", ">", ">", "<", "<"]

    def line(row):
        return "  ".join(f"{str(v):{a}{w}}" for v, a, w in zip(row, align, widths)).rstrip()

    lines_out.append(line(header))
    lines_out.append("  ".join("-" * w for w in widths))
    lines_out.extend(line(row) for row in body)
    return lines_out


def machine() -> str:
    model = ""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    with open("/proc/meminfo", encoding="ascii") as f:
        mem_kib = int(f.readline().split()[1])
    return f"{os.cpu_count()} cores ({model}), {mem_kib / 1024 / 1024:.0f} GiB, {platform.platform()}"


def main() -> int:
    global LOG_FILE
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", choices=sorted(MODES), default="full")
    parser.add_argument("--runs", type=int)
    parser.add_argument("--report", required=True)
    parser.add_argument("--hold", type=int, default=0, help="seconds to wait after the set-up (profiling)")
    options = parser.parse_args()
    LOG_FILE = Path(env("BENCH_TMP")) / "logs" / "bench.log"
    for tool in ("wrk",):
        if not shutil.which(tool):
            raise BenchError(f"{tool} is not installed")

    bench = Bench(options.mode, options.runs)
    load_before = loadavg()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        r = bench.run(options.hold)
    finally:
        bench.stop_children()
    cfg = bench.cfg
    s = summary(r, cfg)
    s["mode"] = options.mode
    s["runs"] = cfg["runs"]
    s["small_events"] = r["small_events"]
    s["history_events"] = cfg["history"]
    s["sweep_deliveries"] = cfg["sweep_deliveries"]
    s["load_history_s"] = round(bench.timings.get("load_history_s", 0), 1)
    s["goals_missed"] = [k for k in GOALS if not goal_met(k, s[k])]
    s["elapsed_s"] = round(time.monotonic() - T0, 1)
    cpu_text, cpu_data = cpu_lines(r)
    s["cpu_us"] = cpu_data

    out = [
        "",
        f"Notify benchmarks ({options.mode}; median of {cfg['runs']} run(s), min and max; each baseline run "
        "alternately with its figure)",
        f"machine: {machine()}; load average {load_before} before, {loadavg()} after",
        "",
        *table(r, s, cfg, options.mode),
        "",
        "CPU time per operation in microseconds, all processes involved (median over runs), and the baseline's",
        "total over the figure's (the ratio the throughput ratio approaches when nothing else runs):",
        *cpu_text,
        "",
        f"history: {cfg['history']:,} events + attempts loaded in {s['load_history_s']} s "
        f"({r.get('history_sizes', '')}); API read over history normalised by the hello world: "
        f"{s['history_api_ratio_vs_hello']:.2f}; pgbench claim+complete over history: "
        f"{s['history_pgbench_sweep_ratio']:.2f} of the small database",
        f"worker peak RSS at the end: {r['worker_rss_mib_end']:.1f} MiB; latency max {s['latency_max_ms']:.1f} ms; "
        f"goals missed: {', '.join(s['goals_missed']) or 'none'}; bench took {s['elapsed_s']:.0f} s",
        "bench: " + json.dumps(s, sort_keys=True),
    ]
    Path(options.report).write_text("\n".join(out) + "\n", encoding="utf-8")
    log("done")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as error:
        log(f"error: {error}")
        sys.exit(1)
