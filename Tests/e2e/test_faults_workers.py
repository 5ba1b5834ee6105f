"""Fault: FastCGI workers killed, and the master stopped (issue 8).

- SIGKILL every worker of the shared notify-fcgi master at once while clients change orders: the
  master forks replacements, nginx answers 503 problem+json at worst in between, and no
  accepted (2xx) change is lost; no change is half-applied (the killed worker's transaction is
  rolled back or committed whole, with its event).
- SIGTERM to a master of the test's own (own socket, spoken to in FastCGI directly) while a
  request is in flight (its body only half sent): the request still completes, then the master
  exits 0 and removes its socket.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

from notify_e2e import (
    PROBLEM_JSON,
    Api,
    FastCGIRequest,
    Merchant,
    OrderLoad,
    Receiver,
    Service,
    alive,
    check_changes_applied,
    children,
    env,
    fault_report,
    fcgi_params,
    fcgi_request,
    order_with_toggle_hook,
    sql_json,
    wait_delivered,
    wait_for_socket,
    wait_healthy,
)

CLIENTS = 6
ROUNDS = 3


def test_sigkill_all_workers_under_load(base_url: str, merchant: Merchant) -> None:
    api = Api(base_url, merchant)
    master = int(env("NOTIFY_FCGI_MASTER_PID"))
    before = children(master)
    assert before, "the notify-fcgi master has no workers"

    with Receiver() as receiver:
        order_ids = [order_with_toggle_hook(api, receiver.url_for(f"/w{i}")) for i in range(CLIENTS)]
        load = OrderLoad(base_url, merchant, order_ids, request_timeout=5.0, max_seconds=30.0).start()
        replaced_at = None
        kills = 0
        try:
            time.sleep(1.0)
            killed_at = time.time()
            for _ in range(ROUNDS):  # kill every worker at once, wait for the new ones, again
                victims = children(master)
                for pid in victims:
                    os.kill(pid, signal.SIGKILL)
                kills += len(victims)
                replaced_at = None
                deadline = time.monotonic() + 5.0
                while time.monotonic() < deadline:
                    now = children(master)
                    if len(now) == len(before) and not (now & victims):
                        replaced_at = time.time()
                        break
                    time.sleep(0.02)
                if replaced_at is None:
                    break
                time.sleep(0.7)
            time.sleep(1.5)  # the load goes on with the new workers
        finally:
            load.stop()
        assert replaced_at is not None, (
            f"workers not replaced within 5 s: before {sorted(before)}, now {sorted(children(master))}"
        )
        wait_healthy(base_url, timeout=10)

        outcomes = load.outcomes
        statuses = Counter(str(o.status) if o.status is not None else "no response" for o in outcomes)
        hung = [o for o in outcomes if o.status is None]
        assert not hung, f"{len(hung)} request(s) without a response: {hung[0].error}; {statuses}"
        # nginx's own 502 (a worker died with the request) reaches the client as a 503.
        unexpected = [o for o in outcomes if o.status not in (200, 503)]
        assert not unexpected, f"statuses other than 200/503: {statuses}; first: {unexpected[0].error[:300]}"
        not_problem = [o for o in outcomes if o.status != 200 and o.media_type != PROBLEM_JSON]
        assert not not_problem, f"an error that is not problem+json: {not_problem[0].media_type} {not_problem[0].error}"
        after = [o for o in outcomes if o.started >= replaced_at + 0.5]
        assert after and all(o.status == 200 for o in after), Counter(o.status for o in after)

        applied = check_changes_applied(api, outcomes)
        delivered = wait_delivered(receiver, applied["event_ids"], timeout=20)
        errors = [o for o in outcomes if o.status != 200]
        fault_report(
            "workers SIGKILL",
            kills=kills,
            requests=len(outcomes),
            statuses=dict(statuses),
            errors=len(errors),
            killing_for_s=round(replaced_at - killed_at, 2),
            changes=applied["changes"],
            accepted=sum(1 for o in outcomes if o.status == 200),
            events=len(applied["event_ids"]),
            **delivered,
        )


def test_sigterm_drains_the_request_in_flight(merchant: Merchant, tmp_path: Path) -> None:
    socket_path = str(tmp_path / "fcgi.sock")
    environment = dict(os.environ, NOTIFY_DATABASE_URL=env("NOTIFY_DATABASE_URL"), NOTIFY_LOG_LEVEL="info")
    master = Service(
        [os.path.join(env("NOTIFY_BIN"), "notify-fcgi"), "--socket", socket_path, "--workers", "2"],
        environment,
        str(tmp_path / "notify-fcgi.log"),
    )
    master.start()
    request = None
    try:
        wait_for_socket(socket_path, master)
        workers = children(master.pid)
        assert len(workers) == 2, workers

        body = json.dumps({"reference": "drained", "attributes": {"pad": "x" * 20000}}).encode()
        headers = {**merchant.auth_headers(), "X-Channel": "web", "Content-Type": "application/json"}
        request = FastCGIRequest(socket_path, timeout=15)
        request.begin(fcgi_params("POST", "/api/v0/checkout/orders", headers, body))
        request.send_body(body[: len(body) // 2])
        time.sleep(0.5)  # a worker has accepted it and is reading the body

        terminated_at = time.monotonic()
        os.kill(master.pid, signal.SIGTERM)
        time.sleep(1.0)
        assert master.running(), f"the master exited with a request in flight:\n{master.log()[-2000:]}"
        request.send_body(body[len(body) // 2 :])
        request.end_body()
        response = request.response(timeout=10)
        request.close()  # as nginx does: libfcgi lingers up to 2 s for the client to close first
        assert response.status == 201, f"the request in flight got {response.status}: {response.body[:300]!r}"
        order_id = response.json()["id"]

        assert master.process is not None
        code = master.process.wait(timeout=10)
        stopped_in = time.monotonic() - terminated_at
        assert code == 0, f"notify-fcgi exited {code} after SIGTERM:\n{master.log()[-2000:]}"
        assert not os.path.exists(socket_path), "the master left its socket behind"
        deadline = time.monotonic() + 2
        while (left := [pid for pid in workers if alive(pid)]) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not left, f"workers {left} outlived their master"
        stored = sql_json(
            "SELECT document->>'reference' AS reference FROM orders WHERE order_id = :'id'::uuid", id=order_id
        )
        assert stored == [{"reference": "drained"}], stored
        fault_report(
            "master SIGTERM",
            in_flight_status=response.status,
            stopped_in_s=round(stopped_in, 2),
            exit_code=code,
            socket_removed=True,
        )
    finally:
        if request is not None:
            request.close()
        master.stop()


def test_a_worker_stuck_in_one_request_is_replaced(merchant: Merchant, tmp_path: Path) -> None:
    """A request wedged past NOTIFY_REQUEST_TIMEOUT (here: waiting on a row lock held by another
    session) gets its worker killed by the master and replaced; its transaction rolls back."""
    socket_path = str(tmp_path / "fcgi.sock")
    environment = dict(os.environ, NOTIFY_DATABASE_URL=env("NOTIFY_DATABASE_URL"), NOTIFY_REQUEST_TIMEOUT="2")
    master = Service(
        [os.path.join(env("NOTIFY_BIN"), "notify-fcgi"), "--socket", socket_path, "--workers", "2"],
        environment,
        str(tmp_path / "notify-fcgi.log"),
    )
    master.start()
    locker = None
    try:
        wait_for_socket(socket_path, master)
        workers = children(master.pid)
        headers = {**merchant.auth_headers(), "X-Channel": "web", "Content-Type": "application/json"}
        created = fcgi_request(socket_path, "POST", "/api/v0/checkout/orders", headers=headers, body=b"{}")
        assert created.status == 201, created.body[:300]
        order_id = created.json()["id"]
        assert all(c in "0123456789abcdef-" for c in order_id), order_id
        locker = subprocess.Popen(
            [
                "psql",
                env("NOTIFY_DATABASE_URL"),
                "-X",
                "-q",
                "-c",
                f"BEGIN; SELECT 1 FROM orders WHERE order_id = '{order_id}' FOR UPDATE; SELECT pg_sleep(8); COMMIT;",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_locked = time.monotonic() + 10  # psql may take a while to start on a busy machine
        while not sql_json(
            "SELECT 1 AS held FROM pg_stat_activity WHERE pid <> pg_backend_pid()"
            " AND state = 'active' AND query LIKE '%pg_sleep(8)%'"
        ):
            assert time.monotonic() < wait_locked, "the locking session did not start"
            time.sleep(0.05)

        started = time.monotonic()
        body = json.dumps({"currentStatus": "processing"}).encode()
        try:
            answer = fcgi_request(
                socket_path, "PUT", f"/api/v0/checkout/orders/{order_id}/state", headers=headers, body=body, timeout=15
            ).status
        except ConnectionError:
            answer = None  # the worker died with the request: nginx would answer 503 (its own 502)
        waited = time.monotonic() - started
        assert answer is None, f"the wedged request was answered {answer} after {waited:.1f}s"
        assert waited < 6, f"the stuck worker was not killed in time ({waited:.1f}s)"

        deadline = time.monotonic() + 3
        while (len(children(master.pid)) < 2 or children(master.pid) == workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        now = children(master.pid)
        assert len(now) == 2 and now != workers, f"workers before {workers}, after {now}"
        assert "worker stuck in one request" in master.log()
        assert fcgi_request(socket_path, "GET", "/healthz", timeout=5).status == 200
        locker.wait(timeout=15)
        state = sql_json(
            "SELECT document->'state'->>'currentStatus' AS status FROM orders WHERE order_id = :'id'::uuid", id=order_id
        )
        assert state == [{"status": "checkout"}], f"the killed request's change was applied: {state}"
        fault_report("stuck worker", killed_after_s=round(waited, 2), replaced=True)
    finally:
        if locker is not None and locker.poll() is None:
            locker.kill()
        master.stop()
