"""Notifications on orders by state and item scopes: each accepted form fires exactly the events it
should and nothing else (pointers, registration and placeholders have files of their own).

Events are read from the database (`events`, `deliveries`): the events API comes later.
Targets are http://127.0.0.1:9 (nothing listens there), so deliveries stay queued."""

from __future__ import annotations

import pytest

from notifications_e2e import HOOK, assert_queued, scopes, without_notifications
from notify_e2e import ORDERS, Api, Merchant, create_order, expect, order_events, put_state, register


def test_state_completed_fires_only_on_completed(api: Api, merchant: Merchant) -> None:
    order = create_order(api)
    oid = order["id"]
    notification = register(api, oid, {"url": HOOK, "scope": {"state": ["completed"]}})
    for status in ("processing", "checkout", "processing", "accepted"):
        put_state(api, oid, status)
    assert order_events(oid) == []

    after = put_state(api, oid, "completed")
    events = order_events(oid)
    assert len(events) == 1, events
    event = events[0]
    assert event["scope"] == "state.completed"
    assert event["merchant"] == merchant.id and event["channel"] == "web" and event["order_id"] == oid
    assert event["notification_id"] == notification["id"]
    assert event["adapter_id"] is None and event["reference"] is None
    assert event["request_method"] == "POST" and event["request_url"] == HOOK
    assert_queued(event)

    payload = event["payload"]
    assert set(payload) == {"event", "notification", "order"}, payload.keys()
    assert payload["event"]["id"] == event["event_id"]
    assert payload["event"]["scope"] == "state.completed"
    assert payload["event"]["createdAt"]
    assert payload["notification"] == notification
    assert payload["order"] == without_notifications(after), "payload.order is the order right after the change"
    assert "notifications" not in payload["order"], "a receiver never sees the order's other notifications"
    assert payload["order"]["state"]["currentStatus"] == "completed"


def test_state_with_two_statuses_fires_on_either(api: Api) -> None:
    first, second = create_order(api), create_order(api)
    for order in (first, second):
        register(api, order["id"], {"url": HOOK, "scope": {"state": ["accepted", "declined"]}})
    for status in ("processing", "accepted", "declined"):
        put_state(api, first["id"], status)
    for status in ("processing", "declined"):
        put_state(api, second["id"], status)
    assert scopes(first["id"]) == ["state.accepted", "state.declined"]
    assert scopes(second["id"]) == ["state.declined"]


@pytest.mark.parametrize(
    ("kind", "key", "other"), [("payments", "payment", "shippings"), ("shippings", "shipping", "payments")]
)
def test_item_scope_fires_on_upsert_change_and_delete(api: Api, kind: str, key: str, other: str) -> None:
    order = create_order(api)
    oid = order["id"]
    notification = register(api, oid, {"url": HOOK, "scope": {key: True}})
    item = f"{ORDERS}/{oid}/{kind}/x1"

    new = expect(api.put(item, json={"state": "new", "amount": 10}), 201)
    assert len(order_events(oid)) == 1
    expect(api.put(item, json={"state": "new", "amount": 10}))  # same values: no change
    changed = expect(api.put(item, json={"amount": 12}))
    removed = expect(api.delete(item))
    expect(api.delete(item))  # already removed: no change
    # Changes elsewhere do not concern it.
    expect(api.put(f"{ORDERS}/{oid}/{other}/y1", json={"state": "new"}), 201)
    put_state(api, oid, "processing")
    expect(api.patch(f"{ORDERS}/{oid}", json={"reference": "r"}))

    events = order_events(oid)
    assert [e["scope"] for e in events] == [key, key, key], [e["scope"] for e in events]
    assert [e["payload"]["order"] for e in events] == [without_notifications(o) for o in (new, changed, removed)]
    assert {e["notification_id"] for e in events} == {notification["id"]}
    assert events[2]["payload"]["order"][kind][0]["state"] == "removed"
    for event in events:
        assert_queued(event)


def test_several_keys_any_fires_one_event_per_change(api: Api) -> None:
    order = create_order(api)
    oid = order["id"]
    register(api, oid, {"url": HOOK, "scope": {"state": ["processing"], "payment": True, "shipping": True}})
    put_state(api, oid, "processing")
    expect(api.put(f"{ORDERS}/{oid}/payments/p1", json={"state": "authorized"}), 201)
    expect(api.put(f"{ORDERS}/{oid}/shippings/s1", json={"state": "packed"}), 201)
    expect(api.patch(f"{ORDERS}/{oid}", json={"reference": "nothing to see"}))
    put_state(api, oid, "accepted")
    assert scopes(oid) == ["state.processing", "payment", "shipping"]


def test_patch_that_changes_nothing_fires_nothing(api: Api) -> None:
    order = create_order(api, "web", {"reference": "r", "cart": {"a": 1}})
    oid = order["id"]
    register(api, oid, {"scope": "/reference", "invoke": HOOK})
    register(api, oid, {"scope": "/cart", "invoke": HOOK})
    register(api, oid, {"scope": "/lastModified", "invoke": HOOK})
    register(api, oid, {"url": HOOK, "scope": {"state": ["checkout", "processing"], "payment": True, "shipping": True}})
    for patch in ({}, {"reference": "r"}, {"cart": {"a": 1}}, {"cart": {}}, {"customer": None}):
        expect(api.patch(f"{ORDERS}/{oid}", json=patch))
    put_state(api, oid, "checkout")
    assert order_events(oid) == []
    expect(api.patch(f"{ORDERS}/{oid}", json={"reference": "s"}))
    assert sorted(scopes(oid)) == ["/lastModified", "/reference"]


def test_same_status_put_fires_nothing(api: Api) -> None:
    order = create_order(api)
    oid = order["id"]
    register(api, oid, {"url": HOOK, "scope": {"state": ["processing"]}})
    put_state(api, oid, "processing")
    put_state(api, oid, "processing")
    put_state(api, oid, "processing")
    assert scopes(oid) == ["state.processing"]


def test_notification_does_not_fire_for_the_past(api: Api) -> None:
    order = create_order(api)
    oid = order["id"]
    put_state(api, oid, "processing")
    expect(api.put(f"{ORDERS}/{oid}/payments/p1", json={"state": "captured"}), 201)
    register(api, oid, {"url": HOOK, "scope": {"state": ["processing"], "payment": True}})
    register(api, oid, {"scope": "/payments/0/state", "schema": {"const": "captured"}, "invoke": HOOK})
    assert order_events(oid) == []
    put_state(api, oid, "checkout")
    assert order_events(oid) == []
    put_state(api, oid, "processing")
    assert scopes(oid) == ["state.processing"]


def test_state_removed_and_declined_scopes(api: Api) -> None:
    removed, declined = create_order(api), create_order(api)
    for order in (removed, declined):
        register(api, order["id"], {"url": HOOK, "scope": {"state": ["removed", "declined"]}})
    put_state(api, removed["id"], "removed")
    for status in ("processing", "accepted", "declined"):
        put_state(api, declined["id"], status)
    assert scopes(removed["id"]) == ["state.removed"]
    assert scopes(declined["id"]) == ["state.declined"]
