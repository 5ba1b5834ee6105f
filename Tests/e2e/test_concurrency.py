"""Concurrent changes of one order: each change is applied on the order as
the previous one left it, no change is lost, and every change records exactly its events."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime
from itertools import pairwise
from typing import Any

import requests

from notify_e2e import ORDERS, TIMEOUT, Api, Merchant, create_order, order_events

HOOK = "http://127.0.0.1:9/hook"
ALLOWED = {
    "checkout": {"processing", "removed"},
    "processing": {"checkout", "accepted", "declined", "removed"},
    "accepted": {"completed", "declined"},
}
DEADLINE = 30.0
"""Seconds a whole burst may take."""


def burst(count: int, send: Callable[[int, requests.Session], requests.Response]) -> list[requests.Response]:
    """Runs send(i) for i in range(count) on `count` threads released together; returns the responses
    in index order. Fails if any request raises or the burst outlives DEADLINE."""
    results: list[Any] = [None] * count
    start = threading.Barrier(count)

    def run(index: int) -> None:
        with requests.Session() as session:
            try:
                start.wait(timeout=TIMEOUT)
                results[index] = send(index, session)
            except Exception as error:  # noqa: BLE001 - reported below
                results[index] = error

    threads = [threading.Thread(target=run, args=(i,), name=f"burst-{i}", daemon=True) for i in range(count)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(0.1, DEADLINE - (time.monotonic() - began)))
    assert not any(t.is_alive() for t in threads), f"the burst took more than {DEADLINE}s"
    errors = [r for r in results if not isinstance(r, requests.Response)]
    assert not errors, f"{len(errors)} request(s) failed: {errors[:3]}"
    return results


def test_concurrent_state_changes_are_serialised(api: Api, merchant: Merchant, healthy) -> None:
    order = create_order(api)
    oid = order["id"]
    registered = api.post(f"{ORDERS}/{oid}/notifications", json={"url": HOOK, "scope": {"state": ["processing"]}})
    assert registered.status_code == 201, registered.text
    nid = registered.json()["id"]
    url = f"{api.base_url}{ORDERS}/{oid}/state"
    targets = ["processing" if i % 2 == 0 else "checkout" for i in range(50)]

    responses = burst(
        len(targets),
        lambda i, session: session.put(
            url, json={"currentStatus": targets[i]}, headers=merchant.auth_headers(), timeout=TIMEOUT
        ),
    )

    codes = [r.status_code for r in responses]
    assert set(codes) <= {200, 409}, f"unexpected statuses: {sorted(set(codes))}: {responses[0].text[:300]}"
    final = api.get(f"{ORDERS}/{oid}").json()
    transitions = final["state"]["transitions"]
    statuses = [t["status"] for t in transitions]
    assert statuses[0] == "checkout", statuses
    for a, b in pairwise(statuses):
        assert b in ALLOWED[a], f"{a} -> {b} is not an allowed transition: {statuses}"
    assert final["state"]["currentStatus"] == statuses[-1]

    # Every 200 saw the order right after its own change (or its no-op): its status is the one it
    # asked for and its transitions are a prefix of the final list. The changes are the 200s whose
    # list is longer than any seen before it; each length from 2 to the final one appears.
    lengths = set()
    for target, response in zip(targets, responses, strict=True):
        if response.status_code != 200:
            continue
        seen = response.json()["state"]
        assert seen["currentStatus"] == target, (target, seen)
        assert seen["transitions"] == transitions[: len(seen["transitions"])], "a response is not a prefix"
        lengths.add(len(seen["transitions"]))
    changes = len(transitions) - 1
    assert lengths - {1} == set(range(2, changes + 2)), (sorted(lengths), changes)
    assert changes >= 1, "no request changed the state"

    events = order_events(oid)
    into_processing = statuses.count("processing")
    assert len(events) == into_processing, (len(events), into_processing, statuses)
    assert all(e["scope"] == "state.processing" and e["notification_id"] == nid for e in events)
    # Each event froze its own change: distinct, growing transition lists that end in processing.
    frozen = [e["payload"]["order"]["state"]["transitions"] for e in events]
    assert sorted(len(f) for f in frozen) == [i + 1 for i, s in enumerate(statuses) if s == "processing"]
    for transitions_then in frozen:
        assert transitions_then == transitions[: len(transitions_then)]
        assert transitions_then[-1]["status"] == "processing"
    healthy()


def uuid7_millis(event_id: str) -> int:
    """The unix milliseconds of a UUIDv7 (its first 48 bits)."""
    return int(event_id.replace("-", "")[:12], 16)


def test_a_change_that_waited_is_not_stamped_before_the_change_it_follows(
    api: Api, merchant: Merchant, healthy
) -> None:
    """A change applied after another never carries an earlier time: `lastModified` is never older
    than the last transition, and events sorted by time (`created_at`, UUIDv7 `event_id`: what
    "newest first" of the events API uses) are in the order their changes were applied.

    To provoke the race, a slow request (a ~0.95 MiB payment body the worker parses before it locks
    the order) is raced by a quick state change on the other worker, after a few different delays
    (each on a new order). Whichever way each race goes, the times must follow the applied order."""
    big = {"state": "new", "attributes": {"blob": ["x" * 10] * 70_000}}
    problems = []
    for delay in (0.03, 0.06, 0.1):
        order = create_order(api)
        oid = order["id"]
        for notification in (
            {"url": HOOK, "scope": {"state": ["processing"]}},
            {"url": HOOK, "scope": {"payment": True}},
        ):
            assert api.post(f"{ORDERS}/{oid}/notifications", json=notification).status_code == 201

        def send(index: int, session: requests.Session, oid: str = oid, delay: float = delay) -> requests.Response:
            if index == 0:
                return session.put(
                    f"{api.base_url}{ORDERS}/{oid}/payments/p1",
                    json=big,
                    headers=merchant.auth_headers(),
                    timeout=TIMEOUT,
                )
            time.sleep(delay)  # the slow request is (usually) being parsed by now
            return session.put(
                f"{api.base_url}{ORDERS}/{oid}/state",
                json={"currentStatus": "processing"},
                headers=merchant.auth_headers(),
                timeout=TIMEOUT,
            )

        slow, quick = burst(2, send)
        assert (slow.status_code, quick.status_code) == (201, 200), (slow.text[:200], quick.text[:200])
        events = order_events(oid)
        assert sorted(e["scope"] for e in events) == ["payment", "state.processing"], events
        by_scope = {e["scope"]: e for e in events}
        payment_second = by_scope["payment"]["payload"]["order"]["state"]["currentStatus"] == "processing"
        applied = ["state.processing", "payment"] if payment_second else ["payment", "state.processing"]

        final = api.get(f"{ORDERS}/{oid}").json()
        last_transition = final["state"]["transitions"][-1]["timeStamp"]
        if final["lastModified"] < last_transition:
            problems.append(f"lastModified {final['lastModified']} is older than the last transition {last_transition}")
        first, second = (by_scope[scope] for scope in applied)
        if datetime.fromisoformat(second["created_at"]) < datetime.fromisoformat(first["created_at"]):
            problems.append(
                f"{second['scope']} was applied after {first['scope']} but its event was created"
                f" earlier ({second['created_at']} < {first['created_at']})"
            )
        if uuid7_millis(second["event_id"]) < uuid7_millis(first["event_id"]):
            problems.append(f"{second['scope']} was applied after {first['scope']} but its UUIDv7 event id is older")
    assert not problems, "; ".join(problems)
    healthy()


def test_concurrent_payment_upserts_lose_nothing(api: Api, merchant: Merchant, healthy) -> None:
    order = create_order(api)
    oid = order["id"]
    registered = api.post(f"{ORDERS}/{oid}/notifications", json={"url": HOOK, "scope": {"payment": True}})
    assert registered.status_code == 201, registered.text
    count = 25

    responses = burst(
        count,
        lambda i, session: session.put(
            f"{api.base_url}{ORDERS}/{oid}/payments/p{i}",
            json={"state": "new", "amount": i},
            headers=merchant.auth_headers(),
            timeout=TIMEOUT,
        ),
    )

    assert [r.status_code for r in responses] == [201] * count, [
        r.text[:200] for r in responses if r.status_code != 201
    ]
    final = api.get(f"{ORDERS}/{oid}").json()
    assert sorted(p["id"] for p in final["payments"]) == sorted(f"p{i}" for i in range(count))
    events = order_events(oid)
    assert [e["scope"] for e in events] == ["payment"] * count
    assert sorted(len(e["payload"]["order"]["payments"]) for e in events) == list(range(1, count + 1))
    healthy()


def test_concurrent_registrations_of_one_id_register_it_once(api: Api, merchant: Merchant, healthy) -> None:
    order = create_order(api)
    oid = order["id"]
    body = {"id": "only-once", "scope": "/payments", "invoke": HOOK}
    responses = burst(
        10,
        lambda i, session: session.post(
            f"{api.base_url}{ORDERS}/{oid}/notifications", json=body, headers=merchant.auth_headers(), timeout=TIMEOUT
        ),
    )
    codes = sorted(r.status_code for r in responses)
    assert codes == [201] + [409] * 9, codes
    listed = api.get(f"{ORDERS}/{oid}/notifications").json()
    assert [n["id"] for n in listed] == ["only-once"]
    healthy()


def test_concurrent_puts_of_one_new_configuration_create_it_once(api: Api, merchant: Merchant, healthy) -> None:
    path = f"/api/v1/configuration/merchants/{merchant.id}/channels/web/configurations/c1"
    responses = burst(
        10,
        lambda i, session: session.put(
            api.base_url + path,
            json={"n": i, "order": {"notifications": [{"url": f"{HOOK}/{i}", "scope": {"state": ["processing"]}}]}},
            headers=merchant.auth_headers(),
            timeout=TIMEOUT,
        ),
    )
    codes = sorted(r.status_code for r in responses)
    assert codes == [200] * 9 + [201], codes
    stored = api.get(path).json()
    assert stored["n"] in range(10)
    # New orders get exactly the one stored version's notification.
    created = create_order(api, "web")
    assert [n["url"] for n in created["notifications"]] == [f"{HOOK}/{stored['n']}"]
    healthy()
