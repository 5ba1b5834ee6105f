"""Figure 1 (and 5): API read, GET events?orderId= with wrk, beside a C libfcgi hello world
behind the same nginx config."""

from __future__ import annotations

from ..common import BenchError, loadavg, log, median_min_max, median_parts
from ..config import MERCHANT
from ..context import Bench


def figure_read(b: Bench, label: str) -> dict:
    path = f"/api/v0/checkout/notifications/events?orderId={b.template_order}"
    page = b.api.expect(200, "GET", path)
    if page["pagination"]["totalSize"] != 10 or len(page["data"]) != 10:
        raise BenchError(f"the read order should have 10 events: {page['pagination']}")
    args = ("get", MERCHANT, b.token, path)
    seconds, warmup = b.cfg["wrk_seconds"], b.cfg["warmup_seconds"]
    if warmup:
        b.wrk(b.hello_url, warmup, *args)
        b.wrk(b.api_url, warmup, *args)
    api, hello, ratios, api_cpu, hello_cpu = [], [], [], [], []
    for run in range(b.cfg["runs"]):
        h, hc = b.meter.measure(lambda: b.wrk(b.hello_url, seconds, *args))
        a, ac = b.meter.measure(lambda: b.wrk(b.api_url, seconds, *args))
        hello_cpu.append(
            b.per_op(
                hc,
                h["requests"],
                {"nginx": "nginx-hello", "hello_fcgi": "hello_fcgi", "postgres": "postgres", "wrk": "client"},
            )
        )
        api_cpu.append(
            b.per_op(
                ac,
                a["requests"],
                {"nginx": "nginx-api", "notify-fcgi": "notify-fcgi", "postgres": "postgres", "wrk": "client"},
            )
        )
        for name, r in (("hello world", h), ("API", a)):
            if r["errors"]:
                raise BenchError(f"{label}: {name} run had errors: {r}")
        api.append(a["rps"])
        hello.append(h["rps"])
        ratios.append(a["rps"] / h["rps"])
        log(
            f"{label} run {run + 1}: API {a['rps']:.0f} req/s (p99 {a['latency_p99_us'] / 1000:.1f} ms), "
            f"hello world {h['rps']:.0f} req/s, ratio {ratios[-1]:.3f}   [load {loadavg()}]"
        )
    return {
        "api": median_min_max(api),
        "hello": median_min_max(hello),
        "ratio": median_min_max(ratios),
        "api_cpu_us": median_parts(api_cpu),
        "hello_cpu_us": median_parts(hello_cpu),
    }
