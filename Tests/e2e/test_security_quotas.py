"""Security hardening (issue 14): the quotas.

They are tested against a notify-fcgi of the test's own, started with low limits on the shared
database and spoken to over FastCGI directly (the shared workers of scripts/test have limits out of
the suite's way). Client addresses are only CGI parameters here: no traffic goes anywhere but
127.0.0.1 and unix sockets."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from typing import Any

import pytest

from notify_e2e import (
    EVENTS,
    ORDERS,
    Api,
    FastCGIRequest,
    Merchant,
    RawResponse,
    Service,
    env,
    fcgi_params,
    list_order_events,
    wait_for_socket,
)
from security_e2e import problem

CONFIGURATIONS = "/api/v1/configuration/merchants/{merchant}/channels/{channel}/configurations/{id}"
LIMITS = {
    "NOTIFY_MAX_NOTIFICATIONS_PER_ORDER": "3",
    "NOTIFY_MAX_CONFIGURATIONS_PER_CHANNEL": "2",
    "NOTIFY_MAX_ORDER_BYTES": "4096",
    "NOTIFY_MANUAL_RETRY_LIMIT": "3",
    "NOTIFY_AUTH_FAILURE_LIMIT": "5",
    "NOTIFY_REQUIRE_HTTPS": "1",
    "NOTIFY_SCHEMA_MATCH_STEPS": "2000",
}
HTTPS_HOOK = "https://127.0.0.1:9/hook"
"""Never delivered to in these tests (nothing fires), and loopback if it were."""


class Limited:
    """A notify-fcgi of the test's own with the LIMITS above, spoken to over FastCGI."""

    def __init__(self, socket_path: str) -> None:
        self.socket_path = socket_path

    def request(
        self,
        method: str,
        path: str,
        merchant: Merchant | None = None,
        *,
        json_body: Any = None,
        headers: dict[str, str] | None = None,
        address: str = "192.0.2.1",
        token: str | None = None,
        query: str = "",
    ) -> RawResponse:
        all_headers = dict(headers or {})
        if merchant is not None:
            all_headers["X-Merchant"] = merchant.id
            all_headers["Authorization"] = f"Bearer {token if token is not None else merchant.token}"
        body = b""
        if json_body is not None:
            body = json.dumps(json_body).encode()
            all_headers["Content-Type"] = "application/json"
        params = fcgi_params(method, path, all_headers, body, query)
        params["REMOTE_ADDR"] = address  # the address nginx would have seen: only a parameter
        request = FastCGIRequest(self.socket_path)
        try:
            request.begin(params)
            request.send_body(body)
            request.end_body()
            return request.response()
        finally:
            request.close()

    def new_order(self, merchant: Merchant, **body: Any) -> str:
        response = self.request("POST", ORDERS, merchant, json_body=body, headers={"X-Channel": "web"})
        assert response.status == 201, response.body[:500]
        return response.json()["id"]


@pytest.fixture(scope="module")
def limited(tmp_path_factory) -> Iterator[Limited]:
    folder = tmp_path_factory.mktemp("limited")
    socket_path = str(folder / "fcgi.sock")
    environment = dict(os.environ, NOTIFY_DATABASE_URL=env("NOTIFY_APP_DATABASE_URL"), **LIMITS)
    master = Service(
        [os.path.join(env("NOTIFY_BIN"), "notify-fcgi"), "--socket", socket_path, "--workers", "1"],
        environment,
        str(folder / "notify-fcgi.log"),
    )
    master.start()
    try:
        wait_for_socket(socket_path, master)
        yield Limited(socket_path)
    finally:
        master.stop()


def fresh_minute(needed: float = 15.0) -> None:
    """The per-minute quotas count in fixed minutes: start a test with `needed` seconds left."""
    left = 60 - time.time() % 60
    if left < needed:
        time.sleep(left + 0.2)


def test_notifications_per_order(limited: Limited, merchant: Merchant) -> None:
    order_id = limited.new_order(merchant)
    path = f"{ORDERS}/{order_id}/notifications"
    for index in range(3):
        registered = limited.request(
            "POST", path, merchant, json_body={"url": f"{HTTPS_HOOK}/{index}", "scope": {"payment": True}}
        )
        assert registered.status == 201, registered.body
    refused = problem(
        limited.request("POST", path, merchant, json_body={"url": HTTPS_HOOK, "scope": {"payment": True}}), 409
    )
    assert "NOTIFY_MAX_NOTIFICATIONS_PER_ORDER" in refused["detail"], refused
    assert len(limited.request("GET", path, merchant).json()) == 3
    # In an item upsert too, and the whole call is refused.
    upsert = limited.request(
        "PUT",
        f"{ORDERS}/{order_id}/payments/p1",
        merchant,
        json_body={"notifications": [{"url": HTTPS_HOOK, "scope": {"payment": True}}]},
    )
    problem(upsert, 409)
    assert limited.request("GET", f"{ORDERS}/{order_id}", merchant).json().get("payments") in (None, [])


def test_require_https_refuses_http_targets(limited: Limited, merchant: Merchant) -> None:
    order_id = limited.new_order(merchant)
    document = problem(
        limited.request(
            "POST",
            f"{ORDERS}/{order_id}/notifications",
            merchant,
            json_body={"url": "http://127.0.0.1:9/hook", "scope": {"payment": True}},
        ),
        400,
    )
    assert document["field"] == "url" and "https" in document["detail"], document
    document = problem(
        limited.request(
            "PUT",
            CONFIGURATIONS.format(merchant=merchant.id, channel="web", id="c-http"),
            merchant,
            json_body={"order": {"notifications": [{"invoke": "http://127.0.0.1:9/x", "scope": "/status"}]}},
        ),
        400,
    )
    assert document["field"] == "order.notifications[0].invoke", document


def test_configurations_per_channel(limited: Limited, merchant: Merchant) -> None:
    def put(configuration_id: str) -> RawResponse:
        return limited.request(
            "PUT",
            CONFIGURATIONS.format(merchant=merchant.id, channel="shop", id=configuration_id),
            merchant,
            json_body={"active": True},
        )

    assert put("one").status == 201 and put("two").status == 201
    refused = problem(put("three"), 409)
    assert "NOTIFY_MAX_CONFIGURATIONS_PER_CHANNEL" in refused["detail"], refused
    assert put("one").status == 200, "replacing an existing configuration is not a new one"
    path = CONFIGURATIONS.format(merchant=merchant.id, channel="shop", id="three")
    assert limited.request("GET", path, merchant).status == 404


def test_stored_order_size_after_merging(limited: Limited, merchant: Merchant) -> None:
    order_id = limited.new_order(merchant, attributes={"a": "x" * 1500})
    path = f"{ORDERS}/{order_id}"
    assert limited.request("PATCH", path, merchant, json_body={"attributes": {"b": "y" * 1500}}).status == 200
    # Each body is small; the merged order is not.
    refused = problem(limited.request("PATCH", path, merchant, json_body={"attributes": {"c": "z" * 1500}}), 413)
    assert "NOTIFY_MAX_ORDER_BYTES" in refused["detail"], refused
    attributes = limited.request("GET", path, merchant).json()["attributes"]
    assert set(attributes) == {"a", "b"}, "a refused change is not stored"
    problem(
        limited.request(
            "POST", ORDERS, merchant, json_body={"attributes": {"a": "x" * 5000}}, headers={"X-Channel": "web"}
        ),
        413,
    )


def test_manual_retries_per_merchant_per_minute(limited: Limited, merchant: Merchant) -> None:
    order_id = limited.new_order(merchant)
    assert (
        limited.request(
            "POST",
            f"{ORDERS}/{order_id}/notifications",
            merchant,
            json_body={"url": HTTPS_HOOK, "scope": {"payment": True}},
        ).status
        == 201
    )
    assert limited.request(
        "PUT", f"{ORDERS}/{order_id}/payments/p1", merchant, json_body={"state": "authorized"}
    ).status in (200, 201)
    (event,) = list_order_events(Api(env("NOTIFY_URL"), merchant), order_id)
    fresh_minute()
    retry = f"{EVENTS}/{event['id']}/retry"
    assert [limited.request("POST", retry, merchant).status for _ in range(3)] == [202] * 3
    refused = limited.request("POST", retry, merchant)
    document = problem(refused, 429)
    assert "NOTIFY_MANUAL_RETRY_LIMIT" in document["detail"], document
    # A bulk recover is a manual retry request too.
    since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 3600))
    problem(limited.request("POST", f"{EVENTS}/retry", merchant, json_body={"since": since}), 429)
    assert 1 <= int(refused.headers["retry-after"]) <= 60, refused.headers


def test_failed_authentications_per_client_address(limited: Limited, merchant: Merchant) -> None:
    fresh_minute()
    path = f"{ORDERS}/00000000-0000-7000-8000-000000000000"
    guesser, bystander = "192.0.2.77", "192.0.2.78"
    wrong = "ntf_" + "A" * 43
    statuses = [limited.request("GET", path, merchant, token=wrong, address=guesser).status for _ in range(5)]
    assert statuses == [401] * 5, statuses
    refused = limited.request("GET", path, merchant, token=wrong, address=guesser)
    problem(refused, 429)
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    # Even the right token is refused from that address until the minute ends ...
    problem(limited.request("GET", path, merchant, address=guesser), 429)
    # ... while another address is not affected.
    assert limited.request("GET", path, merchant, address=bystander).status == 404
    # The order changes check the token in their own first round trip, and refuse the same way.
    order = limited.new_order(merchant)
    for method, suffix, body in (("PUT", "/state", {"currentStatus": "processing"}), ("PATCH", "", {"reference": "x"})):
        problem(limited.request(method, f"{ORDERS}/{order}{suffix}", merchant, json_body=body, address=guesser), 429)
    unchanged = limited.request("GET", f"{ORDERS}/{order}", merchant, address=bystander).json()
    assert unchanged["state"]["currentStatus"] == "checkout", unchanged
    assert unchanged.get("reference") != "x", unchanged


def test_schema_matching_work_per_change_is_bounded(limited: Limited, merchant: Merchant) -> None:
    order_id = limited.new_order(merchant)
    notification = {
        "id": "slow-pattern",
        "invoke": HTTPS_HOOK,
        "scope": "/attributes/note",
        "schema": {"type": "string", "pattern": "(a|b)*c"},
    }
    assert limited.request("POST", f"{ORDERS}/{order_id}/notifications", merchant, json_body=notification).status == 201
    path = f"{ORDERS}/{order_id}"
    assert limited.request("PATCH", path, merchant, json_body={"attributes": {"note": "ab" * 10}}).status == 200
    started = time.monotonic()
    refused = problem(limited.request("PATCH", path, merchant, json_body={"attributes": {"note": "ab" * 1500}}), 400)
    assert time.monotonic() - started < 5
    assert refused["field"] == "notifications" and "slow-pattern" in refused["detail"], refused
    assert limited.request("GET", path, merchant).json()["attributes"]["note"] == "ab" * 10
