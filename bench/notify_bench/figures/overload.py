"""Figure 8: load held. The events read of figure 1 under far more concurrent clients than the
workers can take (wrk -t4 -c5000, 10 s). Every request must get an answer: a 2xx, or nginx's quick
503 with Retry-After past its in-flight cap. Any other status and every socket error (a closed,
reset or refused connection, a request unanswered after 10 s) counts against
`overload_error_ratio`, over all requests tried (goal 0). The p99 latency is over all answers,
503s included, as wrk measures them."""

from __future__ import annotations

import resource
import time

from ..common import BenchError, loadavg, log, median_min_max, median_parts
from ..config import BENCH, MERCHANT
from ..context import Bench, wrk_result

SOCKET_ERRORS = ("connect_errors", "read_errors", "write_errors", "timeouts")


def wrk_overload(url: str, connections: int, seconds: int, *script_args: str) -> dict:
    """One wrk run with bench/overload.lua: its counts by status and socket error, and the ratio."""
    args = [
        "wrk",
        "-t4",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(BENCH / "overload.lua"),
        url,
        "--",
        *script_args,
    ]
    result = wrk_result(args, "wrk-overload: ", timeout=seconds + 90)
    socket_errors = sum(result[k] for k in SOCKET_ERRORS)
    tried = result["requests"] + socket_errors
    result["errors"] = result["other_status"] + socket_errors
    result["error_ratio"] = result["errors"] / tried if tried else 1.0
    result["ok_per_s"] = result["ok"] / (result["duration_us"] / 1e6)
    result["unavailable_share"] = result["unavailable"] / tried if tried else 0.0
    return result


def answers_after_the_flood(b: Bench, path: str, limit: float = 15) -> None:
    """The service answers normally once the flood is over. For a moment nginx may still count the
    requests wrk left in flight (closed, not yet noticed) against its cap and answer the quick 503,
    which says to come back after a second: so a 503 is tried again a second later, up to `limit`
    seconds; any other answer but 200 fails at once."""
    deadline = time.monotonic() + limit
    while True:
        status, body = b.api.request("GET", path)
        if status == 200:
            return
        if status != 503 or time.monotonic() > deadline:
            raise BenchError(f"GET {path} after the flood: expected 200, got {status}: {body}")
        time.sleep(1)


def figure_overload(b: Bench) -> dict:
    connections, seconds = b.cfg["overload_connections"], b.cfg["overload_seconds"]
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < connections + 256:
        raise BenchError(f"open-file limit {soft} is too low for wrk -c{connections} (scripts/bench raises it)")
    path = f"/api/v0/checkout/notifications/events?orderId={b.template_order}"
    b.api.expect(200, "GET", path)
    ratios, p99s, ok_rates, shares, cpu = [], [], [], [], []
    for run in range(b.cfg["overload_runs"]):
        result, used = b.meter.measure(lambda: wrk_overload(b.api_url, connections, seconds, MERCHANT, b.token, path))
        cpu.append(
            b.per_op(
                used,
                result["requests"],
                {"nginx": "nginx-api", "notify-fcgi": "notify-fcgi", "postgres": "postgres", "wrk": "client"},
            )
        )
        ratios.append(result["error_ratio"])
        p99s.append(result["latency_p99_us"] / 1000)
        ok_rates.append(result["ok_per_s"])
        shares.append(result["unavailable_share"])
        log(
            f"overload run {run + 1} (wrk -t4 -c{connections}, {seconds} s): {result['requests']:,} answers, "
            f"{result['ok']:,} 2xx ({result['ok_per_s']:.0f}/s), {result['unavailable']:,} 503, "
            f"{result['other_status']:,} other, socket errors "
            + ", ".join(f"{k} {result[k]}" for k in SOCKET_ERRORS)
            + f"; error ratio {result['error_ratio']:.4f}, p50 {result['latency_p50_us'] / 1000:.0f} ms, "
            f"p99 {p99s[-1]:.0f} ms, max {result['latency_max_us'] / 1000:.0f} ms   [load {loadavg()}]"
        )
        answers_after_the_flood(b, path)
    return {
        "connections": connections,
        "seconds": seconds,
        "error_ratio": median_min_max(ratios),
        "p99_ms": median_min_max(p99s),
        "ok_per_s": median_min_max(ok_rates),
        "unavailable_share": median_min_max(shares),
        "cpu_us": median_parts(cpu),
    }
