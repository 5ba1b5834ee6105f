"""The order of the run and the report: scripts/bench runs this through bench/bench.py."""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import sys
import time
from pathlib import Path

import notify_bench

from . import common, loading
from .common import BenchError, env, loadavg, log
from .config import GOALS, MODES
from .context import Bench
from .cpu_report import cpu_lines
from .figures import latency, overload, read, retention, sweep, write
from .report import goal_met, machine, summary, table


def run(b: Bench, hold: int = 0) -> dict:
    """The set-up and the figures, in order (some figures build on the data of the ones before)."""
    loading.setup(b)
    if hold:
        b.hold(hold)
    r = b.results
    r["read"] = read.figure_read(b, "read", ceiling=True)
    r["worker_rss_mib"] = b.worker_rss_mib()
    log(f"worker peak RSS after figure 1: {r['worker_rss_mib']:.1f} MiB")
    r["overload"] = overload.figure_overload(b)
    r["write"] = write.figure_write(b)
    loading.setup_sweep(b)
    r["sweep"] = sweep.figure_sweep(b, "sweep")
    r["sweep_one"] = sweep.figure_sweep_one_destination(b)
    r["latency"] = latency.figure_latency(b)
    loading.load_history(b)
    r["read_history"] = read.figure_read(b, "read (history)")
    r["sweep_history"] = sweep.figure_sweep(b, "sweep (history)")
    # The sweep just emptied the queue; its dead rows are the queue's cost, not the history's, and
    # autovacuum takes them: vacuum it as before each sweep run.
    b.db.psql("VACUUM (ANALYZE) deliveries", timeout=600)
    r["metrics_history_ms"], r["metrics_empty_ms"] = b.metrics_latency()
    r["housekeeping"] = retention.figure_housekeeping(b)
    r["retention"] = retention.figure_retention(b)
    r["worker_rss_mib_end"] = b.worker_rss_mib()
    return r


def only_sweep(b: Bench, compare: Path | None = None) -> dict:
    loading.setup_sweep(b)
    if compare:
        return sweep.compare_sweeps(b, compare)
    return sweep.figure_sweep(b, "sweep")


# The figures `--only` runs alone after the set-up (a profiling aid: no report, no goals).
ONLY = {
    "read": lambda b: read.figure_read(b, "read", ceiling=True),
    "write": write.figure_write,
    "sweep": only_sweep,
    "latency": latency.figure_latency,
}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=notify_bench.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mode", choices=sorted(MODES), default="full")
    parser.add_argument("--runs", type=int)
    parser.add_argument("--report", required=True)
    parser.add_argument("--hold", type=int, default=0, help="seconds to wait after the set-up (profiling)")
    parser.add_argument("--only", choices=sorted(ONLY), help="the set-up and this figure, logged as JSON (profiling)")
    parser.add_argument("--compare", type=Path, help="with --only sweep: A/B against the binaries in this folder")
    options = parser.parse_args()
    common.LOG_FILE = Path(env("BENCH_TMP")) / "logs" / "bench.log"
    for tool in ("wrk",):
        if not shutil.which(tool):
            raise BenchError(f"{tool} is not installed")

    bench = Bench(options.mode, options.runs)
    load_before = loadavg()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        if options.only:
            loading.setup(bench)
            if options.compare and options.only != "sweep":
                raise BenchError("--compare goes with --only sweep")
            results = only_sweep(bench, options.compare) if options.compare else ONLY[options.only](bench)
            log(f"{options.only}: " + json.dumps(results, sort_keys=True))
            if options.hold:
                bench.hold(options.hold)
            Path(options.report).write_text(json.dumps(results, sort_keys=True) + "\n", encoding="utf-8")
            return 0
        r = run(bench, options.hold)
    finally:
        bench.stop_children()
    cfg = bench.cfg
    s = summary(r, cfg)
    s["mode"] = options.mode
    s["runs"] = cfg["runs"]
    s["small_events"] = r["small_events"]
    s["history_events"] = cfg["history"]
    s["sweep_deliveries"] = cfg["sweep_deliveries"]
    s["load_history_s"] = round(bench.timings.get("load_history_s", 0), 1)
    s["goals_missed"] = [k for k in GOALS if not goal_met(k, s[k])]
    s["elapsed_s"] = round(time.monotonic() - common.T0, 1)
    cpu_text, cpu_data = cpu_lines(r)
    s["cpu_us"] = cpu_data

    out = [
        "",
        f"Notify benchmarks ({options.mode}; median of {cfg['runs']} run(s), min and max; each baseline run "
        "alternately with its figure)",
        f"machine: {machine()}; load average {load_before} before, {loadavg()} after",
        "",
        *table(r, s, cfg, options.mode),
        "",
        "CPU time per operation in microseconds, all processes involved (median over runs), and the baseline's",
        "total over the figure's (the ratio the throughput ratio approaches when nothing else runs):",
        *cpu_text,
        "",
        f"history: {cfg['history']:,} events + attempts loaded in {s['load_history_s']} s "
        f"({r.get('history_sizes', '')}); API read over history normalised by the hello world: "
        f"{s['history_api_ratio_vs_hello']:.2f}; pgbench claim+complete over history: "
        f"{s['history_pgbench_sweep_ratio']:.2f} of the small database",
        f"worker peak RSS at the end: {r['worker_rss_mib_end']:.1f} MiB; latency max {s['latency_max_ms']:.1f} ms; "
        f"goals missed: {', '.join(s['goals_missed']) or 'none'}; bench took {s['elapsed_s']:.0f} s",
        "bench: " + json.dumps(s, sort_keys=True),
    ]
    Path(options.report).write_text("\n".join(out) + "\n", encoding="utf-8")
    log("done")
    return 0


def entry() -> int:
    """main, with a BenchError logged as the reason of the failure (exit status 1)."""
    try:
        return main()
    except BenchError as error:
        log(f"error: {error}")
        return 1
