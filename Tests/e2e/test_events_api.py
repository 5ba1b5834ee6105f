"""The Notification API (issue 6) through nginx: querying events with every filter and with paging,
reading one with its attempts, and the /api/v1 aliases. Errors and isolation, retries, redaction,
/metrics and the OpenAPI document have files of their own (test_events_*.py, test_metrics_openapi.py).

Events come from real order changes delivered by the shared `notify-sweep --follow` to Receivers
on 127.0.0.1. With the default retry schedule (0 s, 5 s, 5 min, ...) a failed first attempt leaves
the event `pending`, so a test sees it "failed once" for minutes."""

from __future__ import annotations

import secrets
import time
import uuid
from typing import Any

import pytest

from events_e2e import EVENTS_V1, assert_event_shape, assert_retried, event_ids, list_events, ok_hook, wait_event
from notify_e2e import (
    EVENTS,
    ORDERS,
    Api,
    Merchant,
    Receiver,
    assert_problem,
    attempted,
    create_order,
    expect,
    move,
    new_order,
    register,
)

DEAD_HOOK = "http://127.0.0.1:9/app"
"""Nothing listens on port 9: a delivery there fails to connect and is retried later."""


def test_seed_calls_work_as_written(base_url: str, merchant: Merchant, receiver: Receiver) -> None:
    """`events?orderId=…`, `events?scope=state.completed` and `events/{id}/retry`, each with just
    X-Merchant and a bearer token, as a merchant would type them."""
    api = Api(base_url, merchant)
    order = create_order(api, body={})
    oid = order["id"]
    notification = register(api, oid, {"url": ok_hook(receiver), "scope": {"state": ["completed"]}})
    move(api, oid, "processing", "accepted", "completed")
    receiver.wait_for(1)

    headers = {"X-Merchant": merchant.id, "Authorization": f"Bearer {merchant.token}"}
    plain = Api(base_url)  # no default headers: exactly the two of the seed

    by_order = expect(plain.get(f"{EVENTS}?orderId={oid}", headers=headers), 200)
    assert [e["orderId"] for e in by_order["data"]] == [oid], by_order
    event = by_order["data"][0]
    assert_event_shape(event, merchant)
    assert event["scope"] == "state.completed" and event["notificationId"] == notification["id"], event
    assert event["channel"] == "web" and event["request"]["url"] == ok_hook(receiver), event

    by_scope = expect(plain.get(f"{EVENTS}?scope=state.completed", headers=headers), 200)
    assert event["id"] in event_ids(by_scope), by_scope
    assert all(e["scope"] == "state.completed" for e in by_scope["data"]), by_scope

    wait_event(api, event["id"], lambda e: e["status"] == "succeeded", "succeeded")
    retried = expect(plain.post(f"{EVENTS}/{event['id']}/retry", headers=headers), 202)
    assert_retried(retried, event["id"], "succeeded")
    done = wait_event(
        api,
        event["id"],
        lambda e: e["status"] == "succeeded" and any(a["trigger"] == "manual" for a in e["attempts"]),
        "succeeded after the manual retry",
    )
    assert done["attemptCount"] == 2, done
    assert len(receiver.wait_for(2)) == 2


@pytest.fixture
def mixed_events(api: Api, merchant: Merchant, receiver: Receiver) -> dict[str, Any]:
    """Events of one merchant that differ in order, scope, status, channel, adapterId and reference:

    - web order: `state.processing` (succeeded), `/payments` from a pointer-form notification with
      adapterId and reference (succeeded), and a `failed` one (its URL template cannot expand);
    - app order: `state.processing` to 127.0.0.1:9, where nothing listens (`pending` after its
      first attempt; the port is outside the ephemeral range, so no later Receiver gets its retries).
    """
    tag = secrets.token_hex(4)
    web_channel, app_channel = f"web-{tag}", f"app-{tag}"
    adapter, reference = f"psp-{tag}", f"ref-{tag}"
    web = new_order(api, {}, web_channel)
    app = new_order(api, {}, app_channel)
    register(api, web, {"url": ok_hook(receiver, "/state"), "scope": {"state": ["processing"]}})
    register(
        api,
        web,
        {
            "id": "pay",
            "adapterId": adapter,
            "reference": reference,
            "scope": "/payments",
            "invoke": ok_hook(receiver, "/pay/{order.id}"),
        },
    )
    register(
        api,
        web,
        {
            "id": "broken",
            "adapterId": f"none-{tag}",
            "scope": "/state/currentStatus",
            "schema": {"const": "processing"},
            "invoke": "{configuration.adapter.internalUrl}/x",
        },
    )
    register(api, app, {"url": DEAD_HOOK, "scope": {"state": ["processing"]}})
    move(api, web, "processing")
    expect(api.put(f"{ORDERS}/{web}/payments/p1", json={"state": "authorized", "amount": 10}), 201)
    move(api, app, "processing")
    receiver.wait_for(2)
    events = {e["scope"] + "@" + e["channel"]: e for e in list_events(api, limit=100)["data"]}
    assert len(events) == 4, events
    state_web = events[f"state.processing@{web_channel}"]
    wait_event(api, state_web["id"], lambda e: e["status"] == "succeeded", "succeeded")
    pay = events[f"/payments@{web_channel}"]
    wait_event(api, pay["id"], lambda e: e["status"] == "succeeded", "succeeded")
    app_event = wait_event(api, events[f"state.processing@{app_channel}"]["id"], attempted, "attempted")
    broken = events[f"/state/currentStatus@{web_channel}"]
    return {
        "web": web,
        "app": app,
        "web_channel": web_channel,
        "app_channel": app_channel,
        "adapter": adapter,
        "reference": reference,
        "state_web": state_web["id"],
        "pay": pay["id"],
        "app_event": app_event,
        "broken": broken["id"],
    }


def test_each_filter_and_their_combinations(api: Api, merchant: Merchant, mixed_events: dict[str, Any]) -> None:
    m = mixed_events

    def ids(**query: Any) -> set[str]:
        return set(event_ids(list_events(api, limit=100, **query)))

    everything = ids()
    assert everything == {m["state_web"], m["pay"], m["broken"], m["app_event"]["id"]}
    for event in list_events(api, limit=100)["data"]:
        assert_event_shape(event, merchant)

    assert ids(orderId=m["web"]) == {m["state_web"], m["pay"], m["broken"]}
    assert ids(orderId=m["app"]) == {m["app_event"]["id"]}
    # A key finds the simple-form events and the pointer-form ones on what it names (issue 12).
    assert ids(scope="state.processing") == {m["state_web"], m["broken"], m["app_event"]["id"]}
    assert ids(orderId=m["web"], scope="state.processing") == {m["state_web"], m["broken"]}
    assert ids(scope="state.processing", status="failed") == {m["broken"]}
    assert ids(orderId=m["app"], scope="/payments") == set()
    assert ids(scope="/payments") == {m["pay"]}
    assert ids(scope="payment") == {m["pay"]}
    assert ids(scope="payment", channel=m["app_channel"]) == set()
    assert ids(scope="shipping") == set()
    assert ids(scope="/state/currentStatus") == {m["broken"]}
    assert ids(status="succeeded") == {m["state_web"], m["pay"]}
    assert ids(status="pending") == {m["app_event"]["id"]}
    assert ids(status="failed") == {m["broken"]}
    assert ids(channel=m["app_channel"]) == {m["app_event"]["id"]}
    assert ids(channel=m["web_channel"], status="succeeded") == {m["state_web"], m["pay"]}
    assert ids(adapterId=m["adapter"]) == {m["pay"]}
    assert ids(reference=m["reference"]) == {m["pay"]}
    assert ids(
        reference=m["reference"],
        adapterId=m["adapter"],
        orderId=m["web"],
        scope="/payments",
        status="succeeded",
        channel=m["web_channel"],
    ) == {m["pay"]}
    assert ids(reference=m["reference"], status="pending") == set()
    assert ids(orderId=str(uuid.uuid4())) == set()
    assert ids(channel="no-such-channel") == set()

    pay = expect(api.get(f"{EVENTS}/{m['pay']}"), 200)
    assert pay["adapterId"] == m["adapter"] and pay["reference"] == m["reference"], pay
    assert pay["notificationId"] == "pay" and pay["request"]["url"].endswith(f"/pay/{m['web']}"), pay
    broken = expect(api.get(f"{EVENTS}/{m['broken']}"), 200)
    assert broken["status"] == "failed" and broken["attempts"] == [] and broken["error"], broken
    pending = m["app_event"]
    assert pending["status"] == "pending" and pending["nextAttemptAt"] is not None, pending
    assert pending["statusCode"] is None and pending["responseBody"] is None, "no HTTP response"
    assert pending["attempts"][0]["error"] and pending["attempts"][0]["trigger"] == "automatic", pending


def test_v1_aliases_accept_snake_case(api: Api, mixed_events: dict[str, Any]) -> None:
    m = mixed_events
    web = list_events(api, EVENTS_V1, order_id=m["web"], limit=100)
    assert set(event_ids(web)) == {m["state_web"], m["pay"], m["broken"]}
    assert event_ids(list_events(api, EVENTS_V1, adapter_id=m["adapter"])) == [m["pay"]]
    assert event_ids(list_events(api, EVENTS_V1, orderId=m["app"])) == [m["app_event"]["id"]]
    assert event_ids(list_events(api, EVENTS_V1, order_id=m["web"], adapter_id=m["adapter"], scope="/payments")) == [
        m["pay"]
    ]
    assert event_ids(list_events(api, EVENTS_V1, order_id=m["app"], adapter_id=m["adapter"])) == []
    # the v0 path and the v1 alias answer the same
    assert list_events(api, EVENTS, orderId=m["web"]) == list_events(api, EVENTS_V1, order_id=m["web"])

    one = expect(api.get(f"{EVENTS_V1}/{m['pay']}"), 200)
    assert one == expect(api.get(f"{EVENTS}/{m['pay']}"), 200)
    retried = expect(api.post(f"{EVENTS_V1}/{m['broken']}/retry"), 202)
    assert_retried(retried, m["broken"], "failed")
    # its URL never expanded: the manual attempt fails for good, with an error and no HTTP status
    again = wait_event(api, m["broken"], lambda e: e["status"] == "failed" and attempted(e), "failed again")
    assert again["attempts"][-1]["trigger"] == "manual" and again["attempts"][-1]["statusCode"] is None, again
    assert again["attempts"][-1]["error"], again
    assert_problem(api.get(f"{EVENTS_V1}?order_id=nope"), 400)
    assert_problem(api.get(f"{EVENTS_V1}/{uuid.uuid4()}"), 404)


def test_paging_newest_first(api: Api, receiver: Receiver) -> None:
    order = new_order(api, {})
    register(api, order, {"url": ok_hook(receiver), "scope": {"state": ["processing", "checkout"]}})
    moves = ["processing", "checkout"] * 3 + ["processing"]
    for status in moves:
        move(api, order, status)
        time.sleep(0.003)  # distinct milliseconds, so createdAt orders them too
    total = len(moves)

    full = list_events(api, orderId=order, limit=100)
    assert full["pagination"] == {"offset": 0, "limit": 100, "size": total, "totalSize": total}
    ids = event_ids(full)
    assert ids == sorted(ids, reverse=True), "newest (highest UUIDv7) first"
    created = [e["createdAt"] for e in full["data"]]
    assert created == sorted(created, reverse=True), created
    assert [e["scope"] for e in full["data"]] == [f"state.{s}" for s in reversed(moves)]

    default = list_events(api, orderId=order)
    assert default["pagination"] == {"offset": 0, "limit": 10, "size": total, "totalSize": total}

    assert len(receiver.wait_for(total)) == total
    for event in full["data"]:  # every delivery finished before the receiver goes away
        wait_event(api, event["id"], lambda e: e["status"] == "succeeded", "succeeded")

    pages = []
    for offset in range(0, total + 3, 3):
        page = list_events(api, orderId=order, offset=offset, limit=3)
        expected_size = max(0, min(3, total - offset))
        assert page["pagination"] == {"offset": offset, "limit": 3, "size": expected_size, "totalSize": total}, page
        pages += event_ids(page)
    assert pages == ids, "pages in order, no event twice or missing"

    assert event_ids(list_events(api, orderId=order, limit=1)) == ids[:1]
    assert event_ids(list_events(api, orderId=order, offset=total - 1, limit=100)) == ids[-1:]
    far = list_events(api, orderId=order, offset=1000)
    assert far["data"] == [] and far["pagination"]["totalSize"] == total, far
    assert list_events(api, orderId=order, limit=100, offset=0) == list_events(api, orderId=order, limit="100")


def test_limit_bounds_are_accepted(api: Api) -> None:
    for limit in (1, 100):
        assert list_events(api, limit=limit)["pagination"]["limit"] == limit
    assert list_events(api, offset=0)["pagination"]["offset"] == 0
