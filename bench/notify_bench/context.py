"""The run's state (addresses, database, results) and the tools every figure uses: notifyctl, one
sweep in cron mode, wrk, pgbench, CPU per operation, peak RSS of the workers, GET /metrics latency."""

from __future__ import annotations

import http.client
import json
import os
import re
import statistics
import subprocess
import threading
import time
import urllib.parse
from pathlib import Path

from .common import BenchError, env, log, loopback, median_parts
from .config import BENCH, MERCHANT, MODES
from .meter import CpuMeter, children_of, read_proc_status
from .services import Api, Database, LatencyReceiver


def wrk_result(args: list[str], marker: str, timeout: float) -> dict:
    """Runs wrk with `args`; the JSON its Lua script printed on the line starting with `marker`."""
    done = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise BenchError(f"wrk failed: {done.stderr.strip()} {done.stdout.strip()}")
    for line in done.stdout.splitlines():
        if line.startswith(marker):
            return json.loads(line[len(marker) :])
    raise BenchError(f"wrk printed no result: {done.stdout}")


class Bench:
    """One run of the bench: what scripts/bench started, the data the set-up made (template order and
    event, token), the results so far, and the processes to stop at the end."""

    # Made by loading.setup: the merchant's token and API client, the template order and its event.
    token: str
    api: Api
    template_order: str
    template_event: str
    payload_bytes: int

    def __init__(self, mode: str, runs: int | None):
        self.mode = mode
        self.cfg = dict(MODES[mode])
        if runs:
            self.cfg["runs"] = runs
        self.api_url = loopback(env("BENCH_API_URL"))
        self.hello_url = loopback(env("BENCH_HELLO_URL"))
        self.events_url = loopback(env("BENCH_EVENTS_URL"))
        # The same API rendering every read (NOTIFY_KEEP_EVENT_PAGES=0): the work events_fcgi does.
        self.render_url = loopback(env("BENCH_RENDER_URL"))
        # Figure 1's ceiling: bench/c/static_fcgi writes the bytes of `static_body` (the API's answer).
        self.static_url = loopback(env("BENCH_STATIC_URL"))
        self.static_body = Path(env("BENCH_STATIC_BODY"))
        # Its one-lookup line: static_fcgi reading that answer from bench.rendered_pages.
        self.lookup_url = loopback(env("BENCH_LOOKUP_URL"))
        # The same API over an empty database (workers of their own): figure 7's /metrics baseline.
        self.empty_url = loopback(env("BENCH_EMPTY_URL"))
        self.receiver_url = loopback(env("BENCH_RECEIVER_URL"))
        # The receiver's ports, one destination each (figure 3 spreads its deliveries over them).
        self.receiver_urls = [loopback(f"http://127.0.0.1:{port}") for port in env("BENCH_RECEIVER_PORTS").split()]
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
        self.sweep_env = dict(
            os.environ, NOTIFY_ALLOW_TARGETS="127.0.0.1/32", NOTIFY_LOG_LEVEL="info", NOTIFY_RETENTION_DAYS="3650"
        )
        self.children: list[subprocess.Popen] = []
        self.receiver: LatencyReceiver | None = None
        roots = {}
        for name in (
            "nginx-api",
            "nginx-hello",
            "nginx-events",
            "nginx-static",
            "nginx-lookup",
            "nginx-empty",
            "nginx-render",
            "nginx-receiver",
            "notify-fcgi",
            "notify-fcgi-empty",
            "notify-fcgi-render",
            "hello_fcgi",
            "events_fcgi",
            "static_fcgi",
            "lookup_fcgi",
        ):
            roots[name] = int((self.tmp / "pids" / f"{name}.pid").read_text().split()[0])
        roots["postgres"] = int((self.tmp / "pg" / "data" / "postmaster.pid").read_text().split()[0])
        self.meter = CpuMeter(roots)

    def notifyctl(self, *args: str) -> dict:
        done = subprocess.run([str(self.bin / "notifyctl"), *args], capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            raise BenchError(f"notifyctl {' '.join(args)} failed: {done.stderr.strip()}")
        return json.loads(done.stdout)

    def run_sweep_once(self, timeout: float, args: tuple[str, ...] = ()) -> tuple[float, int]:
        """Runs notify-sweep in cron mode until nothing is due. Returns (seconds, peak RSS in KiB)."""
        log_path = self.tmp / "logs" / "notify-sweep.log"
        with open(log_path, "ab") as out:
            started = time.monotonic()
            proc = subprocess.Popen(
                [str(self.bin / "notify-sweep"), "--budget", str(int(timeout)), *args],
                env=self.sweep_env,
                stdout=out,
                stderr=out,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
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

    def run_sweep_curl(self, timeout: float) -> dict:
        """Runs bench/sweep_curl (the sweep's same-work baseline, built by scripts/bench) until nothing
        is due, with the application's claim, lock and complete statements. Returns its summary line."""
        sql = self.tmp / "sql"
        args = [str(self.tmp / "bin" / "sweep_curl")] + [
            str(sql / f"{name}.sql") for name in ("deliveries_claim", "destinations_lock", "deliveries_complete")
        ]
        with open(self.tmp / "logs" / "sweep_curl.log", "ab") as log_file:
            done = subprocess.run(args, stdout=subprocess.PIPE, stderr=log_file, timeout=timeout)
        if done.returncode != 0:
            raise BenchError(f"sweep_curl exited with {done.returncode} (log {self.tmp / 'logs' / 'sweep_curl.log'})")
        return json.loads(done.stdout.decode().strip().splitlines()[-1])

    def wrk(self, url: str, seconds: int, *script_args: str) -> dict:
        args = [
            "wrk",
            "-t2",
            "-c32",
            f"-d{seconds}s",
            "--timeout",
            "5s",
            "-s",
            str(BENCH / "wrk.lua"),
            url,
            "--",
            *script_args,
        ]
        result = wrk_result(args, "wrk-result: ", timeout=seconds + 60)
        result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
        result["errors"] = sum(
            result[k] for k in ("connect_errors", "read_errors", "write_errors", "status_errors", "timeouts")
        )
        return result

    def pgbench(self, script: Path, clients: int, extra: list[str], timeout: float) -> dict:
        args = [
            self.db.pgbench_bin,
            "-n",
            "-M",
            "prepared",
            "-c",
            str(clients),
            "-j",
            str(clients),
            "-f",
            str(script),
            *extra,
            self.db.conninfo,
        ]
        done = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise BenchError(f"pgbench failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
        tps = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", done.stdout)
        processed = re.search(r"number of transactions actually processed: (\d+)", done.stdout)
        failed = re.search(r"number of failed transactions: (\d+)", done.stdout)
        if not tps or not processed:
            raise BenchError(f"cannot read pgbench's output: {done.stdout}")
        return {
            "tps": float(tps.group(1)),
            "transactions": int(processed.group(1)),
            "failed": int(failed.group(1)) if failed else 0,
        }

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

    def settle(self, limit: float = 60) -> None:
        """Waits (up to `limit` seconds) until no autovacuum worker runs, then checkpoints: a latency
        measured beside the database's own upkeep of what a figure before it wrote says little."""
        deadline = time.monotonic() + limit
        busy = "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'"
        while self.db.value(busy) != "0" and time.monotonic() < deadline:
            time.sleep(0.5)
        self.db.psql("CHECKPOINT", timeout=600)

    def metrics_latency(self) -> tuple[float, float]:
        """GET /metrics over this database and over the empty one beside it, in alternation: `runs` rounds
        of `metrics_requests` sequential requests to each (one keep-alive connection each, 10 unmeasured
        first), once the database is settled. Returns the median milliseconds (this database, the empty
        one); the CPU per request of each goes to results["metrics_cpu_us"]["history"] and ["empty"]."""
        self.settle()
        sides = {
            "history": (self.api_url, {"nginx": "nginx-api", "notify-fcgi": "notify-fcgi", "postgres": "postgres"}),
            "empty": (
                self.empty_url,
                {"nginx": "nginx-empty", "notify-fcgi": "notify-fcgi-empty", "postgres": "postgres"},
            ),
        }
        times: dict[str, list[float]] = {side: [] for side in sides}
        cpu_runs: dict[str, list[dict[str, float]]] = {side: [] for side in sides}
        for _ in range(self.cfg["runs"]):
            for side, (url, parts) in sides.items():
                _, cpu = self.meter.measure(lambda url=url, side=side: self.metrics_requests(url, times[side]))
                cpu_runs[side].append(self.per_op(cpu, 10 + self.cfg["metrics_requests"], parts))
        for side in sides:
            self.results.setdefault("metrics_cpu_us", {})[side] = median_parts(cpu_runs[side])
        history, empty = statistics.median(times["history"]), statistics.median(times["empty"])
        log(
            f"GET /metrics: median {history:.2f} ms on the history, {empty:.2f} ms on the empty database beside it "
            f"({len(times['history'])} requests each, in {self.cfg['runs']} alternating rounds)"
        )
        return history, empty

    def metrics_requests(self, url: str, times: list[float]) -> None:
        """`metrics_requests` sequential GET /metrics on `url` after 10 unmeasured ones; appends milliseconds."""
        parts = urllib.parse.urlsplit(url)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=15)
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

    def hold(self, seconds: int) -> None:
        """Profiling aid (scripts/bench --hold N): after the set-up, writes BENCH_TMP/hold.env and waits up to
        N seconds, or until BENCH_TMP/release exists, before the figures run."""
        env_file = self.tmp / "hold.env"
        master = self.fcgi_pidfile.read_text().split()[0]
        lines = {
            "BENCH_API_URL": self.api_url,
            "BENCH_HELLO_URL": self.hello_url,
            "BENCH_EVENTS_URL": self.events_url,
            "BENCH_RENDER_URL": self.render_url,
            "BENCH_STATIC_URL": self.static_url,
            "BENCH_RECEIVER_URL": self.receiver_url,
            "BENCH_MERCHANT": MERCHANT,
            "BENCH_TOKEN": self.token,
            "BENCH_READ_ORDER": self.template_order,
            "NOTIFY_DATABASE_URL": self.db.conninfo,
            "BENCH_FCGI_MASTER": master,
            "BENCH_BIN": str(self.bin),
        }
        env_file.write_text("".join(f"export {k}='{v}'\n" for k, v in lines.items()), encoding="utf-8")
        release = self.tmp / "release"
        log(f"holding for up to {seconds} s: . {env_file}; touch {release} to go on")
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not release.exists():
            time.sleep(0.5)

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
