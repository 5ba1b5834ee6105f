"""The events API's answers to bad input, wrong methods and missing credentials (problem+json), and
merchant isolation: another merchant's events are not found."""

from __future__ import annotations

import time
import uuid

import pytest

from events_e2e import EVENTS_V1, event_ids, list_events, ok_hook, succeeded_event
from notify_e2e import EVENTS, Api, Merchant, Receiver, assert_problem, expect


@pytest.mark.parametrize(
    "query, field",
    [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=abc", "limit"),
        ("limit=", "limit"),
        ("limit=1.5", "limit"),
        ("offset=-1", "offset"),
        ("offset=abc", "offset"),
        ("status=done", "status"),
        ("status=PENDING", "status"),
        ("orderId=not-a-uuid", "orderId"),
        ("orderId=1234", "orderId"),
    ],
)
@pytest.mark.parametrize("base", [EVENTS, EVENTS_V1])
def test_bad_query_parameters_are_400(api: Api, base: str, query: str, field: str) -> None:
    body = assert_problem(api.get(f"{base}?{query}"), 400)
    assert body.get("field") == field, body


def test_bad_snake_case_order_id_is_400(api: Api) -> None:
    body = assert_problem(api.get(f"{EVENTS_V1}?order_id=not-a-uuid"), 400)
    assert body.get("field") == "orderId", body


@pytest.mark.parametrize("base", [EVENTS, EVENTS_V1])
def test_unknown_or_malformed_event_ids_are_404(api: Api, base: str) -> None:
    for event_id in (str(uuid.uuid4()), "not-a-uuid", "1"):
        assert_problem(api.get(f"{base}/{event_id}"), 404)
        assert_problem(api.post(f"{base}/{event_id}/retry"), 404)


def test_wrong_methods_are_405(api: Api) -> None:
    some = str(uuid.uuid4())
    for method, path, allowed in (
        ("POST", EVENTS, "GET"),
        ("DELETE", f"{EVENTS}/{some}", "GET"),
        ("GET", f"{EVENTS}/{some}/retry", "POST"),
        ("PUT", EVENTS_V1, "GET"),
    ):
        response = api.request(method, path)
        assert_problem(response, 405)
        assert response.headers.get("Allow") == allowed, response.headers


def test_events_need_credentials(anonymous: Api, merchant: Merchant) -> None:
    assert_problem(anonymous.get(EVENTS), 400)  # no X-Merchant
    assert_problem(anonymous.get(EVENTS, headers={"X-Merchant": merchant.id}), 401)
    assert_problem(anonymous.get(EVENTS, headers={"X-Merchant": merchant.id, "Authorization": "Bearer nope"}), 401)
    assert_problem(anonymous.post(f"{EVENTS_V1}/{uuid.uuid4()}/retry", headers={"X-Merchant": merchant.id}), 401)


def test_another_merchant_cannot_see_or_retry_events(base_url: str, merchant_factory, receiver: Receiver) -> None:
    owner, other = merchant_factory(), merchant_factory()
    mine, theirs = Api(base_url, owner), Api(base_url, other)
    order, event = succeeded_event(mine, receiver)

    for base in (EVENTS, EVENTS_V1):
        assert_problem(theirs.get(f"{base}/{event['id']}"), 404)
        assert_problem(theirs.post(f"{base}/{event['id']}/retry"), 404)
        assert event["id"] not in event_ids(list_events(theirs, base, limit=100))
        assert list_events(theirs, base, orderId=order)["data"] == []
        assert list_events(theirs, base, scope="state.processing")["pagination"]["totalSize"] == 0
    # the other merchant's token with this merchant's name: 403, never the data
    stolen = theirs.get(f"{EVENTS}/{event['id']}", headers={"X-Merchant": owner.id})
    assert_problem(stolen, 403)
    assert ok_hook(receiver) not in stolen.text

    # the retry of the other merchant changed nothing: still one attempt, still succeeded
    time.sleep(0.5)
    again = expect(mine.get(f"{EVENTS}/{event['id']}"), 200)
    assert again["status"] == "succeeded" and again["attemptCount"] == 1, again
    assert len(receiver.received()) == 1
