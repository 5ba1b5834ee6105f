"""Notifications on orders: each accepted form fires exactly the events it should
and nothing else, the URL template is expanded into the event, secrets are stored but never shown.

Events are read from the database (`events`, `deliveries`): the events API comes later.
Targets are http://127.0.0.1:9 (nothing listens there), so deliveries stay queued."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from notify_e2e import (
    ORDERS,
    Api,
    Merchant,
    assert_problem,
    create_order,
    db_execute,
    expect,
    media_type,
    nested,
    order_events,
    put_state,
    register,
)

HOOK = "http://127.0.0.1:9/hook"


def scopes(order_id: str) -> list[str]:
    return [e["scope"] for e in order_events(order_id)]


def listed(api: Api, order_id: str) -> list[dict[str, Any]]:
    response = api.get(f"{ORDERS}/{order_id}/notifications")
    assert response.status_code == 200, response.text
    assert media_type(response) == "application/json"
    body = response.json()
    assert isinstance(body, list), body
    return body


def assert_queued(event: dict[str, Any]) -> None:
    """An event whose URL expanded: not failed, no error, one delivery row while it is pending (a
    finished delivery leaves the queue)."""
    assert event["status"] in ("pending", "succeeded"), event
    assert event["error"] is None, event
    assert event["deliveries"] == (1 if event["status"] == "pending" else 0), event


# ---- the scopes -------------------------------------------------------------------------------


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


def test_pointer_with_schema_fires_only_for_a_valid_new_value(api: Api) -> None:
    order = create_order(api)
    oid = order["id"]
    notification = register(
        api,
        oid,
        {
            "id": "captured-1",
            "adapterId": "psp",
            "reference": "ref-9",
            "description": "payment captured",
            "scope": "/payments/0/state",
            "schema": {"const": "captured"},
            "invoke": "http://127.0.0.1:9/captured/{order_id}",
            "version": 2,
        },
    )
    assert notification["id"] == "captured-1"
    payment = f"{ORDERS}/{oid}/payments/p1"
    expect(api.put(payment, json={"state": "authorized", "amount": 5}), 201)
    assert order_events(oid) == []
    captured = expect(api.put(payment, json={"state": "captured"}))
    expect(api.put(payment, json={"state": "captured"}))  # unchanged
    expect(api.put(payment, json={"amount": 6}))  # another member of the payment
    expect(api.put(f"{ORDERS}/{oid}/payments/p2", json={"state": "captured"}), 201)  # /payments/1
    expect(api.put(payment, json={"state": "refunded"}))  # changed, but not valid for the schema
    again = expect(api.put(payment, json={"state": "captured"}))

    events = order_events(oid)
    assert [e["scope"] for e in events] == ["/payments/0/state"] * 2, events
    assert [e["payload"]["order"] for e in events] == [without_notifications(o) for o in (captured, again)]
    for event in events:
        assert event["notification_id"] == "captured-1"
        assert event["adapter_id"] == "psp" and event["reference"] == "ref-9"
        assert event["request_url"] == f"http://127.0.0.1:9/captured/{oid}"
        assert event["payload"]["notification"] == notification
        assert_queued(event)


def test_pointer_with_enum_and_minimum_schema(api: Api) -> None:
    order = create_order(api, "web", {"cart": {"total": 1}})
    oid = order["id"]
    register(api, oid, {"scope": "/cart/total", "schema": {"type": "number", "minimum": 100}, "invoke": HOOK})
    for total in (50, 150, 150, 99, 100, "200"):
        expect(api.patch(f"{ORDERS}/{oid}", json={"cart": {"total": total}}))
    events = order_events(oid)
    assert [e["payload"]["order"]["cart"]["total"] for e in events] == [150, 100]
    assert {e["scope"] for e in events} == {"/cart/total"}


def test_pointer_without_schema_fires_on_any_change_under_it(api: Api) -> None:
    order = create_order(api, "web", {"cart": {"items": [{"sku": "a", "qty": 1}], "note": "n"}})
    oid = order["id"]
    register(api, oid, {"scope": "/cart", "invoke": HOOK})
    register(api, oid, {"scope": "/cart/items/0/qty", "invoke": HOOK})

    expect(api.patch(f"{ORDERS}/{oid}", json={"cart": {"items": [{"sku": "a", "qty": 2}]}}))  # both
    expect(api.patch(f"{ORDERS}/{oid}", json={"cart": {"note": "m"}}))  # only /cart
    expect(api.patch(f"{ORDERS}/{oid}", json={"cart": {"note": "m"}}))  # nothing
    expect(api.patch(f"{ORDERS}/{oid}", json={"reference": "r"}))  # nothing
    put_state(api, oid, "processing")  # nothing
    expect(api.patch(f"{ORDERS}/{oid}", json={"cart": None}))  # removed: both (missing counts as changed)

    assert sorted(scopes(oid)) == sorted(["/cart", "/cart/items/0/qty", "/cart", "/cart", "/cart/items/0/qty"])


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


def test_notifications_registered_with_an_item_fire_from_the_next_change(api: Api) -> None:
    order = create_order(api)
    oid = order["id"]
    payment = f"{ORDERS}/{oid}/payments/p1"
    created = expect(
        api.put(
            payment,
            json={
                "state": "authorized",
                "notifications": [
                    {"url": HOOK, "scope": {"payment": True}},
                    {"id": "cap", "scope": "/payments/0/state", "schema": {"const": "captured"}, "invoke": HOOK},
                ],
            },
        ),
        201,
    )
    assert "notifications" not in created["payments"][0], created["payments"]
    assert len(created["notifications"]) == 2
    assert created["notifications"][1]["id"] == "cap"
    assert [n["id"] for n in listed(api, oid)] == [n["id"] for n in created["notifications"]]
    assert order_events(oid) == [], "notifications do not fire for the call that registers them"

    expect(api.put(payment, json={"state": "captured"}))
    assert sorted(scopes(oid)) == ["/payments/0/state", "payment"]


def test_deleted_notification_no_longer_fires(api: Api, healthy) -> None:
    order = create_order(api)
    oid = order["id"]
    gone = register(api, oid, {"url": HOOK, "scope": {"state": ["processing"]}})
    kept = register(api, oid, {"url": HOOK + "/kept", "scope": {"state": ["processing"]}})

    response = api.delete(f"{ORDERS}/{oid}/notifications/{gone['id']}")
    assert response.status_code == 204, response.text
    assert response.content == b""
    assert [n["id"] for n in listed(api, oid)] == [kept["id"]]
    order_after = api.get(f"{ORDERS}/{oid}").json()
    assert [n["id"] for n in order_after["notifications"]] == [kept["id"]]
    assert order_events(oid) == []

    put_state(api, oid, "processing")
    events = order_events(oid)
    assert [(e["notification_id"], e["request_url"]) for e in events] == [(kept["id"], HOOK + "/kept")]

    assert_problem(api.delete(f"{ORDERS}/{oid}/notifications/{gone['id']}"), 404)
    assert_problem(api.delete(f"{ORDERS}/{oid}/notifications/no-such-id"), 404)
    assert_problem(api.delete(f"{ORDERS}/{uuid.uuid4()}/notifications/{kept['id']}"), 404)
    healthy()


# ---- registration: shapes, ids --------------------------------------------------------------


def test_post_and_list_shapes(api: Api) -> None:
    order = create_order(api)
    oid = order["id"]
    response = api.post(
        f"{ORDERS}/{oid}/notifications", json={"url": HOOK, "scope": {"state": ["completed", "declined"]}}
    )
    assert response.status_code == 201, response.text
    assert media_type(response) == "application/json"
    simple = response.json()
    assert response.headers.get("Location") == f"{ORDERS}/{oid}/notifications/{simple['id']}"
    assert simple["url"] == HOOK
    assert simple["method"] == "POST" and simple["headers"] == {}
    assert simple["scope"] == {"state": ["completed", "declined"]}

    pointer_body = {
        "id": "n-1",
        "adapterId": "a",
        "reference": "r",
        "description": "d",
        "scope": "/state/currentStatus",
        "schema": {"enum": ["accepted"]},
        "invoke": HOOK,
        "version": "1.0",
        "method": "PUT",
    }
    pointer = register(api, oid, pointer_body)
    for name, value in pointer_body.items():
        assert pointer[name] == value, (name, pointer)
    assert pointer["headers"] == {}

    assert listed(api, oid) == [simple, pointer]
    assert api.get(f"{ORDERS}/{oid}").json()["notifications"] == [simple, pointer]


def test_same_pointer_id_twice_is_409(api: Api, healthy) -> None:
    order = create_order(api)
    oid = order["id"]
    body = {"id": "dup", "scope": "/payments", "invoke": HOOK}
    register(api, oid, body)
    problem = assert_problem(api.post(f"{ORDERS}/{oid}/notifications", json=body), 409)
    assert "dup" in problem["detail"], problem
    # In an item upsert too, and the whole call is refused: no payment either.
    response = api.put(f"{ORDERS}/{oid}/payments/p1", json={"state": "new", "notifications": [body]})
    assert_problem(response, 409)
    response = api.put(
        f"{ORDERS}/{oid}/payments/p1",
        json={"state": "new", "notifications": [{**body, "id": "twice"}, {**body, "id": "twice"}]},
    )
    assert_problem(response, 409)
    current = api.get(f"{ORDERS}/{oid}").json()
    assert current["payments"] == []
    assert [n["id"] for n in current["notifications"]] == ["dup"]
    # Another order may use the same id.
    register(api, create_order(api)["id"], body)
    healthy()


# ---- the URL template -----------------------------------------------------------------------


def test_order_placeholders_are_expanded_into_the_event(api: Api) -> None:
    order = create_order(api, "web", {"reference": "a b/c&d"})
    oid = order["id"]
    register(
        api,
        oid,
        {
            "url": "http://127.0.0.1:9/orders/{order.id}/x?id={order_id}&ref={order.reference}",
            "method": "PUT",
            "scope": {"state": ["processing"]},
        },
    )
    register(
        api,
        oid,
        {
            "scope": "/state/currentStatus",
            "invoke": "http://127.0.0.1:9/{order.state.currentStatus}/{order.state.transitions.1.status}",
        },
    )
    put_state(api, oid, "processing")
    events = order_events(oid)
    by_scope = {e["scope"]: e for e in events}
    assert set(by_scope) == {"state.processing", "/state/currentStatus"}, by_scope.keys()
    simple = by_scope["state.processing"]
    assert simple["request_method"] == "PUT"
    assert simple["request_url"] == f"http://127.0.0.1:9/orders/{oid}/x?id={oid}&ref=a%20b%2Fc%26d"
    assert by_scope["/state/currentStatus"]["request_url"] == "http://127.0.0.1:9/processing/processing"
    for event in events:
        assert_queued(event)


def test_configuration_placeholder_is_expanded_into_the_event(api: Api, merchant: Merchant) -> None:
    configuration = {
        "id": "psp-1",
        "adapter": {"publicUrl": "https://psp.example/p", "internalUrl": "http://127.0.0.1:9/internal"},
        "merchantCode": "m 1",
    }
    path = f"/api/v1/configuration/merchants/{merchant.id}/channels/web/configurations/psp-1"
    expect(api.put(path, json=configuration), 201)
    order = create_order(api)
    oid = order["id"]
    register(
        api,
        oid,
        {
            "adapterId": "psp-1",
            "scope": "/state/currentStatus",
            "invoke": "{configuration.adapter.internalUrl}/orders/{order.id}?m={configuration.merchantCode}",
        },
    )
    put_state(api, oid, "processing")
    events = order_events(oid)
    assert len(events) == 1, events
    assert events[0]["adapter_id"] == "psp-1"
    assert events[0]["request_url"] == f"http://127.0.0.1:9/internal/orders/{oid}?m=m%201"
    assert_queued(events[0])


def test_placeholder_without_a_value_records_a_failed_event(api: Api) -> None:
    order = create_order(api)
    oid = order["id"]
    register(api, oid, {"url": "http://127.0.0.1:9/c/{order.customer.email}", "scope": {"state": ["processing"]}})
    register(
        api,
        oid,
        {
            "adapterId": "no-such-configuration",
            "scope": "/state/currentStatus",
            "invoke": "{configuration.adapter.internalUrl}/x",
        },
    )
    put_state(api, oid, "processing")
    events = order_events(oid)
    assert len(events) == 2, events
    for event in events:
        assert event["status"] == "failed", event
        assert event["error"], event
        assert event["deliveries"] == 0, event
    errors = {e["scope"]: e["error"] for e in events}
    assert "{order.customer.email}" in errors["state.processing"], errors
    assert "{configuration.adapter.internalUrl}" in errors["/state/currentStatus"], errors


@pytest.mark.parametrize(
    "template",
    [
        "http://127.0.0.1:9/{customer}",
        "http://127.0.0.1:9/{order}",
        "http://127.0.0.1:9/{order.id",
        "http://127.0.0.1:9/}",
    ],
)
def test_unknown_placeholder_is_400_at_registration(api: Api, healthy, template: str) -> None:
    order = create_order(api)
    for body, field in [
        ({"url": template, "scope": {"payment": True}}, "url"),
        ({"scope": "/payments", "invoke": template}, "invoke"),
    ]:
        problem = assert_problem(api.post(f"{ORDERS}/{order['id']}/notifications", json=body), 400)
        assert problem.get("field") == field, problem
    assert listed(api, order["id"]) == []
    healthy()


# ---- secrets --------------------------------------------------------------------------------

SECRET_HEADERS = {
    "Authorization": "Bearer s3cret-authz",
    "Cookie": "session=s3cret-cookie",
    "X-Api-Key": "s3cret-key",
    "X-Auth-Token": "s3cret-token",
    "X-Client-Secret": "s3cret-secret",
    "X-Hub-Signature": "s3cret-signature",
    "Proxy-Authenticate": "s3cret-auth",
}
PLAIN_HEADERS = {"X-Plain": "visible-value", "Accept": "application/json"}


def assert_redacted(headers: dict[str, str]) -> None:
    assert headers == {**{name: "***" for name in SECRET_HEADERS}, **PLAIN_HEADERS}, headers


def test_secret_headers_are_stored_but_never_shown(api: Api) -> None:
    order = create_order(api)
    oid = order["id"]
    headers = {**SECRET_HEADERS, **PLAIN_HEADERS}
    shown = []
    response = api.post(
        f"{ORDERS}/{oid}/notifications", json={"url": HOOK, "headers": headers, "scope": {"state": ["processing"]}}
    )
    shown.append(response)
    assert response.status_code == 201, response.text
    assert_redacted(response.json()["headers"])
    response = api.put(
        f"{ORDERS}/{oid}/payments/p1",
        json={
            "state": "new",
            "notifications": [{"id": "ptr", "scope": "/state/currentStatus", "invoke": HOOK, "headers": headers}],
        },
    )
    shown.append(response)
    assert response.status_code == 201, response.text
    for notification in response.json()["notifications"]:
        assert_redacted(notification["headers"])

    shown.append(api.get(f"{ORDERS}/{oid}/notifications"))
    for notification in shown[-1].json():
        assert_redacted(notification["headers"])
    shown.append(api.get(f"{ORDERS}/{oid}"))
    for notification in shown[-1].json()["notifications"]:
        assert_redacted(notification["headers"])
    shown.append(api.put(f"{ORDERS}/{oid}/state", json={"currentStatus": "processing"}))
    for response in shown:
        assert response.status_code in (200, 201), response.text
        assert "s3cret" not in response.text, f"{response.request.method} {response.request.path_url} shows a secret"

    events = order_events(oid)
    assert len(events) == 2, events
    for event in events:
        assert event["request_headers"] == headers, "the stored request keeps the real values to deliver them"
        assert_redacted(event["payload"]["notification"]["headers"])
        assert "notifications" not in event["payload"]["order"]


# ---- schema semantics -----------------------------------------------------------------------

# (schema, values the watched member takes one after another, the values that fire). A payment's
# `attributes` are replaced whole by an upsert, so the member can take any JSON value, null too.
SCHEMA_CASES: list[tuple[str, dict[str, Any], list[Any], list[Any]]] = [
    ("const", {"const": {"a": [1, 2]}}, [{"a": [1]}, {"a": [1, 2]}, {"a": [2, 1]}], [{"a": [1, 2]}]),
    ("enum", {"enum": ["a", 1, None]}, ["a", "b", 1, "c", None, 2], ["a", 1, None]),
    ("type integer", {"type": "integer"}, [1, 1.5, "2", 2.0, 3], [1, 2.0, 3]),
    ("type list", {"type": ["string", "boolean"]}, [1, "a", 2, True, [], {}], ["a", True]),
    ("type null", {"type": "null"}, [1, None, "x"], [None]),
    ("not", {"not": {"const": "x"}}, ["x", "y", "x", "z"], ["y", "z"]),
    ("allOf", {"allOf": [{"type": "number"}, {"maximum": 2}]}, [1, 3, "x", 2], [1, 2]),
    ("anyOf", {"anyOf": [{"const": 1}, {"const": 2}]}, [1, 3, 2], [1, 2]),
    ("oneOf", {"oneOf": [{"type": "number"}, {"minimum": 5}]}, [3, 7, "s", 9], [3, "s"]),
    ("minimum and exclusiveMaximum", {"minimum": 1, "exclusiveMaximum": 3}, [0, 1, 3, 2.5, "10"], [1, 2.5, "10"]),
    ("exclusiveMinimum and maximum", {"exclusiveMinimum": 1, "maximum": 3}, [1, 2, 3, 4, 0.5], [2, 3]),
    (
        "minLength and maxLength",
        {"minLength": 2, "maxLength": 3},
        ["a", "ab", "abcd", "abc", 5, "\u00e9\u00e9"],
        ["ab", "abc", 5, "\u00e9\u00e9"],
    ),
    ("pattern unanchored", {"type": "string", "pattern": "x\\d+$"}, ["x1", "y1", "ax12", "x1a"], ["x1", "ax12"]),
    (
        "properties and required",
        {"type": "object", "properties": {"s": {"const": "ok"}}, "required": ["s"]},
        [{"s": "ok"}, {"s": "no"}, {}, {"t": 1}, {"s": "ok", "x": 1}],
        [{"s": "ok"}, {"s": "ok", "x": 1}],
    ),
    (
        "items, minItems, maxItems",
        {"items": {"type": "string"}, "minItems": 1, "maxItems": 2},
        [["a"], [], ["a", 1], ["a", "b", "c"], ["b", "c"]],
        [["a"], ["b", "c"]],
    ),
    ("true", True, [1, 2], [1, 2]),
    ("false", False, [1, 2], []),
]


def typed(value: Any) -> Any:
    """A JSON value with its JSON type made explicit (Python has True == 1; JSON has 2 == 2.0)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return (type(value).__name__, value)
    if isinstance(value, (int, float)):
        return ("number", float(value))
    if isinstance(value, list):
        return ("array", [typed(v) for v in value])
    return ("object", {k: typed(v) for k, v in value.items()})


@pytest.mark.parametrize(("case", "schema", "values", "fired"), SCHEMA_CASES, ids=[c[0] for c in SCHEMA_CASES])
def test_schema_decides_what_fires(api: Api, case: str, schema: Any, values: list[Any], fired: list[Any]) -> None:
    order = create_order(api)
    oid = order["id"]
    payment = f"{ORDERS}/{oid}/payments/p1"
    expect(api.put(payment, json={"state": "new", "attributes": {"other": 0}}), 201)
    register(api, oid, {"scope": "/payments/0/attributes/v", "schema": schema, "invoke": HOOK})
    for value in values:
        expect(api.put(payment, json={"attributes": {"v": value}}))
    got = [e["payload"]["order"]["payments"][0]["attributes"]["v"] for e in order_events(oid)]
    assert [typed(v) for v in got] == [typed(v) for v in fired], f"{case}: fired for {got}, expected {fired}"


def test_pointer_escapes_name_members_with_slash_and_tilde(api: Api) -> None:
    order = create_order(api, "web", {"attributes": {"a/b": 1, "c~d": 1, "a": {"b": 1}}})
    oid = order["id"]
    register(api, oid, {"id": "slash", "scope": "/attributes/a~1b", "invoke": HOOK})
    register(api, oid, {"id": "tilde", "scope": "/attributes/c~0d", "invoke": HOOK})
    expect(api.patch(f"{ORDERS}/{oid}", json={"attributes": {"a": {"b": 2}}}))  # /attributes/a/b: neither
    expect(api.patch(f"{ORDERS}/{oid}", json={"attributes": {"a/b": 2}}))
    expect(api.patch(f"{ORDERS}/{oid}", json={"attributes": {"c~d": 2}}))
    events = order_events(oid)
    assert [(e["notification_id"], e["scope"]) for e in events] == [
        ("slash", "/attributes/a~1b"),
        ("tilde", "/attributes/c~0d"),
    ]


def test_state_removed_and_declined_scopes(api: Api) -> None:
    removed, declined = create_order(api), create_order(api)
    for order in (removed, declined):
        register(api, order["id"], {"url": HOOK, "scope": {"state": ["removed", "declined"]}})
    put_state(api, removed["id"], "removed")
    for status in ("processing", "accepted", "declined"):
        put_state(api, declined["id"], status)
    assert scopes(removed["id"]) == ["state.removed"]
    assert scopes(declined["id"]) == ["state.declined"]


# ---- the deepest order the API accepts is still delivered -----------------------------------


def test_deepest_accepted_cart_is_still_delivered(api: Api, receiver) -> None:
    # The create body is as deep as the parser allows (the body and 63 levels of cart). The event's
    # payload holds that order one level deeper ({"order": {...}}): the pipeline must still deliver it
    # or the API must refuse the order; it must not accept an event nobody can send.
    response = api.post(ORDERS, headers={"X-Channel": "web"}, json={"cart": nested(63)})
    if response.status_code == 400:
        assert_problem(response, 400)
        return
    assert response.status_code == 201, response.text[:300]
    oid = response.json()["id"]
    register(api, oid, {"url": receiver.url_for(f"/deep/{oid}"), "scope": {"state": ["processing"]}})
    put_state(api, oid, "processing")
    [event] = order_events(oid)
    assert_queued(event)
    try:
        got = receiver.wait_for(1, timeout=5.0)
    except AssertionError:
        after = order_events(oid)[0]
        # Take the undeliverable event out of the shared sweep's queue, so later tests' deliveries
        # are not claimed in a batch with it.
        db_execute("DELETE FROM deliveries WHERE event_id = :'event_id'::uuid", event_id=event["event_id"])
        raise AssertionError(
            f"the event was never delivered: status {after['status']}, attempts {after['attempt_count']},"
            f" error {after['error']!r} (see notify-sweep.log)"
        ) from None
    assert got[0].path == f"/deep/{oid}"
    assert got[0].json()["order"]["cart"] == nested(63)


def without_notifications(order: dict) -> dict:
    """The Order JSON as a delivery body carries it: everything but the order's notifications."""
    return {key: value for key, value in order.items() if key != "notifications"}
