"""Orders through nginx: create, read, merge patch, deep documents, and merchant isolation. The state
machine and the items have files of their own (test_order_state.py, test_order_items.py).
Events are checked in the database (the events API has tests of its own)."""

from __future__ import annotations

import uuid

import pytest

from notify_e2e import ORDERS, Api, Merchant, assert_problem, create_order, media_type, nested, order_events
from orders_e2e import HOOK, event_keys, get_order


def is_uuid(text: str) -> bool:
    try:
        return str(uuid.UUID(text)) == text.lower()
    except ValueError:
        return False


def test_create_without_body_has_the_full_order_shape(api: Api, merchant: Merchant) -> None:
    response = api.post(ORDERS, headers={"X-Channel": "web"})
    assert response.status_code == 201, response.text
    assert media_type(response) == "application/json"
    order = response.json()
    assert is_uuid(order["id"]), order["id"]
    assert response.headers.get("Location") == f"{ORDERS}/{order['id']}"
    assert order["merchant"] == merchant.id
    assert order["channel"] == "web"
    assert order["state"]["currentStatus"] == "checkout"
    transitions = order["state"]["transitions"]
    assert [t["status"] for t in transitions] == ["checkout"]
    assert transitions[0]["timeStamp"]
    assert order["created"] and order["lastModified"] == order["created"]
    assert order["payments"] == [] and order["shippings"] == []
    assert order["attributes"] == {}
    assert order["notifications"] == []
    assert order_events(order["id"]) == []


def test_create_with_every_field_then_get(api: Api) -> None:
    body = {
        "reference": "ref-1",
        "culture": "sv-SE",
        "currency": "SEK",
        "country": "SE",
        "cart": {"items": [{"sku": "a", "qty": 1}], "total": 100},
        "customer": {"email": "a@example.com"},
        "attributes": {"source": "e2e"},
    }
    order = create_order(api, "web", body)
    for name, value in body.items():
        assert order[name] == value, name
    fetched = get_order(api, order["id"])
    assert fetched == order


def test_unknown_or_non_uuid_order_is_404(api: Api, healthy) -> None:
    assert_problem(api.get(f"{ORDERS}/{uuid.uuid4()}"), 404)
    assert_problem(api.get(f"{ORDERS}/not-a-uuid"), 404)
    assert_problem(api.put(f"{ORDERS}/not-a-uuid/state", json={"currentStatus": "processing"}), 404)
    assert_problem(api.patch(f"{ORDERS}/{uuid.uuid4()}", json={"reference": "x"}), 404)
    unknown = f"{ORDERS}/{uuid.uuid4()}/notifications"
    assert_problem(api.get(unknown), 404)
    assert_problem(api.post(unknown, json={"url": HOOK, "scope": {"payment": True}}), 404)
    assert_problem(api.delete(f"{unknown}/n1"), 404)
    healthy()


@pytest.mark.parametrize("content_type", ["application/json", "application/merge-patch+json"])
def test_merge_patch(api: Api, content_type: str) -> None:
    order = create_order(
        api,
        "web",
        {
            "reference": "r1",
            "culture": "en-GB",
            "cart": {"items": [{"sku": "a", "qty": 1}], "note": "keep", "gift": True},
        },
    )
    patch = (
        b'{"reference": "r2", "culture": null, "cart": {"gift": null, "items": [{"sku": "a", "qty": 2}]},'
        b' "attributes": {"k": "v"}}'
    )
    response = api.patch(f"{ORDERS}/{order['id']}", data=patch, headers={"Content-Type": content_type})
    assert response.status_code == 200, response.text
    patched = response.json()
    assert patched["reference"] == "r2"
    assert "culture" not in patched or patched["culture"] is None
    assert patched["cart"] == {"items": [{"sku": "a", "qty": 2}], "note": "keep"}
    assert patched["attributes"] == {"k": "v"}
    assert patched["lastModified"] >= order["lastModified"]
    assert patched["state"] == order["state"] and patched["created"] == order["created"]
    assert get_order(api, order["id"]) == patched


def test_patch_that_changes_nothing_keeps_last_modified(api: Api) -> None:
    order = create_order(api, "web", {"reference": "same"})
    for patch in ({"reference": "same"}, {}, {"culture": None}):
        response = api.patch(f"{ORDERS}/{order['id']}", json=patch)
        assert response.status_code == 200, response.text
        assert response.json()["lastModified"] == order["lastModified"], patch
    assert get_order(api, order["id"]) == order


def test_patch_refuses_other_fields_and_wrong_types(api: Api, healthy) -> None:
    order = create_order(api, "web", {"reference": "r"})
    for patch, field in [
        ({"id": str(uuid.uuid4())}, "id"),
        ({"state": {"currentStatus": "completed"}}, "state"),
        ({"payments": []}, "payments"),
        ({"notifications": []}, "notifications"),
        ({"merchant": "someone"}, "merchant"),
        ({"lastModified": "2020-01-01T00:00:00.000Z"}, "lastModified"),
        ({"reference": 12}, "reference"),
        ({"cart": "full"}, "cart"),
        ({"reference": "ok", "channel": "app"}, "channel"),
    ]:
        problem = assert_problem(api.patch(f"{ORDERS}/{order['id']}", json=patch), 400)
        assert problem.get("field") == field, (patch, problem)
    assert get_order(api, order["id"]) == order
    healthy()


def test_another_merchant_sees_404_everywhere(api: Api, merchant_factory, healthy) -> None:
    order = create_order(api, "web", {"reference": "mine"})
    oid = order["id"]
    registered = api.post(f"{ORDERS}/{oid}/notifications", json={"url": HOOK, "scope": {"payment": True}})
    assert registered.status_code == 201, registered.text
    nid = registered.json()["id"]
    assert api.put(f"{ORDERS}/{oid}/payments/p1", json={"state": "new"}).status_code == 201
    assert api.put(f"{ORDERS}/{oid}/shippings/s1", json={"state": "new"}).status_code == 201
    before = get_order(api, oid)
    events_before = event_keys(oid)

    other = api.as_merchant(merchant_factory())
    attempts = [
        other.get(f"{ORDERS}/{oid}"),
        other.patch(f"{ORDERS}/{oid}", json={"reference": "theirs"}),
        other.put(f"{ORDERS}/{oid}/state", json={"currentStatus": "processing"}),
        other.put(f"{ORDERS}/{oid}/payments/p1", json={"state": "captured"}),
        other.put(f"{ORDERS}/{oid}/payments/p2", json={"state": "new"}),
        other.delete(f"{ORDERS}/{oid}/payments/p1"),
        other.put(f"{ORDERS}/{oid}/shippings/s1", json={"state": "sent"}),
        other.delete(f"{ORDERS}/{oid}/shippings/s1"),
        other.get(f"{ORDERS}/{oid}/notifications"),
        other.post(f"{ORDERS}/{oid}/notifications", json={"url": HOOK, "scope": {"state": ["completed"]}}),
        other.delete(f"{ORDERS}/{oid}/notifications/{nid}"),
    ]
    for response in attempts:
        assert_problem(response, 404)
        assert "mine" not in response.text, response.text  # nothing of the order leaks
    assert get_order(api, oid) == before
    assert event_keys(oid) == events_before
    healthy()


def test_deeply_nested_cart_round_trips(api: Api, healthy) -> None:
    cart = nested(63)  # the body and 63 levels: the parser's limit
    order = create_order(api, "web", {"cart": cart})
    assert get_order(api, order["id"])["cart"] == cart
    too_deep = api.patch(f"{ORDERS}/{order['id']}", json={"cart": nested(64)})
    assert_problem(too_deep, 400)
    assert get_order(api, order["id"]) == order
    healthy()
