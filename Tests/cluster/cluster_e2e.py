"""Helpers of the cluster's fault tests: a load of order changes with every call recorded, Patroni's
view of the primary and the synchronous standby, killing a PostgreSQL, an order with a webhook."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from typing import Any

import requests

from conftest import Cluster
from notify_e2e import ORDERS, PROBLEM_JSON, Api, media_type

REQUEST_TIMEOUT = 20.0
"""Seconds: a client gives up on a request after this; the test requires far less (MAX_LATENCY)."""


@dataclass
class Call:
    """One request of the load: when it started and ended (time.monotonic), and its outcome."""

    method: str
    order_id: str
    started: float
    ended: float
    status: int  # 0: no HTTP answer (connection error or client timeout)
    problem: bool = False
    body: dict[str, Any] | None = None
    error: str = ""

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


@dataclass
class Load:
    """Threads that toggle their orders between processing and checkout with PUT .../state, one
    request at a time per thread, retrying a failed request until it gets a 2xx (as a client
    would), and one thread that creates orders with POST (while `posting` is set)."""

    api: Api
    orders: list[list[str]]
    calls: list[Call] = field(default_factory=list)
    acked: list[tuple[str, str, str]] = field(default_factory=list)  # order id, lastModified, status
    stop: threading.Event = field(default_factory=threading.Event)
    posting: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        for orders in self.orders:
            self.threads.append(threading.Thread(target=self._toggle, args=(orders,), daemon=True))
        self.threads.append(threading.Thread(target=self._post, daemon=True))
        for thread in self.threads:
            thread.start()

    def finish(self, timeout: float = 60.0) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout)
            assert not thread.is_alive(), "a load thread did not finish (a request hangs?)"

    def _call(self, session: requests.Session, method: str, path: str, order_id: str, **kwargs: Any) -> Call:
        headers = dict(self.api.merchant.auth_headers()) if self.api.merchant else {}
        headers.update(kwargs.pop("headers", {}))
        started = time.monotonic()
        try:
            response = session.request(
                method, self.api.base_url + path, headers=headers, timeout=REQUEST_TIMEOUT, **kwargs
            )
            call = Call(method, order_id, started, time.monotonic(), response.status_code)
            if call.ok:
                call.body = response.json()
            elif media_type(response) == PROBLEM_JSON:
                call.problem = response.json().get("status") == call.status
        except requests.RequestException as error:
            call = Call(method, order_id, started, time.monotonic(), 0, error=type(error).__name__)
        with self.lock:
            self.calls.append(call)
        return call

    def _toggle(self, orders: list[str]) -> None:
        session = requests.Session()
        state = {order_id: "checkout" for order_id in orders}
        index = 0
        while not self.stop.is_set():
            order_id = orders[index % len(orders)]
            index += 1
            wanted = "processing" if state[order_id] == "checkout" else "checkout"
            deadline = time.monotonic() + 60
            # Until a 2xx, also after stop is set: the order's last state must be one a client saw.
            while time.monotonic() < deadline:
                call = self._call(
                    session, "PUT", f"{ORDERS}/{order_id}/state", order_id, json={"currentStatus": wanted}
                )
                if call.ok:
                    assert call.body is not None
                    got = call.body["state"]["currentStatus"]
                    with self.lock:
                        self.acked.append((order_id, call.body["lastModified"], got))
                    state[order_id] = got
                    break
                time.sleep(0.05)

    def _post(self) -> None:
        session = requests.Session()
        while not self.stop.is_set():
            if not self.posting.wait(0.1):
                continue
            self._call(session, "POST", ORDERS, "", headers={"X-Channel": "cluster"}, json={"reference": "cluster"})

    def window(self, start: float, end: float, method: str | None = None) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if start <= c.started < end and (method is None or c.method == method)]


def patroni_primary(cluster: Cluster) -> int | None:
    """1 or 2: the node whose Patroni says it is the running primary; None when neither does."""
    for n in (1, 2):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{cluster.port(f'API{n}')}/primary", timeout=2) as answer:
                if answer.status == 200:
                    return n
        except OSError:
            pass
    return None


def sync_standby_ready(cluster: Cluster, primary: int) -> bool:
    rows = cluster.psql("SELECT sync_state FROM pg_stat_replication", cluster.node_conninfo(primary))
    return ["sync"] in rows


def kill_postgres(cluster: Cluster, n: int) -> list[int]:
    """SIGKILLs node n's postmaster and all its children at once; returns their pids."""
    postmaster = int((cluster.state / f"pg{n}" / "data" / "postmaster.pid").read_text().split()[0])
    children = subprocess.run(["pgrep", "-P", str(postmaster)], capture_output=True, text=True).stdout.split()
    pids = [postmaster, *map(int, children)]
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return pids


def new_order_with_hook(api: Api, hook: str) -> str:
    response = api.post(ORDERS, headers={"X-Channel": "cluster"}, json={"reference": "failover"})
    assert response.status_code == 201, f"create order: {response.status_code} {response.text[:300]!r}"
    order_id = response.json()["id"]
    response = api.post(
        f"{ORDERS}/{order_id}/notifications", json={"url": hook, "scope": {"state": ["processing", "checkout"]}}
    )
    assert response.status_code == 201, f"register: {response.status_code} {response.text[:300]!r}"
    return order_id


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]
