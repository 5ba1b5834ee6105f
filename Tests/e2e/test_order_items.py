"""Payments and shippings of an order through nginx: upsert and delete, unknown items and bad bodies,
and deeply nested item attributes."""

from __future__ import annotations

import uuid

import pytest

from notify_e2e import ORDERS, Api, assert_problem, create_order, nested
from orders_e2e import HOOK, change_state, get_order


@pytest.mark.parametrize("kind", ["payments", "shippings"])
def test_item_upsert_and_delete(api: Api, kind: str) -> None:
    order = create_order(api)
    path = f"{ORDERS}/{order['id']}/{kind}/item-1"
    body = {
        "state": "authorized",
        "amount": 100.5,
        "currency": "SEK",
        "adapterId": "adapter",
        "name": "Card",
        "type": "card",
        "reference": "psp-1",
        "attributes": {"a": 1},
    }
    created = api.put(path, json=body)
    assert created.status_code == 201, created.text
    items = created.json()[kind]
    assert items == [{"id": "item-1", **body}], items

    updated = api.put(path, json={"state": "captured"})
    assert updated.status_code == 200, updated.text
    assert updated.json()[kind] == [{"id": "item-1", **body, "state": "captured"}]

    second = api.put(f"{ORDERS}/{order['id']}/{kind}/item-2", json={"state": "new", "amount": 1})
    assert second.status_code == 201, second.text
    assert [i["id"] for i in second.json()[kind]] == ["item-1", "item-2"]

    deleted = api.delete(path)
    assert deleted.status_code == 200, deleted.text
    after = deleted.json()[kind]
    assert after[0] == {"id": "item-1", **body, "state": "removed"}
    assert after[1]["state"] == "new"
    assert get_order(api, order["id"]) == deleted.json()


@pytest.mark.parametrize("kind", ["payments", "shippings"])
def test_item_unknown_is_404_and_bad_bodies_are_400(api: Api, healthy, kind: str) -> None:
    order = create_order(api)
    base = f"{ORDERS}/{order['id']}/{kind}"
    assert_problem(api.delete(f"{base}/nope"), 404)
    assert_problem(api.put(f"{ORDERS}/{uuid.uuid4()}/{kind}/p1", json={"state": "new"}), 404)
    assert_problem(api.delete(f"{ORDERS}/{uuid.uuid4()}/{kind}/p1"), 404)
    for body, field in [
        ({"amount": "10"}, "amount"),
        ({"state": 1}, "state"),
        ({"attributes": []}, "attributes"),
        ({"surprise": True}, "surprise"),
        ({"notifications": {"url": HOOK}}, "notifications"),
        ({"notifications": [{"url": "ftp://127.0.0.1/x", "scope": {"payment": True}}]}, "notifications[0].url"),
    ]:
        problem = assert_problem(api.put(f"{base}/p1", json=body), 400)
        assert problem.get("field") == field, (body, problem)
    assert get_order(api, order["id"]) == order
    healthy()


@pytest.mark.parametrize("kind", ["payments", "shippings"])
def test_deeply_nested_item_attributes_keep_the_order_readable(api: Api, healthy, kind: str) -> None:
    # The request is as deep as the parser allows (64 levels: the body and 63 below it); inside the
    # order the same attributes sit two levels deeper (order, list, item). Either the write is
    # refused with a 400, or the order stays readable and changeable: never a stored order that
    # every later request answers with a 500.
    order = create_order(api)
    attributes = nested(63)
    response = api.put(f"{ORDERS}/{order['id']}/{kind}/deep", json={"state": "new", "attributes": attributes})
    if response.status_code == 400:
        assert_problem(response, 400)
        assert get_order(api, order["id"]) == order
    else:
        assert response.status_code == 201, response.text[:300]
        fetched = api.get(f"{ORDERS}/{order['id']}")
        assert fetched.status_code == 200, (
            f"{kind} upsert answered 201, then GET of the order answers {fetched.status_code}: {fetched.text[:300]}"
        )
        assert fetched.json()[kind][0]["attributes"] == attributes
        moved = change_state(api, order["id"], "processing")
        assert moved.status_code == 200, moved.text[:300]
    healthy()
