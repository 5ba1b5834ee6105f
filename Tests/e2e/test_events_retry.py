"""Manual retry through the events API: a failed event retried succeeds, and a retry asked for while
an attempt is in flight runs after it."""

from __future__ import annotations

from events_e2e import assert_event_shape, assert_retried, list_events, ok_hook, order_event_list, wait_event
from notify_e2e import EVENTS, Api, Merchant, Receiver, attempted, expect, move, new_order, register


def test_failed_event_then_manual_retry_succeeds(api: Api, merchant: Merchant, receiver: Receiver) -> None:
    receiver.respond(418, "teapot")
    order = new_order(api, {"reference": "order-ref"})
    register(api, order, {"url": ok_hook(receiver, "/teapot"), "scope": {"state": ["processing"]}})
    move(api, order, "processing")
    first = receiver.wait_for(1)[0]
    (event,) = order_event_list(api, order, 1)

    failed = wait_event(api, event["id"], attempted, "attempted")
    assert_event_shape(failed, merchant)
    assert failed["status"] == "pending", "default schedule: more automatic attempts follow"
    assert failed["statusCode"] == 418 and failed["responseBody"] == "teapot", failed
    assert failed["timestamp"] == failed["attempts"][-1]["timestamp"], failed
    assert failed["nextAttemptAt"] is not None, failed
    attempt = failed["attempts"][0]
    assert attempt["statusCode"] == 418 and attempt["responseBody"] == "teapot", attempt
    assert attempt["trigger"] == "automatic" and attempt["durationMs"] >= 0, attempt
    assert list_events(api, orderId=order, status="pending")["pagination"]["totalSize"] == 1

    receiver.respond(200, "ok")
    retried = expect(api.post(f"{EVENTS}/{event['id']}/retry"), 202)
    assert_retried(retried, event["id"], "succeeded")

    done = wait_event(
        api,
        event["id"],
        lambda e: e["status"] == "succeeded" and any(a["trigger"] == "manual" for a in e["attempts"]),
        "succeeded by a manual attempt",
    )
    assert done["attemptCount"] >= 2 and len(done["attempts"]) == done["attemptCount"], done
    assert done["attempts"][0]["statusCode"] == 418, done
    manual = [a for a in done["attempts"] if a["trigger"] == "manual"]
    assert manual[-1]["statusCode"] == 200 and manual[-1]["responseBody"] == "ok", done
    assert done["statusCode"] == 200 and done["responseBody"] == "ok", done
    assert list_events(api, orderId=order, status="succeeded")["pagination"]["totalSize"] == 1

    deliveries = receiver.wait_for(2)
    webhook_ids = {request.headers.get("webhook-id") for request in deliveries}
    assert webhook_ids == {event["id"]}, f"one webhook-id on every delivery: {webhook_ids}"
    assert first.json()["event"]["id"] == event["id"]


def test_retry_of_an_attempt_in_flight_runs_after_it(api: Api, receiver: Receiver) -> None:
    """A retry while an attempt is in flight is made once that attempt has finished."""
    receiver.respond(200, "slow ok", delay=1.5)
    order = new_order(api, {})
    register(api, order, {"url": ok_hook(receiver, "/slow"), "scope": {"state": ["processing"]}})
    move(api, order, "processing")
    receiver.wait_for(1)  # the first attempt is now waiting for the receiver's answer
    (event,) = order_event_list(api, order, 1)
    assert event["attemptCount"] == 0, event
    assert_retried(expect(api.post(f"{EVENTS}/{event['id']}/retry"), 202), event["id"], "succeeded")

    done = wait_event(
        api, event["id"], lambda e: e["attemptCount"] >= 2 and e["status"] == "succeeded", "attempted twice"
    )
    assert [a["trigger"] for a in done["attempts"]] == ["automatic", "manual"], done
    assert all(a["statusCode"] == 200 and a["responseBody"] == "slow ok" for a in done["attempts"]), done
    first, second = receiver.wait_for(2)[:2]
    assert second.received_at - first.received_at >= 1.4, "the manual attempt waited for the first to finish"
    assert first.headers.get("webhook-id") == second.headers.get("webhook-id") == event["id"]
    receiver.assert_quiet(0.5, count=2)
