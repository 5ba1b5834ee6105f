"""nginx in front of the workers: its own errors are problem+json, the dev and production configs
share one FastCGI block, and the production config (TLS, redirect, /metrics from loopback only)
works when started for real on loopback ports with a throwaway certificate."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from notify_e2e import PROBLEM_JSON, TIMEOUT, assert_healthy, env, free_port

ROOT = Path(__file__).resolve().parents[2]
DEV_TEMPLATE = ROOT / "nginx" / "notify-dev.conf.template"
PRODUCTION = ROOT / "nginx" / "notify-production.conf"


# ---- nginx's own errors, sent raw (requests would refuse to send them) ----------------------


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


# ---- the two configs agree ------------------------------------------------------------------


def directives(path: Path, name: str) -> list[str]:
    """The `name` directives of a config file, comments stripped, whitespace normalised."""
    found = []
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith(name + " "):
            found.append(" ".join(line.split()))
    return found


@pytest.mark.parametrize(
    "name", ["fastcgi_param", "error_page", "client_max_body_size", "fastcgi_read_timeout", "return", "allow", "deny"]
)
def test_dev_and_production_share_the_fastcgi_block(name: str) -> None:
    dev = directives(DEV_TEMPLATE, name)
    # The plain-HTTP server's own answers (a redirect, a 403 for the API) are not in the dev config.
    production = [
        d for d in directives(PRODUCTION, name) if not d.startswith("return 301") and "served over HTTPS only" not in d
    ]
    assert dev, f"no {name} in {DEV_TEMPLATE.name}"
    assert dev == production


@pytest.mark.parametrize("path", [DEV_TEMPLATE, PRODUCTION], ids=lambda p: p.name)
def test_no_fastcgi_keep_conn(path: Path) -> None:
    # A libfcgi worker serves one connection at a time; kept connections queue.
    assert not directives(path, "fastcgi_keep_conn")
    assert "fastcgi_keep_conn" in path.read_text(), "the reason for leaving it out should be written down"
    fastcgi_pass = directives(path, "fastcgi_pass")
    assert fastcgi_pass and all(d.startswith("fastcgi_pass unix:") for d in fastcgi_pass), fastcgi_pass


# ---- extra nginx instances on loopback ports ------------------------------------------------


def wait_for_port(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"nginx exited {process.returncode}: {log.read_text() if log.exists() else ''}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    pytest.fail(f"nginx did not listen on {port}")


@contextlib.contextmanager
def run_nginx(folder: Path, conf: Path, ports: list[int]) -> Iterator[None]:
    log = folder / "error.log"
    args = ["nginx", "-p", f"{folder}/", "-c", str(conf), "-e", str(log)]
    check = subprocess.run([*args, "-t", "-q"], capture_output=True, text=True, timeout=30)
    assert check.returncode == 0, check.stderr + (log.read_text() if log.exists() else "")
    process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        for port in ports:
            wait_for_port(port, process, log)
        yield
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def state_folder(name: str) -> Path:
    folder = Path(env("NOTIFY_TEST_STATE")) / name
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "tmp").mkdir(parents=True)
    for path in (folder, folder / "tmp"):
        path.chmod(0o755)  # nginx workers run as nobody when we are root
    return folder


@pytest.fixture(scope="module")
def production() -> Iterator[dict[str, int]]:
    """notify-production.conf served for real: its listen ports, certificate and log paths moved
    to loopback ports and a temp folder, its socket pointed at the running workers."""
    if shutil.which("openssl") is None:
        pytest.fail("openssl is needed to make a throwaway certificate (scripts/test installs it)")
    folder = state_folder("nginx-production")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    https_port, http_port = free_port(), free_port()
    site = PRODUCTION.read_text()
    replacements = [
        (r"listen 443 ", f"listen 127.0.0.1:{https_port} "),
        (r"listen 80;", f"listen 127.0.0.1:{http_port};"),
        (r"/etc/ssl/notify/fullchain\.pem", str(cert)),
        (r"/etc/ssl/notify/privkey\.pem", str(key)),
        (r"/var/log/nginx/", f"{folder}/"),
        (r"unix:/run/notify/notify-fcgi\.sock", "unix:" + env("NOTIFY_FCGI_SOCKET")),
        (r"/opt/notify/dashboard/", f"{folder}/dashboard/"),
    ]
    shutil.copytree(ROOT / "dashboard", folder / "dashboard")  # readable by nginx's workers, as in nginx.sh
    for pattern, value in replacements:
        site, count = re.subn(pattern, value.replace("\\", "\\\\"), site)
        assert count, f"{pattern} not found in {PRODUCTION.name}"
    site = re.sub(r"^\s*listen \[::\]:\d+.*$", "", site, flags=re.M)  # no IPv6 listeners in tests
    (folder / "site.conf").write_text(site)
    (folder / "nginx.conf").write_text(
        f"daemon off;\npid {folder}/nginx.pid;\nerror_log {folder}/error.log warn;\n"
        "events { worker_connections 64; }\n"
        f"http {{\n  client_body_temp_path {folder}/tmp/body;\n  fastcgi_temp_path {folder}/tmp/fastcgi;\n"
        f"  proxy_temp_path {folder}/tmp/proxy;\n  uwsgi_temp_path {folder}/tmp/uwsgi;\n"
        f"  scgi_temp_path {folder}/tmp/scgi;\n  include {folder}/site.conf;\n}}\n"
    )
    with run_nginx(folder, folder / "nginx.conf", [https_port, http_port]):
        yield {"https": https_port, "http": http_port}


def https_get(port: int, path: str, source: str = "127.0.0.1") -> http.client.HTTPResponse:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # a throwaway self-signed certificate
    connection = http.client.HTTPSConnection(
        "127.0.0.1", port, timeout=TIMEOUT, context=context, source_address=(source, 0)
    )
    connection.request("GET", path, headers={"Host": "notify.example.com"})
    response = connection.getresponse()
    response.body = response.read()  # type: ignore[attr-defined]
    connection.close()
    return response


def test_production_https_reaches_the_workers(production) -> None:
    response = https_get(production["https"], "/healthz")
    assert response.status == 200, response.body  # type: ignore[attr-defined]
    assert json.loads(response.body)["status"] == "ok"  # type: ignore[attr-defined]
    assert response.getheader("Strict-Transport-Security")
    assert response.getheader("X-Request-Id")


def test_production_serves_the_dashboard_with_its_headers(production) -> None:
    response = https_get(production["https"], "/dashboard/")
    assert response.status == 200
    assert response.body == (ROOT / "dashboard" / "index.html").read_bytes()  # type: ignore[attr-defined]
    assert "default-src 'none'" in response.getheader("Content-Security-Policy", "")
    # A location with add_header of its own inherits none of the server's: each is repeated there.
    assert response.getheader("Strict-Transport-Security") and response.getheader("X-Request-Id")
    script = https_get(production["https"], "/dashboard/app.js")
    assert script.status == 200 and script.getheader("Content-Type") == "text/javascript; charset=utf-8"


def http_get(port: int, path: str, host: str) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    connection.request("GET", path, headers={"Host": host})
    response = connection.getresponse()
    response.body = response.read()  # type: ignore[attr-defined]
    connection.close()
    return response


def test_production_redirects_http_to_its_own_name(production) -> None:
    response = http_get(production["http"], "/healthz?x=1", "notify.example.com")
    assert response.status == 301
    assert response.getheader("Location") == "https://notify.example.com/healthz?x=1"
    # A Host header the client chose does not choose where the redirect goes.
    forged = http_get(production["http"], "/healthz", "evil.example")
    assert forged.status == 301
    assert forged.getheader("Location") == "https://notify.example.com/healthz"


def test_production_refuses_the_api_over_plain_http(production) -> None:
    # No redirect that a client would follow with its token already sent in clear: a 403 it sees.
    response = http_get(production["http"], "/api/v0/checkout/orders?x=1", "notify.example.com")
    assert response.status == 403, response.body  # type: ignore[attr-defined]
    assert response.getheader("Location") is None
    assert response.getheader("Content-Type") == PROBLEM_JSON
    problem = json.loads(response.body)  # type: ignore[attr-defined]
    assert problem["status"] == 403 and "HTTPS" in problem["detail"], problem


def test_production_api_answers_are_not_sniffed_nor_stored(production) -> None:
    for path in ("/api/v0/checkout/notifications/events", "/healthz", "/no/such/path"):
        response = https_get(production["https"], path)
        assert response.getheader("X-Content-Type-Options") == "nosniff", (path, response.getheaders())
        assert response.getheader("Cache-Control") == "no-store", (path, response.getheaders())
        assert response.getheader("X-Request-Id"), path


def test_production_metrics_only_from_loopback(production) -> None:
    allowed = https_get(production["https"], "/metrics")
    assert allowed.status == 200, allowed.body  # type: ignore[attr-defined]
    # 127.0.0.2 is still this machine, but not an address the config lets through.
    denied = https_get(production["https"], "/metrics", source="127.0.0.2")
    assert denied.status == 403
    assert denied.getheader("Content-Type") == PROBLEM_JSON
    assert json.loads(denied.body)["status"] == 403  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def no_workers() -> Iterator[str]:
    """The dev config rendered by scripts/lib/nginx.sh, pointed at a socket nobody listens on."""
    folder = state_folder("nginx-no-workers")
    port = free_port()
    rendered = subprocess.run(
        [
            "bash",
            "-c",
            'source scripts/lib/common.sh && source scripts/lib/nginx.sh && notify_nginx_render "$@"',
            "render",
            str(folder),
            f"127.0.0.1:{port}",
            str(folder / "nobody-listens.sock"),
            str(folder),
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        timeout=30,
    )
    conf = Path(rendered.stdout.strip())
    with run_nginx(folder, conf, [port]):
        yield f"http://127.0.0.1:{port}"


def test_no_workers_is_502_problem_json(no_workers: str) -> None:
    status, headers, body = raw_request(no_workers, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert status == 502, body
    assert headers.get("content-type") == PROBLEM_JSON
    assert json.loads(body)["status"] == 502


# ---- requests per merchant (limit_req keyed on X-Merchant) ----------------------------------


@pytest.fixture(scope="module")
def rate_limited() -> Iterator[str]:
    """The dev config rendered by scripts/lib/nginx.sh with a limit of 1 request a minute per
    merchant and a burst of 9, in front of the running workers: 10 requests pass at once, the 11th
    is refused. The shared nginx of the suite has limits out of its way (scripts/test)."""
    folder = state_folder("nginx-rate-limited")
    port = free_port()
    rendered = subprocess.run(
        [
            "bash",
            "-c",
            'source scripts/lib/common.sh && source scripts/lib/nginx.sh && notify_nginx_render "$@"',
            "render",
            str(folder),
            f"127.0.0.1:{port}",
            env("NOTIFY_FCGI_SOCKET"),
            str(folder),
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        timeout=30,
        env=dict(os.environ, NOTIFY_RATE_LIMIT="1r/m", NOTIFY_RATE_BURST="9"),
    )
    conf = Path(rendered.stdout.strip())
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
