"""GET /metrics has the Prometheus figures, and the OpenAPI document is served without credentials."""

from __future__ import annotations

import json
import os
import re

from events_e2e import EVENTS_V1, succeeded_event
from notify_e2e import EVENTS, ORDERS, PROBLEM_JSON, Api, Receiver, media_type

OPENAPI = "/api/v0/checkout/notifications/openapi.json"
REPOSITORY = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SAMPLE = re.compile(r"^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?P<labels>[^}]*)\})? (?P<value>\S+)$")


def scrape(anonymous: Api) -> dict[tuple[str, str], float]:
    """GET /metrics parsed: {(name, 'label="value",...'): value}; checks the text format on the way."""
    response = anonymous.get("/metrics")
    assert response.status_code == 200, response.text
    assert media_type(response) == "text/plain", response.headers.get("Content-Type")
    samples: dict[tuple[str, str], float] = {}
    types: dict[str, str] = {}
    for line in response.text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            types[name] = kind
        elif line and not line.startswith("#"):
            match = SAMPLE.match(line)
            assert match, f"not a Prometheus sample line: {line!r}"
            samples[(match["name"], match["labels"] or "")] = float(match["value"])
    assert types.get("notify_events") == "gauge", types
    assert types.get("notify_attempts_total") == "counter", types
    assert types.get("notify_due_backlog") == "gauge", types
    assert types.get("notify_oldest_due_age_seconds") == "gauge", types
    assert types.get("notify_delivery_duration_seconds") == "histogram", types
    return samples


def test_metrics_have_the_prometheus_figures(api: Api, anonymous: Api, receiver: Receiver) -> None:
    before = scrape(anonymous)
    succeeded_event(api, receiver)
    after = scrape(anonymous)

    for status in ("pending", "succeeded", "failed"):
        assert after[("notify_events", f'status="{status}"')] >= 0
    assert after[("notify_events", 'status="succeeded"')] >= 1
    for outcome in ("success", "http_error", "transport_error"):
        assert ("notify_attempts_total", f'outcome="{outcome}"') in after, outcome
    success = ("notify_attempts_total", 'outcome="success"')
    assert after[success] >= before[success] + 1, (before[success], after[success])
    assert after[("notify_due_backlog", "")] >= 0
    assert after[("notify_oldest_due_age_seconds", "")] >= 0

    buckets = [(key[1], value) for key, value in after.items() if key[0] == "notify_delivery_duration_seconds_bucket"]
    assert len(buckets) >= 2 and buckets[-1][0] == 'le="+Inf"', buckets
    counts = [value for _, value in buckets]
    assert counts == sorted(counts), f"cumulative buckets: {buckets}"
    bounds = [float(label[4:-1]) for label, _ in buckets[:-1]]
    assert bounds == sorted(bounds), bounds
    count = after[("notify_delivery_duration_seconds_count", "")]
    assert buckets[-1][1] == count >= before[("notify_delivery_duration_seconds_count", "")] + 1
    assert after[("notify_delivery_duration_seconds_sum", "")] >= 0


def test_openapi_document_is_served_without_auth(anonymous: Api) -> None:
    response = anonymous.get(OPENAPI)
    assert response.status_code == 200, response.text
    assert media_type(response) == "application/json"
    served = response.json()
    with open(os.path.join(REPOSITORY, "Sources", "FCGIHandler", "openapi.json"), encoding="utf-8") as file:
        kept = json.load(file)
    assert served == kept, "the served document is not the repository's: rebuild notify-fcgi"
    assert served["openapi"].startswith("3.1")
    for path in (
        "/healthz",
        "/metrics",
        OPENAPI,
        ORDERS,
        EVENTS,
        EVENTS + "/{eventId}",
        EVENTS + "/{eventId}/retry",
        EVENTS_V1,
        EVENTS_V1 + "/{eventId}",
        EVENTS_V1 + "/{eventId}/retry",
        "/api/v1/configuration/merchants/{merchant}/channels/{channel}/configurations/{configurationId}",
    ):
        assert path in served["paths"], path
    assert response.headers.get("Content-Type", "").startswith("application/json")
    assert PROBLEM_JSON in json.dumps(served)
