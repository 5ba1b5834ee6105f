"""Orders through nginx: create, read, merge patch, the state machine, payments and
shippings, and merchant isolation. Events are checked in the database (the events API has tests of its own)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from notify_e2e import ORDERS, Api, Merchant, assert_problem, create_order, media_type, move, nested, order_events

HOOK = "http://127.0.0.1:9/hook"
"""A notification target on this machine (nothing listens on port 9)."""

ALLOWED = {
    "checkout": {"processing", "removed"},
    "processing": {"checkout", "accepted", "declined", "removed"},
    "accepted": {"completed", "declined"},
    "completed": set(),
    "declined": set(),
    "removed": set(),
}
STATUSES = sorted(ALLOWED)

# A shortest way from checkout to each status.
PATH_TO = {
    "checkout": [],
    "processing": ["processing"],
    "accepted": ["processing", "accepted"],
    "completed": ["processing", "accepted", "completed"],
    "declined": ["processing", "declined"],
    "removed": ["removed"],
}


def change_state(api: Api, order_id: str, status: str) -> Any:
    """The raw answer to a state change (the tests of refused changes read its status)."""
    return api.put(f"{ORDERS}/{order_id}/state", json={"currentStatus": status})


def get_order(api: Api, order_id: str) -> dict[str, Any]:
    response = api.get(f"{ORDERS}/{order_id}")
    assert response.status_code == 200, response.text
    return response.json()


def event_keys(order_id: str) -> list[tuple[str, str, str]]:
    """The order's events as (event id, scope, notification id): what a change records (the sweep
    updates the other columns as it delivers)."""
    return [(e["event_id"], e["scope"], e["notification_id"]) for e in order_events(order_id)]


def is_uuid(text: str) -> bool:
    try:
        return str(uuid.UUID(text)) == text.lower()
    except ValueError:
        return False


# ---- create and read ------------------------------------------------------------------------


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


# ---- merge patch ----------------------------------------------------------------------------


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


def test_happy_path_records_each_transition(api: Api) -> None:
    order = create_order(api)
    final = move(api, order["id"], "processing", "checkout", "processing", "accepted", "completed")
    statuses = [t["status"] for t in final["state"]["transitions"]]
    assert statuses == ["checkout", "processing", "checkout", "processing", "accepted", "completed"]
    stamps = [t["timeStamp"] for t in final["state"]["transitions"]]
    assert stamps == sorted(stamps), stamps
    assert final["lastModified"] == stamps[-1]
    assert get_order(api, order["id"]) == final


@pytest.mark.parametrize("current", STATUSES)
def test_from_each_status_same_is_a_no_op_and_illegal_is_409(api: Api, healthy, current: str) -> None:
    order = create_order(api)
    notification = {"url": HOOK, "scope": {"state": STATUSES}}
    assert api.post(f"{ORDERS}/{order['id']}/notifications", json=notification).status_code == 201
    move(api, order["id"], *PATH_TO[current])
    before = get_order(api, order["id"])
    events_before = event_keys(order["id"])
    assert len(events_before) == len(PATH_TO[current])

    # The same status again: 200 with the order as it is, no new transition, no event.
    response = change_state(api, order["id"], current)
    assert response.status_code == 200, response.text
    assert response.json() == before
    assert response.json()["state"]["transitions"] == before["state"]["transitions"]

    # Every status the state machine does not allow from here: 409, nothing changes.
    illegal = [target for target in STATUSES if target != current and target not in ALLOWED[current]]
    for target in illegal:
        problem = assert_problem(change_state(api, order["id"], target), 409)
        assert current in problem["detail"] and target in problem["detail"], problem

    assert get_order(api, order["id"]) == before
    assert event_keys(order["id"]) == events_before
    healthy()


def test_bad_state_body_is_400(api: Api, healthy) -> None:
    order = create_order(api)
    for body, field in [
        ({"currentStatus": "shipped"}, "currentStatus"),
        ({"currentStatus": "PROCESSING"}, "currentStatus"),
        ({"currentStatus": 1}, "currentStatus"),
        ({"currentStatus": None}, "currentStatus"),
        ({}, "currentStatus"),
        ({"currentStatus": "processing", "reason": "x"}, "reason"),
    ]:
        problem = assert_problem(api.put(f"{ORDERS}/{order['id']}/state", json=body), 400)
        assert problem.get("field") == field, (body, problem)
    assert get_order(api, order["id"]) == order
    healthy()


# ---- payments and shippings -----------------------------------------------------------------


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


# ---- merchant isolation ---------------------------------------------------------------------


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


# ---- nesting --------------------------------------------------------------------------------


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


def test_deeply_nested_cart_round_trips(api: Api, healthy) -> None:
    cart = nested(63)  # the body and 63 levels: the parser's limit
    order = create_order(api, "web", {"cart": cart})
    assert get_order(api, order["id"])["cart"] == cart
    too_deep = api.patch(f"{ORDERS}/{order['id']}", json={"cart": nested(64)})
    assert_problem(too_deep, 400)
    assert get_order(api, order["id"]) == order
    healthy()
