"""Pointer scopes (RFC 6901) with and without a JSON Schema: what fires, escapes, and one id per pointer.
Targets are http://127.0.0.1:9 (nothing listens there), so deliveries stay queued."""

from __future__ import annotations

from typing import Any

import pytest

from notifications_e2e import HOOK, assert_queued, scopes, without_notifications
from notify_e2e import ORDERS, Api, assert_problem, create_order, expect, order_events, put_state, register


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
