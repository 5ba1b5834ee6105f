"""Channel configurations: the document's life cycle, the 403 for another merchant's
path, validation of `order.notifications`, and how active configurations' notifications are
copied onto every new order of their channel (and onto nothing else)."""

from __future__ import annotations

from typing import Any

import pytest

from notify_e2e import ORDERS, Api, Merchant, assert_problem, create_order, media_type, order_events

HOOK = "http://127.0.0.1:9/hook"


def config_path(merchant_id: str, channel: str, configuration_id: str) -> str:
    return f"/api/v1/configuration/merchants/{merchant_id}/channels/{channel}/configurations/{configuration_id}"


def put_configuration(
    api: Api, channel: str, configuration_id: str, document: dict[str, Any], status: int | None = None
) -> dict[str, Any]:
    assert api.merchant is not None
    response = api.put(config_path(api.merchant.id, channel, configuration_id), json=document)
    expected = (status,) if status else (200, 201)
    assert response.status_code in expected, f"PUT configuration: {response.status_code} {response.text[:500]}"
    return response.json()


def simple(path: str = "/hook", statuses: list[str] | None = None) -> dict[str, Any]:
    return {"url": "http://127.0.0.1:9" + path, "scope": {"state": statuses or ["processing"]}}


def notification_urls(order: dict[str, Any]) -> list[str]:
    return [n.get("url") or n.get("invoke") for n in order["notifications"]]


# ---- the document ---------------------------------------------------------------------------


def test_put_get_replace_delete(api: Api, merchant: Merchant, healthy) -> None:
    path = config_path(merchant.id, "web", "psp-1")
    assert_problem(api.get(path), 404)
    document = {
        "id": "psp-1",
        "adapter": {"publicUrl": "https://psp.example", "internalUrl": HOOK},
        "order": {"notifications": [simple()]},
        "extra": {"kept": [1, 2]},
    }

    created = api.put(path, json=document)
    assert created.status_code == 201, created.text
    assert media_type(created) == "application/json"
    assert created.json() == {**document, "active": True}
    fetched = api.get(path)
    assert fetched.status_code == 200, fetched.text
    assert fetched.json() == {**document, "active": True}

    replacement = {"active": False, "adapter": {"internalUrl": HOOK + "/2"}}
    replaced = api.put(path, json=replacement)
    assert replaced.status_code == 200, replaced.text
    assert replaced.json() == {**replacement, "id": "psp-1"}, "the path's id is filled in"
    assert api.get(path).json() == {**replacement, "id": "psp-1"}

    deleted = api.delete(path)
    assert deleted.status_code == 204, deleted.text
    assert deleted.content == b""
    assert_problem(api.get(path), 404)
    assert_problem(api.delete(path), 404)
    healthy()


def test_configurations_are_per_channel(api: Api, merchant: Merchant) -> None:
    put_configuration(api, "web", "c1", {"order": {"notifications": []}}, 201)
    assert_problem(api.get(config_path(merchant.id, "app", "c1")), 404)
    put_configuration(api, "app", "c1", {"adapter": {"internalUrl": HOOK}}, 201)
    assert api.get(config_path(merchant.id, "web", "c1")).json() == {
        "order": {"notifications": []},
        "id": "c1",
        "active": True,
    }


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ({"id": "other"}, "id"),
        ({"active": "yes"}, "active"),
        ({"order": []}, "order"),
        ({"order": {"notifications": {"url": HOOK}}}, "order.notifications"),
        (
            {"order": {"notifications": [{"url": "ftp://127.0.0.1/x", "scope": {"payment": True}}]}},
            "order.notifications[0].url",
        ),
        (
            {
                "order": {
                    "notifications": [simple(), {"url": "http://user:pw@127.0.0.1:9/", "scope": {"payment": True}}]
                }
            },
            "order.notifications[1].url",
        ),
        (
            {"order": {"notifications": [{**simple(), "headers": {"Host": "example.com"}}]}},
            "order.notifications[0].headers.Host",
        ),
        ({"order": {"notifications": [{"scope": "no-slash", "invoke": HOOK}]}}, "order.notifications[0].scope"),
        (
            {"order": {"notifications": [{"scope": "/a", "schema": {"contains": {}}, "invoke": HOOK}]}},
            "order.notifications[0].schema.contains",
        ),
        (
            {"order": {"notifications": [{"url": HOOK, "scope": {"state": ["shipped"]}}]}},
            "order.notifications[0].scope.state[0]",
        ),
    ],
)
def test_bad_configuration_is_400_and_not_stored(
    api: Api, merchant: Merchant, healthy, document: dict, field: str
) -> None:
    path = config_path(merchant.id, "web", "bad")
    problem = assert_problem(api.put(path, json=document), 400)
    assert problem.get("field") == field, problem
    assert_problem(api.get(path), 404)
    # Nothing of it reaches an order either.
    assert create_order(api)["notifications"] == []
    healthy()


def test_another_merchants_path_is_403(api: Api, merchant: Merchant, merchant_factory, healthy) -> None:
    path = config_path(merchant.id, "web", "c1")
    document = {"order": {"notifications": [simple()]}}
    put_configuration(api, "web", "c1", document, 201)

    other = api.as_merchant(merchant_factory())
    for response in (other.get(path), other.put(path, json={"active": False}), other.delete(path)):
        problem = assert_problem(response, 403)
        assert "processing" not in response.text, problem
    # The other merchant's own path is its own namespace: nothing there.
    assert other.merchant is not None
    assert_problem(other.get(config_path(other.merchant.id, "web", "c1")), 404)
    # And A's configuration is untouched, still copied onto A's orders only.
    assert api.get(path).json() == {**document, "id": "c1", "active": True}
    assert notification_urls(create_order(api)) == [HOOK]
    assert create_order(other)["notifications"] == []
    healthy()


def test_bad_body_is_400_or_415(api: Api, merchant: Merchant, healthy) -> None:
    path = config_path(merchant.id, "web", "c1")
    json_type = {"Content-Type": "application/json"}
    assert_problem(api.put(path, data=b'{"active": tru', headers=json_type), 400)
    assert_problem(api.put(path, data=b"[]", headers=json_type), 400)
    assert_problem(api.put(path, data=b"active=true", headers={"Content-Type": "text/plain"}), 415)
    assert_problem(api.post(path, json={}), 405)
    assert_problem(api.get(path), 404)
    healthy()


# ---- copies onto new orders -----------------------------------------------------------------


def test_active_configurations_are_copied_onto_new_orders_of_their_channel(api: Api) -> None:
    before = create_order(api, "web")
    put_configuration(
        api,
        "web",
        "c1",
        {
            "order": {
                "notifications": [
                    simple("/c1-state"),
                    {"id": "c1-ptr", "scope": "/payments", "invoke": "http://127.0.0.1:9/c1-ptr/{order_id}"},
                ]
            }
        },
        201,
    )
    put_configuration(api, "web", "c2", {"active": False, "order": {"notifications": [simple("/c2")]}}, 201)
    put_configuration(api, "web", "c3", {"adapter": {"internalUrl": HOOK}}, 201)  # no notifications
    put_configuration(api, "app", "c4", {"order": {"notifications": [simple("/c4")]}}, 201)

    order = create_order(api, "web")
    assert notification_urls(order) == ["http://127.0.0.1:9/c1-state", "http://127.0.0.1:9/c1-ptr/{order_id}"]
    ids = [n["id"] for n in order["notifications"]]
    assert ids[1] == "c1-ptr" and ids[0] and len(set(ids)) == 2
    assert api.get(f"{ORDERS}/{order['id']}/notifications").json() == order["notifications"]
    assert notification_urls(create_order(api, "app")) == ["http://127.0.0.1:9/c4"]
    assert create_order(api, "store")["notifications"] == []
    assert api.get(f"{ORDERS}/{before['id']}").json()["notifications"] == [], "existing orders keep theirs"

    # The copies fire like any notification.
    put = api.put(f"{ORDERS}/{order['id']}/state", json={"currentStatus": "processing"})
    assert put.status_code == 200, put.text
    pay = api.put(f"{ORDERS}/{order['id']}/payments/p1", json={"state": "new"})
    assert pay.status_code == 201, pay.text
    events = order_events(order["id"])
    assert [(e["scope"], e["notification_id"]) for e in events] == [
        ("state.processing", ids[0]),
        ("/payments", "c1-ptr"),
    ]
    assert events[1]["request_url"] == f"http://127.0.0.1:9/c1-ptr/{order['id']}"
    assert order_events(before["id"]) == []


def test_changing_configurations_affects_only_later_orders(api: Api, merchant: Merchant) -> None:
    put_configuration(api, "web", "c1", {"order": {"notifications": [simple("/c1")]}}, 201)
    put_configuration(api, "web", "c2", {"active": False, "order": {"notifications": [simple("/c2")]}}, 201)
    first = create_order(api, "web")
    assert notification_urls(first) == ["http://127.0.0.1:9/c1"]

    put_configuration(api, "web", "c1", {"active": False, "order": {"notifications": [simple("/c1")]}}, 200)
    put_configuration(api, "web", "c2", {"active": True, "order": {"notifications": [simple("/c2")]}}, 200)
    second = create_order(api, "web")
    assert notification_urls(second) == ["http://127.0.0.1:9/c2"]

    assert api.delete(config_path(merchant.id, "web", "c2")).status_code == 204
    assert create_order(api, "web")["notifications"] == []
    assert notification_urls(api.get(f"{ORDERS}/{first['id']}").json()) == ["http://127.0.0.1:9/c1"]
    assert notification_urls(api.get(f"{ORDERS}/{second['id']}").json()) == ["http://127.0.0.1:9/c2"]


def test_copied_secret_headers_are_redacted_on_the_order(api: Api) -> None:
    notification = {**simple(), "headers": {"Authorization": "Bearer cfg-s3cret", "X-Plain": "p"}}
    put_configuration(api, "web", "c1", {"order": {"notifications": [notification]}}, 201)
    response = api.post(ORDERS, headers={"X-Channel": "web"})
    assert response.status_code == 201, response.text
    assert response.json()["notifications"][0]["headers"] == {"Authorization": "***", "X-Plain": "p"}
    assert "cfg-s3cret" not in response.text
    oid = response.json()["id"]
    for shown in (api.get(f"{ORDERS}/{oid}"), api.get(f"{ORDERS}/{oid}/notifications")):
        assert shown.status_code == 200 and "cfg-s3cret" not in shown.text, shown.text
    assert api.put(f"{ORDERS}/{oid}/state", json={"currentStatus": "processing"}).status_code == 200
    events = order_events(oid)
    assert len(events) == 1
    assert events[0]["request_headers"] == notification["headers"]
    assert events[0]["payload"]["notification"]["headers"] == {"Authorization": "***", "X-Plain": "p"}


def test_another_merchants_configuration_is_not_copied(api: Api, merchant_factory) -> None:
    other = api.as_merchant(merchant_factory())
    put_configuration(other, "web", "c1", {"order": {"notifications": [simple("/theirs")]}}, 201)
    assert create_order(api, "web")["notifications"] == []
    assert notification_urls(create_order(other, "web")) == ["http://127.0.0.1:9/theirs"]
