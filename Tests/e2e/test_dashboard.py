"""The dashboard at /dashboard/ (issue 17) in a real headless Chromium, driven by Selenium,
against the running service: sign-in, the overview chart, events with filters and paging, one
event with its attempts and Retry, clear messages on 401 / 403 / network errors, a response body
with markup shown as text, a 375 px wide screen. Screenshots of each view go to
$NOTIFY_TEST_STATE/logs/dashboard/ (scripts/test keeps a copy in .state/dashboard-screenshots/)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from dashboard_e2e import Page
from notify_e2e import TIMEOUT, Api, Merchant, Receiver, create_merchant, fire, wait_for_event
from tools_e2e import summary

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "dashboard"
HOSTILE_BODY = (
    '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"><b id="injected">not bold</b> & done'
)


# ---- the files and how nginx serves them ------------------------------------------------------


def test_the_page_is_served_with_a_strict_content_security_policy(base_url: str) -> None:
    response = requests.get(base_url + "/dashboard/", timeout=TIMEOUT)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    policy = dict(part.strip().split(" ", 1) for part in response.headers["Content-Security-Policy"].split(";"))
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'" and policy["connect-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'" and policy["base-uri"] == "'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers.get("X-Request-Id")
    for name, media in [("app.js", "text/javascript"), ("views/event.js", "text/javascript"), ("app.css", "text/css")]:
        part = requests.get(f"{base_url}/dashboard/{name}", timeout=TIMEOUT)
        assert part.status_code == 200 and part.headers["Content-Type"].startswith(media), (name, part.headers)
        assert part.text == (DASHBOARD / name).read_text()
    redirect = requests.get(base_url + "/dashboard", allow_redirects=False, timeout=TIMEOUT)
    assert redirect.status_code == 301 and redirect.headers["Location"].endswith("/dashboard/")
    missing = requests.get(base_url + "/dashboard/nothing.js", timeout=TIMEOUT)
    assert missing.status_code == 404 and missing.headers["Content-Type"] == "application/problem+json"


def test_no_file_parses_markup_or_loads_from_another_host() -> None:
    files = sorted(p for p in DASHBOARD.rglob("*") if p.is_file())
    assert {p.suffix for p in files} == {".html", ".css", ".js"}, files
    for path in files:
        text = path.read_text()
        for sink in (
            "innerHTML",
            "outerHTML",
            "insertAdjacentHTML",
            "document.write",
            "eval(",
            "new Function",
            "setAttribute('on",
            'setAttribute("on',
        ):
            assert sink not in text, f"{path.relative_to(ROOT)} uses {sink}"
        assert not re.search(r"\b(localStorage|document\.cookie)\s*[.\[=]", text), (
            f"{path.relative_to(ROOT)} stores elsewhere"
        )
        for url in re.findall(r"\b(?:https?:)?//[A-Za-z0-9.-]+\.[A-Za-z]{2,}[^\s'\"`)]*", text):
            assert url == "http://www.w3.org/2000/svg", f"{path.relative_to(ROOT)} names another host: {url}"
    html = (DASHBOARD / "index.html").read_text()
    assert '<script type="module" src="app.js"></script>' in html and "style=" not in html


# ---- the browser -----------------------------------------------------------------------------


class Scene:
    """A merchant with one delivered event, one failed event (a target outside the allow list,
    refused without a connection) and one pending event whose receiver answered 500 with markup."""

    def __init__(self, base_url: str, merchant: Merchant, ok: Receiver, hostile: Receiver):
        self.merchant = merchant
        self.api = Api(base_url, merchant)
        hostile.respond(500, HOSTILE_BODY, headers={"Content-Type": "text/html"})
        self.ok_origin = ok.url
        self.ok_order, self.ok_event = fire(self.api, ok.url_for("/thanks"))
        self.failed_order, self.failed_event = fire(self.api, "http://127.0.0.2:9/refused")
        self.hostile_order, self.hostile_event = fire(self.api, hostile.url_for("/hostile"))
        wait_for_event(self.api, self.ok_event, lambda e: e["status"] == "succeeded", what="succeeded")
        wait_for_event(self.api, self.failed_event, lambda e: e["status"] == "failed", what="failed")
        wait_for_event(self.api, self.hostile_event, lambda e: e["attemptCount"] >= 1, what="one attempt")


@pytest.fixture(scope="module")
def scene(base_url: str) -> Iterator[Scene]:
    import secrets

    with Receiver() as ok, Receiver() as hostile:
        yield Scene(base_url, create_merchant("dash-" + secrets.token_hex(4)), ok, hostile)


@pytest.fixture
def signed_in(page: Page, scene: Scene) -> Page:
    """The page signed in as the scene's merchant, whatever the tests before it did, so that each
    test also passes on its own."""
    stored = page.driver.execute_script(
        "return location.href.includes('/dashboard/') && sessionStorage.getItem('notify.token')"
    )
    if stored != scene.merchant.token:
        page.sign_in(scene.merchant.id, scene.merchant.token)
        page.wait(
            lambda: page.css("#who-merchant") and page.css("#who-merchant")[0].text == scene.merchant.id, "signed in"
        )
    return page


def test_a_wrong_token_gets_a_clear_401_message(page: Page, scene: Scene) -> None:
    page.sign_out()
    page.sign_in(scene.merchant.id, "not-the-token")
    page.wait(lambda: "not accepted (401)" in page.banner(), "the 401 message")
    assert page.css("#signin"), "still on the sign-in form"
    assert page.driver.execute_script("return sessionStorage.length") == 0
    page.shot("signin-401")


def test_another_merchants_token_gets_a_clear_403_message(page: Page, scene: Scene, merchant: Merchant) -> None:
    page.sign_out()
    page.sign_in(scene.merchant.id, merchant.token)
    page.wait(lambda: "another merchant (403)" in page.banner(), "the 403 message")
    assert page.driver.execute_script("return sessionStorage.length") == 0


def test_sign_in_shows_the_overview_chart(page: Page, scene: Scene) -> None:
    page.sign_out()
    page.sign_in(scene.merchant.id, scene.merchant.token)
    page.wait(lambda: page.css("svg.chart rect"), "the chart with bars")
    assert page.css("#who-merchant")[0].text == scene.merchant.id
    # Where the credentials are: this tab's sessionStorage only.
    stored = page.driver.execute_script(
        "return [sessionStorage.getItem('notify.token'), localStorage.length, document.cookie, location.href]"
    )
    assert stored[0] == scene.merchant.token and stored[1] == 0 and stored[2] == ""
    assert scene.merchant.token not in stored[3]
    bars = {rect.get_attribute("class") for rect in page.css("svg.chart rect")}
    assert {"bar-succeeded", "bar-http", "bar-transport"} <= bars, bars
    assert page.css("#figure-backlog strong")
    page.shot("overview")


@pytest.mark.usefixtures("signed_in")
def test_events_show_delivered_failed_and_pending_at_a_glance(page: Page, scene: Scene) -> None:
    page.go("#/events")
    rows = page.wait(
        lambda: page.css("table.events tbody tr") if len(page.css("table.events tbody tr")) == 3 else None,
        "three events",
    )
    by_id = {row.get_attribute("data-event-id"): row for row in rows}
    assert list(by_id) == [scene.hostile_event, scene.failed_event, scene.ok_event], "newest first"
    assert by_id[scene.ok_event].find_element("css selector", ".badge").text.endswith("succeeded")
    assert "badge-failed" in by_id[scene.failed_event].find_element("css selector", ".badge").get_attribute("class")
    assert "status-pending" in by_id[scene.hostile_event].get_attribute("class")
    destination = by_id[scene.ok_event].find_element("css selector", "td[data-label=Destination]").text
    assert destination == scene.ok_origin, "the destination's origin, not its id"
    assert page.css("#page-info")[0].text == "1–3 of 3"
    page.shot("events")

    page.css("#event-filters select[name=status]")[0].send_keys("failed")
    page.css("#event-filters button[type=submit]")[0].click()
    page.wait(
        lambda: [r.get_attribute("data-event-id") for r in page.css("table.events tbody tr")] == [scene.failed_event],
        "only the failed event",
    )
    assert "status=failed" in page.driver.current_url
    page.go("#/events?orderId=" + scene.ok_order)
    page.wait(
        lambda: [r.get_attribute("data-event-id") for r in page.css("table.events tbody tr")] == [scene.ok_event],
        "only the order's event",
    )
    assert page.css("#event-filters input[name=orderId]")[0].get_attribute("value") == scene.ok_order


@pytest.mark.usefixtures("signed_in")
def test_a_response_body_with_markup_is_shown_as_text(page: Page, scene: Scene) -> None:
    page.go("#/events/" + scene.hostile_event)
    body = page.wait(lambda: page.css("pre.body"), "the response body")[0]
    assert body.text == HOSTILE_BODY
    assert not page.css("#injected") and not page.css("#event img") and not page.css("main script")
    assert page.driver.execute_script("return window.__pwned === undefined")
    attempt = page.css("li.attempt")[-1]
    assert "HTTP 500" in attempt.text and "ms" in attempt.text and "automatic" in attempt.text
    page.shot("event-hostile-body")


@pytest.mark.usefixtures("signed_in")
def test_retry_shows_the_new_attempt(page: Page, scene: Scene) -> None:
    page.go("#/events/" + scene.failed_event)
    page.wait(lambda: page.css("#event[data-status=failed] li.attempt"), "the failed event")
    assert page.css("li.attempt .error")[0].text == "target address not allowed"
    page.css("#retry")[0].click()
    page.wait(lambda: len(page.css("li.attempt")) == 2, "a second attempt")
    page.wait(lambda: "The retry was attempted" in page.banner(), "the retry outcome")
    assert "manual" in page.css("li.attempt")[0].text, "newest first, made by the retry"
    event = wait_for_event(scene.api, scene.failed_event, lambda e: e["attemptCount"] == 2, what="two attempts")
    assert [a["trigger"] for a in event["attempts"]] == ["automatic", "manual"], summary(event)
    page.shot("event-retried")


@pytest.mark.usefixtures("signed_in")
def test_a_narrow_screen_needs_no_sideways_scrolling(page: Page, scene: Scene) -> None:
    page.driver.set_window_size(375, 812)
    for hash_path, ready, name in [
        ("#/events", "table.events tbody tr", "events-375px"),
        ("#/events/" + scene.hostile_event, "pre.body", "event-375px"),
        ("#/", "svg.chart rect", "overview-375px"),
    ]:
        page.go(hash_path)
        page.wait(lambda ready=ready: page.css(ready), hash_path)
        width = page.driver.execute_script("return document.documentElement.clientWidth")
        scroll = page.driver.execute_script("return document.documentElement.scrollWidth")
        assert scroll <= width, f"{hash_path} is {scroll} px wide on a {width} px screen"
        page.shot(name)


@pytest.mark.usefixtures("signed_in")
def test_a_network_failure_says_so(page: Page, scene: Scene) -> None:
    page.go("#/")
    page.wait(lambda: page.css("svg.chart"), "the overview")
    page.driver.execute_cdp_cmd("Network.enable", {})
    page.driver.execute_cdp_cmd(
        "Network.emulateNetworkConditions",
        {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    try:
        page.go("#/events?status=pending")
        page.wait(lambda: "Cannot reach the Notify service" in page.banner(), "the network error message")
        page.shot("network-error")
    finally:
        page.driver.execute_cdp_cmd(
            "Network.emulateNetworkConditions",
            {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
        )
    page.go("#/events")
    page.wait(lambda: page.css("table.events tbody tr") and not page.banner(), "events again")


@pytest.mark.usefixtures("signed_in")
def test_the_console_shows_no_policy_violation_or_script_error(page: Page, scene: Scene) -> None:
    for hash_path, ready in [
        ("#/", "svg.chart"),
        ("#/events", "table.events"),
        ("#/events/" + scene.hostile_event, "pre.body"),
        ("#/recover", "#recover"),
    ]:
        page.go(hash_path)
        page.wait(lambda ready=ready: page.css(ready), hash_path)
    errors = page.console_errors()
    assert not errors, json.dumps(errors, indent=1)
