"""A load of order changes whose every outcome is recorded and checked against the database."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import requests

from .api import Api, media_type
from .database import sql_json
from .merchants import Merchant
from .receiver import Receiver

STATE_SCOPE = {"state": ["processing", "checkout"]}
"""A notification scope that fires on every toggle between checkout and processing."""


@dataclass
class ChangeOutcome:
    """One `PUT .../state` of the load: what was asked, when, and what came back."""

    order_id: str
    target: str
    started: float  # time.time()
    elapsed: float
    status: int | None = None  # None: no response (timeout or connection error)
    media_type: str = ""
    transitions: list[dict[str, Any]] | None = None  # of a 2xx
    error: str = ""

    @property
    def finished(self) -> float:
        return self.started + self.elapsed


class OrderLoad:
    """Threads that each toggle one order of their own between checkout and processing through
    nginx as fast as the service answers, until `stop()`, at most `max_per_order` requests each
    and `max_seconds` in all. After an error the same change is sent again (a repeat of an applied
    change is a 200 without a new transition). Every outcome is kept in `outcomes`."""

    def __init__(
        self,
        base_url: str,
        merchant: Merchant,
        order_ids: list[str],
        request_timeout: float = 5.0,
        max_per_order: int = 2000,
        max_seconds: float = 60.0,
    ):
        self.base_url = base_url.rstrip("/")
        self.merchant = merchant
        self.order_ids = order_ids
        self.request_timeout = request_timeout
        self.max_per_order = max_per_order
        self.max_seconds = max_seconds
        self.outcomes: list[ChangeOutcome] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._run, args=(oid,), name=f"load-{i}", daemon=True)
            for i, oid in enumerate(order_ids)
        ]

    def start(self) -> OrderLoad:
        self._deadline = time.monotonic() + self.max_seconds
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=self.request_timeout + 5)
        assert not any(t.is_alive() for t in self._threads), "a load thread did not stop"

    def _run(self, order_id: str) -> None:
        url = f"{self.base_url}/api/v0/checkout/orders/{order_id}/state"
        target = "processing"
        with requests.Session() as session:
            for _ in range(self.max_per_order):
                if self._stop.is_set() or time.monotonic() > self._deadline:
                    return
                started, clock = time.time(), time.monotonic()
                outcome = ChangeOutcome(order_id, target, started, 0.0)
                try:
                    response = session.put(
                        url,
                        json={"currentStatus": target},
                        headers=self.merchant.auth_headers(),
                        timeout=self.request_timeout,
                    )
                    outcome.status = response.status_code
                    outcome.media_type = media_type(response)
                    if 200 <= response.status_code < 300:
                        outcome.transitions = response.json()["state"]["transitions"]
                    else:
                        outcome.error = response.text[:300]
                except (requests.RequestException, ValueError) as error:
                    outcome.error = repr(error)
                    session.close()  # a fresh connection after a failure
                outcome.elapsed = time.monotonic() - clock
                with self._lock:
                    self.outcomes.append(outcome)
                if outcome.status is not None and 200 <= outcome.status < 300:
                    target = "checkout" if target == "processing" else "processing"
                elif outcome.status is None or outcome.status >= 500:
                    time.sleep(0.05)  # a client backs off a little from a failing service


def order_with_toggle_hook(api: Api, url: str) -> str:
    """A new order with a notification to `url` that fires on every checkout/processing toggle."""
    response = api.post("/api/v0/checkout/orders", headers={"X-Channel": "web"}, json={"reference": "faults"})
    assert response.status_code == 201, f"create order: {response.status_code} {response.text[:300]!r}"
    order_id = response.json()["id"]
    response = api.post(f"/api/v0/checkout/orders/{order_id}/notifications", json={"url": url, "scope": STATE_SCOPE})
    assert response.status_code == 201, f"register: {response.status_code} {response.text[:300]!r}"
    return order_id


def check_changes_applied(api: Api, outcomes: list[ChangeOutcome]) -> dict[str, Any]:
    """Checks the load's orders against the database: every 2xx change is in the order (its
    transitions are a prefix of the final ones), and every transition has exactly its one event
    (the transactional outbox: nothing half-applied, also for requests that got an error).
    Returns counts and the event ids, for the delivery check."""
    by_order: dict[str, list[ChangeOutcome]] = {}
    for outcome in outcomes:
        by_order.setdefault(outcome.order_id, []).append(outcome)
    event_ids: list[str] = []
    transitions_total = 0
    for order_id, mine in by_order.items():
        response = api.get(f"/api/v0/checkout/orders/{order_id}")
        assert response.status_code == 200, f"GET order {order_id}: {response.status_code} {response.text[:300]!r}"
        final = response.json()["state"]["transitions"]
        statuses = [t["status"] for t in final]
        for a, b in pairwise(statuses):
            assert a != b, f"order {order_id}: a transition to the same status: {statuses}"
        for outcome in mine:
            if outcome.transitions is not None:
                assert outcome.transitions == final[: len(outcome.transitions)], (
                    f"order {order_id}: a 2xx change ({outcome.target} at {outcome.started:.3f}) is not in the "
                    f"order: {len(outcome.transitions)} transitions answered, final {statuses}"
                )
        events = sql_json(
            "SELECT event_id::text AS id, scope, jsonb_array_length(payload->'order'->'state'->'transitions') AS n"
            " FROM events WHERE order_id = :'order_id'::uuid",
            order_id=order_id,
        )
        lengths = sorted(e["n"] for e in events)
        assert lengths == list(range(2, len(final) + 1)), (
            f"order {order_id}: {len(final) - 1} transitions but events for {lengths} (expected one per "
            f"transition: a change without its event, or an event without its change)"
        )
        event_ids += [e["id"] for e in events]
        transitions_total += len(final) - 1
    return {"orders": len(by_order), "changes": transitions_total, "event_ids": event_ids}


def wait_delivered(receiver: Receiver, event_ids: list[str], timeout: float) -> dict[str, int]:
    """Waits until the receiver got a request with each webhook-id; returns {"delivered",
    "duplicates", "webhooks"} (fails, naming what is missing, after timeout)."""
    wanted = set(event_ids)
    deadline = time.monotonic() + timeout
    while True:
        got = [r.headers.get("webhook-id") for r in receiver.received()]
        missing = wanted - set(got)
        if not missing or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert not missing, f"{len(missing)} of {len(wanted)} events not delivered within {timeout}s: {sorted(missing)[:5]}"
    mine = [g for g in got if g in wanted]
    return {"delivered": len(set(mine)), "duplicates": len(mine) - len(set(mine)), "webhooks": len(mine)}


def fault_report(name: str, **counts: Any) -> None:
    """Prints one summary line of a fault test (shown with `pytest -s` or in a failure report)."""
    print(f"FAULT {name}: " + ", ".join(f"{k}={v}" for k, v in counts.items()), flush=True)
