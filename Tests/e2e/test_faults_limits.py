"""Fault: size limits (issue 8; README "Limits"), of one request.

At each limit the service answers a clear 400/413 problem+json, never a 5xx; just under it the
request works end to end:
- a notification with 100 headers of 8 KiB each (101 headers, or 8 KiB + 1, is a 400) is stored,
  and delivered with all of them;
- a 1 MiB order body is accepted (1 MiB + 1 byte is a 413), read back, and delivered in a webhook.
Timings are printed (FAULT lines, pytest -s) for the README. Many notifications and events on one
order are in test_faults_limits_many.py."""

from __future__ import annotations

import json
import socket
import threading
import time
from typing import Any

from limits_e2e import FAST, timed
from notify_e2e import EVENTS, ORDERS, Api, Merchant, Receiver, assert_problem, fault_report, new_order, run_sql

MIB = 1024 * 1024


class CaptureServer:
    """Answers each request on 127.0.0.1 with 200 and keeps its raw head (Python's http.server
    stops at 100 headers, so the header test reads the socket itself). Bounded: 4 MiB a request."""

    def __init__(self) -> None:
        self.heads: list[bytes] = []
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.1)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}/headers"

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(10)
                data = b""
                try:
                    while b"\r\n\r\n" not in data and len(data) < 4 * MIB:
                        chunk = conn.recv(65536)
                        if not chunk:
                            break
                        data += chunk
                    head, _, body = data.partition(b"\r\n\r\n")
                    length = next(
                        (
                            int(line.split(b":", 1)[1])
                            for line in head.split(b"\r\n")
                            if line.lower().startswith(b"content-length:")
                        ),
                        0,
                    )
                    while len(body) < length:
                        chunk = conn.recv(65536)
                        if not chunk:
                            break
                        body += chunk
                    self.heads.append(head)
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
                except OSError:
                    pass

    def wait(self, timeout: float) -> bytes:
        deadline = time.monotonic() + timeout
        while not self.heads and time.monotonic() < deadline:
            time.sleep(0.05)
        assert self.heads, f"no delivery within {timeout}s"
        return self.heads[0]

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._sock.close()


def test_notification_headers_limit(api: Api) -> None:
    order_id = new_order(api, {})
    path = f"{ORDERS}/{order_id}/notifications"
    value = "v" * 8192

    def notification(url: str, count: int, size: int = 8192) -> dict[str, Any]:
        headers = {f"X-Limit-{i:03d}": value[:size] for i in range(count)}
        return {"url": url, "scope": {"state": ["processing"]}, "headers": headers}

    assert_problem(api.post(path, json=notification("http://127.0.0.1:9/x", 101)), 400)
    over = notification("http://127.0.0.1:9/x", 1)
    over["headers"]["X-Limit-000"] = value + "v"
    assert_problem(api.post(path, json=over), 400)
    long_url = "http://127.0.0.1:9/" + "u" * (2049 - len("http://127.0.0.1:9/"))
    assert_problem(api.post(path, json={"url": long_url, "scope": {"payment": True}}), 400)
    assert api.post(path, json={"url": long_url[:-1], "scope": {"payment": True}}).status_code == 201

    capture = CaptureServer()
    try:
        (registered, took) = timed(lambda: api.post(path, json=notification(capture.url, 100)))
        assert registered.status_code == 201, registered.text[:300]
        assert len(registered.json()["headers"]) == 100
        listed = api.get(path)
        assert listed.status_code == 200 and len(listed.json()) == 2
        moved = api.put(f"{ORDERS}/{order_id}/state", json={"currentStatus": "processing"})
        assert moved.status_code == 200, moved.text[:300]
        head = capture.wait(timeout=15)
        got = [line for line in head.split(b"\r\n") if line.lower().startswith(b"x-limit-")]
        assert len(got) == 100 and all(line.endswith(b": " + value.encode()) for line in got), (
            f"{len(got)} of 100 headers delivered in full"
        )
        fault_report("100 headers", register_s=round(took, 3), delivered_head_bytes=len(head))
    finally:
        capture.stop()


def padded_order(size: int) -> bytes:
    """An order create body of exactly `size` bytes."""
    shell = b'{"reference": "1mib", "cart": {"blob": ""}}'
    return shell[:-3] + b"z" * (size - len(shell)) + shell[-3:]


def test_one_mib_order(api: Api, merchant: Merchant) -> None:
    headers = {"X-Channel": "web", "Content-Type": "application/json"}
    too_big = api.post(ORDERS, headers=headers, data=padded_order(MIB + 1))
    assert_problem(too_big, 413)
    created, took = timed(lambda: api.post(ORDERS, headers=headers, data=padded_order(MIB)))
    assert created.status_code in (201, 400, 413), f"{created.status_code}: {created.text[:300]}"
    if created.status_code != 201:
        assert_problem(created, created.status_code)
        fault_report("1 MiB order", create_status=created.status_code)
        return
    order_id = created.json()["id"]
    fetched, read_s = timed(lambda: api.get(f"{ORDERS}/{order_id}"))
    assert fetched.status_code == 200 and len(fetched.json()["cart"]["blob"]) > MIB - 100
    assert read_s < FAST, f"GET of a 1 MiB order took {read_s:.2f}s"

    with Receiver() as receiver:
        hooked = api.post(
            f"{ORDERS}/{order_id}/notifications",
            json={"url": receiver.url_for("/big"), "scope": {"state": ["processing"]}},
        )
        assert hooked.status_code == 201, hooked.text[:300]
        moved, change_s = timed(lambda: api.put(f"{ORDERS}/{order_id}/state", json={"currentStatus": "processing"}))
        assert moved.status_code == 200, moved.text[:300]
        delivered = receiver.wait_for(1, timeout=20)[0]
        payload = json.loads(delivered.body)
        assert len(payload["order"]["cart"]["blob"]) == len(fetched.json()["cart"]["blob"])

    # Merge patches of up to 1 MiB each cannot add up: the stored document is capped at
    # NOTIFY_MAX_ORDER_BYTES (1 MiB) after merging, and every event copies at most that.
    grown = api.patch(f"{ORDERS}/{order_id}", json={"cart": {"blob2": "y" * (MIB - 100)}})
    assert grown.status_code == 413, f"{grown.status_code}: {grown.text[:300]}"
    assert "NOTIFY_MAX_ORDER_BYTES" in grown.json()["detail"]
    stored = run_sql(
        "SELECT octet_length(document::text) FROM orders WHERE merchant = :'m' AND order_id = :'o'::uuid;",
        m=merchant.id,
        o=order_id,
    ).strip()
    events = api.get(EVENTS, params={"orderId": order_id})
    assert events.status_code == 200 and events.elapsed.total_seconds() < FAST
    fault_report(
        "1 MiB order",
        create_s=round(took, 3),
        get_s=round(read_s, 3),
        change_s=round(change_s, 3),
        webhook_bytes=len(delivered.body),
        patch_to_grow=grown.status_code,
        stored_document_bytes=stored,
    )
