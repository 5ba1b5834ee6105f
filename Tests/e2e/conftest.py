"""Fixtures of the end-to-end tests. Run them with scripts/test, which starts the services and
sets NOTIFY_URL, NOTIFY_BIN, NOTIFY_DATABASE_URL, NOTIFY_FCGI_MASTER_PID, NOTIFY_FCGI_SOCKET and
NOTIFY_TEST_STATE. The helpers themselves (Api, Merchant, Receiver, assert_problem, ...) are in
the package notify_e2e/ (one module per concern).
"""

from __future__ import annotations

import os
import secrets
import signal
from collections.abc import Callable, Iterator

import pytest

from notify_e2e import Api, Merchant, Receiver, assert_healthy, create_merchant, env

# The dashboard tests' fixtures (`browser`, `page`), defined beside their Page helper.
pytest_plugins = ["dashboard_e2e"]


@pytest.fixture(scope="session")
def base_url() -> str:
    """Notify's URL through nginx, e.g. http://127.0.0.1:PORT (from NOTIFY_URL)."""
    url = env("NOTIFY_URL").rstrip("/")
    assert url.startswith(("http://127.0.0.1", "http://localhost", "http://[::1]")), (
        f"end-to-end tests only talk to this machine, not {url}"
    )
    return url


@pytest.fixture(scope="session")
def healthy(base_url: str) -> Callable[[], None]:
    """Call it to assert that /healthz still answers 200."""
    return lambda: assert_healthy(base_url)


@pytest.fixture
def merchant_factory() -> Callable[[], Merchant]:
    """Makes fresh merchants with random ids (`e2e-<hex>`) through notifyctl."""

    def make() -> Merchant:
        return create_merchant("e2e-" + secrets.token_hex(6))

    return make


@pytest.fixture
def merchant(merchant_factory: Callable[[], Merchant]) -> Merchant:
    """A fresh merchant: id, token and signing secret."""
    return merchant_factory()


@pytest.fixture
def anonymous(base_url: str) -> Iterator[Api]:
    """Requests without authentication headers."""
    api = Api(base_url)
    yield api
    api.session.close()


@pytest.fixture
def api(base_url: str, merchant: Merchant) -> Iterator[Api]:
    """Requests authenticated as the `merchant` fixture."""
    client = Api(base_url, merchant)
    yield client
    client.session.close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A started webhook Receiver on 127.0.0.1 that answers 200 "ok" until told otherwise."""
    with Receiver() as r:
        yield r


from notify_e2e import Sweep  # noqa: E402 - with the fixture that uses it


@pytest.fixture
def sweeps(tmp_path) -> Iterator[Callable[..., Sweep]]:
    """Starts notify-sweep processes of the test's own: `sweeps("--lease", "3")` returns a started
    Sweep (log in tmp_path). Every one still running at the end is stopped (SIGTERM, then SIGKILL)."""
    started: list[Sweep] = []

    def start(*args: str, extra_env: dict[str, str] | None = None) -> Sweep:
        sweep = Sweep(*args, log_path=str(tmp_path / f"sweep-{len(started)}.log"), extra_env=extra_env)
        started.append(sweep)
        return sweep.start()

    try:
        yield start
    finally:
        for sweep in started:
            sweep.stop()


@pytest.fixture
def shared_sweep_paused() -> Iterator[None]:
    """Stops the shared `--follow` sweep of scripts/test (SIGSTOP) for the test, so that only the
    test's own sweeps claim; it continues (SIGCONT) at the end."""
    with open(os.path.join(env("NOTIFY_TEST_STATE"), "pids", "notify-sweep.pid"), encoding="utf-8") as f:
        shared = int(f.read().strip())
    os.kill(shared, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(shared, signal.SIGCONT)


@pytest.fixture
def own_sweep(shared_sweep_paused: None, sweeps: Callable[..., Sweep]) -> Callable[..., Sweep]:
    """`own_sweep(NAME=value, ...)` starts a `--follow` sweep with those settings while the shared
    one is stopped, so that only a sweep with known settings delivers; `sweeps` stops it at the end,
    before the shared one continues."""
    return lambda **settings: sweeps("--follow", extra_env=settings)


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """The fault tests (test_faults_*.py, issue 8) run after all others: they restart Postgres,
    kill workers and load the machine. Each still leaves the shared services healthy."""
    items.sort(key=lambda item: item.path.name.startswith("test_faults_"))
