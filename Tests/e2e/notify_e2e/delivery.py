"""What a delivery carries and how a test sees it: webhook signatures, the events API."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable
from typing import Any

import standardwebhooks

from .api import Api
from .config import EVENTS
from .receiver import ReceivedRequest


def webhook_signature(secret: str, msg_id: str, timestamp: int | str, body: bytes) -> str:
    """The Standard Webhooks `webhook-signature` value (`v1,<base64 HMAC-SHA256>`) for one
    message, computed independently of Notify: key = base64 of `secret` after `whsec_`."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def assert_signed(request: ReceivedRequest, secret: str, tolerance: float = 300.0) -> None:
    """Asserts that a delivery carries valid Standard Webhooks headers for `secret`: a
    `webhook-id`, a `webhook-timestamp` (unix seconds) within `tolerance` of its arrival and a
    `webhook-signature` with a `v1,` entry that matches the exact body bytes received."""
    msg_id = request.headers.get("webhook-id")
    timestamp = request.headers.get("webhook-timestamp")
    header = request.headers.get("webhook-signature")
    assert msg_id and timestamp and header, f"Standard Webhooks headers missing: {dict(request.headers)}"
    assert timestamp.isdigit(), f"webhook-timestamp is not unix seconds: {timestamp!r}"
    assert abs(int(timestamp) - request.received_at) <= tolerance, (
        f"webhook-timestamp {timestamp} is {int(timestamp) - request.received_at:.0f}s off the arrival time"
    )
    expected = webhook_signature(secret, msg_id, timestamp, request.body)
    candidates = header.split(" ")
    assert any(hmac.compare_digest(c.encode(), expected.encode()) for c in candidates), (
        f"webhook-signature {header!r} does not verify (expected {expected!r} over {len(request.body)} body bytes)"
    )
    # And with the stock Standard Webhooks library, as a receiver would (it also checks the
    # timestamp against now, with its own 5-minute tolerance).
    try:
        standardwebhooks.Webhook(secret).verify(request.body, dict(request.headers.items()), json_parse=False)
    except standardwebhooks.WebhookVerificationError as error:
        raise AssertionError(f"the standardwebhooks package refuses the delivery: {error}") from error


def attempted(event: dict[str, Any]) -> bool:
    """Whether the event has been attempted at least once (and shows the attempt)."""
    return event["attemptCount"] >= 1 and len(event["attempts"]) >= 1


def get_event(api: Api, event_id: str) -> dict[str, Any]:
    """GET .../events/{id}: asserts 200 and returns the Event."""
    response = api.get(f"{EVENTS}/{event_id}")
    assert response.status_code == 200, f"GET event {event_id}: {response.status_code} {response.text[:500]!r}"
    return response.json()


def wait_for_event(
    api: Api,
    event_id: str,
    until: Callable[[dict[str, Any]], bool],
    timeout: float = 10.0,
    what: str = "the expected state",
) -> dict[str, Any]:
    """Polls GET .../events/{id} until `until(event)` holds; returns that Event (fails after timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        event = get_event(api, event_id)
        if until(event):
            return event
        if time.monotonic() > deadline:
            raise AssertionError(f"event {event_id} did not reach {what} within {timeout}s: {event}")
        time.sleep(0.05)


def list_order_events(api: Api, order_id: str) -> list[dict[str, Any]]:
    """GET .../events?orderId=...: asserts 200 and returns the order's Events (newest first, up to 100)."""
    response = api.get(EVENTS, params={"orderId": order_id, "limit": "100"})
    assert response.status_code == 200, f"GET events: {response.status_code} {response.text[:500]!r}"
    return response.json()["data"]
