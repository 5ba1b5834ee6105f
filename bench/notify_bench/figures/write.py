"""Figure 2: API write, order state changes each firing one notification, beside pgbench running
the same transaction (the statements of OrderStore.change)."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

from ..common import BenchError, loadavg, log, median_min_max, median_parts
from ..config import MERCHANT
from ..context import Bench
from ..statements import bind, statement_sql


def write_pgbench_script(b: Bench) -> Path:
    order = "bench.order_id(:n)"
    event = "bench.uuid7((extract(epoch FROM now()) * 1000)::bigint, :eid)"
    # The token check the API runs in the change's first round trip (the request's token hash, the
    # client's failure bucket and the minute's window), and the lock taken only for that token.
    check = bind(statement_sql(b.bin, "token_owner_and_failures"), {1: ":tokenhash", 2: ":bucket", 3: ":window"})
    lock = bind(statement_sql(b.bin, "order_lock_for_token"), {1: ":merchant", 2: order, 3: ":tokenhash"})
    notifications = bind(statement_sql(b.bin, "notifications_select"), {1: ":merchant", 2: order})
    update = bind(statement_sql(b.bin, "order_update"), {1: ":merchant", 2: order, 3: ":doc", 4: "now()"})
    # A change that fires one notification records its event with plain values (event_record); the
    # API computes the event's id and origin itself, pgbench takes the origin from a variable too.
    record_event = bind(
        statement_sql(b.bin, "event_record"),
        {
            1: ":merchant",
            2: order,
            3: ":channel",
            4: "now()",
            5: event,
            6: ":notification",
            7: "NULL",
            8: "NULL",
            9: ":scope",
            10: ":method",
            11: ":url",
            12: ":headers",
            13: ":payload",
            14: "NULL",
            15: ":scope",
            16: ":origin",
        },
    )
    n = b.cfg["write_orders"]
    script = "\n".join(
        [
            "-- figure 2 baseline: the order-change transaction of OrderStore.change (notifyctl sql NAME):",
            "-- token check, lock, notifications, update, the one event's record",
            f"\\set n random({n + 1}, {2 * n})",
            "\\set eid random(1, 4000000000000000000)",
            "BEGIN;",
            check + ";",
            lock + ";",
            notifications + ";",
            update + ";",
            record_event + ";",
            "END;",
            "",
        ]
    )
    path = b.tmp / "write.sql"
    path.write_text(script, encoding="utf-8")
    return path


def write_pgbench_variables(b: Bench) -> list[str]:
    row = json.loads(
        b.db.value(
            """
        SELECT json_build_object('doc', o.document::text, 'channel', e.channel, 'notification', e.notification_id,
                                 'scope', e.scope, 'method', e.request_method, 'url', e.request_url,
                                 'headers', e.request_headers::text, 'payload', e.payload::text,
                                 'origin', url_origin(e.request_url))
        FROM events e JOIN orders o USING (merchant, order_id) WHERE e.event_id = :'e'
        """,
            e=b.template_event,
        )
    )
    row.update(
        merchant=MERCHANT,
        status="pending",
        tokenhash=hashlib.sha256(b.token.encode()).hexdigest(),
        bucket="auth:127.0.0.1",
        window=str(int(time.time()) // 60 * 60),
    )
    return [arg for name, value in row.items() for arg in ("-D", f"{name}={value}")]


def write_orders_file(b: Bench) -> Path:
    """Figure 2's orders and the status each must be sent next (the opposite of the current one)."""
    n = b.cfg["write_orders"]
    rows = b.db.psql(
        """
        SELECT order_id, CASE WHEN document->'state'->>'currentStatus' = 'processing' THEN 'checkout'
                              ELSE 'processing' END
        FROM orders WHERE merchant = :'m' AND order_id IN (SELECT bench.order_id(n) FROM generate_series(1, :n) n)
        """,
        m=MERCHANT,
        n=n,
    )
    lines = [" ".join(row.split("|")) for row in rows.splitlines()]
    if len(lines) != n:
        raise BenchError(f"expected {n} orders for figure 2, found {len(lines)}")
    path = b.tmp / "write-orders.txt"
    path.write_text("\n".join(lines) + "\n", encoding="ascii")
    return path


def write_orders_state(b: Bench) -> str:
    """The `state` of figure 2's API orders as cloned (`checkout`, one transition)."""
    return b.db.value(
        "SELECT document->'state' FROM orders WHERE merchant = :'m' AND order_id = bench.order_id(1)", m=MERCHANT
    )


def reset_write_orders(b: Bench, state: str) -> None:
    """Gives figure 2's API orders back their cloned `state`. Every change appends to the order's
    `state.transitions`, so without this the documents the API parses, stores and sends would grow
    with every run, while pgbench writes the same document (the template's, one transition on)."""
    b.db.psql(
        """
        UPDATE orders SET document = jsonb_set(document, '{state}', :'state'::jsonb)
        WHERE merchant = :'m' AND order_id IN (SELECT bench.order_id(n) FROM generate_series(1, :n) n)
        """,
        m=MERCHANT,
        n=b.cfg["write_orders"],
        state=state,
    )


def average_document_bytes(b: Bench, first: int, last: int) -> float:
    return float(
        b.db.value(
            """
            SELECT avg(octet_length(document::text)) FROM orders
            WHERE merchant = :'m' AND order_id IN (SELECT bench.order_id(n) FROM generate_series(:first, :last) n)
            """,
            m=MERCHANT,
            first=first,
            last=last,
        )
    )


def count_events(b: Bench) -> int:
    return int(b.db.value("SELECT count(*) FROM events WHERE merchant = :'m'", m=MERCHANT))


def figure_write(b: Bench) -> dict:
    script = write_pgbench_script(b)
    variables = write_pgbench_variables(b)
    seconds, warmup = b.cfg["write_seconds"], b.cfg["warmup_seconds"]
    api, base, ratios, api_cpu, base_cpu, api_bytes = [], [], [], [], [], []
    cloned_state = write_orders_state(b)
    n = b.cfg["write_orders"]
    for run in range(-1 if warmup else 0, b.cfg["runs"]):
        duration = warmup if run < 0 else seconds
        reset_write_orders(b, cloned_state)
        before = count_events(b)
        orders_file = str(write_orders_file(b))
        r, rc = b.meter.measure(
            lambda duration=duration, orders_file=orders_file: b.wrk(
                b.api_url, duration, "toggle", MERCHANT, b.token, orders_file, "2"
            )
        )
        time.sleep(0.5)  # changes still in flight when wrk stopped
        created = count_events(b) - before
        if r["errors"]:
            raise BenchError(f"API write run had errors: {r}")
        # wrk does not count the (at most 32) requests in flight at its end; each change is one event.
        if not r["requests"] <= created <= r["requests"] + 32:
            raise BenchError(f"API write: {r['requests']} changes answered 200 but {created} events were created")
        p, pc = b.meter.measure(
            lambda duration=duration: b.pgbench(
                script, b.workers, ["-T", str(duration), *variables], timeout=duration + 60
            )
        )
        if p["failed"]:
            raise BenchError(f"pgbench write run had failures: {p}")
        if run < 0:
            continue
        api_bytes.append(average_document_bytes(b, 1, n))
        api.append(r["rps"])
        base.append(p["tps"])
        ratios.append(r["rps"] / p["tps"])
        api_cpu.append(
            b.per_op(
                rc,
                r["requests"],
                {"nginx": "nginx-api", "notify-fcgi": "notify-fcgi", "postgres": "postgres", "wrk": "client"},
            )
        )
        base_cpu.append(b.per_op(pc, p["transactions"], {"postgres": "postgres", "pgbench": "client"}))
        log(
            f"write run {run + 1}: API {r['rps']:.0f} changes/s (p99 {r['latency_p99_us'] / 1000:.1f} ms), "
            f"pgbench {p['tps']:.0f} tx/s ({b.workers} clients), ratio {ratios[-1]:.3f}   [load {loadavg()}]"
        )
    # The pending deliveries these changes queued are not figure 3's: take them out of the queue.
    b.db.psql("DELETE FROM deliveries WHERE merchant = :'m' AND due_at IS NOT NULL; VACUUM deliveries", m=MERCHANT)
    return {
        "api": median_min_max(api),
        "pgbench": median_min_max(base),
        "ratio": median_min_max(ratios),
        "api_cpu_us": median_parts(api_cpu),
        "pgbench_cpu_us": median_parts(base_cpu),
        # The orders' documents after each API run, beside the one pgbench writes (same work).
        "api_document_bytes": median_min_max(api_bytes),
        "pgbench_document_bytes": average_document_bytes(b, n + 1, 2 * n),
    }
