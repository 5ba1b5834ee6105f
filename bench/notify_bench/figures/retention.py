"""Figure 7: history that stays bounded. One housekeeping over figure 5's history, and simulated
days of steady traffic with the retention's housekeeping before each day."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import time

from ..common import BenchError, log, median_parts
from ..config import (
    MERCHANT,
    RETENTION_DAYS,
    RETENTION_SIM_DAYS,
    RETENTION_SIM_OFFSET,
    SALT_RETENTION_EVENT,
    SALT_RETENTION_ORDER,
)
from ..context import Bench
from ..loading import load_events
from ..statements import bind, statement_sql


def figure_housekeeping(b: Bench) -> dict:
    """One `notifyctl housekeeping` over figure 5's history (it spans RETENTION_DAYS + 1.5 days, so
    the oldest day or two are wholly past the retention): drop those days, create one more day ahead
    (NOTIFY_PARTITIONS_AHEAD one more than the partitions there are). The time includes the
    process start and the connection."""
    events_before = int(b.db.value("SELECT reltuples::bigint FROM pg_class WHERE relname = 'events'"))
    environment = dict(os.environ, NOTIFY_RETENTION_DAYS=str(RETENTION_DAYS), NOTIFY_PARTITIONS_AHEAD="8")
    # Housekeeping yields when a table lock is not free within its lock timeout (500 ms), and an
    # autovacuum of a partition after figure 5's sweeps holds one: wait for those, and try again
    # (at most twice) when one started meanwhile.
    for attempt in range(3):
        b.settle()
        started = time.monotonic()
        done, cpu = b.meter.measure(
            lambda: subprocess.run(
                [str(b.bin / "notifyctl"), "housekeeping"], env=environment, capture_output=True, text=True, timeout=120
            )
        )
        seconds = time.monotonic() - started
        if done.returncode == 0 or "lock timeout" not in done.stderr or attempt == 2:
            break
        log(f"housekeeping yielded to a table lock (try {attempt + 1}): {done.stderr.strip()}")
    if done.returncode != 0:
        raise BenchError(f"notifyctl housekeeping failed: {done.stderr.strip()}")
    report = json.loads(done.stdout)
    if not report["ran"] or report["droppedDays"] < 1 or report["createdDays"] < 1:
        raise BenchError(f"housekeeping dropped or created nothing: {report}")
    log(
        f"housekeeping over {b.cfg['history']:,} events of history: {seconds:.3f} s "
        f"(dropped {report['droppedDays']} day(s), created {report['createdDays']}; "
        f"events estimate before {events_before:,})"
    )
    return {
        "seconds": seconds,
        "dropped_days": report["droppedDays"],
        "created_days": report["createdDays"],
        "cpu_us": median_parts([b.per_op(cpu, 1, {"notifyctl": "client", "postgres": "postgres"})]),
    }


def figure_retention(b: Bench) -> dict:
    """RETENTION_SIM_DAYS simulated days of steady traffic (`retention_per_day` events with an attempt
    each) with NOTIFY_RETENTION_DAYS = RETENTION_DAYS: before each day's traffic, the application's
    housekeeping statements (`notifyctl sql history_drop`, `history_create`) run with that day's noon
    as now. The size of the simulation's partitions after day RETENTION_DAYS and after the last day."""
    drop_sql = statement_sql(b.bin, "history_drop")
    create_sql = statement_sql(b.bin, "history_create")
    per_day = b.cfg["retention_per_day"]
    day_ms = 86_400_000
    first_day_ms = (int(time.time() * 1000) // day_ms - RETENTION_SIM_OFFSET) * day_ms
    size_sql = """
        SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)
        FROM pg_inherits AS i JOIN pg_class AS c ON c.oid = i.inhrelid
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
        script = "\n".join(
            [
                "BEGIN;",
                bind(drop_sql, {1: now, 2: str(RETENTION_DAYS)}) + ";",
                bind(create_sql, {1: now, 2: "7"}) + ";",
                "COMMIT;",
            ]
        )
        begun = time.monotonic()
        b.db.psql(script)
        housekeeping.append(time.monotonic() - begun)
        load_events(
            b,
            "retention",
            count=per_day,
            merchant=MERCHANT,
            salt=SALT_RETENTION_EVENT + day * per_day,
            order_salt=SALT_RETENTION_ORDER + day * per_day,
            days_ago=0,
            delivered=True,
            payload="t.payload",
            start_ms=day_start + 3_600_000,
            span_ms=day_ms - 7_200_000,
            quiet=True,
        )
        if day in (RETENTION_DAYS, RETENTION_SIM_DAYS):
            sizes[day] = int(b.db.value(size_sql, **bounds))
            log(f"day {day}: history of the simulation {sizes[day] / 2**20:,.1f} MiB")
    ratio = sizes[RETENTION_SIM_DAYS] / sizes[RETENTION_DAYS]
    log(
        f"figure 7 took {time.monotonic() - started:.0f} s; size day {RETENTION_SIM_DAYS} / day {RETENTION_DAYS}: "
        f"{ratio:.3f}; simulated housekeeping median {statistics.median(housekeeping) * 1000:.0f} ms"
    )
    return {"sizes": sizes, "ratio": ratio, "housekeeping_median_s": statistics.median(housekeeping)}
