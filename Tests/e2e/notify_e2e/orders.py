"""Orders and their notifications through the API: the steps most tests begin with."""

from __future__ import annotations

from typing import Any

from .api import Api
from .config import ORDERS
from .delivery import list_order_events


def create_order(api: Api, channel: str = "web", body: dict[str, Any] | None = None) -> dict[str, Any]:
    """POSTs a new order in `channel` (with `body`, if any); asserts 201 and returns the Order JSON."""
    kwargs: dict[str, Any] = {} if body is None else {"json": body}
    response = api.post(ORDERS, headers={"X-Channel": channel}, **kwargs)
    assert response.status_code == 201, f"create order: {response.status_code} {response.text[:500]!r}"
    return response.json()


def new_order(api: Api, body: dict[str, Any] | None = None, channel: str = "web") -> str:
    """A new order in `channel` with `body` (by default only a reference); its id."""
    return create_order(api, channel, {"reference": "delivery-e2e"} if body is None else body)["id"]


def register(api: Api, order_id: str, notification: dict[str, Any]) -> dict[str, Any]:
    """Registers a notification on the order; asserts 201 and returns it (with its id)."""
    response = api.post(f"{ORDERS}/{order_id}/notifications", json=notification)
    assert response.status_code == 201, f"register: {response.status_code} {response.text[:500]!r}"
    registered = response.json()
    assert registered.get("id"), registered
    return registered


def put_state(api: Api, order_id: str, status: str) -> dict[str, Any]:
    """Moves the order to `status`; asserts 200 and returns the order."""
    response = api.put(f"{ORDERS}/{order_id}/state", json={"currentStatus": status})
    assert response.status_code == 200, f"state {status}: {response.status_code} {response.text[:500]!r}"
    return response.json()


def move(api: Api, order_id: str, *statuses: str) -> dict[str, Any]:
    """Moves the order through `statuses` in turn, each answered 200 with that status; returns the
    order after the last."""
    order: dict[str, Any] = {}
    for status in statuses:
        order = put_state(api, order_id, status)
        assert order["state"]["currentStatus"] == status, order["state"]
    return order


def nested(levels: int) -> Any:
    """`levels` JSON objects inside each other: {"a": {"a": ... {} ...}}."""
    value: Any = {}
    for _ in range(levels - 1):
        value = {"a": value}
    return value


def order_with_hook(api: Api, url: str, states: list[str], **extra: Any) -> str:
    """A new order with a notification to `url` on entering one of `states`."""
    order_id = new_order(api)
    register(api, order_id, {"url": url, "scope": {"state": states}, **extra})
    return order_id


def fire(api: Api, url: str, state: str = "processing") -> tuple[str, str]:
    """An order whose move to `state` makes one event for `url`; returns (order id, event id)."""
    order_id = order_with_hook(api, url, [state])
    put_state(api, order_id, state)
    events = list_order_events(api, order_id)
    assert len(events) == 1, events
    return order_id, events[0]["id"]
