"""Delivery through the shared `notify-sweep --follow` (issue 5): what a receiver gets
(body, headers, Standard Webhooks signature), retries, timeout, redirects, the 64 KiB cap and the
target address policy, each checked at the receiver and in the events API.

Receivers listen on 127.0.0.1 (allowed by NOTIFY_ALLOW_TARGETS=127.0.0.1/32); the policy test
alone listens on 127.0.0.2 to prove that nothing connects there."""

from __future__ import annotations

import os
import socket
import time
from datetime import datetime

import pytest

from notify_e2e import (
    Api,
    Merchant,
    ReceivedRequest,
    Receiver,
    assert_signed,
    attempted,
    fire,
    get_event,
    list_order_events,
    new_order,
    put_state,
    register,
    wait_for_event,
    webhook_signature,
)

TIMEOUT_SECONDS = float(os.environ.get("NOTIFY_DELIVERY_TIMEOUT") or 15)
"""The shared sweep's attempt timeout (scripts/test sets NOTIFY_DELIVERY_TIMEOUT for it)."""


def seconds_between(earlier: str, later: str) -> float:
    """Seconds from one RFC 3339 timestamp of the API to another."""
    return (
        datetime.fromisoformat(later.replace("Z", "+00:00")) - datetime.fromisoformat(earlier.replace("Z", "+00:00"))
    ).total_seconds()


# ---- signing ----------------------------------------------------------------------------------


def test_verifier_reproduces_standard_webhooks_test_vector() -> None:
    """The verifier used below is right: it reproduces the Standard Webhooks reference vector."""
    assert (
        webhook_signature(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            b'{"test": 2432232314}',
        )
        == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    )


def test_completed_order_reaches_receiver_with_documented_body_headers_and_signature(
    api: Api, merchant: Merchant, receiver: Receiver
) -> None:
    url = receiver.url_for("/hook?source=notify")
    order_id = new_order(api)
    notification = register(
        api,
        order_id,
        {
            "url": url,
            "scope": {"state": ["completed"]},
            "headers": {"X-Shop": "e2e-shop", "Authorization": "Bearer receiver-secret"},
        },
    )
    for status in ("processing", "accepted"):
        put_state(api, order_id, status)
    before = time.time()
    put_state(api, order_id, "completed")

    [request] = receiver.wait_for(1, timeout=10)
    assert request.method == "POST" and request.path == "/hook?source=notify", (request.method, request.path)

    # Headers: the notification's own (sent as given), JSON, the user agent, Standard Webhooks.
    headers = request.headers
    assert headers.get("X-Shop") == "e2e-shop", dict(headers)
    assert headers.get("Authorization") == "Bearer receiver-secret", dict(headers)
    assert headers.get("Content-Type", "").split(";")[0].strip() == "application/json", dict(headers)
    assert headers.get("User-Agent") == "notify/0.1.0", dict(headers)
    assert abs(int(headers["webhook-timestamp"]) - before) <= 60, dict(headers)
    assert_signed(request, merchant.signing_secret)

    # Body: event, notification (redacted), order as it was right after the change.
    body = request.json()
    assert set(body) == {"event", "notification", "order"}, body
    event_id = headers["webhook-id"]
    assert body["event"]["id"] == event_id, body["event"]
    assert body["event"]["scope"] == "state.completed", body["event"]
    assert isinstance(body["event"]["createdAt"], str) and body["event"]["createdAt"], body["event"]
    assert body["notification"]["id"] == notification["id"], body["notification"]
    assert body["notification"]["url"] == url, body["notification"]
    assert body["notification"]["headers"]["Authorization"] == "***", body["notification"]
    assert "receiver-secret" not in request.body.decode(), "the notification's secret header leaked into the body"
    order = body["order"]
    assert order["id"] == order_id and order["merchant"] == merchant.id and order["channel"] == "web", order
    assert order["state"]["currentStatus"] == "completed", order["state"]

    # The events API: one event, succeeded after one automatic attempt with the receiver's answer.
    event = wait_for_event(api, event_id, lambda e: e["status"] != "pending", what="a final status")
    assert event["status"] == "succeeded", event
    assert event["orderId"] == order_id and event["scope"] == "state.completed", event
    assert event["attemptCount"] == 1 and event["statusCode"] == 200 and event["responseBody"] == "ok", event
    [attempt] = event["attempts"]
    assert attempt["statusCode"] == 200 and attempt["responseBody"] == "ok", attempt
    assert attempt["error"] is None and attempt["trigger"] == "automatic", attempt
    assert isinstance(attempt["durationMs"], int) and 0 <= attempt["durationMs"] < 5000, attempt
    assert event["request"]["method"] == "POST" and event["request"]["url"] == url, event["request"]
    assert event["request"]["headers"].get("Authorization") == "***", event["request"]
    assert [e["id"] for e in list_order_events(api, order_id)] == [event_id]

    receiver.assert_quiet(0.5, count=1)


# ---- retries ----------------------------------------------------------------------------------


def test_500_then_200_retries_after_about_5_seconds_with_the_same_webhook_id(
    api: Api, merchant: Merchant, receiver: Receiver
) -> None:
    def first_fails(request: ReceivedRequest) -> tuple[int, str, dict[str, str]]:
        return (500, "try again", {}) if len(receiver.received()) == 1 else (200, "thanks", {})

    receiver.respond(responder=first_fails)
    _, event_id = fire(api, receiver.url_for("/hook"))

    receiver.wait_for(1, timeout=10)
    failed_once = wait_for_event(api, event_id, attempted, what="one attempt")
    assert failed_once["status"] == "pending" and failed_once["statusCode"] == 500, failed_once
    assert failed_once["attempts"][0]["error"] and "500" in failed_once["attempts"][0]["error"], failed_once
    retry_in = seconds_between(failed_once["attempts"][0]["timestamp"], failed_once["nextAttemptAt"])
    assert 3.9 <= retry_in <= 6.5, f"next attempt scheduled {retry_in:.2f}s after the first: {failed_once}"

    first, second = receiver.wait_for(2, timeout=12)
    gap = second.received_at - first.received_at
    assert 4.0 <= gap <= 6.5, f"second attempt came {gap:.2f}s after the first, expected 5 s ± 20 %"
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == event_id
    assert first.body == second.body, "the body changed between attempts"
    assert int(second.headers["webhook-timestamp"]) >= int(first.headers["webhook-timestamp"]) + 3, (
        "a retry must carry its own webhook-timestamp (receivers reject old ones)"
    )
    for request in (first, second):
        assert_signed(request, merchant.signing_secret)

    event = wait_for_event(api, event_id, lambda e: e["status"] == "succeeded", timeout=5, what="succeeded")
    assert event["attemptCount"] == 2, event
    codes = sorted((a["timestamp"], a["statusCode"]) for a in event["attempts"])
    assert [code for _, code in codes] == [500, 200], event["attempts"]
    assert event["statusCode"] == 200 and event["responseBody"] == "thanks", event
    assert all(a["trigger"] == "automatic" for a in event["attempts"]), event["attempts"]
    receiver.assert_quiet(0.5, count=2)


# ---- what counts as a failure ----------------------------------------------------------------


def test_hanging_receiver_is_cut_at_the_timeout(api: Api, receiver: Receiver) -> None:
    receiver.respond(200, "too late", delay=TIMEOUT_SECONDS + 30)  # stop() cuts the wait short
    _, event_id = fire(api, receiver.url_for("/hang"))
    receiver.wait_for(1, timeout=10)

    event = wait_for_event(api, event_id, attempted, timeout=TIMEOUT_SECONDS + 10, what="one attempt")
    attempt = event["attempts"][0]
    assert event["status"] == "pending", event  # a timeout is retried
    assert attempt["statusCode"] is None, attempt
    assert attempt["error"] and "time" in attempt["error"].lower(), attempt  # "Timeout was reached: ..."
    limit_ms = TIMEOUT_SECONDS * 1000
    assert limit_ms - 100 <= attempt["durationMs"] <= limit_ms + 1500, (
        f"attempt took {attempt['durationMs']} ms, expected about the {TIMEOUT_SECONDS:g} s timeout"
    )
    assert event["nextAttemptAt"], event


def test_redirect_is_a_failure_and_is_not_followed(api: Api, receiver: Receiver) -> None:
    elsewhere = receiver.url_for("/elsewhere")

    def redirect(request: ReceivedRequest) -> tuple[int, str, dict[str, str]] | None:
        return (302, "moved", {"Location": elsewhere}) if request.path == "/hook" else None

    receiver.respond(200, "should never be asked", responder=redirect)
    _, event_id = fire(api, receiver.url_for("/hook"))

    event = wait_for_event(api, event_id, attempted, what="one attempt")
    attempt = event["attempts"][0]
    assert attempt["statusCode"] == 302, attempt
    assert event["status"] != "succeeded", event
    assert attempt["error"] and "302" in attempt["error"], attempt
    time.sleep(0.5)
    paths = [r.path for r in receiver.received()]
    assert paths == ["/hook"], f"the redirect target was requested: {paths}"


def test_large_response_is_stored_as_64_kib(api: Api, receiver: Receiver) -> None:
    receiver.respond(200, b"a" * (1024 * 1024))
    _, event_id = fire(api, receiver.url_for("/big"))

    event = wait_for_event(api, event_id, attempted, what="one attempt")
    attempt = event["attempts"][0]
    stored = attempt["responseBody"]
    assert stored is not None, attempt
    assert len(stored) == 65536 and set(stored) == {"a"}, f"stored {len(stored)} characters"
    assert len(event["responseBody"]) == 65536, len(event["responseBody"])
    # A response cut at 64 KiB is a failure.
    assert event["status"] != "succeeded", {k: v for k, v in event.items() if k not in ("attempts", "responseBody")}
    assert attempt["error"] and "64 KiB" in attempt["error"], attempt["error"]


def test_target_outside_allow_list_is_never_connected_and_fails_at_once(api: Api) -> None:
    # The one listener off 127.0.0.1: it only proves that nothing connects to it. Any connection
    # attempt would complete its handshake into the backlog, even without accept().
    with socket.create_server(("127.0.0.2", 0), backlog=16) as listener:
        port = listener.getsockname()[1]
        _, event_id = fire(api, f"http://127.0.0.2:{port}/hook")

        event = wait_for_event(api, event_id, lambda e: e["status"] != "pending", timeout=3, what="a final status")
        assert event["status"] == "failed", event
        assert event["attemptCount"] == 1 and len(event["attempts"]) == 1, event
        attempt = event["attempts"][0]
        assert attempt["statusCode"] is None, attempt
        # The merchant learns that the target is refused, not what the name resolved to.
        assert attempt["error"] == "target address not allowed", attempt["error"]
        assert event["nextAttemptAt"] is None, event

        time.sleep(0.5)
        listener.setblocking(False)
        try:
            connection, peer = listener.accept()
        except BlockingIOError:
            pass
        else:
            connection.close()
            pytest.fail(f"something connected to 127.0.0.2:{port} from {peer}")
    assert get_event(api, event_id)["attemptCount"] == 1
