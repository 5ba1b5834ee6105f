"""Helpers of the tools tests (dashboard, notifyctl events/listen/demo, stats): an order whose
change makes one event for a URL, and notifyctl run as a merchant's API client."""

from __future__ import annotations

import os
import subprocess
from typing import Any

from notify_e2e import ORDERS, Api, Merchant, env, list_order_events


def fire(api: Api, url: str, state: str = "processing") -> tuple[str, str]:
    """A new order with a notification to `url` on entering `state`, moved there; returns
    (order id, the one event id)."""
    response = api.post(ORDERS, headers={"X-Channel": "web"}, json={"reference": "tools-e2e"})
    assert response.status_code == 201, f"create order: {response.status_code} {response.text[:500]!r}"
    order_id = response.json()["id"]
    response = api.post(f"{ORDERS}/{order_id}/notifications", json={"url": url, "scope": {"state": [state]}})
    assert response.status_code == 201, f"register: {response.status_code} {response.text[:500]!r}"
    response = api.put(f"{ORDERS}/{order_id}/state", json={"currentStatus": state})
    assert response.status_code == 200, f"state {state}: {response.status_code} {response.text[:500]!r}"
    events = list_order_events(api, order_id)
    assert len(events) == 1, events
    return order_id, events[0]["id"]


def api_env(merchant: Merchant, token: str | None = None) -> dict[str, str]:
    """The environment notifyctl's API commands read, as .state/env sets it, for `merchant`."""
    return dict(
        os.environ,
        NOTIFY_URL=env("NOTIFY_URL"),
        NOTIFY_MERCHANT=merchant.id,
        NOTIFY_TOKEN=token or merchant.token,
        NOTIFY_SIGNING_SECRET=merchant.signing_secret,
    )


def ctl(
    merchant: Merchant, *args: str, token: str | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Runs `notifyctl ARGS` as `merchant`'s API client; returns the finished process."""
    command = [os.path.join(env("NOTIFY_BIN"), "notifyctl"), *args]
    return subprocess.run(command, env=api_env(merchant, token), capture_output=True, text=True, timeout=timeout)


def ok(result: subprocess.CompletedProcess[str]) -> str:
    """The stdout of a notifyctl run that must have exited 0."""
    assert result.returncode == 0, f"exit {result.returncode}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    return result.stdout


def summary(event: dict[str, Any]) -> dict[str, Any]:
    """An event without its bulky parts, for assertion messages."""
    return {k: v for k, v in event.items() if k not in ("attempts", "responseBody", "request")}
