"""`notifyctl sql NAME` (issue 15): the SQL text of a statement of the service's catalog, exactly as
the code prepares it, so that tools outside Swift (the benchmark's pgbench baselines) run the
service's statements instead of copies. It needs no database."""

from __future__ import annotations

import os
import re
import subprocess

from notify_e2e import env


def notifyctl(*args: str) -> subprocess.CompletedProcess[str]:
    """Runs `notifyctl ARGS` with no database setting at all."""
    command = [os.path.join(env("NOTIFY_BIN"), "notifyctl"), *args]
    return subprocess.run(command, env={"PATH": os.environ.get("PATH", "")}, capture_output=True, text=True, timeout=60)


def test_list_names_every_statement_once() -> None:
    listed = notifyctl("sql", "--list")
    assert listed.returncode == 0, listed.stderr
    names = listed.stdout.splitlines()
    assert len(names) > 50, names
    assert len(set(names)) == len(names), "a name is listed twice"
    assert all(re.fullmatch(r"[a-z0-9_]+", name) for name in names), names
    for name in ("connection_ping", "transaction_begin", "order_lock", "deliveries_claim", "history_drop"):
        assert name in names, name


def test_prints_the_sql_of_a_named_statement() -> None:
    ping = notifyctl("sql", "connection_ping")
    assert (ping.returncode, ping.stdout) == (0, "SELECT 1 AS alive\n"), ping.stderr
    claim = notifyctl("sql", "deliveries_claim")
    assert claim.returncode == 0, claim.stderr
    assert claim.stdout.startswith("WITH RECURSIVE"), claim.stdout[:200]
    assert "FOR UPDATE SKIP LOCKED" in claim.stdout and "$4::uuid" in claim.stdout, claim.stdout
    assert "\\(" not in claim.stdout, "Swift interpolation left in the text"


def test_an_unknown_name_or_no_name_is_an_error() -> None:
    unknown = notifyctl("sql", "no_such_statement")
    assert unknown.returncode == 2 and unknown.stdout == "", unknown
    assert "no statement named 'no_such_statement'" in unknown.stderr and "--list" in unknown.stderr
    neither = notifyctl("sql")
    assert neither.returncode != 0 and neither.stdout == "", neither
    both = notifyctl("sql", "--list", "connection_ping")
    assert both.returncode != 0 and both.stdout == "", both
