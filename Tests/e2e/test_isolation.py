"""Isolation between destinations (issue 11): one merchant's dead or busy receivers delay no one
else. Merchant A's backlog is written with SQL (events, deliveries and their destinations, as
order changes would write them) so that hundreds or thousands are due at once; merchant B then
changes orders through the API at a steady rate, and each change's delivery is timed at B's
receiver. The sweep is a `--follow` sweep of the test's own with the default settings (15 s
attempt timeout, 8 requests per destination); the shared sweep is stopped meanwhile."""

from __future__ import annotations

import signal
import socket
import statistics
import threading
import time
from collections.abc import Callable

import pytest

from notify_e2e import Api, Merchant, Receiver, Sweep, new_order, register, run_sql
from test_sweep_concurrency import CountingReceiver

DEFAULTS = {"NOTIFY_DELIVERY_TIMEOUT": "15", "NOTIFY_RETRY_SCHEDULE": "0,5,300,1800,7200,18000,36000,36000"}


class SilentReceiver:
    """A port on 127.0.0.1 that accepts connections (the kernel completes them) and never answers."""

    def __init__(self) -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(4096)

    def url(self) -> str:
        return f"http://127.0.0.1:{self.socket.getsockname()[1]}/hook"

    def close(self) -> None:
        self.socket.close()


def backlog(merchant: Merchant, urls: list[str], per_url: int) -> None:
    """`per_url` pending events with a due delivery for each of `urls`, written the way an order
    change writes them (the destination is created with its first event)."""
    script = """
BEGIN;
CREATE TEMP TABLE new_events ON COMMIT DROP AS
    SELECT gen_random_uuid() AS event_id, u.url, destination_id(:'merchant', url_origin(u.url)) AS destination_id
    FROM unnest(string_to_array(:'urls', ' ')) AS u(url), generate_series(1, :per_url) AS n;
INSERT INTO destinations (merchant, destination_id, origin, created_at)
SELECT DISTINCT :'merchant', destination_id, url_origin(url), now() FROM new_events ON CONFLICT DO NOTHING;
INSERT INTO events (merchant, event_id, order_id, channel, notification_id, scope, status, created_at,
                    request_method, request_url, request_headers, payload, destination_id)
SELECT :'merchant', event_id, gen_random_uuid(), 'web', 'backlog', 'state.processing', 'pending', now(),
       'POST', url, '{}', jsonb_build_object('event', jsonb_build_object('id', event_id)), destination_id
FROM new_events;
INSERT INTO deliveries (merchant, event_id, due_at, destination_id)
SELECT :'merchant', event_id, now() - interval '1 second', destination_id FROM new_events;
COMMIT;
"""
    run_sql(script, merchant=merchant.id, urls=" ".join(urls), per_url=str(per_url))


def timed_changes(api: Api, receiver: Receiver, count: int, rate: float) -> list[float]:
    """Moves `count` orders (each with a hook to `receiver`) to processing at `rate` per second and
    returns each change's seconds from the API's answer to the delivery's arrival."""
    orders = []
    for _ in range(count):
        order_id = new_order(api)
        register(api, order_id, {"url": receiver.url_for(), "scope": {"state": ["processing"]}})
        orders.append(order_id)
    answered: dict[str, float] = {}
    start = time.monotonic()
    for index, order_id in enumerate(orders):
        time.sleep(max(0.0, start + index / rate - time.monotonic()))
        response = api.put(f"/api/v0/checkout/orders/{order_id}/state", json={"currentStatus": "processing"})
        assert response.status_code == 200, response.text
        answered[order_id] = time.time()
    requests = receiver.wait_for(count, timeout=30)
    arrived = {request.json()["order"]["id"]: request.received_at for request in requests}
    return [arrived[order_id] - answered[order_id] for order_id in orders]


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def report(name: str, latencies: list[float]) -> None:
    print(
        f"ISOLATION {name}: n={len(latencies)} p50={statistics.median(latencies) * 1000:.0f}ms "
        f"p99={p99(latencies) * 1000:.0f}ms max={max(latencies) * 1000:.0f}ms",
        flush=True,
    )


@pytest.mark.parametrize("origins", [1, 20])
def test_a_receiver_that_never_answers_delays_no_other_merchant(
    origins: int, merchant_factory: Callable[[], Merchant], base_url: str, own_sweep: Callable[..., Sweep]
) -> None:
    noisy, quiet = merchant_factory(), merchant_factory()
    silent = [SilentReceiver() for _ in range(origins)]
    try:
        backlog(noisy, [s.url() for s in silent], 400 // origins)
        own_sweep(**DEFAULTS)
        time.sleep(1)  # the sweep has claimed A's backlog and its requests hang
        with Receiver() as receiver:
            latencies = timed_changes(Api(base_url, quiet), receiver, 60, rate=10)
        report(f"dead receivers of another merchant ({origins} origin(s))", latencies)
        assert p99(latencies) < 1.0, sorted(latencies)[-5:]
        assert max(latencies) < 5.0
    finally:
        for s in silent:
            s.close()


def test_a_healthy_backlog_of_another_merchant_delays_no_one(
    merchant_factory: Callable[[], Merchant], base_url: str, own_sweep: Callable[..., Sweep]
) -> None:
    busy, quiet = merchant_factory(), merchant_factory()
    with CountingReceiver() as fast:
        sweep = own_sweep(**DEFAULTS)
        sweep.kill(signal.SIGSTOP)
        backlog(busy, [fast.url_for()], 20_000)
        sweep.kill(signal.SIGCONT)
        with Receiver() as receiver:
            drained_before = threading.Event()
            latencies = timed_changes(Api(base_url, quiet), receiver, 30, rate=20)
            if fast.count() >= 20_000:
                drained_before.set()
        report("a backlog of 20,000 of another merchant", latencies)
        assert not drained_before.is_set(), "the backlog drained before B's changes: the test proves nothing"
        assert p99(latencies) < 1.0, sorted(latencies)[-5:]
        deadline = time.monotonic() + 120
        while fast.count() < 20_000 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert fast.count() >= 20_000, f"the backlog did not drain: {fast.count()} of 20,000"
