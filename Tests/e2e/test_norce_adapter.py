"""A Norce adapter works unchanged (issue 12), through nginx with receivers on 127.0.0.1: the v1
notification path, the seed's `scope=state.completed` query finding pointer-form events (and
`payment`, `shipping` likewise), JSON Schema annotations accepted and ignored, and DELETE of an
order whose events outlive it."""

from __future__ import annotations

import secrets
import time
from typing import Any

from notify_e2e import (
    EVENTS,
    ORDERS,
    Api,
    Receiver,
    assert_problem,
    create_order,
    expect,
    get_event,
    list_order_events,
    move,
    wait_for_event,
)

ORDERS_V1 = "/api/v1/checkout/orders"
EVENTS_V1 = "/api/v1/events"
WAIT = 20.0
"""Seconds to wait for the shared sweep to deliver (it normally takes milliseconds)."""


def training_notification(receiver: Receiver) -> dict[str, Any]:
    """A notification exactly as Norce's training collection registers it: no `id`."""
    return {
        "description": "Tell the adapter when the order is completed",
        "scope": "/state/currentStatus",
        "schema": {"enum": ["completed"]},
        "invoke": receiver.url_for("/norce/{order.id}/completed"),
    }


def query(api: Api, base: str = EVENTS, **params: str) -> list[str]:
    """Event ids of one page (up to 100) for the query, newest first; checks totalSize agrees."""
    page = expect(api.get(base, params={"limit": "100", **params}))
    assert page["pagination"]["totalSize"] == len(page["data"]), page["pagination"]
    return [event["id"] for event in page["data"]]


def test_training_collection_notification_at_v1_fires_on_completed_and_is_found_by_state_completed(
    api: Api, receiver: Receiver
) -> None:
    order = create_order(api)
    order_id = order["id"]
    response = api.post(f"{ORDERS_V1}/{order_id}/notifications", json=training_notification(receiver))
    registered = expect(response, 201)
    assert registered["id"], registered
    assert registered["scope"] == "/state/currentStatus" and registered["schema"] == {"enum": ["completed"]}
    assert response.headers["Location"] == f"{ORDERS_V1}/{order_id}/notifications/{registered['id']}"
    # Listed the same at v1 and v0, and on the order.
    v1 = expect(api.get(f"{ORDERS_V1}/{order_id}/notifications"))
    assert v1 == expect(api.get(f"{ORDERS}/{order_id}/notifications")) and [n["id"] for n in v1] == [registered["id"]]
    # A simple-form notification on the same status, for comparison.
    simple = expect(
        api.post(
            f"{ORDERS}/{order_id}/notifications",
            json={"url": receiver.url_for("/simple"), "scope": {"state": ["completed"]}},
        ),
        201,
    )

    move(api, order_id, "processing", "accepted")
    receiver.assert_quiet(0.5)
    move(api, order_id, "completed")
    got = receiver.wait_for(2, timeout=WAIT)
    pointer_hits = [r for r in got if r.path == f"/norce/{order_id}/completed"]
    assert len(pointer_hits) == 1 and len(got) == 2, [r.path for r in got]
    body = pointer_hits[0].json()
    assert body["event"]["scope"] == "/state/currentStatus", body["event"]
    assert body["order"]["state"]["currentStatus"] == "completed"
    assert body["notification"]["id"] == registered["id"]
    pointer_event = body["event"]["id"]
    simple_event = next(r for r in got if r.path == "/simple").json()["event"]["id"]

    # The seed's query finds both, by key; the pointer still finds the pointer-form one only.
    for base in (EVENTS, EVENTS_V1):
        assert set(query(api, base, scope="state.completed")) == {pointer_event, simple_event}
        assert query(api, base, scope="/state/currentStatus") == [pointer_event]
        assert query(api, base, scope="state.accepted") == []
        assert set(query(api, base, scope="state.completed", orderId=order_id)) == {pointer_event, simple_event}
    event = wait_for_event(api, pointer_event, lambda e: e["status"] == "succeeded", timeout=WAIT)
    assert event["scope"] == "/state/currentStatus" and event["notificationId"] == registered["id"]
    assert get_event(api, simple_event)["scope"] == "state.completed"
    assert simple["id"] != registered["id"]


def test_pointers_under_payments_and_shippings_are_found_by_payment_and_shipping(api: Api, receiver: Receiver) -> None:
    order_id = create_order(api)["id"]
    for notification in [
        {"scope": "/payments", "invoke": receiver.url_for("/p-all")},
        {"scope": "/payments/0/state", "schema": {"const": "completed"}, "invoke": receiver.url_for("/p-state")},
        {"url": receiver.url_for("/p-simple"), "scope": {"payment": True}},
        {"scope": "/shippings/0", "invoke": receiver.url_for("/s-first")},
        {"url": receiver.url_for("/s-simple"), "scope": {"shipping": True}},
        {"scope": "/cart", "invoke": receiver.url_for("/cart")},
    ]:
        expect(api.post(f"{ORDERS_V1}/{order_id}/notifications", json=notification), 201)
    expect(api.put(f"{ORDERS}/{order_id}/payments/p1", json={"state": "completed", "amount": 10}), 201)
    expect(api.put(f"{ORDERS}/{order_id}/shippings/s1", json={"state": "new"}), 201)
    expect(api.patch(f"{ORDERS}/{order_id}", json={"cart": {"total": 10}}))
    got = receiver.wait_for(6, timeout=WAIT)
    assert sorted(r.path for r in got) == ["/cart", "/p-all", "/p-simple", "/p-state", "/s-first", "/s-simple"]
    by_path = {r.path: r.json()["event"] for r in got}
    assert by_path["/p-state"]["scope"] == "/payments/0/state" and by_path["/p-simple"]["scope"] == "payment"

    payment = {by_path[p]["id"] for p in ("/p-all", "/p-state", "/p-simple")}
    shipping = {by_path[p]["id"] for p in ("/s-first", "/s-simple")}
    assert set(query(api, scope="payment")) == payment
    assert set(query(api, EVENTS_V1, scope="shipping")) == shipping
    assert query(api, scope="/payments/0/state") == [by_path["/p-state"]["id"]]
    assert query(api, scope="/payments") == [by_path["/p-all"]["id"]]
    assert query(api, scope="/shippings/0") == [by_path["/s-first"]["id"]]
    # A pointer outside the three keys is found by itself only.
    assert query(api, scope="/cart") == [by_path["/cart"]["id"]]
    assert query(api, scope="cart") == [] and query(api, scope="state.completed") == []
    assert len(list_order_events(api, order_id)) == 6


def test_scope_query_keeps_merchants_apart(api: Api, base_url: str, merchant_factory, receiver: Receiver) -> None:
    order_id = create_order(api)["id"]
    expect(api.post(f"{ORDERS_V1}/{order_id}/notifications", json=training_notification(receiver)), 201)
    move(api, order_id, "processing", "accepted", "completed")
    receiver.wait_for(1, timeout=WAIT)
    assert len(query(api, scope="state.completed")) == 1
    other = Api(base_url, merchant_factory())
    assert query(other, scope="state.completed") == [] and query(other, scope="/state/currentStatus") == []


ANNOTATIONS = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Completed orders",
    "description": "Fires when the order is completed",
    "format": "email",
}


def test_schema_annotations_are_accepted_and_ignored(api: Api, receiver: Receiver) -> None:
    order_id = create_order(api)["id"]
    annotated = {**training_notification(receiver), "id": "annotated", "schema": {**ANNOTATIONS, "enum": ["completed"]}}
    annotated["invoke"] = receiver.url_for("/annotated")
    plain = {**training_notification(receiver), "id": "plain", "invoke": receiver.url_for("/plain")}
    # `format` as an annotation: a string that is no email still matches.
    string_only = {
        "id": "string",
        "scope": "/state/currentStatus",
        "invoke": receiver.url_for("/string"),
        "schema": {
            "type": "string",
            "format": "date-time",
            "$comment": "any status",
            "examples": ["completed"],
            "default": "checkout",
            "deprecated": False,
            "readOnly": True,
            "writeOnly": False,
            "$id": "https://127.0.0.1/s",
        },
    }
    for notification in (annotated, plain, string_only):
        registered = expect(api.post(f"{ORDERS_V1}/{order_id}/notifications", json=notification), 201)
        assert registered["schema"] == notification["schema"], registered
    move(api, order_id, "processing")
    assert [r.path for r in receiver.wait_for(1, timeout=WAIT)] == ["/string"]
    move(api, order_id, "accepted")
    receiver.wait_for(2, timeout=WAIT)
    receiver.assert_quiet(0.5, count=2)
    move(api, order_id, "completed")
    got = receiver.wait_for(5, timeout=WAIT)
    receiver.assert_quiet(0.5, count=5)
    assert sorted(r.path for r in got[2:]) == ["/annotated", "/plain", "/string"]
    completed = query(api, scope="state.completed")
    assert len(completed) == 3, completed


def test_unsupported_schema_keywords_and_bad_annotations_stay_400_at_v1(api: Api, receiver: Receiver, healthy) -> None:
    order_id = create_order(api)["id"]
    for schema, field in [
        ({**ANNOTATIONS, "enum": ["completed"], "if": {}}, "schema.if"),
        ({"format": 5}, "schema.format"),
        ({"title": ["x"]}, "schema.title"),
        ({"properties": {"a": {"readOnly": "yes"}}}, "schema.properties.a.readOnly"),
        ({"$ref": "#/$defs/x", "$defs": {}}, "schema.$defs"),
    ]:
        notification = {**training_notification(receiver), "schema": schema}
        for base in (ORDERS_V1, ORDERS):
            problem = assert_problem(api.post(f"{base}/{order_id}/notifications", json=notification), 400)
            assert problem.get("field") == field, problem
    assert expect(api.get(f"{ORDERS_V1}/{order_id}/notifications")) == []
    healthy()


def test_v1_notification_routes_answer_bad_input_with_problems(
    api: Api, anonymous: Api, base_url: str, merchant_factory, receiver: Receiver
) -> None:
    order_id = create_order(api)["id"]
    path = f"{ORDERS_V1}/{order_id}/notifications"
    assert_problem(api.post(path, data="{not json", headers={"Content-Type": "application/json"}), 400)
    assert_problem(api.post(path, data="x=1", headers={"Content-Type": "text/plain"}), 415)
    problem = assert_problem(api.post(path, json={**training_notification(receiver), "secret": 1}), 400)
    assert problem.get("field") == "secret", problem
    assert_problem(api.post(path, json=[training_notification(receiver)]), 400)
    for method, suffix, allowed in (("PUT", "", "GET, POST"), ("GET", "/n1", "DELETE"), ("PATCH", "/n1", "DELETE")):
        response = api.request(method, path + suffix, json=training_notification(receiver))
        assert_problem(response, 405)
        assert sorted(m.strip() for m in response.headers["Allow"].split(",")) == allowed.split(", "), response.headers
    assert_problem(
        api.post(f"{ORDERS_V1}/{secrets.token_hex(4)}/notifications", json=training_notification(receiver)), 404
    )
    assert_problem(api.get(f"{ORDERS_V1}/00000000-0000-7000-8000-000000000000/notifications"), 404)
    assert_problem(api.delete(f"{path}/nope"), 404)
    assert_problem(anonymous.get(path), 400)  # no X-Merchant
    assert_problem(anonymous.get(path, headers={"X-Merchant": api.merchant.id}), 401)
    # Another merchant's order is not found through v1 either, and nothing was registered on it.
    other = Api(base_url, merchant_factory())
    assert_problem(other.post(path, json=training_notification(receiver)), 404)
    assert_problem(other.get(path), 404)
    registered = expect(api.post(path, json={**training_notification(receiver), "id": "norce-1"}), 201)
    assert_problem(other.delete(f"{path}/norce-1"), 404)
    assert_problem(api.post(path, json={**training_notification(receiver), "id": "norce-1"}), 409)
    expect(api.delete(f"{path}/{registered['id']}"), 204)
    assert expect(api.get(path)) == []
    assert_problem(api.delete(f"{path}/{registered['id']}"), 404)


def test_deleted_order_is_gone_while_its_events_are_still_listed(
    api: Api, base_url: str, merchant_factory, receiver: Receiver, healthy
) -> None:
    order_id = create_order(api)["id"]
    expect(api.post(f"{ORDERS_V1}/{order_id}/notifications", json=training_notification(receiver)), 201)
    move(api, order_id, "processing", "accepted", "completed")
    receiver.wait_for(1, timeout=WAIT)
    events = list_order_events(api, order_id)
    assert len(events) == 1
    event_id = events[0]["id"]
    wait_for_event(api, event_id, lambda e: e["status"] == "succeeded", timeout=WAIT)

    other = Api(base_url, merchant_factory())
    assert_problem(other.delete(f"{ORDERS}/{order_id}"), 404)
    expect(api.get(f"{ORDERS}/{order_id}"))

    expect(api.delete(f"{ORDERS}/{order_id}"), 204)
    for response in (
        api.get(f"{ORDERS}/{order_id}"),
        api.delete(f"{ORDERS}/{order_id}"),
        api.get(f"{ORDERS}/{order_id}/notifications"),
        api.get(f"{ORDERS_V1}/{order_id}/notifications"),
        api.put(f"{ORDERS}/{order_id}/state", json={"currentStatus": "removed"}),
        api.patch(f"{ORDERS}/{order_id}", json={"reference": "x"}),
        api.put(f"{ORDERS}/{order_id}/payments/p1", json={"state": "new"}),
    ):
        assert_problem(response, 404)

    # The history of what was sent survives the order: listed by order, by scope, readable, retryable.
    assert [e["id"] for e in list_order_events(api, order_id)] == [event_id]
    assert query(api, scope="state.completed") == [event_id]
    assert query(api, EVENTS_V1, order_id=order_id) == [event_id]
    assert get_event(api, event_id)["orderId"] == order_id
    expect(api.post(f"{EVENTS}/{event_id}/retry"), 202)
    receiver.wait_for(2, timeout=WAIT)
    wait_for_event(api, event_id, lambda e: e["attemptCount"] == 2 and e["status"] == "succeeded", timeout=WAIT)
    healthy()


def test_delivery_still_owed_when_the_order_is_deleted_goes_on(api: Api, receiver: Receiver) -> None:
    """The first attempt fails (500); the order is deleted; the automatic retry (5 s later by the
    default schedule) still goes out, with the same webhook-id."""
    receiver.respond(500, "not yet")
    order_id = create_order(api)["id"]
    expect(api.post(f"{ORDERS_V1}/{order_id}/notifications", json=training_notification(receiver)), 201)
    move(api, order_id, "processing", "accepted", "completed")
    first = receiver.wait_for(1, timeout=WAIT)[0]
    receiver.respond(204, "")
    expect(api.delete(f"{ORDERS}/{order_id}"), 204)
    deleted_at = time.time()
    second = receiver.wait_for(2, timeout=WAIT)[1]
    assert second.received_at >= deleted_at
    assert second.headers["webhook-id"] == first.headers["webhook-id"]
    event = wait_for_event(api, first.headers["webhook-id"], lambda e: e["status"] == "succeeded", timeout=WAIT)
    assert [a["statusCode"] for a in event["attempts"]] == [500, 204]


def test_delete_order_bad_input_is_a_problem(api: Api, anonymous: Api) -> None:
    order_id = create_order(api)["id"]
    assert_problem(api.delete(f"{ORDERS}/not-a-uuid"), 404)
    assert_problem(api.delete(f"{ORDERS}/00000000-0000-7000-8000-000000000000"), 404)
    assert_problem(anonymous.delete(f"{ORDERS}/{order_id}"), 400)  # no X-Merchant
    assert_problem(anonymous.delete(f"{ORDERS}/{order_id}", headers={"X-Merchant": api.merchant.id}), 401)
    assert_problem(api.delete(f"{ORDERS}/{order_id}", headers={"Authorization": "Bearer nope"}), 401)
    assert_problem(api.post(f"{ORDERS}/{order_id}"), 405)
    expect(api.get(f"{ORDERS}/{order_id}"))
