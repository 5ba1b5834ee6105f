import NotifyDomain
import NotifyStore

/// `GET /metrics`: Prometheus text exposition. No auth; nginx serves it to loopback only.
enum MetricsRoutes {
    static func register(in router: inout Router) {
        router.add("GET", "/metrics", access: .open) { context in
            let snapshot = try MetricsStore(connection: try context.database.connection())
                .snapshot(now: context.ids.timestamp)
            return .text(200, contentType: "text/plain; version=0.0.4", render(snapshot))
        }
    }

    static func render(_ snapshot: MetricsStore.Snapshot) -> String {
        var lines: [String] = []
        lines.append("# HELP notify_events Events by delivery status.")
        lines.append("# TYPE notify_events gauge")
        for status in ["pending", "succeeded", "failed"] {
            lines.append("notify_events{status=\"\(status)\"} \(snapshot.eventsByStatus[status] ?? 0)")
        }
        lines.append("# HELP notify_destinations Destinations by status.")
        lines.append("# TYPE notify_destinations gauge")
        for status in Destination.Status.allCases {
            lines.append(
                "notify_destinations{status=\"\(status.rawValue)\"} \(snapshot.destinationsByStatus[status.rawValue] ?? 0)"
            )
        }
        lines.append("# HELP notify_attempts_total Delivery attempts by outcome.")
        lines.append("# TYPE notify_attempts_total counter")
        for outcome in ["success", "http_error", "transport_error"] {
            lines.append("notify_attempts_total{outcome=\"\(outcome)\"} \(snapshot.attemptsByOutcome[outcome] ?? 0)")
        }
        lines.append("# HELP notify_due_backlog Deliveries due now and not yet attempted.")
        lines.append("# TYPE notify_due_backlog gauge")
        lines.append("notify_due_backlog \(snapshot.dueBacklog)")
        lines.append("# HELP notify_oldest_due_age_seconds Age of the oldest due delivery.")
        lines.append("# TYPE notify_oldest_due_age_seconds gauge")
        lines.append("notify_oldest_due_age_seconds \(snapshot.oldestDueAgeSeconds)")
        lines.append("# HELP notify_delivery_duration_seconds Duration of delivery attempts.")
        lines.append("# TYPE notify_delivery_duration_seconds histogram")
        for (bound, count) in zip(MetricsStore.latencyBuckets, snapshot.latencyCumulative) {
            lines.append("notify_delivery_duration_seconds_bucket{le=\"\(Double(bound) / 1000)\"} \(count)")
        }
        lines.append("notify_delivery_duration_seconds_bucket{le=\"+Inf\"} \(snapshot.latencyCount)")
        lines.append("notify_delivery_duration_seconds_sum \(snapshot.latencySumMs / 1000)")
        lines.append("notify_delivery_duration_seconds_count \(snapshot.latencyCount)")
        return lines.joined(separator: "\n") + "\n"
    }
}
