"""A state change and a merge patch check the request's token in the change's own first round trip
(not in a lookup of their own): a token that is not the named merchant's, is unknown or revoked
changes nothing and gets the same answer as anywhere else, and each refusal counts as a failed
authentication of the client address."""

from __future__ import annotations

import uuid

from events_e2e import list_events, ok_hook
from notify_e2e import (
    ORDERS,
    Api,
    Merchant,
    Receiver,
    assert_problem,
    db_rows,
    expect,
    move,
    new_order,
    notifyctl,
    notifyctl_json,
    register,
)

CHANGES = (
    ("PUT", "/state", {"currentStatus": "processing"}),
    ("PATCH", "", {"reference": "changed by a refused token"}),
)


def current_window() -> int:
    """The start of the current one-minute window of the failure counters (Unix seconds)."""
    return int(db_rows("SELECT extract(epoch FROM now())::bigint / 60 * 60 AS w")[0]["w"])


def failures_since(window: int) -> int:
    """Failed authentications counted for 127.0.0.1 in `window` and the windows after it."""
    rows = db_rows(
        "SELECT coalesce(sum(hits), 0) AS n FROM rate_limits WHERE bucket = 'auth:127.0.0.1'"
        " AND window_start >= :'window'::bigint",
        window=str(window),
    )
    return int(rows[0]["n"])


def test_a_change_with_a_refused_token_changes_nothing(
    api: Api, merchant: Merchant, merchant_factory, anonymous: Api, receiver: Receiver
) -> None:
    order = new_order(api, {"reference": "mine"})
    register(api, order, {"url": ok_hook(receiver), "scope": {"state": ["processing"]}})
    before = expect(api.get(f"{ORDERS}/{order}"), 200)
    other = merchant_factory()
    revoked = notifyctl_json("token", "create", merchant.id)["token"]
    notifyctl("token", "revoke", stdin=revoked + "\n")
    refused = (
        ({"X-Merchant": merchant.id, "Authorization": f"Bearer {other.token}"}, 403),
        ({"X-Merchant": merchant.id, "Authorization": "Bearer ntf_" + "A" * 43}, 401),
        ({"X-Merchant": merchant.id, "Authorization": f"Bearer {revoked}"}, 401),
    )
    window = current_window()
    counted = failures_since(window)
    for method, path, body in CHANGES:
        for headers, status in refused:
            answer = anonymous.request(method, f"{ORDERS}/{order}{path}", json=body, headers=headers)
            assert_problem(answer, status)
        # An order that does not exist: the token is refused first, as everywhere.
        missing = anonymous.request(method, f"{ORDERS}/{uuid.uuid4()}{path}", json=body, headers=refused[0][0])
        assert_problem(missing, 403)
    assert failures_since(window) >= counted + 2 * (len(refused) + 1), "each refusal counts"

    assert expect(api.get(f"{ORDERS}/{order}"), 200) == before, "the order is as it was"
    assert list_events(api, orderId=order)["pagination"]["totalSize"] == 0, "no event was recorded"

    # The merchant's own token goes on working, through the same statement.
    move(api, order, "processing")
    patched = expect(api.patch(f"{ORDERS}/{order}", json={"reference": "changed"}), 200)
    assert patched["reference"] == "changed", patched
    receiver.wait_for(1)
    assert list_events(api, orderId=order)["pagination"]["totalSize"] == 1
    assert_problem(api.patch(f"{ORDERS}/{uuid.uuid4()}", json={"reference": "x"}), 404)
