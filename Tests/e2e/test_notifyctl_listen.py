"""`notifyctl listen` and `notifyctl demo order` (issue 17): the running service delivers to a
listener, which verifies the Standard Webhooks signature and timestamp, prints one line per
delivery and answers 200 (verified) or 400 (not); `demo order` is the README's first webhook."""

from __future__ import annotations

import json
import os
import queue
import re
import subprocess
import threading
import time
from collections.abc import Iterator

import pytest
import requests

from notify_e2e import TIMEOUT, Api, Merchant, env, fire, wait_for_event, webhook_signature
from tools_e2e import api_env, ctl, ok

LINE_TIMEOUT = 15.0


class Listener:
    """`notifyctl listen --port 0 ARGS` as a child process; its stdout lines arrive on a queue."""

    def __init__(self, merchant: Merchant, *args: str):
        command = [os.path.join(env("NOTIFY_BIN"), "notifyctl"), "listen", "--port", "0", *args]
        self.process = subprocess.Popen(
            command, env=api_env(merchant), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        assert self.process.stderr is not None and self.process.stdout is not None
        banner = self.process.stderr.readline()
        match = re.search(r"listening on http://127\.0\.0\.1:(\d+)/", banner)
        assert match, f"no banner: {banner!r} {self.process.stderr.read() if self.process.poll() is not None else ''}"
        self.url = f"http://127.0.0.1:{match.group(1)}"
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def line(self) -> str:
        try:
            return self.lines.get(timeout=LINE_TIMEOUT)
        except queue.Empty:
            raise AssertionError(f"notifyctl listen printed no line within {LINE_TIMEOUT}s") from None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture
def listener_factory(merchant: Merchant) -> Iterator:
    started: list[Listener] = []

    def start(*args: str, as_merchant: Merchant | None = None) -> Listener:
        listener = Listener(as_merchant or merchant, *args)
        started.append(listener)
        return listener

    yield start
    for listener in started:
        listener.stop()


def test_listen_verifies_a_delivery_from_the_service_and_answers_200(api: Api, listener_factory) -> None:
    listener = listener_factory()
    order_id, event_id = fire(api, listener.url + "/webhook")
    line = listener.line()
    fields = line.split("  ")
    assert fields[1:] == ["verified", event_id, "state.processing", f"order {order_id}", "POST /webhook"], line
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", fields[0]), line
    event = wait_for_event(api, event_id, lambda e: e["status"] == "succeeded", what="succeeded")
    assert event["statusCode"] == 200 and event["responseBody"] == "verified\n", event


def test_listen_with_another_secret_refuses_with_400(api: Api, merchant_factory, listener_factory) -> None:
    other = merchant_factory()
    listener = listener_factory("--secret", other.signing_secret)
    _, event_id = fire(api, listener.url + "/webhook")
    line = listener.line()
    assert f"NOT VERIFIED (signature does not match)  {event_id}" in line, line
    event = wait_for_event(api, event_id, lambda e: e["attemptCount"] >= 1, what="one attempt")
    assert event["attempts"][0]["statusCode"] == 400 and event["status"] == "pending", event


def test_listen_json_prints_the_whole_body(api: Api, listener_factory) -> None:
    listener = listener_factory("--json")
    order_id, event_id = fire(api, listener.url + "/json")
    record = json.loads(listener.line())
    assert record["verified"] is True and record["failure"] is None, record
    assert record["webhookId"] == event_id and record["orderId"] == order_id, record
    assert record["body"]["event"]["id"] == event_id
    assert record["body"]["order"]["state"]["currentStatus"] == "processing"
    assert record["method"] == "POST" and record["target"] == "/json"


def test_listen_refuses_unsigned_stale_and_forged_requests(merchant: Merchant, listener_factory) -> None:
    listener = listener_factory()
    unsigned = requests.post(listener.url + "/x", data=b"{}", timeout=TIMEOUT)
    assert unsigned.status_code == 400 and "missing" in unsigned.text
    assert "NOT VERIFIED (missing webhook-id" in listener.line()

    body = b'{"event":{"id":"e-1","scope":"payment"},"order":{"id":"o-1"}}'
    stale = str(int(time.time()) - 3600)
    headers = {
        "webhook-id": "e-1",
        "webhook-timestamp": stale,
        "webhook-signature": webhook_signature(merchant.signing_secret, "e-1", stale, body),
    }
    response = requests.post(listener.url + "/x", data=body, headers=headers, timeout=TIMEOUT)
    assert response.status_code == 400
    assert (
        "NOT VERIFIED (webhook-timestamp is more than 5 minutes from now)  e-1  payment  order o-1" in listener.line()
    )

    now = str(int(time.time()))
    headers.update(
        {"webhook-timestamp": now, "webhook-signature": webhook_signature(merchant.signing_secret, "e-1", now, body)}
    )
    assert requests.post(listener.url + "/x", data=body, headers=headers, timeout=TIMEOUT).status_code == 200
    assert "  verified  e-1  payment  order o-1  POST /x" in listener.line()
    response = requests.post(listener.url + "/x", data=body + b" ", headers=headers, timeout=TIMEOUT)
    assert response.status_code == 400
    assert "NOT VERIFIED (signature does not match)" in listener.line()


def test_listen_needs_a_secret(merchant: Merchant) -> None:
    environment = {k: v for k, v in api_env(merchant).items() if k != "NOTIFY_SIGNING_SECRET"}
    result = subprocess.run(
        [os.path.join(env("NOTIFY_BIN"), "notifyctl"), "listen", "--port", "0"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2 and "NOTIFY_SIGNING_SECRET" in result.stderr, result
    bad = ctl(merchant, "listen", "--port", "0", "--secret", "whsec_!!")
    assert bad.returncode == 2 and "not a Standard Webhooks secret" in bad.stderr, bad


def test_demo_order_delivers_a_verified_completed_event_to_listen(
    api: Api, merchant: Merchant, listener_factory
) -> None:
    listener = listener_factory()
    out = ok(ctl(merchant, "demo", "order", "--url", listener.url + "/webhook"))
    lines = out.splitlines()
    match = re.fullmatch(r"order (\S+): checkout -> processing -> accepted -> completed", lines[0])
    assert match, out
    order_id = match.group(1)
    event_match = re.match(r"event (\S+) \(state\.completed\) to " + re.escape(listener.url + "/webhook"), lines[1])
    assert event_match, out
    assert lines[2] == f"see it: notifyctl events show {event_match.group(1)}", out
    line = listener.line()
    assert f"  verified  {event_match.group(1)}  state.completed  order {order_id}  POST /webhook" in line, line
    wait_for_event(api, event_match.group(1), lambda e: e["status"] == "succeeded", what="succeeded")
