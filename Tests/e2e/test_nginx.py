"""nginx in front of the workers: its own errors are problem+json, no workers is a 503 problem, and
the rate limit (a burst's eleventh request is a 429, requests with another merchant's id and a wrong
token do not count against that merchant; the settings are checked when rendering).
The production config has test_nginx_production.py."""

from __future__ import annotations

import json
import os
import socket
import subprocess
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import requests

from nginx_e2e import ROOT, render_dev_config, run_nginx, state_folder
from notify_e2e import PROBLEM_JSON, TIMEOUT, Api, assert_healthy, env, free_port


def raw_request(base_url: str, data: bytes) -> tuple[int, dict[str, str], bytes]:
    """Sends raw bytes to nginx and parses the response (nginx closes these connections)."""
    parts = urlsplit(base_url)
    with socket.create_connection((parts.hostname, parts.port), timeout=TIMEOUT) as sock:
        sock.sendall(data)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    raw = b"".join(chunks)
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, body


@pytest.mark.parametrize(
    ("case", "data", "status"),
    [
        ("malformed request line", b"GARBAGE\r\n\r\n", 400),
        ("header without colon", b"GET /healthz HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n", 400),
        ("headers too large", b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n", 400),
        ("URI too long", b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        ("TRACE", b"TRACE /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 405),
    ],
)
def test_nginx_errors_are_problem_json(base_url: str, case: str, data: bytes, status: int) -> None:
    got, headers, body = raw_request(base_url, data)
    assert got == status, f"{case}: {got} {body[:300]!r}"
    assert headers.get("content-type") == PROBLEM_JSON, f"{case}: {headers} {body[:300]!r}"
    problem = json.loads(body)
    assert problem["status"] == status
    assert problem["title"] and problem["detail"] and problem["type"]
    assert headers.get("x-request-id") == problem["requestId"]
    assert_healthy(base_url)


@pytest.fixture(scope="module")
def no_workers() -> Iterator[str]:
    """The dev config rendered by scripts/lib/nginx.sh, pointed at a socket nobody listens on."""
    folder = state_folder("nginx-no-workers")
    port = free_port()
    conf = render_dev_config(folder, port, str(folder / "nobody-listens.sock"))
    with run_nginx(folder, conf, [port]):
        yield f"http://127.0.0.1:{port}"


def test_no_workers_is_503_problem_json_with_retry_after(no_workers: str) -> None:
    # nginx's own 502 (no worker answered) is answered as a 503 the client may retry after a second.
    status, headers, body = raw_request(no_workers, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert status == 503, body
    assert headers.get("content-type") == PROBLEM_JSON
    assert headers.get("retry-after") == "1"
    problem = json.loads(body)
    assert problem["status"] == 503 and problem["title"] == "Service Unavailable", problem
    assert headers.get("x-request-id") == problem["requestId"]


@pytest.fixture(scope="module")
def rate_limited() -> Iterator[str]:
    """The dev config rendered by scripts/lib/nginx.sh with a limit of 1 request a minute per
    merchant and a burst of 9, in front of the running workers: 10 requests pass at once, the 11th
    is refused. The shared nginx of the suite has limits out of its way (scripts/test)."""
    folder = state_folder("nginx-rate-limited")
    port = free_port()
    conf = render_dev_config(folder, port, env("NOTIFY_FCGI_SOCKET"), NOTIFY_RATE_LIMIT="1r/m", NOTIFY_RATE_BURST="9")
    assert "rate=1r/m" in conf.read_text() and "burst=9 " in conf.read_text()
    with run_nginx(folder, conf, [port]):
        yield f"http://127.0.0.1:{port}"


def test_eleventh_request_of_a_burst_is_429_and_other_merchants_are_unaffected(
    rate_limited: str, merchant_factory
) -> None:
    first, second = merchant_factory(), merchant_factory()
    path = rate_limited + "/api/v0/checkout/notifications/events"
    statuses = [requests.get(path, headers=first.auth_headers(), timeout=TIMEOUT).status_code for _ in range(10)]
    assert statuses == [200] * 10, statuses
    refused = requests.get(path, headers=first.auth_headers(), timeout=TIMEOUT)
    assert refused.status_code == 429, refused.text
    assert refused.headers.get("Content-Type") == PROBLEM_JSON
    assert refused.headers.get("Retry-After") == "1"
    assert refused.headers.get("X-Request-Id")
    problem = refused.json()
    assert problem["status"] == 429 and problem["title"] == "Too Many Requests", problem
    # Another merchant has a bucket of its own; requests without X-Merchant are not counted.
    assert requests.get(path, headers=second.auth_headers(), timeout=TIMEOUT).status_code == 200
    for _ in range(12):
        assert requests.get(rate_limited + "/healthz", timeout=TIMEOUT).status_code == 200


def test_requests_with_a_wrong_token_do_not_use_up_a_merchants_limit(rate_limited: str, merchant_factory) -> None:
    victim = merchant_factory()
    path = rate_limited + "/api/v0/checkout/notifications/events"
    forged = victim.auth_headers(token="ntf_" + "x" * 43)
    statuses = [requests.get(path, headers=forged, timeout=TIMEOUT).status_code for _ in range(11)]
    assert statuses == [401] * 10 + [429], statuses
    # The forged requests filled a bucket of their own: the merchant's burst is whole.
    statuses = [requests.get(path, headers=victim.auth_headers(), timeout=TIMEOUT).status_code for _ in range(10)]
    assert statuses == [200] * 10, statuses
    assert requests.get(path, headers=victim.auth_headers(), timeout=TIMEOUT).status_code == 429


def test_rate_limit_settings_are_checked_when_rendering() -> None:
    for name, value in (("NOTIFY_RATE_LIMIT", "fast"), ("NOTIFY_RATE_BURST", "-1")):
        folder = state_folder("nginx-bad-rate")
        rendered = subprocess.run(
            [
                "bash",
                "-c",
                'source scripts/lib/common.sh && source scripts/lib/nginx.sh && notify_nginx_render "$@"',
                "render",
                str(folder),
                "127.0.0.1:1",
                str(folder / "x.sock"),
                str(folder),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=30,
            env=dict(os.environ, **{name: value}),
        )
        assert rendered.returncode != 0 and name in rendered.stderr, rendered.stderr


def test_answers_carry_their_length_and_are_not_chunked(api: Api) -> None:
    # The workers send Content-Length, so nginx passes an answer on whole (no chunked encoding),
    # for an answer with a body and for a problem alike.
    for response in (api.get("/api/v0/checkout/notifications/events"), api.get("/api/v0/checkout/orders/nope")):
        assert response.headers.get("Content-Length") == str(len(response.content)), response.headers
        assert "Transfer-Encoding" not in response.headers, response.headers
