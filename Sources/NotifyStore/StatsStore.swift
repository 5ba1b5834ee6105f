/// One merchant's delivery figures for the dashboard's home chart: attempts per minute by outcome
/// over the last hour and the current due backlog. Two small statements: the attempts come from the
/// `attempts_by_time` index (only the last hour's rows are read) and the backlog from the partial
/// due index, so a call costs the same whatever the size of the history.
public struct StatsStore {
    /// Attempts that started within one minute, by outcome.
    public struct Minute: Sendable, Equatable {
        /// The minute's start, RFC 3339 UTC.
        public var start: String
        public var succeeded: Int
        /// A response other than 2xx.
        public var httpErrors: Int
        /// No response: connect, TLS or timeout error, or a refused target.
        public var transportErrors: Int

        public init(start: String, succeeded: Int, httpErrors: Int, transportErrors: Int) {
            self.start = start
            self.succeeded = succeeded
            self.httpErrors = httpErrors
            self.transportErrors = transportErrors
        }
    }

    /// The figures of one call.
    public struct Snapshot: Sendable {
        /// Exactly `StatsStore.minutes` entries, oldest first, ending with the current minute.
        public var minutes: [Minute] = []
        public var dueBacklog = 0
        /// When the oldest due delivery became due, RFC 3339 UTC; `nil` when nothing is due.
        public var oldestDueAt: String?
    }

    /// The chart's window: this many minutes, the current one last.
    public static let minutes = 60

    private let connection: Connection

    public init(connection: Connection) {
        self.connection = connection
    }

    /// The merchant's figures as of `now` (RFC 3339).
    public func snapshot(merchant: String, now: String) throws -> Snapshot {
        var snapshot = Snapshot()
        snapshot.minutes = try connection.query(StatsStatements.attemptsPerMinute, [merchant, now, Self.minutes]).all
            .map { row in
                Minute(
                    start: try row.string("minute"), succeeded: try row.int("succeeded"),
                    httpErrors: try row.int("http_errors"), transportErrors: try row.int("transport_errors"))
            }
        if let row = try connection.query(StatsStatements.dueBacklog, [merchant, now]).first {
            snapshot.dueBacklog = try row.int("due")
            snapshot.oldestDueAt = try row.optionalString("oldest_due_at")
        }
        return snapshot
    }
}
