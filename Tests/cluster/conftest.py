"""Fixtures of the cluster fault tests (run them with `scripts/test --cluster`).

The `cluster` fixture starts `scripts/cluster --detach` in a folder of its own (etcd, two
Patroni-managed PostgreSQL nodes, two worker hosts behind nginx, two sweeps; loopback only) and
stops it afterwards. NOTIFY_BIN names the binaries (scripts/test passes the debug build).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "Tests" / "e2e"))  # the shared helpers: Api, Receiver, ...

from notify_e2e import Api, Merchant, free_port  # noqa: E402


@dataclass
class Cluster:
    """A running scripts/cluster: its folder, its URL and the values of its `env` file."""

    state: Path
    url: str
    env: dict[str, str]

    def port(self, name: str) -> int:
        """A port from the cluster's `ports` file (PG1, PG2, API1, API2, ETCD, ETCD_PEER)."""
        for line in (self.state / "ports").read_text().splitlines():
            key, _, value = line.partition("=")
            if key == name:
                return int(value)
        raise AssertionError(f"no {name} in {self.state / 'ports'}")

    def pid(self, name: str) -> int:
        return int((self.state / "pids" / f"{name}.pid").read_text().split()[0])

    def api(self) -> Api:
        merchant = Merchant(self.env["NOTIFY_MERCHANT"], self.env["NOTIFY_TOKEN"], self.env["NOTIFY_SIGNING_SECRET"])
        return Api(self.url, merchant)

    def psql(self, sql: str, conninfo: str | None = None) -> list[list[str]]:
        """Runs one SQL text with psql (unaligned, tab-separated); returns the rows' fields."""
        result = subprocess.run(
            [
                "/usr/lib/postgresql/15/bin/psql",
                conninfo or self.env["NOTIFY_DATABASE_URL"],
                "-X",
                "-q",
                "-A",
                "-t",
                "-F",
                "\t",
                "-v",
                "ON_ERROR_STOP=1",
                "-c",
                sql,
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, f"psql exited {result.returncode}: {result.stderr.strip()}\n{sql}"
        return [line.split("\t") for line in result.stdout.splitlines() if line]

    def node_conninfo(self, n: int) -> str:
        return f"host=127.0.0.1 port={self.port(f'PG{n}')} user=notify dbname=notify connect_timeout=2"


def _run_cluster(args: list[str], environment: dict[str, str], timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ROOT / "scripts" / "cluster"), *args], env=environment, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture(scope="session")
def cluster(request: pytest.FixtureRequest) -> Iterator[Cluster]:
    # A short folder name: PostgreSQL's socket path must fit in 107 bytes.
    state = Path(tempfile.mkdtemp(prefix="ncl.", dir="/tmp"))
    os.chmod(state, 0o755)
    port = free_port()
    environment = dict(
        os.environ,
        NOTIFY_CLUSTER_STATE=str(state),
        NOTIFY_HTTP_PORT=str(port),
        NOTIFY_ALLOW_TARGETS="127.0.0.1/32",
        NOTIFY_DELIVERY_TIMEOUT="5",
        # A delivery claimed by a statement whose answer the crash swallowed is sent again after
        # its lease: keep that short so the test sees every delivery within a minute.
        NOTIFY_SWEEP_LEASE="15",
    )
    started = _run_cluster(["--detach"], environment, timeout=400)
    ok = False
    try:
        assert started.returncode == 0, (
            f"scripts/cluster --detach exited {started.returncode}\n{started.stdout[-3000:]}\n{started.stderr[-6000:]}"
        )
        values: dict[str, str] = {}
        for line in (state / "env").read_text().splitlines():
            if line.startswith("export "):
                key, _, value = line[len("export ") :].partition("=")
                values[key] = value.strip("'")
        yield Cluster(state=state, url=f"http://127.0.0.1:{port}", env=values)
        ok = request.session.testsfailed == 0
    finally:
        stopped = _run_cluster(["--stop"], environment, timeout=300)
        if stopped.returncode != 0:
            print(f"scripts/cluster --stop exited {stopped.returncode}: {stopped.stderr[-2000:]}", file=sys.stderr)
        if ok and os.environ.get("NOTIFY_KEEP_CLUSTER") != "1":
            shutil.rmtree(state, ignore_errors=True)
        else:
            print(f"cluster folder kept: {state} (logs in {state / 'logs'})", file=sys.stderr)
