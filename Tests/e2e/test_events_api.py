"""The Notification API (issue 6) through nginx: querying events with every
filter and with paging, reading one with its attempts, retrying it, the /api/v1 aliases, merchant
isolation, redaction of secret headers, /metrics and the served OpenAPI document.

Events come from real order changes delivered by the shared `notify-sweep --follow` to Receivers
on 127.0.0.1. With the default retry schedule (0 s, 5 s, 5 min, ...) a failed first attempt leaves
the event `pending`, so a test sees it "failed once" for minutes."""

from __future__ import annotations

import json
import os
import re
import secrets
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from notify_e2e import (
    PROBLEM_JSON,
    Api,
    Merchant,
    Receiver,
    assert_problem,
    attempted,
    create_order,
    expect,
    media_type,
    move,
    new_order,
    register,
)

ORDERS_PATH = "/api/v0/checkout/orders"
EVENTS = "/api/v0/checkout/notifications/events"
EVENTS_V1 = "/api/v1/events"
OPENAPI = "/api/v0/checkout/notifications/openapi.json"
REPOSITORY = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEAD_HOOK = "http://127.0.0.1:9/app"
"""Nothing listens on port 9: a delivery there fails to connect and is retried later."""
WAIT = 20.0
"""Seconds to wait for the sweep to record an attempt (it normally takes milliseconds)."""


# ---- helpers ---------------------------------------------------------------------------------


def list_events(api: Api, base: str = EVENTS, **query: Any) -> dict[str, Any]:
    page = expect(api.get(base, params=query), 200)
    assert set(page) == {"data", "pagination"}, page
    assert set(page["pagination"]) == {"offset", "limit", "size", "totalSize"}, page["pagination"]
    assert page["pagination"]["size"] == len(page["data"]), page["pagination"]
    return page


def event_ids(page: dict[str, Any]) -> list[str]:
    return [event["id"] for event in page["data"]]


def order_event_list(api: Api, order_id: str, count: int) -> list[dict[str, Any]]:
    """The order's events (newest first), asserting there are exactly `count`."""
    page = list_events(api, orderId=order_id, limit=100)
    assert page["pagination"]["totalSize"] == count, page
    return page["data"]


def wait_event(
    api: Api, event_id: str, done: Callable[[dict[str, Any]], bool], what: str, timeout: float = WAIT
) -> dict[str, Any]:
    """Polls GET .../events/{id} until `done(event)`; fails with the last event after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        event = expect(api.get(f"{EVENTS}/{event_id}"), 200)
        if done(event):
            return event
        if time.monotonic() > deadline:
            raise AssertionError(f"event {event_id}: not {what} within {timeout}s: {json.dumps(event)[:1500]}")
        time.sleep(0.1)


def assert_event_shape(event: dict[str, Any], merchant: Merchant) -> None:
    """The Event JSON, every member present."""
    keys = {
        "id",
        "createdAt",
        "merchant",
        "channel",
        "orderId",
        "notificationId",
        "reference",
        "adapterId",
        "scope",
        "status",
        "attemptCount",
        "nextAttemptAt",
        "timestamp",
        "statusCode",
        "responseBody",
        "error",
        "attempts",
        "request",
    }
    assert keys <= set(event), f"missing {keys - set(event)}: {event}"
    assert event["merchant"] == merchant.id
    assert uuid.UUID(event["id"]).version == 7, event["id"]
    assert event["status"] in ("pending", "succeeded", "failed"), event
    assert event["attemptCount"] == len(event["attempts"]), event
    assert set(event["request"]) == {"method", "url", "headers"}, event["request"]
    for attempt in event["attempts"]:
        assert set(attempt) == {"id", "timestamp", "statusCode", "responseBody", "durationMs", "error", "trigger"}, (
            attempt
        )
        assert attempt["trigger"] in ("automatic", "manual"), attempt


def assert_retried(event: dict[str, Any], event_id: str, outcome: str) -> None:
    """The 202 body of a retry: the event, `pending` with the attempt due now, unless the sweep
    (woken by the retry) already made the attempt before the response was read: then `outcome`."""
    assert event["id"] == event_id, event
    if event["status"] == "pending":
        assert event["nextAttemptAt"] is not None, event
    else:
        assert event["status"] == outcome and event["attempts"][-1]["trigger"] == "manual", event


def ok_hook(receiver: Receiver, path: str = "/hook") -> str:
    return receiver.url_for(path)


# ---- the seed's three calls --------------------------------------------------------------------


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


# ---- filters and paging --------------------------------------------------------------------------


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
    expect(api.put(f"{ORDERS_PATH}/{web}/payments/p1", json={"state": "authorized", "amount": 10}), 201)
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


@pytest.mark.parametrize(
    "query, field",
    [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=abc", "limit"),
        ("limit=", "limit"),
        ("limit=1.5", "limit"),
        ("offset=-1", "offset"),
        ("offset=abc", "offset"),
        ("status=done", "status"),
        ("status=PENDING", "status"),
        ("orderId=not-a-uuid", "orderId"),
        ("orderId=1234", "orderId"),
    ],
)
@pytest.mark.parametrize("base", [EVENTS, EVENTS_V1])
def test_bad_query_parameters_are_400(api: Api, base: str, query: str, field: str) -> None:
    body = assert_problem(api.get(f"{base}?{query}"), 400)
    assert body.get("field") == field, body


def test_bad_snake_case_order_id_is_400(api: Api) -> None:
    body = assert_problem(api.get(f"{EVENTS_V1}?order_id=not-a-uuid"), 400)
    assert body.get("field") == "orderId", body


def test_limit_bounds_are_accepted(api: Api) -> None:
    for limit in (1, 100):
        assert list_events(api, limit=limit)["pagination"]["limit"] == limit
    assert list_events(api, offset=0)["pagination"]["offset"] == 0


@pytest.mark.parametrize("base", [EVENTS, EVENTS_V1])
def test_unknown_or_malformed_event_ids_are_404(api: Api, base: str) -> None:
    for event_id in (str(uuid.uuid4()), "not-a-uuid", "1"):
        assert_problem(api.get(f"{base}/{event_id}"), 404)
        assert_problem(api.post(f"{base}/{event_id}/retry"), 404)


def test_wrong_methods_are_405(api: Api) -> None:
    some = str(uuid.uuid4())
    for method, path, allowed in (
        ("POST", EVENTS, "GET"),
        ("DELETE", f"{EVENTS}/{some}", "GET"),
        ("GET", f"{EVENTS}/{some}/retry", "POST"),
        ("PUT", EVENTS_V1, "GET"),
    ):
        response = api.request(method, path)
        assert_problem(response, 405)
        assert response.headers.get("Allow") == allowed, response.headers


def test_events_need_credentials(anonymous: Api, merchant: Merchant) -> None:
    assert_problem(anonymous.get(EVENTS), 400)  # no X-Merchant
    assert_problem(anonymous.get(EVENTS, headers={"X-Merchant": merchant.id}), 401)
    assert_problem(anonymous.get(EVENTS, headers={"X-Merchant": merchant.id, "Authorization": "Bearer nope"}), 401)
    assert_problem(anonymous.post(f"{EVENTS_V1}/{uuid.uuid4()}/retry", headers={"X-Merchant": merchant.id}), 401)


# ---- isolation -----------------------------------------------------------------------------------


def test_another_merchant_cannot_see_or_retry_events(base_url: str, merchant_factory, receiver: Receiver) -> None:
    owner, other = merchant_factory(), merchant_factory()
    mine, theirs = Api(base_url, owner), Api(base_url, other)
    order = new_order(mine, {})
    register(mine, order, {"url": ok_hook(receiver), "scope": {"state": ["processing"]}})
    move(mine, order, "processing")
    receiver.wait_for(1)
    (event,) = order_event_list(mine, order, 1)
    wait_event(mine, event["id"], lambda e: e["status"] == "succeeded", "succeeded")

    for base in (EVENTS, EVENTS_V1):
        assert_problem(theirs.get(f"{base}/{event['id']}"), 404)
        assert_problem(theirs.post(f"{base}/{event['id']}/retry"), 404)
        assert event["id"] not in event_ids(list_events(theirs, base, limit=100))
        assert list_events(theirs, base, orderId=order)["data"] == []
        assert list_events(theirs, base, scope="state.processing")["pagination"]["totalSize"] == 0
    # the other merchant's token with this merchant's name: 403, never the data
    stolen = theirs.get(f"{EVENTS}/{event['id']}", headers={"X-Merchant": owner.id})
    assert_problem(stolen, 403)
    assert ok_hook(receiver) not in stolen.text

    # the retry of the other merchant changed nothing: still one attempt, still succeeded
    time.sleep(0.5)
    again = expect(mine.get(f"{EVENTS}/{event['id']}"), 200)
    assert again["status"] == "succeeded" and again["attemptCount"] == 1, again
    assert len(receiver.received()) == 1


# ---- a failed delivery, then a retry ------------------------------------------------------------


def test_failed_event_then_manual_retry_succeeds(api: Api, merchant: Merchant, receiver: Receiver) -> None:
    receiver.respond(418, "teapot")
    order = new_order(api, {"reference": "order-ref"})
    register(api, order, {"url": ok_hook(receiver, "/teapot"), "scope": {"state": ["processing"]}})
    move(api, order, "processing")
    first = receiver.wait_for(1)[0]
    (event,) = order_event_list(api, order, 1)

    failed = wait_event(api, event["id"], attempted, "attempted")
    assert_event_shape(failed, merchant)
    assert failed["status"] == "pending", "default schedule: more automatic attempts follow"
    assert failed["statusCode"] == 418 and failed["responseBody"] == "teapot", failed
    assert failed["timestamp"] == failed["attempts"][-1]["timestamp"], failed
    assert failed["nextAttemptAt"] is not None, failed
    attempt = failed["attempts"][0]
    assert attempt["statusCode"] == 418 and attempt["responseBody"] == "teapot", attempt
    assert attempt["trigger"] == "automatic" and attempt["durationMs"] >= 0, attempt
    assert list_events(api, orderId=order, status="pending")["pagination"]["totalSize"] == 1

    receiver.respond(200, "ok")
    retried = expect(api.post(f"{EVENTS}/{event['id']}/retry"), 202)
    assert_retried(retried, event["id"], "succeeded")

    done = wait_event(
        api,
        event["id"],
        lambda e: e["status"] == "succeeded" and any(a["trigger"] == "manual" for a in e["attempts"]),
        "succeeded by a manual attempt",
    )
    assert done["attemptCount"] >= 2 and len(done["attempts"]) == done["attemptCount"], done
    assert done["attempts"][0]["statusCode"] == 418, done
    manual = [a for a in done["attempts"] if a["trigger"] == "manual"]
    assert manual[-1]["statusCode"] == 200 and manual[-1]["responseBody"] == "ok", done
    assert done["statusCode"] == 200 and done["responseBody"] == "ok", done
    assert list_events(api, orderId=order, status="succeeded")["pagination"]["totalSize"] == 1

    deliveries = receiver.wait_for(2)
    webhook_ids = {request.headers.get("webhook-id") for request in deliveries}
    assert webhook_ids == {event["id"]}, f"one webhook-id on every delivery: {webhook_ids}"
    assert first.json()["event"]["id"] == event["id"]


def test_retry_of_an_attempt_in_flight_runs_after_it(api: Api, receiver: Receiver) -> None:
    """A retry while an attempt is in flight is made once that attempt has finished."""
    receiver.respond(200, "slow ok", delay=1.5)
    order = new_order(api, {})
    register(api, order, {"url": ok_hook(receiver, "/slow"), "scope": {"state": ["processing"]}})
    move(api, order, "processing")
    receiver.wait_for(1)  # the first attempt is now waiting for the receiver's answer
    (event,) = order_event_list(api, order, 1)
    assert event["attemptCount"] == 0, event
    assert_retried(expect(api.post(f"{EVENTS}/{event['id']}/retry"), 202), event["id"], "succeeded")

    done = wait_event(
        api, event["id"], lambda e: e["attemptCount"] >= 2 and e["status"] == "succeeded", "attempted twice"
    )
    assert [a["trigger"] for a in done["attempts"]] == ["automatic", "manual"], done
    assert all(a["statusCode"] == 200 and a["responseBody"] == "slow ok" for a in done["attempts"]), done
    first, second = receiver.wait_for(2)[:2]
    assert second.received_at - first.received_at >= 1.4, "the manual attempt waited for the first to finish"
    assert first.headers.get("webhook-id") == second.headers.get("webhook-id") == event["id"]
    receiver.assert_quiet(0.5, count=2)


# ---- secrets ------------------------------------------------------------------------------------


def test_secret_header_values_are_never_shown(api: Api, receiver: Receiver) -> None:
    secret_values = {
        "Authorization": "Bearer tok-" + secrets.token_hex(8),
        "X-Api-Key": "key-" + secrets.token_hex(8),
        "Cookie": "sid=" + secrets.token_hex(8),
        "X-Auth-Token": "tok2-" + secrets.token_hex(8),
    }
    headers = {**secret_values, "X-Shop": "north"}
    responses = []

    order = new_order(api, {})
    created = api.post(
        f"{ORDERS_PATH}/{order}/notifications",
        json={"url": ok_hook(receiver), "headers": headers, "scope": {"state": ["processing"]}},
    )
    responses.append(created)
    assert expect(created, 201)["headers"] == {**{name: "***" for name in secret_values}, "X-Shop": "north"}
    responses.append(
        api.put(
            f"{ORDERS_PATH}/{order}/payments/p1",
            json={
                "state": "authorized",
                "notifications": [
                    {"id": "psp", "scope": "/payments", "headers": headers, "invoke": ok_hook(receiver, "/psp")}
                ],
            },
        )
    )
    responses.append(api.put(f"{ORDERS_PATH}/{order}/state", json={"currentStatus": "processing"}))
    responses.append(api.put(f"{ORDERS_PATH}/{order}/payments/p1", json={"state": "captured"}))
    deliveries = receiver.wait_for(2)
    for request in deliveries:  # the receiver gets the real values: they are needed to deliver
        for name, value in secret_values.items():
            assert request.headers.get(name) == value, (name, dict(request.headers))
        assert request.headers.get("X-Shop") == "north"
        for value in secret_values.values():
            assert value not in request.body.decode(), "the payload's notification is redacted"

    events = order_event_list(api, order, 2)
    for event in events:
        wait_event(api, event["id"], attempted, "attempted")
        shown = expect(api.get(f"{EVENTS}/{event['id']}"), 200)["request"]["headers"]
        assert shown == {**{name: "***" for name in secret_values}, "X-Shop": "north"}, shown
        responses.append(api.get(f"{EVENTS}/{event['id']}"))
        responses.append(api.get(f"{EVENTS_V1}/{event['id']}"))
        responses.append(api.post(f"{EVENTS}/{event['id']}/retry"))
    responses += [
        api.get(f"{EVENTS}?orderId={order}"),
        api.get(f"{EVENTS_V1}?order_id={order}"),
        api.get(f"{ORDERS_PATH}/{order}"),
        api.get(f"{ORDERS_PATH}/{order}/notifications"),
        api.patch(f"{ORDERS_PATH}/{order}", json={"reference": "r"}),
        api.delete(f"{ORDERS_PATH}/{order}/payments/p1"),
    ]
    for event in events:  # the retries finished before the receiver goes away
        wait_event(api, event["id"], lambda e: e["status"] == "succeeded" and e["attemptCount"] >= 2, "retried")
    for response in responses:
        assert response.status_code < 300, f"{response.request.method} {response.request.path_url}: {response.text}"
        for value in secret_values.values():
            assert value not in response.text, f"{response.request.method} {response.request.path_url} shows a secret"
        assert "***" in response.text, f"{response.request.method} {response.request.path_url}: {response.text[:300]}"


def test_configuration_responses_redact_secret_headers(api: Api, merchant: Merchant) -> None:
    secret = "key-" + secrets.token_hex(8)
    path = f"/api/v1/configuration/merchants/{merchant.id}/channels/web/configurations/psp"
    document = {
        "order": {
            "notifications": [
                {"url": "http://127.0.0.1:9/hook", "headers": {"X-Api-Key": secret}, "scope": {"payment": True}}
            ]
        }
    }
    put = api.put(path, json=document)
    get = api.get(path)
    order = create_order(api, body={})
    assert put.status_code == 201 and get.status_code == 200, (put.text, get.text)
    assert order["notifications"][0]["headers"] == {"X-Api-Key": "***"}, order
    assert secret not in put.text, put.text
    assert secret not in get.text, get.text


# ---- metrics -------------------------------------------------------------------------------------

SAMPLE = re.compile(r"^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?P<labels>[^}]*)\})? (?P<value>\S+)$")


def scrape(anonymous: Api) -> dict[tuple[str, str], float]:
    """GET /metrics parsed: {(name, 'label="value",...'): value}; checks the text format on the way."""
    response = anonymous.get("/metrics")
    assert response.status_code == 200, response.text
    assert media_type(response) == "text/plain", response.headers.get("Content-Type")
    samples: dict[tuple[str, str], float] = {}
    types: dict[str, str] = {}
    for line in response.text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            types[name] = kind
        elif line and not line.startswith("#"):
            match = SAMPLE.match(line)
            assert match, f"not a Prometheus sample line: {line!r}"
            samples[(match["name"], match["labels"] or "")] = float(match["value"])
    assert types.get("notify_events") == "gauge", types
    assert types.get("notify_attempts_total") == "counter", types
    assert types.get("notify_due_backlog") == "gauge", types
    assert types.get("notify_oldest_due_age_seconds") == "gauge", types
    assert types.get("notify_delivery_duration_seconds") == "histogram", types
    return samples


def test_metrics_have_the_prometheus_figures(api: Api, anonymous: Api, receiver: Receiver) -> None:
    before = scrape(anonymous)
    order = new_order(api, {})
    register(api, order, {"url": ok_hook(receiver), "scope": {"state": ["processing"]}})
    move(api, order, "processing")
    receiver.wait_for(1)
    (event,) = order_event_list(api, order, 1)
    wait_event(api, event["id"], lambda e: e["status"] == "succeeded", "succeeded")
    after = scrape(anonymous)

    for status in ("pending", "succeeded", "failed"):
        assert after[("notify_events", f'status="{status}"')] >= 0
    assert after[("notify_events", 'status="succeeded"')] >= 1
    for outcome in ("success", "http_error", "transport_error"):
        assert ("notify_attempts_total", f'outcome="{outcome}"') in after, outcome
    success = ("notify_attempts_total", 'outcome="success"')
    assert after[success] >= before[success] + 1, (before[success], after[success])
    assert after[("notify_due_backlog", "")] >= 0
    assert after[("notify_oldest_due_age_seconds", "")] >= 0

    buckets = [(key[1], value) for key, value in after.items() if key[0] == "notify_delivery_duration_seconds_bucket"]
    assert len(buckets) >= 2 and buckets[-1][0] == 'le="+Inf"', buckets
    counts = [value for _, value in buckets]
    assert counts == sorted(counts), f"cumulative buckets: {buckets}"
    bounds = [float(label[4:-1]) for label, _ in buckets[:-1]]
    assert bounds == sorted(bounds), bounds
    count = after[("notify_delivery_duration_seconds_count", "")]
    assert buckets[-1][1] == count >= before[("notify_delivery_duration_seconds_count", "")] + 1
    assert after[("notify_delivery_duration_seconds_sum", "")] >= 0


# ---- the OpenAPI document -----------------------------------------------------------------------


def test_openapi_document_is_served_without_auth(anonymous: Api) -> None:
    response = anonymous.get(OPENAPI)
    assert response.status_code == 200, response.text
    assert media_type(response) == "application/json"
    served = response.json()
    with open(os.path.join(REPOSITORY, "Sources", "FCGIHandler", "openapi.json"), encoding="utf-8") as file:
        kept = json.load(file)
    assert served == kept, "the served document is not the repository's: rebuild notify-fcgi"
    assert served["openapi"].startswith("3.1")
    for path in (
        "/healthz",
        "/metrics",
        OPENAPI,
        ORDERS_PATH,
        EVENTS,
        EVENTS + "/{eventId}",
        EVENTS + "/{eventId}/retry",
        EVENTS_V1,
        EVENTS_V1 + "/{eventId}",
        EVENTS_V1 + "/{eventId}/retry",
        "/api/v1/configuration/merchants/{merchant}/channels/{channel}/configurations/{configurationId}",
    ):
        assert path in served["paths"], path
    assert response.headers.get("Content-Type", "").startswith("application/json")
    assert PROBLEM_JSON in json.dumps(served)
