"""Registering, listing and deleting notifications: their shapes, when a new or deleted one takes
effect, bad URL templates, and secret headers that are stored but never shown."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from notifications_e2e import HOOK, scopes
from notify_e2e import ORDERS, Api, assert_problem, create_order, expect, media_type, order_events, put_state, register


def listed(api: Api, order_id: str) -> list[dict[str, Any]]:
    response = api.get(f"{ORDERS}/{order_id}/notifications")
    assert response.status_code == 200, response.text
    assert media_type(response) == "application/json"
    body = response.json()
    assert isinstance(body, list), body
    return body


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
