"""Security hardening (issue 14): template hosts, bounded event answers, local surfaces (the FastCGI
socket, the database role and socket folder). The quotas are in test_security_quotas.py."""

from __future__ import annotations

import grp
import os
import stat
import subprocess
from pathlib import Path

import pytest

from notify_e2e import EVENTS, ORDERS, Api, Receiver, env, get_event, list_order_events, wait_for_event
from security_e2e import problem


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
