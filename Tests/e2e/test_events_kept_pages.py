"""Kept event pages: an order's events page is kept rendered and served again while nothing it
shows has changed, and never once something has (a new event, an attempt written back, a manual
retry, housekeeping dropping history), nor to a token that is no longer good."""

from __future__ import annotations

import json

from events_e2e import list_events, ok_hook, wait_event
from notify_e2e import (
    EVENTS,
    Api,
    Merchant,
    Receiver,
    assert_problem,
    attempted,
    db_execute,
    db_rows,
    expect,
    move,
    new_order,
    notifyctl,
    notifyctl_json,
    register,
    run_sql,
)
from test_history import housekeeping, report

MARK = '[{"kept":"by the test"}]'
"""What the tests write into a kept page, to tell an answer served from it from one rendered."""


def kept(order_id: str) -> list[dict]:
    return db_rows(
        "SELECT query, size, total FROM kept_event_pages WHERE order_id = :'order'::uuid ORDER BY query",
        order=order_id,
    )


def mark_kept(order_id: str) -> None:
    """Overwrites the order's kept pages with MARK (one event, one matching): a read that answers MARK
    was served from a kept page."""
    db_execute(
        "UPDATE kept_event_pages SET data = :'mark', size = 1, total = 1 WHERE order_id = :'order'::uuid",
        mark=MARK,
        order=order_id,
    )


def served_from_kept(api: Api, order_id: str, **query: object) -> bool:
    return list_events(api, orderId=order_id, **query)["data"] == json.loads(MARK)


def test_an_orders_page_is_kept_and_served_again_until_its_events_change(
    api: Api, merchant: Merchant, receiver: Receiver
) -> None:
    receiver.respond(500, "not yet")
    order = new_order(api, {})
    register(api, order, {"url": ok_hook(receiver), "scope": {"state": ["processing", "checkout"]}})
    move(api, order, "processing")
    receiver.wait_for(1)
    (event,) = list_events(api, orderId=order)["data"]
    failed = wait_event(api, event["id"], attempted, "attempted")
    assert failed["status"] == "pending" and failed["statusCode"] == 500, failed

    first = api.get(EVENTS, params={"orderId": order})
    assert first.status_code == 200, first.text
    assert [row["size"] for row in kept(order)] == [1], "the rendered page is kept"
    again = api.get(EVENTS, params={"orderId": order})
    assert again.status_code == 200 and again.content == first.content, "a kept page answers the same bytes"
    mark_kept(order)
    assert served_from_kept(api, order), "an unchanged order is answered from its kept page"

    # A manual retry changes the event (pending, due now): the kept page is not served again.
    receiver.respond(200, "ok")
    expect(api.post(f"{EVENTS}/{event['id']}/retry"), 202)
    page = list_events(api, orderId=order)
    assert page["data"] != json.loads(MARK) and page["data"][0]["id"] == event["id"], page

    # The sweep writes the attempt back: the next read shows it, not the page kept before it.
    wait_event(api, event["id"], lambda e: e["status"] == "succeeded", "succeeded")
    list_events(api, orderId=order)
    mark_kept(order)
    assert served_from_kept(api, order)
    receiver.respond(500, "again")
    expect(api.post(f"{EVENTS}/{event['id']}/retry"), 202)
    done = wait_event(api, event["id"], lambda e: e["attemptCount"] == 3, "attempted a third time")
    listed = list_events(api, orderId=order)["data"]
    assert listed[0]["attemptCount"] == 3 and listed[0]["statusCode"] == done["statusCode"] == 500, listed

    # A new event of the order: the next read lists both.
    mark_kept(order)
    assert served_from_kept(api, order)
    move(api, order, "checkout")
    page = list_events(api, orderId=order)
    assert page["pagination"]["totalSize"] == 2 and len(page["data"]) == 2, page


def test_each_query_of_an_order_has_its_own_kept_page(api: Api, receiver: Receiver) -> None:
    order = new_order(api, {})
    register(api, order, {"url": ok_hook(receiver), "scope": {"state": ["processing", "checkout"]}})
    move(api, order, "processing", "checkout")
    receiver.wait_for(2)
    for event in list_events(api, orderId=order)["data"]:
        wait_event(api, event["id"], lambda e: e["status"] == "succeeded", "succeeded")
    everything = list_events(api, orderId=order)
    one = list_events(api, orderId=order, limit=1)
    second = list_events(api, orderId=order, limit=1, offset=1)
    assert len(everything["data"]) == 2 and one["data"] == everything["data"][:1], (everything, one)
    assert second["data"] == everything["data"][1:], second
    assert len(kept(order)) == 3, kept(order)
    # The same pages again, each from its own kept page (byte for byte what was rendered).
    assert list_events(api, orderId=order, limit=1) == one
    assert list_events(api, orderId=order, limit=1, offset=1) == second
    # Past the end the total is counted apart from the page: such a page is never kept.
    beyond = list_events(api, orderId=order, offset=5)
    assert beyond["data"] == [] and beyond["pagination"]["totalSize"] == 2, beyond
    assert len(kept(order)) == 3, kept(order)


def test_a_page_kept_at_another_version_or_epoch_is_never_served(api: Api, receiver: Receiver) -> None:
    """What a read rendered before a change and kept after it looks like: the order's version (or the
    history's epoch) has moved on since, so the page is rendered again, not served."""
    order = new_order(api, {})
    register(api, order, {"url": ok_hook(receiver), "scope": {"state": ["processing"]}})
    move(api, order, "processing")
    receiver.wait_for(1)
    (event,) = list_events(api, orderId=order)["data"]
    wait_event(api, event["id"], lambda e: e["status"] == "succeeded", "succeeded")
    list_events(api, orderId=order)
    for column in ("version", "epoch"):
        mark_kept(order)
        assert served_from_kept(api, order)
        db_execute(f"UPDATE kept_event_pages SET {column} = {column} - 1 WHERE order_id = :'order'::uuid", order=order)
        page = list_events(api, orderId=order)
        assert [e["id"] for e in page["data"]] == [event["id"]], f"{column}: {page}"


def test_a_kept_page_is_refused_to_a_revoked_token_and_to_another_merchant(
    api: Api, merchant: Merchant, merchant_factory, receiver: Receiver, anonymous: Api
) -> None:
    order = new_order(api, {})
    register(api, order, {"url": ok_hook(receiver), "scope": {"state": ["processing"]}})
    move(api, order, "processing")
    receiver.wait_for(1)
    list_events(api, orderId=order)
    assert kept(order), "the page is kept"

    other = merchant_factory()
    theirs = anonymous.get(EVENTS, params={"orderId": order}, headers=other.auth_headers())
    assert expect(theirs, 200)["data"] == [], "another merchant's read never sees this order's page"
    borrowed = {"X-Merchant": merchant.id, "Authorization": f"Bearer {other.token}"}
    assert_problem(anonymous.get(EVENTS, params={"orderId": order}, headers=borrowed), 403)

    token = notifyctl_json("token", "create", merchant.id)["token"]
    second = anonymous.get(EVENTS, params={"orderId": order}, headers=merchant.auth_headers(token))
    assert expect(second, 200)["data"], second.text
    notifyctl("token", "revoke", stdin=token + "\n")
    revoked = anonymous.get(EVENTS, params={"orderId": order}, headers=merchant.auth_headers(token))
    assert_problem(revoked, 401)


# An event of order :'order' back-dated two days, in a day partition made as housekeeping makes them.
BACKDATED = """
SELECT history_create_partitions(((now() - interval '2 days') AT TIME ZONE 'UTC')::date,
                                 ((now() - interval '2 days') AT TIME ZONE 'UTC')::date);
INSERT INTO events (merchant, event_id, order_id, channel, notification_id, scope, status, created_at,
                    request_method, request_url, request_headers, payload, attempt_count, automatic_attempts)
SELECT :'merchant',
       (lpad(to_hex((extract(epoch FROM now() - interval '2 days') * 1000)::bigint), 12, '0')
        || '7' || substr(md5(random()::text), 1, 3) || '8' || substr(md5(random()::text), 1, 15))::uuid,
       :'order'::uuid, 'web', 'old', 'state.processing', 'succeeded', now() - interval '2 days', 'POST',
       'http://127.0.0.1:9/old', '{}', '{}', 0, 0;
"""


def test_housekeeping_that_drops_history_forgets_the_kept_pages(api: Api, merchant: Merchant) -> None:
    order = "00000000-0000-4000-8000-" + merchant.id.encode().hex()[-12:].rjust(12, "0")
    run_sql(BACKDATED, merchant=merchant.id, order=order)
    assert list_events(api, orderId=order)["pagination"]["totalSize"] == 1
    assert kept(order), "the page is kept"

    done = report(housekeeping())
    assert done["ran"] is True and done["droppedDays"] >= 1, done
    assert done["forgottenPages"] >= 1, done
    page = list_events(api, orderId=order)
    assert page["data"] == [] and page["pagination"]["totalSize"] == 0, page
