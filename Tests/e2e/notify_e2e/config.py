"""Settings every helper shares: the request timeout, the API's paths, the repository, env()."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

TIMEOUT = 10.0
"""Seconds: the timeout of every HTTP request the tests make."""
PROBLEM_JSON = "application/problem+json"
ORDERS = "/api/v0/checkout/orders"
"""The orders collection of the order-service API."""
EVENTS = "/api/v0/checkout/notifications/events"
"""The events collection of the Notification API."""
ROOT = Path(__file__).resolve().parents[3]
"""The repository (Tests/e2e/notify_e2e/../../..)."""
PGCTL = str(ROOT / "scripts" / "pgctl")


def env(name: str) -> str:
    """The value of an environment variable that scripts/test sets; fails the test if missing."""
    value = os.environ.get(name, "")
    if not value:
        pytest.fail(f"{name} is not set: run the end-to-end tests through scripts/test", pytrace=False)
    return value
