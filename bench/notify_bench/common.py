"""The log, the error type and the small statistics every part of the bench uses."""

from __future__ import annotations

import math
import os
import statistics
import sys
import time
import urllib.parse
from pathlib import Path

T0 = time.monotonic()
LOG_FILE: Path | None = None  # set by main: BENCH_TMP/logs/bench.log


def log(message: str) -> None:
    line = f"[bench {time.monotonic() - T0:6.1f}s] {message}"
    print(line, file=sys.stderr, flush=True)
    if LOG_FILE:
        with open(LOG_FILE, "a", encoding="utf-8") as f:
            f.write(line + "\n")


class BenchError(Exception):
    pass


def env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise BenchError(f"{name} is not set (run scripts/bench)")
    return value


def loopback(url: str) -> str:
    host = urllib.parse.urlsplit(url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise BenchError(f"the bench only talks to this machine, not {url}")
    return url.rstrip("/")


def median_min_max(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "runs": values}


def median_parts(runs: list[dict[str, float]]) -> dict[str, float]:
    """The median of each part over runs."""
    return {key: round(statistics.median(run[key] for run in runs), 1) for key in runs[0]} if runs else {}


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def loadavg() -> str:
    with open("/proc/loadavg", encoding="ascii") as f:
        return " ".join(f.read().split()[:3])
