"""Helpers of the destination tests (test_destinations*.py): the API's paths, a destination's state,
waiting for one, an order change, and what a receiver got."""

from __future__ import annotations

from notify_e2e import Api, fire

DESTINATIONS = "/api/v0/checkout/notifications/destinations"


def change(api: Api, url: str, count: int) -> list[str]:
    """`count` orders with a hook to `url` moved to processing; returns their event ids."""
    return [fire(api, url)[1] for _ in range(count)]
