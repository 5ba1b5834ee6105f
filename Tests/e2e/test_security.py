"""Security hardening (issue 14): template hosts, quotas, bounded event answers, local surfaces.

The quotas are tested against a notify-fcgi of the test's own, started with low limits on the
shared database and spoken to over FastCGI directly (the shared workers of scripts/test have limits
out of the suite's way). Client addresses are only CGI parameters here: no traffic goes anywhere
but 127.0.0.1 and unix sockets.
"""

from __future__ import annotations

import grp
import json
import os
import stat
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from notify_e2e import (
    ORDERS,
    PROBLEM_JSON,
    Api,
    FastCGIRequest,
    Merchant,
    RawResponse,
    Receiver,
    Service,
    env,
    fcgi_params,
    get_event,
    list_order_events,
    wait_for_event,
)

EVENTS = "/api/v0/checkout/notifications/events"
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


def problem(response: RawResponse | Any, status: int) -> dict[str, Any]:
    code = response.status if isinstance(response, RawResponse) else response.status_code
    body = response.body if isinstance(response, RawResponse) else response.content
    assert code == status, f"expected {status}, got {code}: {body[:500]!r}"
    media = (
        response.media_type
        if isinstance(response, RawResponse)
        else response.headers.get("Content-Type", "").split(";")[0]
    )
    assert media == PROBLEM_JSON, media
    document = response.json()
    assert document["status"] == status and document["detail"], document
    return document


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
        limited = Limited(socket_path)
        deadline = time.monotonic() + 15
        while True:
            try:
                if os.path.exists(socket_path) and limited.request("GET", "/healthz").status == 200:
                    break
            except OSError:
                pass
            assert master.running() and time.monotonic() < deadline, master.log()[-2000:]
            time.sleep(0.1)
        yield limited
    finally:
        master.stop()


def fresh_minute(needed: float = 15.0) -> None:
    """The per-minute quotas count in fixed minutes: start a test with `needed` seconds left."""
    left = 60 - time.time() % 60
    if left < needed:
        time.sleep(left + 0.2)


# ---- order data does not choose where requests go -------------------------------------------


@pytest.mark.parametrize(
    "template",
    [
        "https://api.example.com{order.reference}",
        "https://api.example.com{order_id}/x",
        "https://{order.reference}/x",
        "{order.attributes.base}/x",
    ],
)
def test_template_host_injection_is_refused(api: Api, template: str) -> None:
    order_id = api.post(ORDERS, headers={"X-Channel": "web"}, json={"reference": ".evil.example"}).json()["id"]
    for notification in ({"invoke": template, "scope": "/status"}, {"url": template, "scope": {"payment": True}}):
        response = api.post(f"{ORDERS}/{order_id}/notifications", json=notification)
        document = problem(response, 400)
        assert document["field"] in ("invoke", "url"), document
        assert "order data must not choose" in document["detail"], document
    assert api.get(f"{ORDERS}/{order_id}/notifications").json() == []


def test_order_values_are_percent_encoded_into_the_path(api: Api, receiver: Receiver) -> None:
    response = api.post(ORDERS, headers={"X-Channel": "web"}, json={"reference": "a.b/../@c:1"})
    order_id = response.json()["id"]
    hook = receiver.url_for("/hook/") + "{order.reference}"
    assert (
        api.post(
            f"{ORDERS}/{order_id}/notifications", json={"url": hook, "scope": {"state": ["processing"]}}
        ).status_code
        == 201
    )
    assert api.put(f"{ORDERS}/{order_id}/state", json={"currentStatus": "processing"}).status_code == 200
    (request,) = receiver.wait_for(1)
    assert request.path == "/hook/a%2Eb%2F%2E%2E%2F%40c%3A1", request.path


# ---- quotas of the workers ------------------------------------------------------------------


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


# ---- bounded event answers ------------------------------------------------------------------


def test_listed_events_carry_their_latest_10_attempts_and_detail_pages_them(api: Api, receiver: Receiver) -> None:
    receiver.respond(500, "down")
    order_id = api.post(ORDERS, headers={"X-Channel": "web"}, json={}).json()["id"]
    assert (
        api.post(
            f"{ORDERS}/{order_id}/notifications",
            json={"url": receiver.url_for("/down"), "scope": {"state": ["processing"]}},
        ).status_code
        == 201
    )
    assert api.put(f"{ORDERS}/{order_id}/state", json={"currentStatus": "processing"}).status_code == 200
    (event,) = list_order_events(api, order_id)
    event_id = event["id"]
    for count in range(1, 13):
        wait_for_event(api, event_id, lambda e, c=count: e["attemptCount"] >= c, timeout=15, what=f"{count} attempts")
        if count < 12:
            assert api.post(f"{EVENTS}/{event_id}/retry").status_code == 202
    detail = get_event(api, event_id)
    total = detail["attemptCount"]
    assert total >= 12 and len(detail["attempts"]) == total, detail
    everything = [attempt["id"] for attempt in detail["attempts"]]

    (listed,) = [e for e in api.get(EVENTS, params={"orderId": order_id}).json()["data"]]
    assert listed["attemptCount"] == total
    assert [attempt["id"] for attempt in listed["attempts"]] == everything[-10:], "the latest 10, oldest first"

    first = api.get(f"{EVENTS}/{event_id}", params={"attemptsLimit": 5}).json()
    assert [attempt["id"] for attempt in first["attempts"]] == everything[:5]
    rest = api.get(f"{EVENTS}/{event_id}", params={"attemptsOffset": 5, "attemptsLimit": 100}).json()
    assert [attempt["id"] for attempt in rest["attempts"]] == everything[5:]
    assert rest["attemptCount"] == total
    for query, field in (
        ({"attemptsLimit": 0}, "attemptsLimit"),
        ({"attemptsLimit": 101}, "attemptsLimit"),
        ({"attemptsOffset": -1}, "attemptsOffset"),
    ):
        assert problem(api.get(f"{EVENTS}/{event_id}", params=query), 400)["field"] == field


# ---- local surfaces -------------------------------------------------------------------------


def test_fastcgi_socket_is_0660_for_nginx_group_only() -> None:
    info = os.stat(env("NOTIFY_FCGI_SOCKET"))
    assert stat.S_ISSOCK(info.st_mode)
    assert stat.S_IMODE(info.st_mode) == 0o660, oct(info.st_mode)
    assert grp.getgrgid(info.st_gid).gr_name == env("NOTIFY_FCGI_SOCKET_GROUP")


def test_fastcgi_socket_group_must_exist(tmp_path: Path) -> None:
    result = subprocess.run(
        [os.path.join(env("NOTIFY_BIN"), "notify-fcgi"), "--socket", str(tmp_path / "s.sock"), "--workers", "1"],
        env=dict(os.environ, NOTIFY_FCGI_SOCKET_GROUP="no-such-group-14"),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode != 0 and "no-such-group-14" in result.stderr, result.stderr


def psql(conninfo: str, sql: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["psql", conninfo, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_runtime_role_has_no_ddl_rights(api: Api) -> None:
    app = env("NOTIFY_APP_DATABASE_URL")
    assert "user=notify_app" in app
    assert psql(app, "SELECT count(*) >= 0 FROM orders").stdout.strip() == "t"
    for ddl in (
        "CREATE TABLE intruder (i int)",
        "ALTER TABLE orders ADD COLUMN intruder int",
        "DROP TABLE rate_limits",
        "CREATE INDEX intruder ON orders (merchant)",
    ):
        result = psql(app, ddl)
        assert result.returncode != 0 and ("permission denied" in result.stderr or "must be owner" in result.stderr), (
            ddl,
            result.stderr,
        )
    # The running workers are connected as that role.
    assert api.get(EVENTS).status_code == 200
    users = psql(
        env("NOTIFY_DATABASE_URL"),
        "SELECT string_agg(DISTINCT usename, ',') FROM pg_stat_activity "
        "WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()",
    ).stdout
    assert "notify_app" in users, users


def test_database_socket_folder_is_private() -> None:
    conninfo = dict(part.split("=", 1) for part in env("NOTIFY_DATABASE_URL").split())
    info = os.stat(conninfo["host"])
    assert stat.S_IMODE(info.st_mode) & 0o077 == 0, oct(info.st_mode)
