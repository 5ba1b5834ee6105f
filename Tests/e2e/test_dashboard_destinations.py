"""The dashboard's Destinations and Recover views (issue 17) in headless Chromium against the
running service: pause a destination and see its events wait, resume it and see them delivered,
filter events by destination, and recover failed events in bulk."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from dashboard_e2e import Page
from notify_e2e import Api, Merchant, Receiver, create_merchant, fire, get_event, wait_for_event
from tools_e2e import summary

DESTINATIONS = "/api/v0/checkout/notifications/destinations"


class Scene:
    """A merchant with two receivers (two destinations), each delivered to once, and one event
    that failed at once (a target outside the allow list, never connected)."""

    def __init__(self, base_url: str, merchant: Merchant, first: Receiver, second: Receiver):
        self.merchant = merchant
        self.api = Api(base_url, merchant)
        self.first, self.second = first, second
        _, self.first_event = fire(self.api, first.url_for("/a"))
        _, self.second_event = fire(self.api, second.url_for("/b"))
        _, self.failed_event = fire(self.api, "http://127.0.0.2:9/refused")
        for event_id in (self.first_event, self.second_event):
            wait_for_event(self.api, event_id, lambda e: e["status"] == "succeeded", what="succeeded")
        wait_for_event(self.api, self.failed_event, lambda e: e["status"] == "failed", what="failed")
        self.first_destination = get_event(self.api, self.first_event)["destinationId"]
        self.second_destination = get_event(self.api, self.second_event)["destinationId"]
        assert self.first_destination and self.first_destination != self.second_destination

    def destination(self, destination_id: str) -> dict:
        response = self.api.get(f"{DESTINATIONS}/{destination_id}")
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture(scope="module")
def scene(base_url: str) -> Iterator[Scene]:
    with Receiver() as first, Receiver() as second:
        yield Scene(base_url, create_merchant("dest-" + secrets.token_hex(4)), first, second)


def signed_in(page: Page, scene: Scene) -> None:
    page.sign_out()
    page.sign_in(scene.merchant.id, scene.merchant.token)
    page.wait(lambda: page.css("svg.chart"), "the overview")


def row(page: Page, destination_id: str):
    rows = page.css(f"tr[data-destination-id='{destination_id}']")
    return rows[0] if rows else None


def test_pause_holds_a_destinations_events_and_resume_delivers_them(page: Page, scene: Scene) -> None:
    signed_in(page, scene)
    page.go("#/destinations")
    page.wait(lambda: row(page, scene.first_destination) and row(page, scene.second_destination), "both destinations")
    origin = row(page, scene.first_destination).find_element("css selector", "code").text
    assert origin == f"http://127.0.0.1:{scene.first.port}"
    page.shot("destinations")

    row(page, scene.first_destination).find_element("css selector", "button[data-action=pause]").click()
    page.wait(lambda: row(page, scene.first_destination).get_attribute("data-status") == "paused", "paused")
    page.wait(lambda: "is now paused" in page.banner(), "the pause message")
    assert scene.destination(scene.first_destination)["status"] == "paused"
    assert scene.destination(scene.second_destination)["status"] != "paused", "only the one clicked"
    page.shot("destination-paused")

    _, waiting = fire(scene.api, scene.first.url_for("/while-paused"))
    _, other = fire(scene.api, scene.second.url_for("/other"))
    wait_for_event(scene.api, other, lambda e: e["status"] == "succeeded", what="the other destination's delivery")
    assert get_event(scene.api, waiting)["status"] == "pending"
    assert [r.path for r in scene.first.received()] == ["/a"], "nothing reaches a paused destination"

    page.go("#/events?destinationId=" + scene.first_destination)
    page.wait(
        lambda: (
            [r.get_attribute("data-event-id") for r in page.css("table.events tbody tr")]
            == [waiting, scene.first_event]
        ),
        "the paused destination's events",
    )

    page.go("#/destinations")
    button = page.wait(
        lambda: row(page, scene.first_destination).find_element("css selector", "button[data-action=resume]"),
        "the Resume button",
    )
    button.click()
    page.wait(lambda: row(page, scene.first_destination).get_attribute("data-status") == "healthy", "healthy again")
    event = wait_for_event(scene.api, waiting, lambda e: e["status"] == "succeeded", what="delivered after resume")
    assert event["attemptCount"] == 1, summary(event)
    assert scene.first.wait_for(2)[1].path == "/while-paused"


def test_recover_retries_the_failed_events_of_a_window(page: Page, scene: Scene) -> None:
    signed_in(page, scene)
    page.go("#/recover")
    form = page.wait(lambda: page.css("#recover"), "the recover form")[0]
    assert form.find_element("css selector", "select[name=status]").get_attribute("value") == "failed"
    form.find_element("css selector", "button[type=submit]").click()
    result = page.wait(lambda: page.css("#recover-result .done"), "the recover result")[0]
    assert result.text.startswith("Queued 1 event for a retry."), result.text
    event = wait_for_event(
        scene.api,
        scene.failed_event,
        lambda e: e["attemptCount"] == 2 and e["status"] == "failed",
        what="a second, manual attempt",
    )
    assert [a["trigger"] for a in event["attempts"]] == ["automatic", "manual"], summary(event)
    page.shot("recover")


def test_recover_shows_the_apis_refusal(page: Page, scene: Scene) -> None:
    signed_in(page, scene)
    page.go("#/recover")
    form = page.wait(lambda: page.css("#recover"), "the recover form")[0]
    since = form.find_element("css selector", "input[name=since]")
    page.driver.execute_script("arguments[0].value = '2020-01-01T00:00'", since)
    form.find_element("css selector", "button[type=submit]").click()
    page.wait(lambda: "400" in page.banner() and "14 days" in page.banner(), "the window refusal")
