"""Helpers of the tools tests (dashboard, notifyctl events/listen/demo, stats): an order whose
change makes one event for a URL, and notifyctl run as a merchant's API client."""

from __future__ import annotations

import os
import subprocess
from typing import Any

from notify_e2e import Merchant, env


def api_env(merchant: Merchant, token: str | None = None) -> dict[str, str]:
    """The environment notifyctl's API commands read, as .state/env sets it, for `merchant`."""
    return dict(
        os.environ,
        NOTIFY_URL=env("NOTIFY_URL"),
        NOTIFY_MERCHANT=merchant.id,
        NOTIFY_TOKEN=token or merchant.token,
        NOTIFY_SIGNING_SECRET=merchant.signing_secret,
    )


def ctl(
    merchant: Merchant, *args: str, token: str | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Runs `notifyctl ARGS` as `merchant`'s API client; returns the finished process."""
    command = [os.path.join(env("NOTIFY_BIN"), "notifyctl"), *args]
    return subprocess.run(command, env=api_env(merchant, token), capture_output=True, text=True, timeout=timeout)


def ok(result: subprocess.CompletedProcess[str]) -> str:
    """The stdout of a notifyctl run that must have exited 0."""
    assert result.returncode == 0, f"exit {result.returncode}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    return result.stdout


def summary(event: dict[str, Any]) -> dict[str, Any]:
    """An event without its bulky parts, for assertion messages."""
    return {k: v for k, v in event.items() if k not in ("attempts", "responseBody", "request")}
