"""Helpers of the events API tests (test_events_*.py, test_metrics_openapi.py): listing, waiting for an
event, the expected shapes, and receivers' URLs."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

from notify_e2e import EVENTS, Api, Merchant, Receiver, expect, move, order_with_hook

EVENTS_V1 = "/api/v1/events"
WAIT = 20.0
"""Seconds to wait for the sweep to record an attempt (it normally takes milliseconds)."""


def list_events(api: Api, base: str = EVENTS, **query: Any) -> dict[str, Any]:
    page = expect(api.get(base, params=query), 200)
    assert set(page) == {"data", "pagination"}, page
    assert set(page["pagination"]) == {"offset", "limit", "size", "totalSize"}, page["pagination"]
    assert page["pagination"]["size"] == len(page["data"]), page["pagination"]
    return page


def event_ids(page: dict[str, Any]) -> list[str]:
    return [event["id"] for event in page["data"]]


def order_event_list(api: Api, order_id: str, count: int) -> list[dict[str, Any]]:
    """The order's events (newest first), asserting there are exactly `count`."""
    page = list_events(api, orderId=order_id, limit=100)
    assert page["pagination"]["totalSize"] == count, page
    return page["data"]


def succeeded_event(api: Api, receiver: Receiver) -> tuple[str, dict[str, Any]]:
    """An order whose move to processing makes one event for `receiver`, once that event has succeeded:
    (order id, the event as listed before it succeeded)."""
    order = order_with_hook(api, ok_hook(receiver), ["processing"])
    move(api, order, "processing")
    receiver.wait_for(1)
    (event,) = order_event_list(api, order, 1)
    wait_event(api, event["id"], lambda e: e["status"] == "succeeded", "succeeded")
    return order, event


def wait_event(
    api: Api, event_id: str, done: Callable[[dict[str, Any]], bool], what: str, timeout: float = WAIT
) -> dict[str, Any]:
    """Polls GET .../events/{id} until `done(event)`; fails with the last event after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        event = expect(api.get(f"{EVENTS}/{event_id}"), 200)
        if done(event):
            return event
        if time.monotonic() > deadline:
            raise AssertionError(f"event {event_id}: not {what} within {timeout}s: {json.dumps(event)[:1500]}")
        time.sleep(0.1)


def assert_event_shape(event: dict[str, Any], merchant: Merchant) -> None:
    """The Event JSON, every member present."""
    keys = {
        "id",
        "createdAt",
        "merchant",
        "channel",
        "orderId",
        "notificationId",
        "reference",
        "adapterId",
        "scope",
        "status",
        "attemptCount",
        "nextAttemptAt",
        "timestamp",
        "statusCode",
        "responseBody",
        "error",
        "attempts",
        "request",
    }
    assert keys <= set(event), f"missing {keys - set(event)}: {event}"
    assert event["merchant"] == merchant.id
    assert uuid.UUID(event["id"]).version == 7, event["id"]
    assert event["status"] in ("pending", "succeeded", "failed"), event
    assert event["attemptCount"] == len(event["attempts"]), event
    assert set(event["request"]) == {"method", "url", "headers"}, event["request"]
    for attempt in event["attempts"]:
        assert set(attempt) == {"id", "timestamp", "statusCode", "responseBody", "durationMs", "error", "trigger"}, (
            attempt
        )
        assert attempt["trigger"] in ("automatic", "manual"), attempt


def assert_retried(event: dict[str, Any], event_id: str, outcome: str) -> None:
    """The 202 body of a retry: the event, `pending` with the attempt due now, unless the sweep
    (woken by the retry) already made the attempt before the response was read: then `outcome`."""
    assert event["id"] == event_id, event
    if event["status"] == "pending":
        assert event["nextAttemptAt"] is not None, event
    else:
        assert event["status"] == outcome and event["attempts"][-1]["trigger"] == "manual", event


def ok_hook(receiver: Receiver, path: str = "/hook") -> str:
    return receiver.url_for(path)
