"""What each mode runs, the goals, and the constants of the data the bench loads."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
BENCH = ROOT / "bench"

# What each mode runs. `small_events`: events (with attempts) in the database for figure 1;
# `sweep_deliveries`: due deliveries for figure 3; `history`: events + attempts for figure 5;
# `retention_per_day`: events (with an attempt each) per simulated day of figure 7;
# `metrics_requests`: sequential GET /metrics per latency measurement (figure 7);
# `overload_*`: wrk's connections, seconds and runs of figure 8.
MODES = {
    "full": dict(
        runs=3,
        small_events=100_000,
        wrk_seconds=6,
        write_seconds=6,
        write_orders=4_000,
        sweep_deliveries=100_000,
        latency_changes=1_000,
        latency_rate=100,
        latency_orders=200,
        history=5_000_000,
        warmup_seconds=2,
        retention_per_day=20_000,
        metrics_requests=300,
        overload_connections=5000,
        overload_seconds=10,
        overload_runs=3,
    ),
    "quick": dict(
        runs=3,
        small_events=20_000,
        wrk_seconds=3,
        write_seconds=3,
        write_orders=2_000,
        sweep_deliveries=10_000,
        latency_changes=300,
        latency_rate=100,
        latency_orders=100,
        history=300_000,
        warmup_seconds=1,
        retention_per_day=4_000,
        metrics_requests=200,
        overload_connections=5000,
        overload_seconds=10,
        overload_runs=1,
    ),
    "smoke": dict(
        runs=1,
        small_events=2_000,
        wrk_seconds=1,
        write_seconds=1,
        write_orders=200,
        sweep_deliveries=1_000,
        latency_changes=20,
        latency_rate=50,
        latency_orders=20,
        history=10_000,
        warmup_seconds=0,
        retention_per_day=200,
        metrics_requests=50,
        overload_connections=200,
        overload_seconds=1,
        overload_runs=1,
    ),
}

GOALS = {
    "api_read_ratio": (">=", 0.3),
    "api_read_same_work_ratio": (">=", 0.8),
    "api_write_ratio": (">=", 0.6),
    "sweep_per_s": (">=", 10000),
    "sweep_ratio": (">=", 0.5),
    "sweep_same_work_ratio": (">=", 0.7),
    "latency_p50_ms": ("<", 5),
    "latency_p99_ms": ("<", 25),
    "history_api_ratio": (">=", 0.95),
    "history_sweep_ratio": (">=", 0.95),
    "worker_rss_mib": ("<", 20),
    "sweep_rss_mib": ("<", 64),
    "retention_size_ratio": ("within", 0.1),
    "housekeeping_s": ("<", 1),
    "metrics_history_ratio": (">=", 0.9),
    "overload_error_ratio": ("==", 0),
}

# Figure 7's simulated traffic: RETENTION_SIM_DAYS days, NOTIFY_RETENTION_DAYS = RETENTION_DAYS,
# placed RETENTION_SIM_OFFSET days before today (older than any other history of the bench).
RETENTION_DAYS = 30
RETENTION_SIM_DAYS = 60
RETENTION_SIM_OFFSET = 200

MERCHANT = "bench"  # figures 1, 2, 4 and the history
SWEEP_MERCHANT = "bench-sweep"  # the due deliveries of figures 3 and 5, over 16 destinations
SWEEP_ONE_MERCHANT = "bench-sweep-one"  # figure 3's deliveries to one destination
CHANNEL = "web"
ORDER_BODY = {
    "reference": "bench-order",
    "culture": "nb-NO",
    "currency": "NOK",
    "country": "NO",
    "cart": {
        "items": [
            {"sku": "A-100", "name": "Coffee beans 1 kg", "quantity": 2, "price": 34900},
            {"sku": "B-200", "name": "Grinder", "quantity": 1, "price": 129900},
            {"sku": "C-300", "name": "Filter papers", "quantity": 3, "price": 4900},
        ],
        "total": 214400,
    },
    "customer": {"email": "customer@example.com", "name": "Bench Customer", "phone": "+4700000000"},
    "attributes": {"source": "bench"},
}

# Salts keep the generated ids of each kind of row apart (bench.uuid7's second argument).
SALT_ORDER_CLONE = 1 << 40
SALT_NOTIFICATION = 2 << 40
SALT_SMALL_EVENT = 3 << 40
SALT_SMALL_ORDER = 4 << 40
SALT_SWEEP_EVENT = 5 << 40
SALT_SWEEP_ORDER = 6 << 40
SALT_HISTORY_EVENT = 7 << 40
SALT_HISTORY_ORDER = 8 << 40
SALT_RETENTION_EVENT = 9 << 40
SALT_RETENTION_ORDER = 10 << 40
SALT_SWEEP_ONE_EVENT = 11 << 40
SALT_SWEEP_ONE_ORDER = 12 << 40
SALT_ATTEMPT = 16 << 40
