"""The application's own SQL, made into pgbench scripts: the baselines run the statements the
application runs, not copies of them."""

from __future__ import annotations

import re
from pathlib import Path

from .common import BenchError


def swift_statements(path: Path) -> dict[str, str]:
    """The SQL of `static let NAME = Statement("name", ...)` declarations in a Swift file, by NAME:
    the pgbench baselines run the application's own statements, not copies of them."""
    text = path.read_text(encoding="utf-8")
    found = {}
    pattern = re.compile(
        r'static let (\w+) = Statement\(\s*"[\w-]+",\s*(?:"""\n(.*?)"""|"((?:[^"\\]|\\.)*)")\s*\)', re.S
    )
    for match in pattern.finditer(text):
        sql = match.group(2) if match.group(2) is not None else match.group(3)
        if "\\(" in sql:
            continue  # interpolated Swift strings are not plain SQL
        found[match.group(1)] = sql.strip()
    return found


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
