/// The SQL of `GET /metrics`.
enum MetricsStatements {
    /// Pending: the events with a queue row still due (the queue holds only unfinished deliveries);
    /// succeeded and failed: the counters of the days still kept.
    static let eventsByStatus = Statement(
        "metrics_events_by_status",
        """
        SELECT 'pending' AS status, count(*) AS n FROM deliveries WHERE due_at IS NOT NULL
        UNION ALL
        SELECT status, sum(n)::bigint FROM event_counts GROUP BY status
        """, safeToRepeat: true)
    static let destinationsByStatus = Statement(
        "metrics_destinations_by_status", "SELECT status, count(*) AS n FROM destinations GROUP BY status",
        safeToRepeat: true)
    static let attemptCounts = Statement(
        "metrics_attempt_counts", "SELECT figure, n FROM attempt_counts", safeToRepeat: true)
    static let backlog = Statement(
        "metrics_backlog",
        """
        SELECT count(*) AS due, extract(epoch FROM $1::timestamptz - min(due_at))::float8 AS oldest_age
        FROM deliveries WHERE due_at IS NOT NULL AND due_at <= $1::timestamptz
        """, safeToRepeat: true)

    static var all: [Statement] { [eventsByStatus, destinationsByStatus, attemptCounts, backlog] }
}
