"""The cluster's writes (scripts/cluster): the latency of an order change with and without the
synchronous standby, and a quick 503 problem+json when there is no primary at all.

These run after test_failover.py (pytest takes the files in name order, the tests of a file in
their order): the last one stops both database nodes, and the cluster is shared by the session.

Every process and connection is on 127.0.0.1; each phase is bounded in time."""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import time
import urllib.request

import requests

from cluster_e2e import REQUEST_TIMEOUT, new_order_with_hook, patroni_primary, percentile, sync_standby_ready
from conftest import Cluster
from notify_e2e import ORDERS, PROBLEM_JSON, Receiver, alive, media_type, wait_until


def test_write_latency_with_and_without_the_synchronous_standby(cluster: Cluster) -> None:
    """What the synchronous standby costs a write: sequential order changes through nginx, and
    pgbench's one-row UPDATE transactions on the primary, with Patroni's synchronous mode on
    (every commit waits for the standby's flush) and off (the standby asynchronous: a commit waits
    for the local flush only, as on a single node), alternately, NOTIFY_LATENCY_ROUNDS rounds (3)."""
    api = cluster.api()
    primary = patroni_primary(cluster)
    assert primary in (1, 2)
    wait_until("a synchronous standby (after the failover test)", lambda: sync_standby_ready(cluster, primary), 120)
    primary_conninfo = cluster.node_conninfo(primary)
    if cluster.psql("SELECT 1 FROM pg_database WHERE datname = 'latency_probe'", primary_conninfo) != [["1"]]:
        cluster.psql("CREATE DATABASE latency_probe", primary_conninfo)
    probe = primary_conninfo.replace("dbname=notify", "dbname=latency_probe")
    cluster.psql(
        "CREATE TABLE IF NOT EXISTS probe (id int PRIMARY KEY, n bigint NOT NULL);"
        " INSERT INTO probe SELECT g, 0 FROM generate_series(1, 1000) g ON CONFLICT DO NOTHING",
        probe,
    )
    script = cluster.state / "latency_probe.sql"
    script.write_text("\\set id random(1, 1000)\nUPDATE probe SET n = n + 1 WHERE id = :id;\n")
    receiver = Receiver(status=204, body=b"").start()
    order = new_order_with_hook(api, receiver.url_for("/latency"))
    session = requests.Session()
    state = "checkout"

    def api_changes(count: int) -> list[float]:
        nonlocal state
        times = []
        for _ in range(count):
            state = "processing" if state == "checkout" else "checkout"
            started = time.monotonic()
            response = session.put(
                f"{cluster.url}{ORDERS}/{order}/state",
                headers=api.merchant.auth_headers(),
                json={"currentStatus": state},
                timeout=REQUEST_TIMEOUT,
            )
            times.append((time.monotonic() - started) * 1000)
            assert response.status_code == 200, response.text[:300]
        return times

    def pgbench_ms(seconds: int = 3) -> float:
        result = subprocess.run(
            [
                "/usr/lib/postgresql/15/bin/pgbench",
                "-n",
                "-c",
                "1",
                "-j",
                "1",
                "-T",
                str(seconds),
                "-M",
                "prepared",
                "-f",
                str(script),
                probe,
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr[-1000:]
        line = next(text for text in result.stdout.splitlines() if text.startswith("latency average"))
        return float(line.split("=")[1].split()[0])

    def set_synchronous_mode(on: bool) -> None:
        request = urllib.request.Request(
            f"http://127.0.0.1:{cluster.port(f'API{primary}')}/config",
            method="PATCH",
            data=json.dumps({"synchronous_mode": on}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.status == 200
        wanted = "sync" if on else "async"
        wait_until(
            f"the standby {wanted}",
            lambda: [wanted] in cluster.psql("SELECT sync_state FROM pg_stat_replication", primary_conninfo),
            60,
        )

    api_changes(20)  # warm the workers' prepared statements
    api_ms: dict[bool, list[float]] = {True: [], False: []}
    commit_ms: dict[bool, list[float]] = {True: [], False: []}
    try:
        for _ in range(int(os.environ.get("NOTIFY_LATENCY_ROUNDS") or 3)):
            for synchronous in (True, False):
                set_synchronous_mode(synchronous)
                api_ms[synchronous] += api_changes(60)
                commit_ms[synchronous].append(pgbench_ms())
    finally:
        set_synchronous_mode(True)
        receiver.stop()
    for synchronous, name in ((True, "synchronous standby"), (False, "asynchronous standby (as a single node)")):
        times = api_ms[synchronous]
        print(
            f"\nwrite latency, {name}: API change p50 {statistics.median(times):.1f} ms, "
            f"p90 {percentile(times, 0.9):.1f} ms ({len(times)} PUT .../state through nginx); "
            f"pgbench one-row UPDATE {statistics.median(commit_ms[synchronous]):.2f} ms "
            f"(median of {len(commit_ms[synchronous])} runs: {commit_ms[synchronous]})"
        )
    assert all(statistics.median(times) < 1000 for times in api_ms.values())


def test_no_primary_at_all_is_a_quick_503(cluster: Cluster) -> None:
    """Both database nodes stopped (last test: the cluster is not restarted): every worker answers
    503 problem+json at once, on a connection that broke and on a new one alike."""
    api = cluster.api()
    order = new_order_with_hook(api, "http://127.0.0.1:9/never-delivered")
    patronis = [cluster.pid(f"patroni-pg{n}") for n in (1, 2)]
    for pid in patronis:
        os.kill(pid, signal.SIGTERM)  # Patroni stops its PostgreSQL, then itself

    def stopped() -> bool:
        return not any(alive(pid) for pid in patronis)

    wait_until("both Patroni nodes stopped", stopped, 90)
    for attempt in range(8):  # more requests than workers: every worker answers at least once
        started = time.monotonic()
        response = api.put(f"{ORDERS}/{order}/state", json={"currentStatus": "processing"})
        took = time.monotonic() - started
        assert response.status_code == 503, f"attempt {attempt}: {response.status_code} {response.text[:300]!r}"
        assert media_type(response) == PROBLEM_JSON and response.json()["status"] == 503
        assert response.headers.get("Retry-After"), "a 503 says when to retry"
        assert took < 3.0, f"attempt {attempt}: the 503 took {took:.1f}s"
    health = requests.get(f"{cluster.url}/healthz", timeout=REQUEST_TIMEOUT)
    assert health.status_code == 503, health.text[:300]
