"""Helpers of the notification tests (test_notifications*.py): the target, the scopes of an order's
events, the listed notifications, and checks of queued deliveries."""

from __future__ import annotations

from typing import Any

from notify_e2e import order_events

HOOK = "http://127.0.0.1:9/hook"


def scopes(order_id: str) -> list[str]:
    return [e["scope"] for e in order_events(order_id)]


def assert_queued(event: dict[str, Any]) -> None:
    """An event whose URL expanded: not failed, no error, one delivery row while it is pending (a
    finished delivery leaves the queue)."""
    assert event["status"] in ("pending", "succeeded"), event
    assert event["error"] is None, event
    assert event["deliveries"] == (1 if event["status"] == "pending" else 0), event


def without_notifications(order: dict) -> dict:
    """The Order JSON as a delivery body carries it: everything but the order's notifications."""
    return {key: value for key, value in order.items() if key != "notifications"}
