"""notifyctl, and the merchants (with their tokens) it creates."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from typing import Any

from .config import env


def notifyctl(*args: str, check: bool = True, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """Runs `$NOTIFY_BIN/notifyctl ARGS` against the test database, with `stdin` as its standard
    input; returns the finished process."""
    command = [os.path.join(env("NOTIFY_BIN"), "notifyctl"), *args]
    environment = dict(os.environ, NOTIFY_DATABASE_URL=env("NOTIFY_DATABASE_URL"))
    result = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=60, input=stdin)
    if check and result.returncode != 0:
        raise AssertionError(
            f"{' '.join(command)} exited {result.returncode}\nstdout: {result.stdout}\nstderr: {result.stderr}"
        )
    return result


def notifyctl_json(*args: str) -> dict[str, Any]:
    """Runs notifyctl and parses the one JSON line it prints."""
    out = notifyctl(*args).stdout.strip().splitlines()
    assert out, f"notifyctl {' '.join(args)} printed nothing"
    return json.loads(out[-1])


@dataclass(frozen=True)
class Merchant:
    """A merchant made by `notifyctl merchant create`, with its first token and signing secret."""

    id: str
    token: str
    signing_secret: str

    def auth_headers(self, token: str | None = None) -> dict[str, str]:
        return {"X-Merchant": self.id, "Authorization": f"Bearer {token or self.token}"}


def create_merchant(merchant_id: str) -> Merchant:
    data = notifyctl_json("merchant", "create", merchant_id)
    assert data["merchant"] == merchant_id, data
    assert data["signingSecret"].startswith("whsec_"), data
    return Merchant(id=merchant_id, token=data["token"], signing_secret=data["signingSecret"])
