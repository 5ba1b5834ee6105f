"""The production nginx config: it shares one FastCGI block with the dev config, and (TLS, redirect,
/metrics from loopback only) works when started for real on loopback ports with a throwaway
certificate."""

from __future__ import annotations

import http.client
import json
import re
import shutil
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from nginx_e2e import ROOT, run_nginx, state_folder
from notify_e2e import PROBLEM_JSON, TIMEOUT, env, free_port

DEV_TEMPLATE = ROOT / "nginx" / "notify-dev.conf.template"
PRODUCTION = ROOT / "nginx" / "notify-production.conf"
PRODUCTION_MAIN = ROOT / "nginx" / "notify-production-main.conf"


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


@pytest.fixture(scope="module")
def production() -> Iterator[dict[str, int]]:
    """notify-production.conf served for real by notify-production-main.conf (its capacity
    settings included): listen ports, certificate and log paths moved to loopback ports and a temp
    folder, the socket pointed at the running workers, no `user` (the workers' socket belongs to
    the group nginx's workers get here) and none of Debian's includes."""
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
        (r"listen 80 ", f"listen 127.0.0.1:{http_port} "),
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
    main = PRODUCTION_MAIN.read_text()
    main_replacements = [
        (r"^user .*\n", ""),
        (r"^include /etc/nginx/modules-enabled/\*\.conf;\n", ""),
        (r"^pid /run/nginx\.pid;", f"daemon off;\npid {folder}/nginx.pid;"),
        (r"/var/log/nginx/", f"{folder}/"),
        (r"^\s*include /etc/nginx/mime\.types;\n", ""),
        (r"^\s*include /etc/nginx/conf\.d/\*\.conf;\n", ""),
        (
            r"include /etc/nginx/sites-enabled/\*;",
            f"client_body_temp_path {folder}/tmp/body;\n    fastcgi_temp_path {folder}/tmp/fastcgi;\n"
            f"    proxy_temp_path {folder}/tmp/proxy;\n    uwsgi_temp_path {folder}/tmp/uwsgi;\n"
            f"    scgi_temp_path {folder}/tmp/scgi;\n    include {folder}/site.conf;",
        ),
    ]
    for pattern, value in main_replacements:
        main, count = re.subn(pattern, value.replace("\\", "\\\\"), main, flags=re.M)
        assert count, f"{pattern} not found in {PRODUCTION_MAIN.name}"
    (folder / "nginx.conf").write_text(main)
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
