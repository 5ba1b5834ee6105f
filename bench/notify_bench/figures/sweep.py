"""Figure 3 (and 5): sweep throughput, due deliveries to an nginx location answering 204, beside
pgbench running the sweep's claim and complete statements."""

from __future__ import annotations

import math
import re
from pathlib import Path

from ..common import BenchError, loadavg, log, median_min_max, median_parts
from ..config import ROOT, SWEEP_MERCHANT
from ..context import Bench
from ..statements import bind, claim_as_cte, swift_statements


def sweep_pgbench_script(b: Bench) -> Path:
    statements = swift_statements(ROOT / "Sources/NotifyStore/DeliveryStatements.swift")
    lease = "bench.uuid7(0, :lease)"
    claim = bind(
        statements["claim"],
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
    complete_sql = statements["complete"]
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
    # The destinations' health ($14 on): no change in the baseline.
    for number in re.findall(r"\$(\d+)", complete_sql):
        values.setdefault(int(number), lease if int(number) < 14 else "'{}'")
    complete = bind(complete_sql, values)
    script = "\n".join(
        [
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
        ]
    )
    path = b.tmp / "sweep.sql"
    path.write_text(script, encoding="utf-8")
    return path


def reset_due(b: Bench) -> None:
    """Makes figure 3's deliveries due again, as they were before a run (a finished delivery left the
    queue: it is queued again), and vacuums the queue."""
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
        m=SWEEP_MERCHANT,
        timeout=600,
    )
    due = int(b.db.value("SELECT count(*) FROM deliveries WHERE due_at IS NOT NULL"))
    if due != b.cfg["sweep_deliveries"]:
        raise BenchError(f"expected {b.cfg['sweep_deliveries']} due deliveries, found {due}")


def check_swept(b: Bench, what: str) -> None:
    left = int(b.db.value("SELECT count(*) FROM deliveries WHERE due_at IS NOT NULL"))
    if left:
        raise BenchError(f"{what}: {left} deliveries still due after the run")


def figure_sweep(b: Bench, label: str) -> dict:
    n = b.cfg["sweep_deliveries"]
    script = sweep_pgbench_script(b)
    sweep, base, ratios, rss, sweep_cpu, base_cpu = [], [], [], [], [], []
    for run in range(b.cfg["runs"]):
        reset_due(b)
        since = b.db.value("SELECT now()")
        (seconds, peak_kib), sc = b.meter.measure(lambda: b.run_sweep_once(timeout=300))
        check_swept(b, f"{label} sweep run")
        recorded = int(
            b.db.value(
                "SELECT count(*) FROM events WHERE merchant = :'m' AND status = 'succeeded' AND last_status_code = 204"
                " AND last_attempt_at >= :'since'",
                m=SWEEP_MERCHANT,
                since=since,
            )
        )
        if recorded != n:
            raise BenchError(f"{label}: {recorded} of {n} deliveries recorded as succeeded with a 204")
        reset_due(b)
        p, pc = b.meter.measure(lambda: b.pgbench(script, 1, ["-t", str(math.ceil(n / 100))], timeout=600))
        sweep_cpu.append(
            b.per_op(sc, n, {"notify-sweep": "client", "postgres": "postgres", "receiver": "nginx-receiver"})
        )
        base_cpu.append(b.per_op(pc, n, {"postgres": "postgres", "pgbench": "client"}))
        check_swept(b, f"{label} pgbench run")
        per_s = n / seconds
        base_per_s = p["tps"] * 100
        sweep.append(per_s)
        base.append(base_per_s)
        ratios.append(per_s / base_per_s)
        rss.append(peak_kib / 1024)
        log(
            f"{label} run {run + 1}: sweep {per_s:.0f} deliveries/s ({seconds:.1f} s, peak RSS "
            f"{peak_kib / 1024:.1f} MiB), pgbench claim+complete {base_per_s:.0f}/s, ratio {ratios[-1]:.3f}"
            f"   [load {loadavg()}]"
        )
    return {
        "sweep": median_min_max(sweep),
        "pgbench": median_min_max(base),
        "ratio": median_min_max(ratios),
        "rss_mib": median_min_max(rss),
        "sweep_cpu_us": median_parts(sweep_cpu),
        "pgbench_cpu_us": median_parts(base_cpu),
    }
