"""The order state machine through nginx: each transition recorded, the same status a no-op, an
illegal one a 409, a bad state body a 400."""

from __future__ import annotations

import pytest

from notify_e2e import ORDERS, Api, assert_problem, create_order, move
from orders_e2e import HOOK, change_state, event_keys, get_order

ALLOWED = {
    "checkout": {"processing", "removed"},
    "processing": {"checkout", "accepted", "declined", "removed"},
    "accepted": {"completed", "declined"},
    "completed": set(),
    "declined": set(),
    "removed": set(),
}
STATUSES = sorted(ALLOWED)
# A shortest way from checkout to each status.
PATH_TO = {
    "checkout": [],
    "processing": ["processing"],
    "accepted": ["processing", "accepted"],
    "completed": ["processing", "accepted", "completed"],
    "declined": ["processing", "declined"],
    "removed": ["removed"],
}


def test_happy_path_records_each_transition(api: Api) -> None:
    order = create_order(api)
    final = move(api, order["id"], "processing", "checkout", "processing", "accepted", "completed")
    statuses = [t["status"] for t in final["state"]["transitions"]]
    assert statuses == ["checkout", "processing", "checkout", "processing", "accepted", "completed"]
    stamps = [t["timeStamp"] for t in final["state"]["transitions"]]
    assert stamps == sorted(stamps), stamps
    assert final["lastModified"] == stamps[-1]
    assert get_order(api, order["id"]) == final


@pytest.mark.parametrize("current", STATUSES)
def test_from_each_status_same_is_a_no_op_and_illegal_is_409(api: Api, healthy, current: str) -> None:
    order = create_order(api)
    notification = {"url": HOOK, "scope": {"state": STATUSES}}
    assert api.post(f"{ORDERS}/{order['id']}/notifications", json=notification).status_code == 201
    move(api, order["id"], *PATH_TO[current])
    before = get_order(api, order["id"])
    events_before = event_keys(order["id"])
    assert len(events_before) == len(PATH_TO[current])

    # The same status again: 200 with the order as it is, no new transition, no event.
    response = change_state(api, order["id"], current)
    assert response.status_code == 200, response.text
    assert response.json() == before
    assert response.json()["state"]["transitions"] == before["state"]["transitions"]

    # Every status the state machine does not allow from here: 409, nothing changes.
    illegal = [target for target in STATUSES if target != current and target not in ALLOWED[current]]
    for target in illegal:
        problem = assert_problem(change_state(api, order["id"], target), 409)
        assert current in problem["detail"] and target in problem["detail"], problem

    assert get_order(api, order["id"]) == before
    assert event_keys(order["id"]) == events_before
    healthy()


def test_bad_state_body_is_400(api: Api, healthy) -> None:
    order = create_order(api)
    for body, field in [
        ({"currentStatus": "shipped"}, "currentStatus"),
        ({"currentStatus": "PROCESSING"}, "currentStatus"),
        ({"currentStatus": 1}, "currentStatus"),
        ({"currentStatus": None}, "currentStatus"),
        ({}, "currentStatus"),
        ({"currentStatus": "processing", "reason": "x"}, "reason"),
    ]:
        problem = assert_problem(api.put(f"{ORDERS}/{order['id']}/state", json=body), 400)
        assert problem.get("field") == field, (body, problem)
    assert get_order(api, order["id"]) == order
    healthy()
