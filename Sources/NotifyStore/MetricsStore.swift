/// Figures for `GET /metrics`, across all merchants: the operator's view. A scrape reads no
/// history table: pending events are the queue's rows, finished events and attempts come from
/// counters the write-backs keep (`event_counts`, `attempt_counts`), so it costs the same with
/// millions of events as with none.
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
        var figures: [String: Int] = [:]
        for row in try connection.query(MetricsStatements.attemptCounts).all {
            figures[try row.string("figure")] = try row.int("n")
        }
        for outcome in ["success", "http_error", "transport_error"] {
            snapshot.attemptsByOutcome[outcome] = figures[outcome] ?? 0
        }
        var cumulative = 0
        snapshot.latencyCumulative = Self.latencyBuckets.map { bound in
            cumulative += figures["le_\(bound)"] ?? 0
            return cumulative
        }
        snapshot.latencyCount = cumulative + (figures["le_inf"] ?? 0)
        snapshot.latencySumMs = Double(figures["sum_ms"] ?? 0)
        if let row = try connection.query(MetricsStatements.backlog, [now]).first {
            snapshot.dueBacklog = try row.int("due")
            snapshot.oldestDueAgeSeconds = try row.optionalDouble("oldest_age") ?? 0
        }
        return snapshot
    }
}
