/// Figures for `GET /metrics`, across all merchants: the operator's view.
public struct MetricsStore {
    /// Upper bounds (milliseconds) of the delivery latency histogram buckets.
    public static let latencyBuckets = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000]

    /// One scrape's figures.
    public struct Snapshot: Sendable {
        public var eventsByStatus: [String: Int] = [:]
        public var destinationsByStatus: [String: Int] = [:]
        public var attemptsByOutcome: [String: Int] = [:]
        public var dueBacklog = 0
        public var oldestDueAgeSeconds = 0.0
        /// Cumulative counts per bucket of `latencyBuckets`, then the total count and sum.
        public var latencyCumulative: [Int] = []
        public var latencyCount = 0
        public var latencySumMs = 0.0
    }

    private let connection: Connection

    public init(connection: Connection) {
        self.connection = connection
    }

    public func snapshot(now: String) throws -> Snapshot {
        var snapshot = Snapshot()
        for row in try connection.query(MetricsStatements.eventsByStatus).all {
            snapshot.eventsByStatus[try row.string("status")] = try row.int("n")
        }
        for row in try connection.query(MetricsStatements.destinationsByStatus).all {
            snapshot.destinationsByStatus[try row.string("status")] = try row.int("n")
        }
        for row in try connection.query(MetricsStatements.attemptsByOutcome).all {
            snapshot.attemptsByOutcome[try row.string("outcome")] = try row.int("n")
        }
        if let row = try connection.query(MetricsStatements.backlog, [now]).first {
            snapshot.dueBacklog = try row.int("due")
            snapshot.oldestDueAgeSeconds = try row.optionalDouble("oldest_age") ?? 0
        }
        if let row = try connection.query(MetricsStatements.latency, [SQLArray(MetricsStore.latencyBuckets)])
            .first
        {
            snapshot.latencyCumulative = try Self.latencyBuckets.indices.map { try row.int("b\($0)") }
            snapshot.latencyCount = try row.int("total")
            snapshot.latencySumMs = try row.optionalDouble("sum_ms") ?? 0
        }
        return snapshot
    }
}

enum MetricsStatements {
    static let eventsByStatus = Statement(
        "metrics_events_by_status", "SELECT status, count(*) AS n FROM events GROUP BY status")
    static let destinationsByStatus = Statement(
        "metrics_destinations_by_status", "SELECT status, count(*) AS n FROM destinations GROUP BY status")
    static let attemptsByOutcome = Statement(
        "metrics_attempts_by_outcome",
        """
        SELECT CASE WHEN status_code BETWEEN 200 AND 299 AND error IS NULL THEN 'success'
                    WHEN status_code IS NOT NULL THEN 'http_error' ELSE 'transport_error' END AS outcome,
               count(*) AS n
        FROM attempts GROUP BY 1
        """)
    static let backlog = Statement(
        "metrics_backlog",
        """
        SELECT count(*) AS due, extract(epoch FROM $1::timestamptz - min(due_at))::float8 AS oldest_age
        FROM deliveries WHERE due_at IS NOT NULL AND due_at <= $1::timestamptz
        """)
    static let latency = Statement(
        "metrics_latency",
        """
        SELECT \(MetricsStore.latencyBuckets.indices.map { "count(*) FILTER (WHERE duration_ms <= ($1::int[])[\($0 + 1)]) AS b\($0)" }.joined(separator: ", ")),
               count(*) AS total, sum(duration_ms)::float8 AS sum_ms
        FROM attempts
        """)

    static var all: [Statement] { [eventsByStatus, destinationsByStatus, attemptsByOutcome, backlog, latency] }
}
