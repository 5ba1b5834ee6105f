"""The report: the summary (the figures of the `bench: {json}` line), the table with the goals, and
the machine it ran on (the CPU lines are in cpu_report)."""

from __future__ import annotations

import os
import platform

from .config import GOALS, RETENTION_DAYS, RETENTION_SIM_DAYS


def summary(r: dict, cfg: dict) -> dict:
    s = {
        "api_read_rps": r["read"]["api"]["median"],
        "api_read_ratio": r["read"]["ratio"]["median"],
        "hello_rps": r["read"]["hello"]["median"],
        "api_read_same_work_ratio": r["read"]["same_work_ratio"]["median"],
        "same_work_read_rps": r["read"]["same_work"]["median"],
        # the API rendering every read (no kept pages): the work the same-work ratio compares
        "api_read_render_rps": r["read"]["render"]["median"],
        "api_read_render_ratio": r["read"]["render_ratio"]["median"],
        # the same answer from C with no database over the hello world: the highest api_read_ratio
        "api_read_ceiling_ratio": r["read"]["ceiling_ratio"]["median"],
        "ceiling_read_rps": r["read"]["ceiling"]["median"],
        # that answer kept rendered in the database, read with the token check in one statement: the
        # highest api_read_ratio of a worker that keeps its state in PostgreSQL
        "api_read_one_lookup_ratio": r["read"]["one_lookup_ratio"]["median"],
        "one_lookup_read_rps": r["read"]["one_lookup"]["median"],
        "api_write_per_s": r["write"]["api"]["median"],
        "api_write_ratio": r["write"]["ratio"]["median"],
        "pgbench_write_tps": r["write"]["pgbench"]["median"],
        # the orders' documents after an API run and the one pgbench writes: the same work needs both alike
        "api_write_document_bytes": r["write"]["api_document_bytes"]["median"],
        "pgbench_write_document_bytes": r["write"]["pgbench_document_bytes"],
        "sweep_per_s": r["sweep"]["sweep"]["median"],
        "sweep_ratio": r["sweep"]["ratio"]["median"],
        "pgbench_sweep_per_s": r["sweep"]["pgbench"]["median"],
        "sweep_same_work_ratio": r["sweep"]["same_work_ratio"]["median"],
        "same_work_sweep_per_s": r["sweep"]["same_work"]["median"],
        "sweep_one_destination_per_s": r["sweep_one"]["sweep"]["median"],
        "latency_p50_ms": r["latency"]["p50"]["median"],
        "latency_p99_ms": r["latency"]["p99"]["median"],
        "latency_max_ms": r["latency"]["max"],
        "history_api_rps": r["read_history"]["api"]["median"],
        "history_api_ratio": r["read_history"]["api"]["median"] / r["read"]["api"]["median"],
        "history_api_ratio_vs_hello": r["read_history"]["ratio"]["median"] / r["read"]["ratio"]["median"],
        "history_api_same_work_ratio": r["read_history"]["same_work_ratio"]["median"],
        "history_sweep_per_s": r["sweep_history"]["sweep"]["median"],
        "history_sweep_ratio": r["sweep_history"]["sweep"]["median"] / r["sweep"]["sweep"]["median"],
        "history_pgbench_sweep_ratio": r["sweep_history"]["pgbench"]["median"] / r["sweep"]["pgbench"]["median"],
        "history_sweep_same_work_ratio": r["sweep_history"]["same_work_ratio"]["median"],
        "worker_rss_mib": r["worker_rss_mib"],
        "sweep_rss_mib": r["sweep"]["rss_mib"]["max"],
        "retention_size_ratio": r["retention"]["ratio"],
        "housekeeping_s": r["housekeeping"]["seconds"],
        "metrics_empty_ms": r["metrics_empty_ms"],
        "metrics_history_ms": r["metrics_history_ms"],
        # latency on the empty database over latency with the history: 1 = history costs nothing
        "metrics_history_ratio": r["metrics_empty_ms"] / r["metrics_history_ms"],
        # figure 8: (statuses other than 2xx and 503, and socket errors) / requests tried
        "overload_error_ratio": r["overload"]["error_ratio"]["median"],
        "overload_p99_ms": r["overload"]["p99_ms"]["median"],
        "overload_ok_per_s": r["overload"]["ok_per_s"]["median"],
        "overload_503_share": r["overload"]["unavailable_share"]["median"],
        "overload_cpu_us_per_answer": r["overload"]["cpu_us"].get("total", 0.0),
    }
    return {k: round(v, 3) if isinstance(v, float) else v for k, v in s.items()}


def goal_text(key: str) -> str:
    op, value = GOALS[key]
    if op == "within":
        return f"1 ± {value:g}"
    return f"{op} {value:g}"


def goal_met(key: str, value: float) -> bool:
    op, limit = GOALS[key]
    if op == "within":
        return abs(value - 1) <= limit
    if op == "==":
        return value == limit
    return value >= limit if op == ">=" else value < limit


def fmt(value: float, digits: int = 0) -> str:
    return f"{value:,.{digits}f}"


def table(r: dict, s: dict, cfg: dict, mode: str) -> list[str]:
    rows = []  # (figure, median, min, max, baseline, ratio, goal key(s))

    def mmm(x: dict, digits=0):
        return fmt(x["median"], digits), fmt(x["min"], digits), fmt(x["max"], digits)

    events = f"{r['small_events']:,}"
    history = f"+{cfg['history']:,}"
    rows.append(
        (
            "1 API read, req/s (wrk -t2 -c32, " + events + " events)",
            *mmm(r["read"]["api"]),
            "hello " + fmt(r["read"]["hello"]["median"]),
            fmt(r["read"]["ratio"]["median"], 2),
            ["api_read_ratio"],
        )
    )
    rows.append(
        (
            "1 API read rendering every read (NOTIFY_KEEP_EVENT_PAGES=0), req/s",
            *mmm(r["read"]["render"]),
            "hello " + fmt(r["read"]["hello"]["median"]),
            fmt(s["api_read_render_ratio"], 2),
            [],
        )
    )
    rows.append(
        (
            "1 same work in C (events_fcgi), req/s",
            *mmm(r["read"]["same_work"]),
            "rendering " + fmt(r["read"]["render"]["median"]),
            fmt(s["api_read_same_work_ratio"], 2),
            ["api_read_same_work_ratio"],
        )
    )
    rows.append(
        (
            "1 ceiling: the same answer from C, no database (static_fcgi), req/s",
            *mmm(r["read"]["ceiling"]),
            "hello " + fmt(r["read"]["hello"]["median"]),
            fmt(s["api_read_ceiling_ratio"], 2),
            [],
        )
    )
    rows.append(
        (
            "1 one lookup: the answer kept in PostgreSQL (static_fcgi), req/s",
            *mmm(r["read"]["one_lookup"]),
            "hello " + fmt(r["read"]["hello"]["median"]),
            fmt(s["api_read_one_lookup_ratio"], 2),
            [],
        )
    )
    rows.append(
        (
            "2 API write, changes/s (wrk -t2 -c32)",
            *mmm(r["write"]["api"]),
            "pgbench " + fmt(r["write"]["pgbench"]["median"]),
            fmt(r["write"]["ratio"]["median"], 2),
            ["api_write_ratio"],
        )
    )
    rows.append(
        (
            f"3 sweep, deliveries/s ({cfg['sweep_deliveries']:,} due, 16 destinations, 204)",
            *mmm(r["sweep"]["sweep"]),
            "pgbench " + fmt(r["sweep"]["pgbench"]["median"]),
            fmt(r["sweep"]["ratio"]["median"], 2),
            ["sweep_per_s", "sweep_ratio"],
        )
    )
    rows.append(
        (
            "3 same work in C (sweep_curl), deliveries/s",
            *mmm(r["sweep"]["same_work"]),
            "sweep " + fmt(r["sweep"]["sweep"]["median"]),
            fmt(s["sweep_same_work_ratio"], 2),
            ["sweep_same_work_ratio"],
        )
    )
    rows.append(("3 sweep to one destination, deliveries/s", *mmm(r["sweep_one"]["sweep"]), "", "", []))
    rows.append(
        (
            f"4 latency p50, ms ({cfg['latency_changes']:,} changes at {cfg['latency_rate']}/s)",
            *mmm(r["latency"]["p50"], 1),
            "",
            "",
            ["latency_p50_ms"],
        )
    )
    rows.append(
        (
            "4 latency p99, ms",
            *mmm(r["latency"]["p99"], 1),
            "max " + fmt(r["latency"]["max"], 1),
            "",
            ["latency_p99_ms"],
        )
    )
    rows.append(
        (
            f"5 API read, req/s ({history} history)",
            *mmm(r["read_history"]["api"]),
            "hello " + fmt(r["read_history"]["hello"]["median"]),
            fmt(s["history_api_ratio"], 2),
            ["history_api_ratio"],
        )
    )
    rows.append(
        (
            f"5 sweep, deliveries/s ({history} history)",
            *mmm(r["sweep_history"]["sweep"]),
            "pgbench " + fmt(r["sweep_history"]["pgbench"]["median"]),
            fmt(s["history_sweep_ratio"], 2),
            ["history_sweep_ratio"],
        )
    )
    rows.append(
        ("6 peak RSS of a worker after fig. 1, MiB", fmt(s["worker_rss_mib"], 1), "", "", "", "", ["worker_rss_mib"])
    )
    rows.append(("6 peak RSS of the sweep in fig. 3, MiB", *mmm(r["sweep"]["rss_mib"], 1), "", "", ["sweep_rss_mib"]))
    rows.append(
        (
            f"7 history size, day {RETENTION_SIM_DAYS} / day {RETENTION_DAYS} "
            f"({cfg['retention_per_day']:,} events a day, {RETENTION_DAYS} days kept)",
            fmt(s["retention_size_ratio"], 3),
            "",
            "",
            "",
            "",
            ["retention_size_ratio"],
        )
    )
    rows.append(
        (
            f"7 housekeeping (drop + create), s ({history} history)",
            fmt(s["housekeeping_s"], 3),
            "",
            "",
            "",
            "",
            ["housekeeping_s"],
        )
    )
    rows.append(
        (
            f"7 GET /metrics, ms ({history} history)",
            fmt(s["metrics_history_ms"], 2),
            "",
            "",
            "empty " + fmt(s["metrics_empty_ms"], 2),
            fmt(s["metrics_history_ratio"], 2),
            ["metrics_history_ratio"],
        )
    )
    overload = f"wrk -t4 -c{r['overload']['connections']:,}, {r['overload']['seconds']} s"
    rows.append(
        (
            f"8 overload, error ratio ({overload}, events read)",
            *mmm(r["overload"]["error_ratio"], 4),
            "503 share " + fmt(s["overload_503_share"], 2),
            "",
            ["overload_error_ratio"],
        )
    )
    rows.append(
        (
            "8 overload p99, ms (503s included)",
            *mmm(r["overload"]["p99_ms"]),
            "2xx/s " + fmt(s["overload_ok_per_s"]),
            "",
            [],
        )
    )
    header = ("figure", "median", "min", "max", "baseline (median)", "ratio", "goal", "met")
    lines_out = []
    body = []
    for figure, med, lo, hi, baseline, ratio, keys in rows:
        goal = ", ".join(goal_text(k) if not k.endswith("ratio") else "ratio " + goal_text(k) for k in keys)
        met = ("yes" if all(goal_met(k, s[k]) for k in keys) else "NO") if keys else ""
        body.append((figure, med, lo, hi, baseline, ratio, goal, met))
    widths = [max(len(str(row[i])) for row in [header, *body]) for i in range(len(header))]
    align = ["<", ">", ">", ">", ">", ">", "<", "<"]

    def line(row):
        return "  ".join(f"{str(v):{a}{w}}" for v, a, w in zip(row, align, widths, strict=True)).rstrip()

    lines_out.append(line(header))
    lines_out.append("  ".join("-" * w for w in widths))
    lines_out.extend(line(row) for row in body)
    return lines_out


def machine() -> str:
    model = ""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    with open("/proc/meminfo", encoding="ascii") as f:
        mem_kib = int(f.readline().split()[1])
    return f"{os.cpu_count()} cores ({model}), {mem_kib / 1024 / 1024:.0f} GiB, {platform.platform()}"
