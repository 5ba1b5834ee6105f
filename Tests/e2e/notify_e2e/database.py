"""SQL with psql against the test database (read-only look-ups and set-ups), and PostgreSQL
clusters of a test's own."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
from typing import Any

from .config import PGCTL, env
from .merchants import Merchant


def db_rows(sql: str, **variables: str) -> list[dict[str, Any]]:
    """Runs one SELECT against NOTIFY_DATABASE_URL with psql and returns its rows as dicts.

    Values are passed as psql variables, never spliced into the text: write `:'name'` in `sql`
    for a quoted literal of `variables["name"]`. `sql` is one SELECT without a trailing `;`.
    """
    return sql_json(sql, **variables)


def db_execute(sql: str, **variables: str) -> None:
    """Runs one statement (e.g. a test's clean-up) against NOTIFY_DATABASE_URL, with `:'name'`
    variables as in `db_rows`."""
    args = ["psql", env("NOTIFY_DATABASE_URL"), "-X", "-q", "-v", "ON_ERROR_STOP=1"]
    for name, value in variables.items():
        assert name.isidentifier(), name
        args += ["-v", f"{name}={value}"]
    result = subprocess.run(args, input=sql + ";\n", capture_output=True, text=True, timeout=30)
    if result.returncode != 0:
        raise AssertionError(f"psql exited {result.returncode}: {result.stderr.strip()}\n{sql}")


def order_events(order_id: str) -> list[dict[str, Any]]:
    """The rows of `events` for one order, oldest first, each with `deliveries`: its number of
    rows in `deliveries`."""
    return db_rows(
        "SELECT e.*, (SELECT count(*) FROM deliveries d"
        " WHERE d.merchant = e.merchant AND d.event_id = e.event_id) AS deliveries"
        " FROM events e WHERE e.order_id = :'order_id'::uuid ORDER BY e.created_at, e.event_id",
        order_id=order_id,
    )


def run_sql(script: str, **variables: str) -> str:
    """Runs an SQL script (any statements) against NOTIFY_DATABASE_URL with psql and returns what
    it prints (unaligned, tuples only). Values go in as psql variables, never spliced into the
    text: write `:'name'` for a quoted literal of `variables["name"]`."""
    args = ["psql", env("NOTIFY_DATABASE_URL"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"]
    for name, value in variables.items():
        assert name.isidentifier(), name
        args += ["-v", f"{name}={value}"]
    result = subprocess.run(args, input=script, capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise AssertionError(f"psql exited {result.returncode}: {result.stderr.strip()}\n{script}")
    return result.stdout


def pgctl(command: str, *args: str, timeout: float = 90) -> str:
    """`scripts/pgctl COMMAND $NOTIFY_TEST_STATE/pg ARGS` on the throwaway cluster of scripts/test."""
    cluster = os.path.join(env("NOTIFY_TEST_STATE"), "pg")
    result = subprocess.run([PGCTL, command, cluster, *args], capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0 and command != "status":
        raise AssertionError(f"pgctl {command} exited {result.returncode}: {result.stderr.strip()}")
    return result.stdout if result.returncode == 0 else ""


def postgres_running() -> bool:
    cluster = os.path.join(env("NOTIFY_TEST_STATE"), "pg")
    return subprocess.run([PGCTL, "status", cluster], capture_output=True, timeout=30).returncode == 0


def sql_json(sql: str, conninfo: str | None = None, **variables: str) -> list[dict[str, Any]]:
    """The rows of one SELECT (no trailing `;`) as dicts, via psql, against NOTIFY_DATABASE_URL
    unless `conninfo` is given. Values go in as psql variables: write `:'name'` in `sql`."""
    args = ["psql", conninfo or env("NOTIFY_DATABASE_URL"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"]
    for name, value in variables.items():
        assert name.isidentifier(), name
        args += ["-v", f"{name}={value}"]
    script = f"SELECT coalesce(json_agg(row_to_json(q)), '[]'::json) FROM ({sql}) q;\n"
    result = subprocess.run(args, input=script, capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise AssertionError(f"psql exited {result.returncode}: {result.stderr.strip()}\n{sql}")
    return json.loads(result.stdout)


class PrivateDatabase:
    """A database of a test's own in the cluster of scripts/test (`faults_<hex>`), migrated, with
    its own merchants: for processes (workers, sweeps) that must not share work with the shared
    ones. `drop()` removes it (with FORCE, after the test stopped its processes)."""

    def __init__(self) -> None:
        self.name = "faults_" + secrets.token_hex(4)
        pgctl("createdb", self.name)
        self.conninfo = pgctl("conninfo", self.name).strip()
        self.environment = dict(os.environ, NOTIFY_DATABASE_URL=self.conninfo, NOTIFY_ALLOW_TARGETS="127.0.0.1/32")
        self.notifyctl("migrate")

    def notifyctl(self, *args: str) -> str:
        command = [os.path.join(env("NOTIFY_BIN"), "notifyctl"), *args]
        result = subprocess.run(command, env=self.environment, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, f"{' '.join(command)}: {result.returncode} {result.stderr}"
        return result.stdout

    def create_merchant(self) -> Merchant:
        merchant_id = "faults-" + secrets.token_hex(4)
        data = json.loads(self.notifyctl("merchant", "create", merchant_id).strip().splitlines()[-1])
        return Merchant(id=merchant_id, token=data["token"], signing_secret=data["signingSecret"])

    def rows(self, sql: str, **variables: str) -> list[dict[str, Any]]:
        return sql_json(sql, self.conninfo, **variables)

    def drop(self) -> None:
        postgres = pgctl("conninfo", "postgres").strip()
        subprocess.run(
            ["psql", postgres, "-X", "-q", "-c", f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)"],
            capture_output=True,
            text=True,
            timeout=60,
        )
