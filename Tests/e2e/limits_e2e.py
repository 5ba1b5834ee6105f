"""Helpers of the size-limit fault tests (test_faults_limits*.py): timing a call, and the limits."""

from __future__ import annotations

import time
from typing import Any

import requests

FAST = 2.0
"""Seconds a read may take at these sizes (debug build, shared 2-core machine)."""


def timed(call: Any) -> tuple[requests.Response, float]:
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started
