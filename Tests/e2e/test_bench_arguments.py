"""scripts/bench refuses the arguments it cannot honour before it installs, builds or starts
anything, with a message and exit status 1: a figure `--only` does not know (or none), a `--compare`
folder without a notify-sweep binary, and `--compare` without `--only sweep`."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from notify_e2e import ROOT


def bench(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ROOT / "scripts" / "bench"), *args], capture_output=True, text=True, timeout=30, check=False
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--only", "nonsense"], "--only needs read, write, sweep or latency"),
        (["--only"], "--only needs read, write, sweep or latency"),
        (["--compare", "/nonexistent-notify-build"], "--compare needs a folder with a notify-sweep binary"),
    ],
)
def test_bench_refuses_an_argument_it_cannot_honour(args: list[str], message: str) -> None:
    done = bench(*args)
    assert done.returncode == 1, done.stdout + done.stderr
    assert message in done.stderr


def test_bench_compares_builds_only_for_the_sweep(tmp_path: Path) -> None:
    other = tmp_path / "notify-sweep"
    other.write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")
    other.chmod(0o755)
    done = bench("--only", "read", "--compare", str(tmp_path))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "--compare goes with --only sweep" in done.stderr
