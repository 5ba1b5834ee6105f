"""Sweeps running at once and sweeps that die (issue 5): every due delivery is
delivered exactly once however many sweeps claim together, and a sweep killed with SIGKILL
mid-batch loses nothing: once its lease runs out another sweep delivers what it had in flight,
with the same `webhook-id`.

The queue is filled with SQL (events + deliveries of a fresh merchant, as an order change would
write them) so that 10,000 deliveries are due at once. The shared `--follow` sweep
of scripts/test claims alongside the sweeps started here; the invariants hold whoever delivers."""

from __future__ import annotations

import asyncio
import collections
import json
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from notify_e2e import Merchant, ReceivedRequest, Receiver, Sweep, assert_signed, run_sql, wait_until, webhook_signature


def enqueue(merchant: Merchant, url: str, count: int) -> list[str]:
    """Writes `count` pending events for `url` and their due deliveries in one transaction, the
    way an order change does (without the NOTIFY); returns the event ids."""
    script = """
BEGIN;
CREATE TEMP TABLE new_events ON COMMIT DROP AS
    SELECT gen_random_uuid() AS event_id, gen_random_uuid() AS order_id, n FROM generate_series(1, :count) AS n;
INSERT INTO events (merchant, event_id, order_id, channel, notification_id, scope, status, created_at,
                    request_method, request_url, request_headers, payload)
SELECT :'merchant', event_id, order_id, 'web', 'e2e-sweep', 'state.processing', 'pending', now(),
       'POST', :'url', jsonb_build_object('X-Sequence', n::text),
       jsonb_build_object(
           'event', jsonb_build_object('id', event_id, 'scope', 'state.processing', 'createdAt', now()),
           'notification', jsonb_build_object('id', 'e2e-sweep', 'url', :'url'),
           'order', jsonb_build_object('id', order_id, 'merchant', :'merchant', 'sequence', n))
FROM new_events;
INSERT INTO deliveries (merchant, event_id, due_at) SELECT :'merchant', event_id, now() FROM new_events;
SELECT event_id FROM new_events ORDER BY n;
COMMIT;
"""
    out = run_sql(script, merchant=merchant.id, url=url, count=str(count))
    ids = [line for line in out.splitlines() if line.strip()]
    assert len(ids) == count, out[:500]
    return ids


def sql_value(sql: str, **variables: str) -> Any:
    """The one JSON value a SELECT returns."""
    return json.loads(run_sql(sql + ";\n", **variables).strip())


def status_counts(merchant: Merchant) -> dict[str, int]:
    return sql_value(
        "SELECT coalesce(json_object_agg(status, n), '{}') FROM"
        " (SELECT status, count(*) AS n FROM events WHERE merchant = :'merchant' GROUP BY status) s",
        merchant=merchant.id,
    )


def sweep_deliveries(sweep: Sweep) -> int:
    """How many deliveries a finished cron sweep says it attempted ("sweep finished" log line)."""
    finished = sweep.log_messages("sweep finished")
    assert finished, f"no 'sweep finished' line in the sweep's log:\n{sweep.log()[-2000:]}"
    return int(finished[-1]["deliveries"])


class CountingReceiver:
    """A lean HTTP/1.1 receiver (asyncio, keep-alive) on 127.0.0.1 for many thousands of requests:
    it answers 200 "ok" at once and keeps, per request, the `webhook-id`, the
    `webhook-timestamp`, the `webhook-signature` and the body."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, str, bytes]] = []
        self.connections = 0
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="counting-receiver", daemon=True)
        self._server: asyncio.base_events.Server | None = None
        self.port = 0

    def __enter__(self) -> CountingReceiver:
        self._thread.start()
        assert self._ready.wait(10), "receiver did not start"
        return self

    def __exit__(self, *exc: object) -> None:
        async def shutdown() -> None:
            assert self._server is not None
            self._server.close()
            tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def url_for(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def count(self) -> int:
        with self._lock:
            return len(self.requests)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._serve, "127.0.0.1", 0, family=socket.AF_INET, backlog=512)
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            self._server.close()
            self._loop.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with self._lock:
            self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                headers: dict[str, str] = {}
                for line in head.split(b"\r\n")[1:]:
                    if b":" in line:
                        name, _, value = line.partition(b":")
                        headers[name.strip().lower().decode()] = value.strip().decode()
                if headers.get("expect", "").lower() == "100-continue":
                    writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                body = await reader.readexactly(int(headers.get("content-length") or 0))
                with self._lock:
                    self.requests.append(
                        (
                            headers.get("webhook-id", ""),
                            headers.get("webhook-timestamp", ""),
                            headers.get("webhook-signature", ""),
                            body,
                        )
                    )
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()


# ---- exactly once with sweeps at once ---------------------------------------------------------


def test_two_sweeps_at_once_deliver_10000_due_deliveries_exactly_once(
    merchant: Merchant, sweeps: Callable[..., Sweep]
) -> None:
    total = 10_000
    with CountingReceiver() as receiver:
        ids = enqueue(merchant, receiver.url_for("/hook"), total)
        started = time.monotonic()
        first = sweeps("--budget", "60")
        second = sweeps("--budget", "60")

        wait_until(
            f"all {total} events succeeded (now {status_counts(merchant)}, {receiver.count()} received)",
            lambda: status_counts(merchant).get("succeeded", 0) == total,
            75,
            interval=0.25,
        )
        elapsed = time.monotonic() - started
        assert first.wait(30) == 0, first.log()[-2000:]
        assert second.wait(30) == 0, second.log()[-2000:]
        time.sleep(0.3)  # a duplicate would have arrived before its attempt was written back
        received = list(receiver.requests)

    arrivals = collections.Counter(webhook_id for webhook_id, _, _, _ in received)
    duplicates = {webhook_id: n for webhook_id, n in arrivals.items() if n > 1}
    assert not duplicates, f"{len(duplicates)} webhook-ids arrived more than once, e.g. {list(duplicates.items())[:5]}"
    assert set(arrivals) == set(ids), (
        f"missing {len(set(ids) - set(arrivals))}, unexpected {len(set(arrivals) - set(ids))}"
    )
    assert len(received) == total

    # Every delivery is intact and signed: the body is the event's and the signature verifies.
    bad = []
    for webhook_id, timestamp, signature, body in received:
        if json.loads(body)["event"]["id"] != webhook_id or webhook_signature(
            merchant.signing_secret, webhook_id, timestamp, body
        ) not in signature.split(" "):
            bad.append(webhook_id)
    assert not bad, f"{len(bad)} deliveries with a wrong body or signature, e.g. {bad[:3]}"

    # The database agrees: one attempt per event, nothing left in the due index.
    assert status_counts(merchant) == {"succeeded": total}
    summary = sql_value(
        "SELECT json_build_object("
        " 'attempts', (SELECT count(*) FROM attempts WHERE merchant = :'merchant'),"
        " 'events_with_one_attempt', (SELECT count(*) FROM events WHERE merchant = :'merchant' AND attempt_count = 1),"
        " 'still_due', (SELECT count(*) FROM deliveries WHERE merchant = :'merchant' AND due_at IS NOT NULL))",
        merchant=merchant.id,
    )
    assert summary == {"attempts": total, "events_with_one_attempt": total, "still_due": 0}, summary

    by_first, by_second = sweep_deliveries(first), sweep_deliveries(second)
    print(
        f"\n{total} deliveries in {elapsed:.1f}s over {receiver.connections} connections: "
        f"sweep 1 {by_first}, sweep 2 {by_second}, shared --follow sweep {total - by_first - by_second}"
    )
    assert by_first > 0 and by_second > 0, "both sweeps should have claimed part of the work"
    assert by_first + by_second <= total


# ---- SIGKILL mid-batch ------------------------------------------------------------------------


def test_sweep_killed_mid_batch_loses_nothing_and_redelivers_with_the_same_webhook_id(
    merchant: Merchant, sweeps: Callable[..., Sweep], shared_sweep_paused: None
) -> None:
    lease = 3.0
    count = 16  # the killed sweep claims them all; 8 go out at once (its per-host limit)
    with Receiver(delay=3.0) as slow:
        # The shared --follow sweep is stopped, so that the sweep started below claims the whole batch.
        ids = enqueue(merchant, slow.url_for("/slow"), count)
        doomed = sweeps("--lease", f"{lease:g}", "--batch-size", str(count), "--budget", "30")
        slow.wait_for(1, timeout=5)
        time.sleep(0.3)  # let the rest of the first round arrive; the slow receiver answers none yet
        leased = {
            row["event_id"]: row["due_at"]
            for row in sql_value(
                "SELECT coalesce(json_agg(json_build_object('event_id', event_id,"
                " 'due_at', extract(epoch FROM due_at)::float8)), '[]') FROM deliveries"
                " WHERE merchant = :'merchant' AND lease_token IS NOT NULL AND event_id = ANY(:'ids'::uuid[])",
                merchant=merchant.id,
                ids="{" + ",".join(ids) + "}",
            )
        }
        assert len(leased) == count, f"the killed sweep leased {len(leased)} of {count} deliveries"
        doomed.kill()  # SIGKILL, mid-batch: requests sent, no response yet, nothing written back
        killed_at = time.time()
        lease_ends = max(leased.values())
        assert lease_ends - killed_at <= lease + 1, "the lease is longer than --lease"
        # Until the leases run out nobody else may send these, so what arrived by then (a request
        # still in a socket buffer at the kill included) is what the killed sweep had in flight.
        time.sleep(0.3)
        in_flight = slow.received()
        assert time.time() < min(leased.values()), "the leases ran out before in-flight requests were counted"
        in_flight_ids = {r.headers["webhook-id"] for r in in_flight}
        assert in_flight_ids, "nothing was in flight when the sweep was killed"
        assert len(in_flight_ids) == len(in_flight), "a delivery arrived twice before its lease ran out"
        assert in_flight_ids <= set(leased), "the killed sweep held none of what was in flight"

        # After the lease runs out another sweep delivers.
        slow.respond(200, "ok", delay=0)
        wait_until("lease expiry", lambda: time.time() >= lease_ends, lease + 2)
        rescuer = sweeps("--budget", "20")
        wait_until(
            f"all events succeeded (now {status_counts(merchant)})",
            lambda: status_counts(merchant).get("succeeded", 0) == count,
            20,
        )
        assert rescuer.wait(25) == 0, rescuer.log()[-2000:]
        time.sleep(0.3)
        received = slow.received()

    arrivals = collections.Counter(r.headers["webhook-id"] for r in received)
    assert set(arrivals) == set(ids), f"missing: {set(ids) - set(arrivals)}; unexpected: {set(arrivals) - set(ids)}"
    duplicated = {webhook_id for webhook_id, n in arrivals.items() if n > 1}
    assert duplicated <= in_flight_ids, f"duplicates beyond what was in flight: {duplicated - in_flight_ids}"
    assert duplicated == in_flight_ids, f"in flight but not delivered again: {in_flight_ids - duplicated}"
    assert max(arrivals.values()) == 2, arrivals.most_common(3)

    for request in received:
        assert_signed(request, merchant.signing_secret)
        assert request.json()["event"]["id"] == request.headers["webhook-id"]
    by_id: dict[str, list[ReceivedRequest]] = collections.defaultdict(list)
    for request in received:
        by_id[request.headers["webhook-id"]].append(request)
    for webhook_id in in_flight_ids:
        killed, again = sorted(by_id[webhook_id], key=lambda r: r.received_at)
        assert killed.body == again.body, webhook_id
        assert again.received_at >= leased[webhook_id] - 0.05, (
            f"{webhook_id} was delivered again {leased[webhook_id] - again.received_at:.2f}s before its lease ran out"
        )

    rows = sql_value(
        "SELECT json_build_object('attempt_counts', (SELECT json_agg(DISTINCT attempt_count) FROM events"
        "  WHERE merchant = :'merchant' AND event_id = ANY(:'ids'::uuid[])),"
        " 'still_due', (SELECT count(*) FROM deliveries WHERE merchant = :'merchant' AND due_at IS NOT NULL))",
        merchant=merchant.id,
        ids="{" + ",".join(ids) + "}",
    )
    # The killed sweep wrote nothing back: each event has the one attempt that succeeded.
    assert rows == {"attempt_counts": [1], "still_due": 0}, rows
    print(
        f"\nkilled with {len(in_flight_ids)} of {count} leased deliveries in flight; "
        f"all delivered, {len(duplicated)} twice (the in-flight ones)"
    )
