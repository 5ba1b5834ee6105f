"""Figure 1 (and 5): API read, GET events?orderId= with wrk (the order's page kept rendered, as
the API serves an unchanged order), beside a C libfcgi hello world; and the same API rendering
every read (NOTIFY_KEEP_EVENT_PAGES=0) beside bench/c/events_fcgi, a C worker doing that work
(the same token and page statements, a byte-identical response), each behind the same nginx
config. Figure 1 also measures its ceiling:
bench/c/static_fcgi writing the API's answer with no database, so what nginx and wrk alone cost for
an answer of that size (`api_read_ceiling_ratio`, the highest `api_read_ratio` this stack can show),
and its one-lookup line: static_fcgi reading that answer kept rendered in PostgreSQL, with the token
check, in one statement (`api_read_one_lookup_ratio`, the highest ratio of a worker that keeps its
state in the database and refuses a revoked token at once)."""

from __future__ import annotations

import http.client
import os
import urllib.parse

from ..common import BenchError, loadavg, log, median_min_max, median_parts
from ..config import MERCHANT
from ..context import Bench


def raw_get(base: str, path: str, token: str) -> tuple[int, str, bytes]:
    """GET path with the API's auth headers: status, Content-Type and the body's bytes."""
    parts = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=15)
    try:
        conn.request("GET", path, headers={"X-Merchant": MERCHANT, "Authorization": f"Bearer {token}"})
        response = conn.getresponse()
        return response.status, response.getheader("Content-Type") or "", response.read()
    finally:
        conn.close()


def check_same_response(b: Bench, path: str, url: str, name: str) -> bytes:
    """A baseline must answer exactly as the API does: status, Content-Type and body bytes. Returns
    the body."""
    api = raw_get(b.api_url, path, b.token)
    same = raw_get(url, path, b.token)
    if api != same:
        at = next((i for i, (x, y) in enumerate(zip(api[2], same[2], strict=False)) if x != y), None)
        at = min(len(api[2]), len(same[2])) if at is None else at
        raise BenchError(
            f"{name} answers differently from the API: {api[:2]} vs {same[:2]}, bodies of "
            f"{len(api[2])} and {len(same[2])} bytes differ from byte {at}: "
            f"{api[2][max(0, at - 60) : at + 60]!r} vs {same[2][max(0, at - 60) : at + 60]!r}"
        )
    return api[2]


def serve_ceiling(b: Bench, path: str, order_id: str) -> None:
    """Has static_fcgi serve the API's answer to `path` (written whole, then renamed into place), and
    its lookup mode read it from bench.rendered_pages (the order's row)."""
    body = raw_get(b.api_url, path, b.token)[2]
    partial = b.static_body.with_suffix(".part")
    partial.write_bytes(body)
    os.replace(partial, b.static_body)
    check_same_response(b, path, b.static_url, "static_fcgi")
    b.db.psql(
        "INSERT INTO bench.rendered_pages (merchant, order_id, body) VALUES (:'merchant', :'order', :'body') "
        "ON CONFLICT (merchant, order_id) DO UPDATE SET body = excluded.body",
        merchant=MERCHANT,
        order=order_id,
        body=body.decode(),
    )
    check_same_response(b, path, b.lookup_url, "static_fcgi (lookup)")
    # The lookup checks the token: a token that is not the merchant's gets no answer.
    refused = raw_get(b.lookup_url, path, "ntf_" + "x" * 43)[0]
    if refused != 401:
        raise BenchError(f"static_fcgi (lookup) answered a wrong token with {refused}, not 401")


def ceilings(b: Bench) -> tuple[tuple[str, str, str, dict[str, str]], ...]:
    """Figure 1's lines beside the API that no worker can beat: label, result key, URL, and the
    processes its CPU time is counted in."""
    return (
        ("ceiling (static_fcgi)", "ceiling", b.static_url, {"nginx": "nginx-static", "static_fcgi": "static_fcgi"}),
        (
            "one lookup (static_fcgi)",
            "one_lookup",
            b.lookup_url,
            {"nginx": "nginx-lookup", "static_fcgi": "lookup_fcgi"},
        ),
    )


def figure_read(b: Bench, label: str, ceiling: bool = False) -> dict:
    """`ceiling`: also run static_fcgi's answer, alternately with the others (figure 1 only)."""
    path = f"/api/v0/checkout/notifications/events?orderId={b.template_order}"
    page = b.api.expect(200, "GET", path)
    if page["pagination"]["totalSize"] != 10 or len(page["data"]) != 10:
        raise BenchError(f"the read order should have 10 events: {page['pagination']}")
    size = len(check_same_response(b, path, b.events_url, "events_fcgi"))
    check_same_response(b, path, b.render_url, "the API rendering every read")
    kept = b.db.value(
        "SELECT count(*) FROM kept_event_pages WHERE merchant = :'m' AND order_id = :'o'",
        m=MERCHANT,
        o=b.template_order,
    )
    if kept != "1":
        raise BenchError(f"{label}: the API kept {kept} pages of the read order, not 1")
    log(f"{label}: events_fcgi and the API rendering every read answer byte for byte as the API ({size:,} bytes)")
    top_lines = ceilings(b) if ceiling else ()
    if ceiling:
        serve_ceiling(b, path, b.template_order)
    args = ("get", MERCHANT, b.token, path)
    seconds, warmup = b.cfg["wrk_seconds"], b.cfg["warmup_seconds"]
    if warmup:
        for url in (b.hello_url, b.events_url, b.render_url, b.api_url) + tuple(line[2] for line in top_lines):
            b.wrk(url, warmup, *args)
    api, hello, same, render, ratios, same_ratios, render_ratios = [], [], [], [], [], [], []
    api_cpu, hello_cpu, same_cpu, render_cpu = [], [], [], []
    tops: dict[str, dict[str, list]] = {key: {"rps": [], "ratio": [], "cpu": []} for _, key, _, _ in top_lines}
    for run in range(b.cfg["runs"]):
        top_runs = {}
        for name, key, url, parts in top_lines:
            c, cc = b.meter.measure(lambda url=url: b.wrk(url, seconds, *args))
            if c["errors"]:
                raise BenchError(f"{label}: {name} run had errors: {c}")
            tops[key]["cpu"].append(b.per_op(cc, c["requests"], parts | {"postgres": "postgres", "wrk": "client"}))
            top_runs[name] = c
        h, hc = b.meter.measure(lambda: b.wrk(b.hello_url, seconds, *args))
        e, ec = b.meter.measure(lambda: b.wrk(b.events_url, seconds, *args))
        rr, rc = b.meter.measure(lambda: b.wrk(b.render_url, seconds, *args))
        a, ac = b.meter.measure(lambda: b.wrk(b.api_url, seconds, *args))
        hello_cpu.append(
            b.per_op(
                hc,
                h["requests"],
                {"nginx": "nginx-hello", "hello_fcgi": "hello_fcgi", "postgres": "postgres", "wrk": "client"},
            )
        )
        same_cpu.append(
            b.per_op(
                ec,
                e["requests"],
                {"nginx": "nginx-events", "events_fcgi": "events_fcgi", "postgres": "postgres", "wrk": "client"},
            )
        )
        render_cpu.append(
            b.per_op(
                rc,
                rr["requests"],
                {"nginx": "nginx-render", "notify-fcgi": "notify-fcgi-render", "postgres": "postgres", "wrk": "client"},
            )
        )
        api_cpu.append(
            b.per_op(
                ac,
                a["requests"],
                {"nginx": "nginx-api", "notify-fcgi": "notify-fcgi", "postgres": "postgres", "wrk": "client"},
            )
        )
        for name, r in (("hello world", h), ("same-work C", e), ("API rendering", rr), ("API", a)):
            if r["errors"]:
                raise BenchError(f"{label}: {name} run had errors: {r}")
        for name, key, _, _ in top_lines:
            tops[key]["rps"].append(top_runs[name]["rps"])
            tops[key]["ratio"].append(top_runs[name]["rps"] / h["rps"])
        api.append(a["rps"])
        hello.append(h["rps"])
        same.append(e["rps"])
        render.append(rr["rps"])
        ratios.append(a["rps"] / h["rps"])
        same_ratios.append(rr["rps"] / e["rps"])
        render_ratios.append(rr["rps"] / h["rps"])
        log(
            f"{label} run {run + 1}: API {a['rps']:.0f} req/s (p99 {a['latency_p99_us'] / 1000:.1f} ms), "
            f"hello world {h['rps']:.0f} req/s, ratio {ratios[-1]:.3f}; API rendering every read "
            f"{rr['rps']:.0f} req/s, same-work C {e['rps']:.0f} req/s, ratio {same_ratios[-1]:.3f}"
            + "".join(
                f"; {name} {tops[key]['rps'][-1]:.0f} req/s, ratio {tops[key]['ratio'][-1]:.3f}"
                for name, key, _, _ in top_lines
            )
            + f"   [load {loadavg()}]"
        )
    result = {
        "api": median_min_max(api),
        "hello": median_min_max(hello),
        "same_work": median_min_max(same),
        "render": median_min_max(render),
        "ratio": median_min_max(ratios),
        "same_work_ratio": median_min_max(same_ratios),
        "render_ratio": median_min_max(render_ratios),
        "api_cpu_us": median_parts(api_cpu),
        "hello_cpu_us": median_parts(hello_cpu),
        "same_work_cpu_us": median_parts(same_cpu),
        "render_cpu_us": median_parts(render_cpu),
    }
    for _, key, _, _ in top_lines:
        result[key] = median_min_max(tops[key]["rps"])
        result[f"{key}_ratio"] = median_min_max(tops[key]["ratio"])
        result[f"{key}_cpu_us"] = median_parts(tops[key]["cpu"])
    return result
