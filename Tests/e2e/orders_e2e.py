"""Helpers of the order tests (test_orders.py, test_order_*.py): reading an order, its event keys, a
raw state change, and the statuses with their allowed transitions."""

from __future__ import annotations

from typing import Any

from notify_e2e import ORDERS, Api, order_events

HOOK = "http://127.0.0.1:9/hook"
"""A notification target on this machine (nothing listens on port 9)."""


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
