"""Destinations (issue 11): their health. The breaker, back-pressure (Retry-After, 410 Gone) and
disable tests need short settings: they run a `--follow` sweep of their own with those settings
(the `own_sweep` fixture) while the shared sweep is stopped."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from destinations_e2e import DESTINATIONS, change
from notify_e2e import EVENTS, Api, Receiver, Sweep, fire, get_event, wait_for_event

FAST_RETRIES = "0,0.3,0.3,0.3,0.3,0.3,0.3,0.3,0.3,0.3,0.3,0.3"


def wait_destination(
    api: Api, destination_id: str, until: Callable[[dict[str, Any]], bool], timeout: float = 10.0
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        destination = api.get(f"{DESTINATIONS}/{destination_id}").json()
        if until(destination):
            return destination
        assert time.monotonic() < deadline, f"destination not as expected within {timeout}s: {destination}"
        time.sleep(0.1)


def test_breaker_opens_after_five_failures_and_a_good_probe_closes_it(
    api: Api, receiver: Receiver, own_sweep: Callable[..., Sweep]
) -> None:
    own_sweep(NOTIFY_RETRY_SCHEDULE=FAST_RETRIES)
    receiver.respond(503)
    _, first = fire(api, receiver.url_for())
    destination_id = get_event(api, first)["destinationId"]
    opened = wait_destination(api, destination_id, lambda d: d["status"] == "open")
    assert opened["consecutiveFailures"] == 5 and opened["nextProbeAt"] and opened["lastError"]
    assert len(receiver.wait_for(5)) == 5
    waiting = change(api, receiver.url_for(), 3)
    receiver.assert_quiet(2.5, count=5)  # open: nothing reaches the receiver before the probe (5 s)
    assert all(get_event(api, e)["attemptCount"] == 0 for e in waiting)
    receiver.respond(200)
    receiver.wait_for(9, timeout=10)  # the probe at ~5 s, then the backlog
    closed = wait_destination(api, destination_id, lambda d: d["status"] == "healthy")
    assert closed["consecutiveFailures"] == 0 and closed["nextProbeAt"] is None
    for event_id in [first, *waiting]:
        event = wait_for_event(api, event_id, lambda e: e["status"] == "succeeded")
        if event_id in waiting:
            assert event["attemptCount"] == 1, "an event held by the breaker kept its automatic attempts"


def test_a_failed_probe_doubles_the_wait_and_spends_no_attempt(
    api: Api, receiver: Receiver, own_sweep: Callable[..., Sweep]
) -> None:
    own_sweep(NOTIFY_RETRY_SCHEDULE=FAST_RETRIES, NOTIFY_BREAKER_FAILURES="2")
    receiver.respond(500)
    _, event_id = fire(api, receiver.url_for())
    destination_id = get_event(api, event_id)["destinationId"]
    wait_destination(api, destination_id, lambda d: d["status"] == "open")
    receiver.wait_for(3, timeout=10)  # the first probe, about 5 s later, fails too
    probed = wait_destination(api, destination_id, lambda d: d["consecutiveFailures"] == 3)
    first_wait = datetime.fromisoformat(probed["nextProbeAt"].replace("Z", "+00:00")) - datetime.fromisoformat(
        probed["lastFailureAt"].replace("Z", "+00:00")
    )
    assert 9 <= first_wait.total_seconds() <= 11, probed
    event = get_event(api, event_id)
    assert event["status"] == "pending" and event["attemptCount"] == 3
    deliveries = api.get(EVENTS, params={"destinationId": destination_id}).json()["data"]
    assert deliveries[0]["attempts"][-1]["statusCode"] == 500


def test_retry_after_holds_the_destination(api: Api, receiver: Receiver, own_sweep: Callable[..., Sweep]) -> None:
    own_sweep(NOTIFY_RETRY_SCHEDULE=FAST_RETRIES)
    answers = iter([(429, "slow down", {"Retry-After": "3"})])
    receiver.respond(200, responder=lambda _request: next(answers, None))
    _, event_id = fire(api, receiver.url_for())
    receiver.wait_for(1)
    destination_id = get_event(api, event_id)["destinationId"]
    held = wait_destination(api, destination_id, lambda d: d["heldUntil"] is not None)
    assert held["status"] == "failing"
    requests = receiver.wait_for(2, timeout=10)
    gap = requests[1].received_at - requests[0].received_at
    assert gap >= 2.8, f"a request came {gap:.2f} s after a 429 with Retry-After: 3"
    wait_for_event(api, event_id, lambda e: e["status"] == "succeeded")


def test_gone_fails_the_event_after_one_attempt(api: Api, receiver: Receiver, own_sweep: Callable[..., Sweep]) -> None:
    own_sweep(NOTIFY_RETRY_SCHEDULE=FAST_RETRIES)
    receiver.respond(410, "no such hook")
    _, event_id = fire(api, receiver.url_for())
    event = wait_for_event(api, event_id, lambda e: e["status"] == "failed")
    assert event["attemptCount"] == 1 and event["nextAttemptAt"] is None
    assert "410" in event["attempts"][0]["error"]
    receiver.assert_quiet(1.5, count=1)


def test_a_destination_failing_past_the_limit_is_disabled_and_keeps_its_events(
    api: Api, receiver: Receiver, own_sweep: Callable[..., Sweep]
) -> None:
    own_sweep(
        NOTIFY_RETRY_SCHEDULE="0,0.5,0.5,0.5,0.5,0.5,0.5,0.5", NOTIFY_BREAKER_FAILURES="100", NOTIFY_DISABLE_AFTER="2"
    )
    receiver.respond(500)
    _, first = fire(api, receiver.url_for())
    destination_id = get_event(api, first)["destinationId"]
    disabled = wait_destination(api, destination_id, lambda d: d["status"] == "disabled")
    assert disabled["disabledAt"] and disabled["failingSince"]
    attempts = len(receiver.received())
    later = change(api, receiver.url_for(), 2)
    time.sleep(5)  # long enough for the first event's schedule to run out, were it still attempted
    assert len(receiver.received()) == attempts, "a disabled destination gets no attempts"
    for event_id in [first, *later]:
        assert get_event(api, event_id)["status"] == "pending", "a disabled destination's events stay pending"
    receiver.respond(200)
    resumed = api.post(f"{DESTINATIONS}/{destination_id}/resume")
    assert resumed.status_code == 200 and resumed.json()["status"] == "healthy"
    for event_id in [first, *later]:
        wait_for_event(api, event_id, lambda e: e["status"] == "succeeded")
