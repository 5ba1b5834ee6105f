"""The application's own SQL, made into pgbench scripts: the baselines run the statements the
application runs, not copies of them."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from .common import BenchError


def statement_sql(bin_dir: Path, name: str) -> str:
    """The SQL of the application's statement `name` (its name in the statement catalog, e.g.
    `deliveries_claim`) as `notifyctl sql NAME` prints it: the text the code prepares."""
    done = subprocess.run([str(bin_dir / "notifyctl"), "sql", name], capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise BenchError(f"notifyctl sql {name} failed (exit {done.returncode}): {done.stderr.strip()}")
    return done.stdout.strip()


def claim_as_cte(claim: str) -> str:
    """`WITH ... <ctes> UPDATE ... RETURNING ...` as `WITH ... <ctes>, claimed AS (UPDATE ...)`."""
    head, separator, update = claim.rpartition("UPDATE deliveries AS d")
    if not separator or not head.lstrip().startswith("WITH"):
        raise BenchError("DeliveryStatements.claim is not WITH ... UPDATE deliveries AS d ...")
    return f"{head.rstrip()},\nclaimed AS (\n{separator}{update}\n)"


def bind(sql: str, values: dict[int, str]) -> str:
    """Replaces $n placeholders with pgbench expressions (values[n])."""

    def replace(match: re.Match) -> str:
        n = int(match.group(1))
        if n not in values:
            raise BenchError(f"no value for ${n} in: {sql[:200]}")
        return values[n]

    return re.sub(r"\$(\d+)", replace, sql)
