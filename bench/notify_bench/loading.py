"""The data: merchants, the template order, event and attempt the API and the sweep make, and their
copies made with INSERT ... SELECT generate_series (figure 1's events, figure 2's and 4's orders,
figure 3's due deliveries, figure 5's history)."""

from __future__ import annotations

import json
import math
import time

from .common import BenchError, log
from .config import (
    BENCH,
    CHANNEL,
    MERCHANT,
    ORDER_BODY,
    RETENTION_DAYS,
    SALT_ATTEMPT,
    SALT_HISTORY_EVENT,
    SALT_HISTORY_ORDER,
    SALT_NOTIFICATION,
    SALT_SMALL_EVENT,
    SALT_SMALL_ORDER,
    SALT_SWEEP_EVENT,
    SALT_SWEEP_ONE_EVENT,
    SALT_SWEEP_ONE_ORDER,
    SALT_SWEEP_ORDER,
    SWEEP_MERCHANT,
    SWEEP_ONE_MERCHANT,
)
from .context import Bench
from .services import Api, LatencyReceiver


def setup(b: Bench) -> None:
    log(f"mode {b.mode}: {json.dumps(b.cfg)}")
    created = b.notifyctl("merchant", "create", MERCHANT)
    b.token = created["token"]
    b.notifyctl("merchant", "create", SWEEP_MERCHANT)
    b.notifyctl("merchant", "create", SWEEP_ONE_MERCHANT)
    b.db.psql((BENCH / "setup.sql").read_text(encoding="utf-8"))
    b.api = Api(b.api_url, MERCHANT, b.token)

    # A real order with one notification, made by the API: every bulk row is a copy of it.
    order = b.api.expect(201, "POST", "/api/v0/checkout/orders", ORDER_BODY, headers={"X-Channel": CHANNEL})
    b.template_order = order["id"]
    b.api.expect(
        201,
        "POST",
        f"/api/v0/checkout/orders/{b.template_order}/notifications",
        {"url": f"{b.receiver_url}/hook", "scope": {"state": ["processing", "checkout"]}},
    )
    # Copies (still in `checkout`) for figure 2's API and pgbench runs; figure 4 makes its own.
    n = b.cfg["write_orders"]
    clone_orders(b, 1, n, f"{b.receiver_url}/hook")  # API writes
    clone_orders(b, n + 1, 2 * n, f"{b.receiver_url}/hook")  # pgbench writes
    b.receiver = LatencyReceiver()
    clone_orders(b, 2 * n + 1, 2 * n + b.cfg["latency_orders"], b.receiver.url)  # figure 4
    # One change through the API and one sweep give the template event and attempt.
    b.api.expect(200, "PUT", f"/api/v0/checkout/orders/{b.template_order}/state", {"currentStatus": "processing"})
    b.run_sweep_once(timeout=60)
    b.template_event = b.db.value(
        "SELECT event_id FROM events WHERE merchant = :'m' AND order_id = :'o'", m=MERCHANT, o=b.template_order
    )
    status = b.db.value("SELECT status FROM events WHERE event_id = :'e'", e=b.template_event)
    if status != "succeeded":
        raise BenchError(f"the template event was not delivered (status {status})")
    b.payload_bytes = int(
        b.db.value("SELECT octet_length(payload::text) FROM events WHERE event_id = :'e'", e=b.template_event)
    )

    # Figure 1's database: `small_events` events with one attempt each, 10 per order; the
    # order read by figure 1 is the template order, with 10 events.
    total = b.cfg["small_events"]
    started = time.monotonic()
    load_events(
        b,
        "small",
        count=9,
        merchant=MERCHANT,
        salt=SALT_SMALL_EVENT,
        order_expr=f"'{b.template_order}'::uuid",
        days_ago=1,
        delivered=True,
        payload="t.payload",
    )
    load_events(
        b,
        "small",
        count=total - 10,
        merchant=MERCHANT,
        salt=SALT_SMALL_EVENT + 100,
        order_salt=SALT_SMALL_ORDER,
        days_ago=30,
        delivered=True,
        payload="t.payload",
    )
    b.db.psql("VACUUM (ANALYZE) orders, order_notifications, events, attempts, deliveries", timeout=600)
    b.timings["load_small_s"] = time.monotonic() - started
    events = int(b.db.value("SELECT count(*) FROM events"))
    log(f"database: {events} events, payload {b.payload_bytes} bytes (loaded in {b.timings['load_small_s']:.1f} s)")
    b.results["small_events"] = events


def clone_orders(b: Bench, first: int, last: int, url: str) -> None:
    """Copies the template order and its notification to bench.order_id(first..last), in `checkout`."""
    b.db.psql(
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
        first=first,
        last=last,
        m=MERCHANT,
        o=b.template_order,
        url=url,
        salt=SALT_NOTIFICATION,
    )


def load_events(
    b: Bench,
    label: str,
    count: int,
    merchant: str,
    salt: int,
    days_ago: float,
    delivered: bool,
    payload: str,
    order_salt: int = 0,
    order_expr: str | None = None,
    sessions: int = 1,
    url: str | None = None,
    start_ms: int | None = None,
    span_ms: int | None = None,
    quiet: bool = False,
) -> None:
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
    b.db.psql(
        "SELECT history_create_partitions((to_timestamp(:first / 1000.0) AT TIME ZONE 'UTC')::date, "
        "(to_timestamp(:last / 1000.0) AT TIME ZONE 'UTC')::date)",
        first=str(ms0),
        last=str(ms0 + count * step),
    )
    if order_expr is None:
        order_expr = f"bench.uuid7({ms0} + (g.i / 10) * 10 * {step} - 60000, {order_salt} + g.i / 10)"
    url_expr = "t.request_url" if url is None else f"'{url}'"
    if delivered:
        status, attempts, next_at, last_at, code, body = (
            "'succeeded'",
            "1",
            "NULL",
            "to_timestamp((g.ms + 20) / 1000.0)",
            "204",
            "''",
        )
    else:
        status, attempts, next_at, last_at, code, body = ("'pending'", "0", "now()", "NULL", "NULL", "NULL")
    scripts = []
    chunk = math.ceil(count / sessions)
    for first in range(1, count + 1, chunk):
        last = min(count, first + chunk - 1)
        series = (
            f"(SELECT i, {ms0}::bigint + i * {step} AS ms FROM generate_series({first}::bigint, {last}::bigint) AS i) g"
        )
        sql = f"""
        SET synchronous_commit = off;
        INSERT INTO destinations (merchant, destination_id, origin, created_at)
        SELECT '{merchant}', destination_id('{merchant}', url_origin(u.url)), url_origin(u.url), now()
        FROM (SELECT {url_expr} AS url FROM events AS t
              WHERE merchant = '{MERCHANT}' AND event_id = '{b.template_event}') AS u
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
              WHERE merchant = '{MERCHANT}' AND event_id = '{b.template_event}') t, {series};
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
              WHERE merchant = '{merchant}'
                AND event_id = bench.uuid7({ms0}::bigint + {first}::bigint * {step}, {salt} + {first})) t,
             {series};
        """
        scripts.append(sql)
    if not quiet:
        log(f"loading {count:,} {label} events ({'with attempts' if delivered else 'due'}, {len(scripts)} session(s))")
    b.db.parallel(scripts, timeout=1500)


def setup_sweep(b: Bench) -> None:
    """Figure 3's due deliveries, spread evenly over the receiver's ports (one destination each), and
    as many to one destination for another merchant; only the first set is left due."""
    started = time.monotonic()
    n, ports = b.cfg["sweep_deliveries"], len(b.receiver_urls)
    for index, url in enumerate(b.receiver_urls):
        share = n // ports + (1 if index < n % ports else 0)
        load_events(
            b,
            f"due (destination {index + 1} of {ports})",
            count=share,
            merchant=SWEEP_MERCHANT,
            salt=SALT_SWEEP_EVENT + index * n,
            order_salt=SALT_SWEEP_ORDER + index * n,
            days_ago=0.01,
            delivered=False,
            payload="t.payload",
            url=f"{url}/hook",
            quiet=index > 0,
        )
    load_events(
        b,
        "due (one destination)",
        count=n,
        merchant=SWEEP_ONE_MERCHANT,
        salt=SALT_SWEEP_ONE_EVENT,
        order_salt=SALT_SWEEP_ONE_ORDER,
        days_ago=0.01,
        delivered=False,
        payload="t.payload",
        url=f"{b.receiver_url}/hook",
    )
    b.db.psql("DELETE FROM deliveries WHERE merchant = :'m'", m=SWEEP_ONE_MERCHANT)
    # Figure 3 follows the API figures: it starts once autovacuum has taken what they wrote, and
    # checkpointed as after the history load (figure 5).
    b.settle()
    b.timings["load_due_s"] = time.monotonic() - started


def load_history(b: Bench) -> None:
    n = b.cfg["history"]
    started = time.monotonic()
    # Small payloads (an event's id and scope, the order's id and status) keep 5,000,000 rows
    # within minutes; what the claim and the reads use, the indexes, are full size.
    payload = (
        "jsonb_build_object('event', jsonb_build_object('id', bench.uuid7(g.ms, "
        f"{SALT_HISTORY_EVENT} + g.i), 'scope', 'state.processing'), 'order', "
        "jsonb_build_object('state', jsonb_build_object('currentStatus', 'processing')))"
    )
    load_events(
        b,
        "history",
        count=n,
        merchant=MERCHANT,
        salt=SALT_HISTORY_EVENT,
        order_salt=SALT_HISTORY_ORDER,
        days_ago=RETENTION_DAYS + 1.5,
        delivered=True,
        payload=payload,
        sessions=2 if n >= 100_000 else 1,
    )
    b.timings["load_history_s"] = time.monotonic() - started
    log(f"loaded {n:,} events + attempts in {b.timings['load_history_s']:.0f} s; VACUUM (FREEZE, ANALYZE), CHECKPOINT")
    started = time.monotonic()
    # The load leaves gigabytes of dirty pages; a checkpoint writes them out now, so that the
    # figures after it do not run beside the kernel's write-back of the load.
    b.db.psql("VACUUM (FREEZE, ANALYZE) events, attempts, deliveries; CHECKPOINT", timeout=1200)
    b.timings["vacuum_history_s"] = time.monotonic() - started
    sizes = b.db.psql(
        "SELECT t || '=' || pg_size_pretty((SELECT sum(pg_total_relation_size(relid)) FROM pg_partition_tree(t))) "
        "FROM unnest(ARRAY['attempts', 'deliveries', 'events']::regclass[]) AS t"
    )
    b.results["history_sizes"] = sizes.replace("\n", ", ")
    log(f"vacuumed and checkpointed in {b.timings['vacuum_history_s']:.0f} s; sizes: {b.results['history_sizes']}")
