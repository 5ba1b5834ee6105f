"""`notifyctl events list|show|retry` (issue 17): the Notification API from a terminal, reading
NOTIFY_URL, NOTIFY_MERCHANT and NOTIFY_TOKEN, as a table for people and `--json` for scripts."""

from __future__ import annotations

import json
import os
import socket
import subprocess

from notify_e2e import Api, Merchant, Receiver, env, fire, get_event, wait_for_event
from tools_e2e import ctl, ok


def test_list_shows_the_merchants_events_as_a_table_and_as_json(
    api: Api, merchant: Merchant, receiver: Receiver
) -> None:
    order_id, event_id = fire(api, receiver.url_for("/list"))
    wait_for_event(api, event_id, lambda e: e["status"] == "succeeded", what="succeeded")
    table = ok(ctl(merchant, "events", "list"))
    lines = table.splitlines()
    assert lines[0].split() == ["CREATED", "EVENT", "STATUS", "SCOPE", "ORDER", "TRIES", "LAST"], table
    row = next(line for line in lines if event_id in line)
    assert row.split()[1:] == [event_id, "succeeded", "state.processing", order_id, "1", "200"], table
    assert lines[-1] == "events 1-1 of 1", table

    page = json.loads(ok(ctl(merchant, "events", "list", "--json", "--status", "succeeded", "--order-id", order_id)))
    assert [e["id"] for e in page["data"]] == [event_id]
    assert page["pagination"]["totalSize"] == 1
    empty = ok(ctl(merchant, "events", "list", "--status", "failed"))
    assert empty == "no events\n", empty


def test_list_pages_with_offset_and_limit(api: Api, merchant: Merchant, receiver: Receiver) -> None:
    ids = [fire(api, receiver.url_for(f"/page{i}"))[1] for i in range(3)]
    page = json.loads(ok(ctl(merchant, "events", "list", "--json", "--limit", "2", "--offset", "1")))
    assert [e["id"] for e in page["data"]] == list(reversed(ids))[1:3], "newest first, one skipped"
    assert ok(ctl(merchant, "events", "list", "--limit", "2", "--offset", "1")).splitlines()[-1] == "events 2-3 of 3"


def test_show_prints_every_attempt(api: Api, merchant: Merchant, receiver: Receiver) -> None:
    receiver.respond(503, "down for \x1b[31mmaintenance\x1b[0m\nsecond line")
    _, event_id = fire(api, receiver.url_for("/show"))
    wait_for_event(api, event_id, lambda e: e["attemptCount"] >= 1, what="one attempt")
    text = ok(ctl(merchant, "events", "show", event_id))
    assert f"event         {event_id}" in text, text
    assert "request       POST " + receiver.url_for("/show") in text, text
    attempt_line = next(line for line in text.splitlines() if " automatic " in line)
    assert " 503 " in attempt_line, text
    # Control characters from a receiver never reach the terminal as such.
    assert "\x1b" not in text, text
    assert attempt_line.endswith("the receiver answered HTTP 503 | down for  [31mmaintenance [0m second line"), text
    shown = json.loads(ok(ctl(merchant, "events", "show", event_id, "--json")))
    assert shown["id"] == event_id and shown["attempts"][0]["statusCode"] == 503


def test_retry_schedules_a_manual_attempt(api: Api, merchant: Merchant, receiver: Receiver) -> None:
    _, event_id = fire(api, receiver.url_for("/retry"))
    wait_for_event(api, event_id, lambda e: e["status"] == "succeeded", what="succeeded")
    out = ok(ctl(merchant, "events", "retry", event_id))
    assert out.startswith(f"retry scheduled: event {event_id} is "), out
    event = wait_for_event(
        api, event_id, lambda e: e["attemptCount"] == 2 and e["status"] == "succeeded", what="a second, manual attempt"
    )
    assert [a["trigger"] for a in event["attempts"]] == ["automatic", "manual"]
    assert len(receiver.wait_for(2)) == 2


def test_errors_say_what_is_wrong(api: Api, merchant: Merchant, merchant_factory, receiver: Receiver) -> None:
    _, event_id = fire(api, receiver.url_for("/errors"))
    unknown = ctl(merchant, "events", "show", "0190f0e0-0000-7000-8000-000000000000")
    assert unknown.returncode == 4 and "404" in unknown.stderr, unknown
    bad_token = ctl(merchant, "events", "list", token="not-a-token")
    assert bad_token.returncode == 1 and "401" in bad_token.stderr and "NOTIFY_TOKEN" in bad_token.stderr, bad_token
    other = merchant_factory()
    foreign = ctl(other, "events", "show", event_id)
    assert foreign.returncode == 4, "another merchant's event is a 404"
    foreign_retry = ctl(other, "events", "retry", event_id)
    assert foreign_retry.returncode == 4
    assert get_event(api, event_id)["attemptCount"] <= 1
    bad_filter = ctl(merchant, "events", "list", "--status", "lost")
    assert bad_filter.returncode == 1 and "400" in bad_filter.stderr and "status" in bad_filter.stderr, bad_filter


def test_missing_settings_are_named(merchant: Merchant) -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("NOTIFY_")}
    result = subprocess.run(
        [os.path.join(env("NOTIFY_BIN"), "notifyctl"), "events", "list"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "NOTIFY_URL, NOTIFY_MERCHANT, NOTIFY_TOKEN" in result.stderr, result.stderr


def test_unreachable_service_is_a_clear_error(merchant: Merchant) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, never listening: connections are refused
        environment = dict(
            os.environ, NOTIFY_URL=f"http://127.0.0.1:{port}", NOTIFY_MERCHANT=merchant.id, NOTIFY_TOKEN=merchant.token
        )
        result = subprocess.run(
            [os.path.join(env("NOTIFY_BIN"), "notifyctl"), "events", "list"],
            env=environment,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 5, result
    assert f"cannot reach http://127.0.0.1:{port}" in result.stderr, result.stderr
