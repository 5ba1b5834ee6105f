"""GET /api/v0/checkout/notifications/stats (issue 17): the dashboard's home chart in one cheap
call: the merchant's attempts per minute by outcome over the last hour, and its due backlog."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

from notify_e2e import Api, Merchant, Receiver, assert_problem, fire, wait_for_event

STATS = "/api/v0/checkout/notifications/stats"


def stats(api: Api) -> dict:
    response = api.get(STATS)
    assert response.status_code == 200, response.text
    return response.json()


def parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def test_sixty_minutes_oldest_first_ending_now(api: Api) -> None:
    body = stats(api)
    minutes = body["minutes"]
    assert len(minutes) == 60
    starts = [parse(m["start"]) for m in minutes]
    assert all(b - a == timedelta(minutes=1) for a, b in pairwise(starts)), starts
    now = parse(body["now"])
    assert starts[-1] <= now < starts[-1] + timedelta(minutes=1)
    assert all(s.second == 0 and s.microsecond == 0 for s in starts)
    assert body["dueBacklog"] == 0 and body["oldestDueAt"] is None
    assert all(m["succeeded"] == m["httpErrors"] == m["transportErrors"] == 0 for m in minutes), "a new merchant"


def test_attempts_are_counted_by_outcome_for_this_merchant_only(
    api: Api, merchant_factory, receiver: Receiver, base_url: str
) -> None:
    receiver.respond(200)
    _, ok_id = fire(api, receiver.url_for("/ok"))
    wait_for_event(api, ok_id, lambda e: e["status"] == "succeeded", what="succeeded")
    receiver.respond(500, "no")
    _, bad_id = fire(api, receiver.url_for("/bad"))
    wait_for_event(api, bad_id, lambda e: e["attemptCount"] >= 1, what="one attempt")
    # A target outside NOTIFY_ALLOW_TARGETS fails at once without a connection: no answer at all.
    _, refused_id = fire(api, "http://127.0.0.2:9/never")
    wait_for_event(api, refused_id, lambda e: e["status"] == "failed", what="failed")
    body = stats(api)
    totals = {key: sum(m[key] for m in body["minutes"]) for key in ("succeeded", "httpErrors", "transportErrors")}
    assert totals == {"succeeded": 1, "httpErrors": 1, "transportErrors": 1}, body["minutes"][-3:]
    # The failed event's automatic retry is due within seconds: it may or may not be due right now.
    assert body["dueBacklog"] in (0, 1)

    other = Api(base_url, merchant_factory())
    assert all(m["succeeded"] == 0 and m["httpErrors"] == 0 for m in stats(other)["minutes"])


def test_needs_a_token(api: Api, merchant: Merchant) -> None:
    assert_problem(api.get(STATS, headers={"Authorization": None}), 401)
    assert_problem(api.get(STATS, headers={"Authorization": "Bearer nope"}), 401)
    assert_problem(api.post(STATS), 405)
    assert datetime.now(UTC) - parse(stats(api)["now"]) < timedelta(minutes=1)
