"""Destinations (issue 11): each merchant's receivers per origin, and what people do with them (pause,
resume, bulk recover), end to end through nginx with receivers on 127.0.0.1. The breaker,
back-pressure and disable tests are in test_destinations_breaker.py."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from destinations_e2e import DESTINATIONS, change
from notify_e2e import (
    EVENTS,
    Api,
    Merchant,
    Receiver,
    Sweep,
    assert_problem,
    fire,
    get_event,
    new_order,
    put_state,
    register,
    wait_for_event,
)


def destination_of(api: Api, event_id: str) -> dict[str, Any]:
    event = get_event(api, event_id)
    assert event["destinationId"], event
    response = api.get(f"{DESTINATIONS}/{event['destinationId']}")
    assert response.status_code == 200, response.text
    return response.json()


def ids_received(receiver: Receiver) -> list[str]:
    return [request.headers["webhook-id"] for request in receiver.received()]


def test_an_event_creates_its_destination_and_the_api_shows_it(api: Api, receiver: Receiver) -> None:
    _, event_id = fire(api, receiver.url_for("/a?x=1"))
    _, second_id = fire(api, receiver.url_for("/b"))
    receiver.wait_for(2)
    event = wait_for_event(api, event_id, lambda e: e["status"] == "succeeded")
    second = wait_for_event(api, second_id, lambda e: e["status"] == "succeeded")
    assert event["destinationId"] == second["destinationId"], "one origin, one destination"
    destination = destination_of(api, event_id)
    assert destination["id"] == event["destinationId"]
    assert destination["origin"] == f"http://127.0.0.1:{receiver.port}"
    assert destination["status"] == "healthy"
    assert destination["consecutiveFailures"] == 0
    assert destination["lastSuccessAt"] and destination["lastFailureAt"] is None
    assert destination["pendingEvents"] == 0
    listed = api.get(DESTINATIONS).json()
    assert [d["id"] for d in listed["data"]] == [destination["id"]]
    assert listed["pagination"] == {"offset": 0, "limit": 10, "size": 1, "totalSize": 1}
    assert api.get(DESTINATIONS, params={"status": "open"}).json()["data"] == []
    by_destination = api.get(EVENTS, params={"destinationId": destination["id"]}).json()
    assert {e["id"] for e in by_destination["data"]} == {event_id, second_id}
    assert (
        api.get("/api/v1/events", params={"destination_id": destination["id"]}).json()["pagination"]["totalSize"] == 2
    )


def test_destination_input_errors_are_problems(api: Api) -> None:
    assert_problem(api.get(DESTINATIONS, params={"status": "broken"}), 400)
    assert_problem(api.get(DESTINATIONS, params={"limit": "0"}), 400)
    assert_problem(api.get(EVENTS, params={"destinationId": "not-a-uuid"}), 400)
    unknown = "00000000-0000-4000-8000-000000000000"
    for method, path in [("GET", ""), ("POST", "/pause"), ("POST", "/resume")]:
        assert_problem(api.request(method, f"{DESTINATIONS}/{unknown}{path}"), 404)
        assert_problem(api.request(method, f"{DESTINATIONS}/nonsense{path}"), 404)
    assert_problem(api.request("DELETE", f"{DESTINATIONS}/{unknown}"), 405)
    assert_problem(api.get(DESTINATIONS, headers={"Authorization": "Bearer wrong"}), 401)


def test_another_merchant_can_neither_see_nor_pause_nor_recover(
    api: Api, receiver: Receiver, merchant_factory: Callable[[], Merchant], base_url: str
) -> None:
    _, event_id = fire(api, receiver.url_for())
    receiver.wait_for(1)
    destination = destination_of(api, event_id)
    other = Api(base_url, merchant_factory())
    for method, path in [("GET", ""), ("POST", "/pause"), ("POST", "/resume")]:
        assert_problem(other.request(method, f"{DESTINATIONS}/{destination['id']}{path}"), 404)
    assert other.get(DESTINATIONS).json()["data"] == []
    assert other.get(EVENTS, params={"destinationId": destination["id"]}).json()["data"] == []
    since = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    recovered = other.post(
        f"{EVENTS}/retry", json={"since": since, "status": "succeeded", "destinationId": destination["id"]}
    )
    assert recovered.status_code == 202, recovered.text
    assert recovered.json() == {"queued": 0, "more": False}
    assert destination_of(api, event_id)["status"] == "healthy"
    receiver.assert_quiet(0.5, count=1)


def test_metrics_count_destinations_by_status(api: Api, receiver: Receiver, base_url: str) -> None:
    fire(api, receiver.url_for())
    receiver.wait_for(1)
    text = Api(base_url).get("/metrics").text
    for status in ["healthy", "failing", "open", "paused", "disabled"]:
        assert f'notify_destinations{{status="{status}"}} ' in text
    healthy = next(line for line in text.splitlines() if line.startswith('notify_destinations{status="healthy"}'))
    assert int(healthy.split()[-1]) >= 1


def test_pause_holds_everything_and_resume_delivers_each_once(api: Api, receiver: Receiver) -> None:
    _, first = fire(api, receiver.url_for())
    receiver.wait_for(1)
    destination = destination_of(api, first)
    paused = api.post(f"{DESTINATIONS}/{destination['id']}/pause")
    assert paused.status_code == 200, paused.text
    assert paused.json()["status"] == "paused"
    held = change(api, receiver.url_for(), 5)
    receiver.assert_quiet(1.5, count=1)
    assert all(get_event(api, e)["status"] == "pending" for e in held)
    assert api.get(f"{DESTINATIONS}/{destination['id']}").json()["pendingEvents"] == 5
    assert [d["id"] for d in api.get(DESTINATIONS, params={"status": "paused"}).json()["data"]] == [destination["id"]]
    resumed = api.post(f"{DESTINATIONS}/{destination['id']}/resume")
    assert resumed.status_code == 200, resumed.text
    assert resumed.json()["status"] == "healthy"
    receiver.wait_for(6)
    for event_id in held:
        wait_for_event(api, event_id, lambda e: e["status"] == "succeeded")
    receiver.assert_quiet(0.5, count=6)
    assert sorted(ids_received(receiver)) == sorted([first, *held]), "each held event once, with its own webhook-id"


def test_bulk_recover_delivers_each_failed_event_once(
    api: Api, receiver: Receiver, own_sweep: Callable[..., Sweep]
) -> None:
    own_sweep(NOTIFY_RETRY_SCHEDULE="0", NOTIFY_BREAKER_FAILURES="1000")
    receiver.respond(500)
    since = (datetime.now(UTC) - timedelta(seconds=5)).isoformat()
    failed = change(api, receiver.url_for(), 50)
    for event_id in failed:
        wait_for_event(api, event_id, lambda e: e["status"] == "failed", timeout=20)
    first_round = len(receiver.received())
    assert first_round == 50
    receiver.respond(200)
    recovered = api.post("/api/v1/events/retry", json={"since": since})
    assert recovered.status_code == 202, recovered.text
    assert recovered.json() == {"queued": 50, "more": False}
    receiver.wait_for(100, timeout=20)
    for event_id in failed:
        event = wait_for_event(api, event_id, lambda e: e["status"] == "succeeded")
        assert event["attempts"][-1]["trigger"] == "manual"
    receiver.assert_quiet(0.5, count=100)
    assert sorted(ids_received(receiver)[50:]) == sorted(failed), "each once, with its original webhook-id"
    again = api.post(f"{EVENTS}/retry", json={"since": since})
    assert again.json() == {"queued": 0, "more": False}, "nothing failed is left"


def test_bulk_recover_refuses_bad_requests(api: Api) -> None:
    now = datetime.now(UTC)
    long_ago = (now - timedelta(days=15)).isoformat()
    problem = assert_problem(api.post(f"{EVENTS}/retry", json={"since": long_ago}), 400)
    assert problem["field"] == "since"
    cases = [
        ({}, "since"),
        ({"since": "yesterday"}, "since"),
        ({"since": now.isoformat(), "until": (now - timedelta(hours=1)).isoformat()}, "until"),
        ({"since": now.isoformat(), "status": "lost"}, "status"),
        ({"since": now.isoformat(), "orderId": "x"}, "orderId"),
        ({"since": now.isoformat(), "destinationId": 7}, "destinationId"),
        ({"since": now.isoformat(), "colour": "red"}, "colour"),
    ]
    for body, field in cases:
        assert assert_problem(api.post(f"{EVENTS}/retry", json=body), 400).get("field") == field, body
    assert_problem(api.post(f"{EVENTS}/retry", data="{", headers={"Content-Type": "application/json"}), 400)
    assert_problem(api.post(f"{EVENTS}/retry", json=[1]), 400)
    assert_problem(api.get(f"{EVENTS}/retry"), 404)


def test_bulk_recover_filters_by_order(api: Api, receiver: Receiver) -> None:
    order_id = new_order(api)
    register(api, order_id, {"url": receiver.url_for(), "scope": {"state": ["processing", "checkout"]}})
    put_state(api, order_id, "processing")
    _, other_event = fire(api, receiver.url_for())
    receiver.wait_for(2)
    since = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    recovered = api.post(f"{EVENTS}/retry", json={"since": since, "status": "succeeded", "orderId": order_id})
    assert recovered.json() == {"queued": 1, "more": False}
    receiver.wait_for(3)
    receiver.assert_quiet(0.5, count=3)
    assert ids_received(receiver).count(other_event) == 1
