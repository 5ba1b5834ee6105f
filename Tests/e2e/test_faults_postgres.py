"""Fault: PostgreSQL restarts under load (issue 8).

Clients keep changing orders (one thread per order, toggling checkout <-> processing through nginx)
while the shared `notify-sweep --follow` delivers every change to a receiver. The throwaway
cluster of scripts/test is stopped (fast shutdown), kept down for a moment, and started again
with scripts/pgctl. Expected:
- during the outage every API call answers 503 problem+json quickly (< 2 s): no 500, no HTML, no hang;
- afterwards the same workers and the same sweep carry on by themselves (nothing restarted);
- every change that got a 2xx is in the database, and every change (also one whose request got an
  error) has exactly its one event: nothing half-applied;
- every event reaches the receiver (same `webhook-id` on any duplicate).
"""

from __future__ import annotations

import os
import time
from collections import Counter

from notify_e2e import (
    PROBLEM_JSON,
    Api,
    Merchant,
    OrderLoad,
    Receiver,
    check_changes_applied,
    children,
    env,
    fault_report,
    order_with_toggle_hook,
    pgctl,
    postgres_running,
    wait_delivered,
    wait_healthy,
)

CLIENTS = 6
OUTAGE_SECONDS = 2.0
QUICK = 2.0
"""Seconds an API call may take while the database is down."""


def shared_sweep_pid() -> int:
    with open(os.path.join(env("NOTIFY_TEST_STATE"), "pids", "notify-sweep.pid")) as file:
        return int(file.read().strip())


def test_postgres_restart_under_load(base_url: str, merchant: Merchant) -> None:
    api = Api(base_url, merchant)
    master = int(env("NOTIFY_FCGI_MASTER_PID"))
    workers_before = children(master)
    sweep = shared_sweep_pid()
    assert os.path.exists(f"/proc/{sweep}"), "the shared notify-sweep is not running"

    with Receiver() as receiver:
        order_ids = [order_with_toggle_hook(api, receiver.url_for(f"/o{i}")) for i in range(CLIENTS)]
        load = OrderLoad(base_url, merchant, order_ids, request_timeout=5.0, max_seconds=30.0).start()
        try:
            time.sleep(1.5)
            down_begin = time.time()
            pgctl("stop")
            down = time.time()
            time.sleep(OUTAGE_SECONDS)
            up_begin = time.time()
            pgctl("start")
            up = time.time()
            recovered_in = wait_healthy(base_url, timeout=15)
            time.sleep(2.5)  # the load goes on after the restart
        finally:
            load.stop()
            if not postgres_running():
                pgctl("start")
        wait_healthy(base_url, timeout=15)

        outcomes = load.outcomes
        statuses = Counter(str(o.status) if o.status is not None else "no response" for o in outcomes)
        during = [o for o in outcomes if o.started >= down and o.finished <= up_begin]
        after = [o for o in outcomes if o.started >= up + recovered_in + 1.0]

        # No hang, no 500, no HTML, whenever it was sent.
        hung = [o for o in outcomes if o.status is None]
        assert not hung, f"{len(hung)} request(s) without a response (hang or reset): {hung[0].error}; {statuses}"
        unexpected = [o for o in outcomes if o.status not in (200, 503)]
        assert not unexpected, (
            f"statuses other than 200/503 around the restart: {statuses}; first: "
            f"{unexpected[0].status} {unexpected[0].error[:300]}"
        )
        not_problem = [o for o in outcomes if o.status != 200 and o.media_type != PROBLEM_JSON]
        assert not not_problem, f"an error that is not problem+json: {not_problem[0].media_type} {not_problem[0].error}"

        # While the database is down: 503 problem+json, quickly.
        assert during, "no request was sent while the database was down: the load is too thin to judge"
        assert all(o.status == 503 for o in during), Counter(o.status for o in during)
        slow = [o for o in during if o.elapsed > QUICK]
        assert not slow, (
            f"{len(slow)} answer(s) took over {QUICK}s while the database was down: {max(o.elapsed for o in slow):.2f}s"
        )

        # Afterwards: served again by the same processes.
        assert after, "no request after the restart"
        failed_after = [o for o in after if o.status != 200]
        assert not failed_after, (
            f"{len(failed_after)} of {len(after)} requests failed after recovery: "
            f"{Counter(o.status for o in failed_after)}"
        )
        assert children(master) == workers_before, "the workers were replaced; they should have reconnected"
        assert os.path.exists(f"/proc/{sweep}") and shared_sweep_pid() == sweep, "the shared sweep was restarted"

        # Nothing lost, nothing half-applied, everything delivered.
        applied = check_changes_applied(api, outcomes)
        delivered = wait_delivered(receiver, applied["event_ids"], timeout=20)
        late_503 = sum(1 for o in outcomes if o.status == 503 and o.started >= up)
        fault_report(
            "postgres restart",
            requests=len(outcomes),
            statuses=dict(statuses),
            during_outage=len(during),
            max_outage_answer_s=round(max(o.elapsed for o in during), 3),
            recovered_in_s=round(recovered_in, 2),
            down_s=round(up - down_begin, 2),
            late_503=late_503,
            changes=applied["changes"],
            events=len(applied["event_ids"]),
            **delivered,
        )
