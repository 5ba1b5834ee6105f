"""Figure 3 (and 5): sweep throughput, due deliveries spread over 16 destinations (16 ports of an
nginx answering 204), beside bench/c/sweep_curl (the same work in C: the sweep's claim, signed
deliveries with libcurl multi under the same limits, the sweep's write-back) and beside pgbench
running the claim and complete statements; and the sweep to one destination."""

from __future__ import annotations

import math
import re
from pathlib import Path

from ..common import BenchError, loadavg, log, median_min_max, median_parts
from ..config import SWEEP_MERCHANT, SWEEP_ONE_MERCHANT
from ..context import Bench
from ..statements import bind, claim_as_cte, statement_sql

# The processes a sweep run's CPU is counted in, by their name in the report: PostgreSQL and the 204
# receiver, beside the client that delivers (notify-sweep, or sweep_curl for the same work).
RECEIVER_PARTS = {"postgres": "postgres", "receiver": "nginx-receiver"}
SWEEP_PARTS = {"notify-sweep": "client", **RECEIVER_PARTS}


def sweep_pgbench_script(b: Bench) -> Path:
    lease = "bench.uuid7(0, :lease)"
    claim = bind(
        statement_sql(b.bin, "deliveries_claim"),
        {
            1: "now()",
            2: "100",
            3: "(now() + interval '1 minute')",
            4: lease,
            5: "'{}'",
            6: "'{}'",
            7: "'{}'",
            8: "'{}'",
            9: "100",
            10: "100",
        },
    )
    # The complete statement takes one array per outcome column (unnest(...) AS o(columns)):
    # each gets the outcome of a 204 for every claimed delivery; a scalar parameter is the lease.
    complete_sql = statement_sql(b.bin, "deliveries_complete")
    unnest = re.search(r"unnest\((.*?)\)\s+AS\s+o\((.*?)\)", complete_sql, re.S)
    if not unnest:
        raise BenchError("cannot find unnest(...) AS o(...) in DeliveryStatements.complete")
    params = re.findall(r"\$(\d+)::(\w+)\[\]", unnest.group(1))
    columns = [c.strip() for c in unnest.group(2).split(",")]
    if len(params) != len(columns):
        raise BenchError("DeliveryStatements.complete: unnest arguments and columns do not match")
    outcome = {
        "merchant": "merchant",
        "event_id": "event_id",
        "attempt_id": "gen_random_uuid()",
        "attempted_at": "now()",
        "status_code": "204",
        "response_body": "''",
        "duration_ms": "2",
        "error": "NULL",
        "trigger": "trigger",
        "status": "'succeeded'",
        "next_due": "NULL",
        "automatic_attempts": "attempt + 1",
        "lease_token": lease,
    }
    aggregates, values = [], {}
    for (number, element_type), column in zip(params, columns, strict=True):
        if column not in outcome:
            raise BenchError(f"DeliveryStatements.complete has a column the bench does not know: {column}")
        aggregates.append(f"array_agg(({outcome[column]})::{element_type}) AS p{number}")
        values[int(number)] = f":p{number}"
    # The batch's lowest and highest event id ($25, $26).
    aggregates += ["min(event_id::text) AS p25", "max(event_id::text) AS p26"]
    values |= {25: ":p25", 26: ":p26"}
    # The destinations' health ($14..$24): no change in the baseline.
    for number in re.findall(r"\$(\d+)", complete_sql):
        values.setdefault(int(number), lease if int(number) < 14 else "'{}'")
    complete = bind(complete_sql, values)
    script = "\n".join(
        [
            "-- figure 3 baseline: the sweep's claim and complete (notifyctl sql deliveries_...), batches of 100,",
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
        ]
    )
    path = b.tmp / "sweep.sql"
    path.write_text(script, encoding="utf-8")
    return path


def pgbench_until_done(b: Bench, script: Path) -> dict:
    """Runs the claim+complete script until nothing is due and returns the time its transactions
    took (pgbench's tps, without connection time). A claim takes each destination's share of the
    batch, so once some destinations run dry a transaction takes fewer than 100 and the first
    ceil(n / 100) transactions leave a few due: those are run too, and counted."""
    seconds, transactions, left = 0.0, 0, b.cfg["sweep_deliveries"]
    for _ in range(50):
        p = b.pgbench(script, 1, ["-t", str(math.ceil(left / 100))], timeout=600)
        seconds += p["transactions"] / p["tps"]
        transactions += p["transactions"]
        left = int(b.db.value("SELECT count(*) FROM deliveries WHERE due_at IS NOT NULL"))
        if not left:
            break
    return {"seconds": seconds, "transactions": transactions, "left": left}


def reset_due(b: Bench, merchant: str = SWEEP_MERCHANT) -> None:
    """Makes the merchant's deliveries (figure 3's, or the one destination's) due again, as they were
    before a run (a finished delivery left the queue: it is queued again), and vacuums the queue."""
    b.db.psql(
        """
        SET synchronous_commit = off;
        INSERT INTO deliveries (merchant, event_id, due_at, destination_id)
        SELECT merchant, event_id, now() - interval '1 second', destination_id FROM events WHERE merchant = :'m'
        ON CONFLICT (merchant, event_id) DO UPDATE
        SET due_at = EXCLUDED.due_at, attempt = 0, trigger = 'automatic', lease_token = NULL,
            retry_requested = false;
        VACUUM (ANALYZE) deliveries;
        VACUUM events;
        """,
        m=merchant,
        timeout=600,
    )
    due = int(b.db.value("SELECT count(*) FROM deliveries WHERE due_at IS NOT NULL"))
    if due != b.cfg["sweep_deliveries"]:
        raise BenchError(f"expected {b.cfg['sweep_deliveries']} due deliveries, found {due}")


def check_swept(b: Bench, what: str, merchant: str, since: str) -> None:
    """Every due delivery was made and recorded as succeeded with the receiver's 204."""
    left = int(b.db.value("SELECT count(*) FROM deliveries WHERE due_at IS NOT NULL"))
    if left:
        raise BenchError(f"{what}: {left} deliveries still due after the run")
    n = b.cfg["sweep_deliveries"]
    recorded = int(
        b.db.value(
            "SELECT count(*) FROM events WHERE merchant = :'m' AND status = 'succeeded' AND last_status_code = 204"
            " AND last_attempt_at >= :'since'",
            m=merchant,
            since=since,
        )
    )
    if recorded != n:
        raise BenchError(f"{what}: {recorded} of {n} deliveries recorded as succeeded with a 204")


def timed_sweep(b: Bench, what: str, merchant: str = SWEEP_MERCHANT) -> tuple[float, float, dict]:
    """One notify-sweep run over the merchant's due deliveries: (seconds, peak RSS MiB, CPU)."""
    reset_due(b, merchant)
    since = b.db.value("SELECT now()")
    (seconds, peak_kib), cpu = b.meter.measure(lambda: b.run_sweep_once(timeout=300))
    check_swept(b, what, merchant, since)
    return seconds, peak_kib / 1024, cpu


def figure_sweep(b: Bench, label: str) -> dict:
    n = b.cfg["sweep_deliveries"]
    script = sweep_pgbench_script(b)
    sweep, same, base, ratios, same_ratios, rss, sweep_cpu, same_cpu, base_cpu = ([] for _ in range(9))
    # One run first that is not counted: the first run after the set-up (its loads, its checkpoint
    # and the autovacuum they start) was the figure's slowest, and the sweep always ran first.
    seconds, _, _ = timed_sweep(b, f"{label} warm-up run")
    log(f"{label} warm-up run (not counted): sweep {n / seconds:.0f} deliveries/s   [load {loadavg()}]")
    for run in range(b.cfg["runs"]):
        seconds, peak_mib, sc = timed_sweep(b, f"{label} sweep run")
        reset_due(b)
        since = b.db.value("SELECT now()")
        c, cc = b.meter.measure(lambda: b.run_sweep_curl(timeout=300))
        check_swept(b, f"{label} sweep_curl run", SWEEP_MERCHANT, since)
        reset_due(b)
        p, pc = b.meter.measure(lambda: pgbench_until_done(b, script))
        if p["left"]:
            raise BenchError(f"{label} pgbench run: {p['left']} deliveries still due after the run")
        sweep_cpu.append(b.per_op(sc, n, SWEEP_PARTS))
        same_cpu.append(b.per_op(cc, n, {"sweep_curl": "client", **RECEIVER_PARTS}))
        base_cpu.append(b.per_op(pc, n, {"postgres": "postgres", "pgbench": "client"}))
        per_s, same_per_s, base_per_s = n / seconds, n / c["seconds"], n / p["seconds"]
        sweep.append(per_s)
        same.append(same_per_s)
        base.append(base_per_s)
        ratios.append(per_s / base_per_s)
        same_ratios.append(per_s / same_per_s)
        rss.append(peak_mib)
        log(
            f"{label} run {run + 1}: sweep {per_s:.0f} deliveries/s ({seconds:.1f} s, peak RSS {peak_mib:.1f} MiB), "
            f"same-work C {same_per_s:.0f}/s ({c['claims']} claims, {c['write_backs']} write-backs), "
            f"ratio {same_ratios[-1]:.3f}; pgbench claim+complete "
            f"{base_per_s:.0f}/s, ratio {ratios[-1]:.3f}   [load {loadavg()}]"
        )
    return {
        "sweep": median_min_max(sweep),
        "same_work": median_min_max(same),
        "pgbench": median_min_max(base),
        "ratio": median_min_max(ratios),
        "same_work_ratio": median_min_max(same_ratios),
        "rss_mib": median_min_max(rss),
        "sweep_cpu_us": median_parts(sweep_cpu),
        "same_work_cpu_us": median_parts(same_cpu),
        "pgbench_cpu_us": median_parts(base_cpu),
    }


def figure_sweep_one_destination(b: Bench) -> dict:
    """The sweep with every delivery to one destination (one receiver port): the per-destination
    limits then bound it, as they bound a merchant with a single receiver."""
    n = b.cfg["sweep_deliveries"]
    sweep, rss, cpu = [], [], []
    for run in range(b.cfg["runs"]):
        seconds, peak_mib, sc = timed_sweep(b, "sweep (one destination)", SWEEP_ONE_MERCHANT)
        cpu.append(b.per_op(sc, n, SWEEP_PARTS))
        sweep.append(n / seconds)
        rss.append(peak_mib)
        log(f"sweep to one destination run {run + 1}: {n / seconds:.0f} deliveries/s   [load {loadavg()}]")
    return {"sweep": median_min_max(sweep), "rss_mib": median_min_max(rss), "sweep_cpu_us": median_parts(cpu)}


def compare_sweeps(b: Bench, other: Path) -> dict:
    """Figure 3's sweep with the bench's binaries (A) and with those in `other` (B), in alternating
    runs on the same database (A B, B A, A B, ...): an A/B of two builds on which the machine's
    drift falls equally. Returns each side's deliveries/s and CPU per delivery."""
    n = b.cfg["sweep_deliveries"]
    bins = {"A": b.bin, "B": other}
    rates: dict[str, list[float]] = {"A": [], "B": []}
    cpu: dict[str, list[dict]] = {"A": [], "B": []}
    try:
        for run in range(b.cfg["runs"]):
            for side in ("A", "B") if run % 2 == 0 else ("B", "A"):
                b.bin = bins[side]
                seconds, _, sc = timed_sweep(b, f"sweep {side} run")
                rates[side].append(n / seconds)
                cpu[side].append(b.per_op(sc, n, SWEEP_PARTS))
                log(f"sweep {side} ({bins[side]}) run {run + 1}: {n / seconds:.0f} deliveries/s   [load {loadavg()}]")
    finally:
        b.bin = bins["A"]
    return {side: {"sweep": median_min_max(rates[side]), "sweep_cpu_us": median_parts(cpu[side])} for side in bins}
