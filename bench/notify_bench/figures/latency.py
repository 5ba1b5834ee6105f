"""Figure 4: change-to-delivery latency, order changes at a steady rate through the API, delivered
by notify-sweep --follow to a receiver in this process."""

from __future__ import annotations

import subprocess
import time

from ..common import BenchError, loadavg, log, median_min_max, median_parts, percentile
from ..config import MERCHANT
from ..context import Bench
from ..meter import CpuMeter
from ..services import Api


def figure_latency(b: Bench) -> dict:
    # The sweep figures before this one leave the queue and the events they delivered with dead
    # rows: vacuumed here, not by autovacuum during the runs (a latency beside that upkeep says
    # little; in one full run it took the median from 1 to 6 ms and PostgreSQL's CPU per change
    # from 2.5 to 8 ms).
    b.db.psql("VACUUM (ANALYZE) deliveries, events", timeout=600)
    b.settle()
    m = b.cfg["latency_orders"]
    first = 2 * b.cfg["write_orders"] + 1
    rows = b.db.psql(
        "SELECT order_id, document->'state'->>'currentStatus' FROM orders WHERE merchant = :'m' "
        "AND order_id IN (SELECT bench.order_id(n) FROM generate_series(:a::bigint, :b::bigint) n)",
        m=MERCHANT,
        a=first,
        b=first + m - 1,
    ).splitlines()
    states = dict(row.split("|") for row in rows)
    orders = sorted(states)
    receiver = b.receiver
    arrivals, arrived = receiver.arrivals, receiver.arrived

    log_path = b.tmp / "logs" / "notify-sweep-follow.log"
    out = open(log_path, "ab")
    sweep = subprocess.Popen(
        [str(b.bin / "notify-sweep"), "--follow"],
        env=b.sweep_env,
        stdout=out,
        stderr=out,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    b.children.append(sweep)
    api = Api(b.api_url, MERCHANT, b.token)
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
        n, rate = b.cfg["latency_changes"], b.cfg["latency_rate"]
        # CPU per change, from the request to the delivery: the API's side and the sweep's (this
        # process, the client and the receiver, is not counted).
        meter = CpuMeter({**b.meter.roots, "notify-sweep": sweep.pid})
        cpu = []

        def send_all() -> list[tuple[tuple[str, str], float]]:
            sent: list[tuple[tuple[str, str], float]] = []
            start = time.perf_counter()
            for i in range(n):
                pause = start + i / rate - time.perf_counter()
                if pause > 0:
                    time.sleep(pause)
                sent.append(change())
            wait_for([k for k, _ in sent], 15)
            return sent

        for run in range(b.cfg["runs"]):
            sent, used = meter.measure(send_all)
            cpu.append(
                b.per_op(
                    used,
                    n,
                    {
                        "nginx": "nginx-api",
                        "notify-fcgi": "notify-fcgi",
                        "notify-sweep": "notify-sweep",
                        "postgres": "postgres",
                    },
                )
            )
            with arrived:
                latencies = sorted((arrivals[k] - t) * 1000 for k, t in sent if k in arrivals)
            lost = n - len(latencies)
            if lost:
                raise BenchError(f"latency run {run + 1}: {lost} of {n} changes were not delivered within 15 s")
            result = {
                "p50": percentile(latencies, 50),
                "p99": percentile(latencies, 99),
                "max": latencies[-1],
                "min": latencies[0],
            }
            runs.append(result)
            log(
                f"latency run {run + 1}: {n} changes at {rate}/s: p50 {result['p50']:.1f} ms, "
                f"p99 {result['p99']:.1f} ms, max {result['max']:.1f} ms (min {result['min']:.1f} ms)"
                f"   [load {loadavg()}]"
            )
    finally:
        api.close()
        sweep.terminate()
        try:
            sweep.wait(timeout=15)
        except subprocess.TimeoutExpired:
            sweep.kill()
            sweep.wait()
        b.children.remove(sweep)
        out.close()
    return {
        "p50": median_min_max([r["p50"] for r in runs]),
        "p99": median_min_max([r["p99"] for r in runs]),
        "max": max(r["max"] for r in runs),
        "cpu_us": median_parts(cpu),
    }
