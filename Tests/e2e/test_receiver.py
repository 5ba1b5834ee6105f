"""The test Receiver itself: it records what it is sent and answers as configured."""

from __future__ import annotations

import time

import requests

from notify_e2e import TIMEOUT, Receiver


def test_records_method_path_headers_and_body(receiver: Receiver) -> None:
    response = requests.post(
        receiver.url_for("/hook?x=1"),
        data=b'{"a":1}',
        headers={"Content-Type": "application/json", "webhook-id": "evt_1"},
        timeout=TIMEOUT,
    )
    assert response.status_code == 200
    assert response.text == "ok"
    [got] = receiver.wait_for(1)
    assert (got.method, got.path) == ("POST", "/hook?x=1")
    assert got.headers["Webhook-Id"] == "evt_1"  # header names are case-insensitive
    assert got.json() == {"a": 1}


def test_configured_status_body_headers_and_delay(receiver: Receiver) -> None:
    receiver.respond(status=503, body="busy", delay=0.3, headers={"Retry-After": "1"})
    started = time.monotonic()
    response = requests.put(receiver.url_for(), data=b"x", timeout=TIMEOUT)
    assert time.monotonic() - started >= 0.3
    assert (response.status_code, response.text, response.headers["Retry-After"]) == (503, "busy", "1")


def test_responder_and_keep_alive(receiver: Receiver) -> None:
    receiver.respond(responder=lambda request: (201 if request.method == "PATCH" else 404, request.path, {}))
    with requests.Session() as session:
        statuses = [session.patch(receiver.url_for(f"/{i}"), data=b"", timeout=TIMEOUT).status_code for i in range(3)]
        statuses.append(session.get(receiver.url_for("/get"), timeout=TIMEOUT).status_code)
    assert statuses == [201, 201, 201, 404]
    assert [r.path for r in receiver.wait_for(4)] == ["/0", "/1", "/2", "/get"]


def test_wait_for_fails_with_what_arrived(receiver: Receiver) -> None:
    requests.get(receiver.url_for("/only"), timeout=TIMEOUT)
    try:
        receiver.wait_for(2, timeout=0.2)
    except AssertionError as error:
        assert "GET /only" in str(error)
    else:
        raise AssertionError("wait_for should have failed")
