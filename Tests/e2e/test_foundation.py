"""The foundation through nginx: health, authentication, routing errors, body limit, request ids,
and a FastCGI worker killed under load."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
import uuid
from collections import Counter

import pytest
import requests

from notify_e2e import ORDERS, TIMEOUT, Api, Merchant, assert_problem, env, media_type, notifyctl, notifyctl_json


def unknown_order_path() -> str:
    return f"{ORDERS}/{uuid.uuid4()}"


# ---- health and operations ------------------------------------------------------------------


def test_healthz_answers_ok_json(anonymous: Api) -> None:
    response = anonymous.get("/healthz")
    assert response.status_code == 200, response.text
    assert media_type(response) == "application/json"
    assert response.json().get("status") == "ok", response.text


def test_every_response_has_a_request_id(anonymous: Api, api: Api) -> None:
    ids = [
        anonymous.get("/healthz").headers.get("X-Request-Id"),
        api.get(unknown_order_path()).headers.get("X-Request-Id"),
        anonymous.get(unknown_order_path()).headers.get("X-Request-Id"),
    ]
    assert all(ids), ids
    assert len(set(ids)) == len(ids), f"request ids repeat: {ids}"


def test_metrics_from_loopback(anonymous: Api) -> None:
    response = anonymous.get("/metrics")
    assert response.status_code == 200, response.text[:300]
    assert media_type(response) == "text/plain"


# ---- authentication ---------------------------------------------------------------------------


def test_authenticated_request_reaches_the_route(api: Api, healthy) -> None:
    # An unknown order of our own is a 404 problem: authentication passed, routing worked.
    assert_problem(api.get(unknown_order_path()), 404)
    healthy()


@pytest.mark.parametrize(
    ("case", "headers", "status"),
    [
        ("no X-Merchant", {"X-Merchant": None}, 400),
        ("no Authorization", {"Authorization": None}, 401),
        ("Basic scheme", {"Authorization": "Basic eDp5"}, 401),
        ("Bearer without token", {"Authorization": "Bearer "}, 401),
        ("unknown token", {"Authorization": "Bearer " + "0" * 43}, 401),
    ],
)
def test_authentication_failures(api: Api, healthy, case: str, headers: dict, status: int) -> None:
    assert_problem(api.get(unknown_order_path(), headers=headers), status)
    healthy()


def test_token_of_another_merchant_is_forbidden(api: Api, merchant_factory, healthy) -> None:
    other: Merchant = merchant_factory()
    response = api.get(unknown_order_path(), headers={"Authorization": f"Bearer {other.token}"})
    assert_problem(response, 403)
    healthy()


def test_revoked_token_is_refused(api: Api, merchant: Merchant, healthy) -> None:
    created = notifyctl_json("token", "create", merchant.id)
    assert created["merchant"] == merchant.id
    token = created["token"]
    with_new_token = {"Authorization": f"Bearer {token}"}
    assert_problem(api.get(unknown_order_path(), headers=with_new_token), 404)  # the new token works

    # The token as an argument would show in ps and shell history: it is refused, not revoked.
    assert notifyctl("token", "revoke", token, check=False).returncode != 0
    assert_problem(api.get(unknown_order_path(), headers=with_new_token), 404)
    assert notifyctl("token", "revoke", check=False, stdin="").returncode == 2
    notifyctl("token", "revoke", stdin=token + "\n")
    assert_problem(api.get(unknown_order_path(), headers=with_new_token), 401)
    assert_problem(api.get(unknown_order_path()), 404)  # the merchant's first token still works
    healthy()


def test_merchant_create_twice_exits_3(merchant: Merchant) -> None:
    result = notifyctl("merchant", "create", merchant.id, check=False)
    assert result.returncode == 3, (result.returncode, result.stdout, result.stderr)
    assert result.stderr.strip(), "expected a message on stderr"


# ---- routing ----------------------------------------------------------------------------------


def test_unknown_route_is_404(api: Api, healthy) -> None:
    assert_problem(api.get("/api/v0/checkout/no-such-thing"), 404)
    healthy()


def test_wrong_method_is_405_with_allow(api: Api, healthy) -> None:
    response = api.delete(ORDERS)
    assert_problem(response, 405)
    allow = {m.strip().upper() for m in response.headers.get("Allow", "").split(",")}
    assert "POST" in allow, f"Allow: {response.headers.get('Allow')!r}"
    healthy()


def test_create_then_get_order(api: Api, merchant: Merchant) -> None:
    created = api.post(ORDERS, headers={"X-Channel": "web"}, json={"reference": "e2e-1"})
    assert created.status_code == 201, created.text
    order = created.json()
    assert order["merchant"] == merchant.id
    assert order["channel"] == "web"
    assert order["reference"] == "e2e-1"

    fetched = api.get(f"{ORDERS}/{order['id']}")
    assert fetched.status_code == 200, fetched.text
    assert fetched.json()["id"] == order["id"]


def test_create_order_needs_x_channel(api: Api, healthy) -> None:
    assert_problem(api.post(ORDERS, json={"reference": "no-channel"}), 400)
    healthy()


def test_another_merchants_order_is_404(api: Api, merchant_factory) -> None:
    created = api.post(ORDERS, headers={"X-Channel": "web"}, json={})
    assert created.status_code == 201, created.text
    other = api.as_merchant(merchant_factory())
    assert_problem(other.get(f"{ORDERS}/{created.json()['id']}"), 404)


# ---- body limit (nginx) -----------------------------------------------------------------------


def test_body_over_1_mib_is_413_problem_from_nginx(api: Api, healthy) -> None:
    body = b"{" + b" " * (2 * 1024 * 1024) + b"}"
    response = api.post(ORDERS, headers={"X-Channel": "web", "Content-Type": "application/json"}, data=body)
    problem = assert_problem(response, 413)
    # nginx's own problem bodies carry the request id they were answered with.
    assert problem.get("requestId") == response.headers.get("X-Request-Id"), problem
    healthy()


# ---- a worker killed under load -------------------------------------------------------------


def fcgi_workers(master: int) -> set[int]:
    """Live children of the notify-fcgi master (zombies not yet reaped are left out)."""
    out = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True, timeout=10).stdout
    workers = set()
    for pid in map(int, out.split()):
        try:
            with open(f"/proc/{pid}/stat") as stat:
                state = stat.read().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        if state != "Z":
            workers.add(pid)
    return workers


def test_killed_worker_is_replaced_under_load(base_url: str, healthy) -> None:
    master = int(env("NOTIFY_FCGI_MASTER_PID"))
    assert os.path.exists(f"/proc/{master}"), f"notify-fcgi master {master} is not running"
    before = fcgi_workers(master)
    assert before, "the notify-fcgi master has no workers"

    outcomes: Counter[str] = Counter()
    lock = threading.Lock()
    stop_at = time.monotonic() + 3.0

    def load() -> None:
        with requests.Session() as session:
            for _ in range(5000):  # bounded in count and in time
                if time.monotonic() >= stop_at:
                    return
                try:
                    status = str(session.get(base_url + "/healthz", timeout=5).status_code)
                except requests.RequestException as error:
                    status = type(error).__name__
                with lock:
                    outcomes[status] += 1

    threads = [threading.Thread(target=load, name=f"load-{i}") for i in range(4)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(0.5)
        victim = min(before)
        os.kill(victim, signal.SIGKILL)

        deadline = time.monotonic() + 2.0
        now = fcgi_workers(master)
        while time.monotonic() < deadline and not (victim not in now and len(now) == len(before) and now - before):
            time.sleep(0.05)
            now = fcgi_workers(master)
    finally:
        for thread in threads:
            thread.join(timeout=TIMEOUT)

    assert victim not in now, f"killed worker {victim} still listed: {sorted(now)}"
    assert now - before, f"no new worker within 2 s (before {sorted(before)}, now {sorted(now)})"
    assert len(now) == len(before), f"{len(now)} workers after the kill, {len(before)} before"

    total = sum(outcomes.values())
    ok = outcomes["200"]
    assert total >= 40, f"load too small to judge: {dict(outcomes)}"
    assert ok / total >= 0.99, f"only {ok}/{total} requests succeeded: {dict(outcomes)}"
    healthy()
