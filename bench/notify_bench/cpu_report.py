"""The CPU lines of the report: each figure's CPU time per operation beside its baselines', and the
`cpu_us` member of the `bench: {json}` line."""

from __future__ import annotations


def cpu_lines(r: dict) -> tuple[list[str], dict]:
    """The CPU cost per operation of each figure and its baseline, and the ratio of the two (the
    baseline's cost over the figure's): what the throughput ratio approaches on an idle machine.
    A figure without a baseline shows its own cost only."""

    def parts(x: dict) -> str:
        return " + ".join(f"{k} {v:,.0f}" for k, v in x.items() if k != "total") + f" = {x['total']:,.0f}"

    rows = [
        ("1 API read, per request", r["read"]["api_cpu_us"], "hello world", r["read"]["hello_cpu_us"], "api_read"),
        (
            "1 API read rendering, per request",
            r["read"]["render_cpu_us"],
            "hello world",
            r["read"]["hello_cpu_us"],
            "api_read_render",
        ),
        (
            "1 API read rendering, per request",
            r["read"]["render_cpu_us"],
            "same work (events_fcgi)",
            r["read"]["same_work_cpu_us"],
            "api_read_same_work",
        ),
        (
            "1 ceiling, per request",
            r["read"]["ceiling_cpu_us"],
            "hello world",
            r["read"]["hello_cpu_us"],
            "api_read_ceiling",
        ),
        (
            "1 one lookup, per request",
            r["read"]["one_lookup_cpu_us"],
            "hello world",
            r["read"]["hello_cpu_us"],
            "api_read_one_lookup",
        ),
        ("2 API write, per change", r["write"]["api_cpu_us"], "pgbench", r["write"]["pgbench_cpu_us"], "api_write"),
        ("3 sweep, per delivery", r["sweep"]["sweep_cpu_us"], "pgbench", r["sweep"]["pgbench_cpu_us"], "sweep"),
        (
            "3 sweep, per delivery",
            r["sweep"]["sweep_cpu_us"],
            "same work (sweep_curl)",
            r["sweep"]["same_work_cpu_us"],
            "sweep_same_work",
        ),
        ("3 sweep, one destination", r["sweep_one"]["sweep_cpu_us"], "", None, "sweep_one_destination"),
        ("4 latency, per change", r["latency"]["cpu_us"], "", None, "latency"),
        (
            "5 API read (history)",
            r["read_history"]["api_cpu_us"],
            "hello world",
            r["read_history"]["hello_cpu_us"],
            "history_api_read",
        ),
        (
            "5 sweep (history)",
            r["sweep_history"]["sweep_cpu_us"],
            "pgbench",
            r["sweep_history"]["pgbench_cpu_us"],
            "history_sweep",
        ),
        (
            "7 GET /metrics (history)",
            r["metrics_cpu_us"]["history"],
            "empty database",
            r["metrics_cpu_us"]["empty"],
            "metrics_history",
        ),
        ("7 housekeeping, per run", r["housekeeping"]["cpu_us"], "", None, "housekeeping"),
    ]
    lines, data = [], {}
    width = max(len(row[0]) for row in rows)
    for label, mine, base_name, base, key in rows:
        if base is None:
            lines.append(f"  {label:<{width}}  {parts(mine)}")
            data[key] = {"figure": mine}
            continue
        ratio = base["total"] / mine["total"] if mine.get("total") else 0.0
        lines.append(f"  {label:<{width}}  {parts(mine)}   |  {base_name}: {parts(base)}   ->  {ratio:.2f}")
        data[key] = {"figure": mine, "baseline": base, "cpu_ratio": round(ratio, 3)}
    return lines, data
