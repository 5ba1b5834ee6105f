import NotifyFoundation

/// How long history is kept and how far ahead its day partitions are made, from the environment
/// (`NOTIFY_RETENTION_DAYS`, `NOTIFY_PARTITIONS_AHEAD`). Shared by the sweep and `notifyctl`, so
/// both keep the same history.
public struct HistoryRetention: Sendable, Equatable {
    public var retentionDays = 30
    public var aheadDays = 7

    public init(retentionDays: Int = 30, aheadDays: Int = 7) {
        self.retentionDays = retentionDays
        self.aheadDays = aheadDays
    }

    public static func fromEnvironment(_ environment: [String: String]) throws -> HistoryRetention {
        HistoryRetention(
            retentionDays: try days(environment, "NOTIFY_RETENTION_DAYS", default: 30, range: 1...3650),
            aheadDays: try days(environment, "NOTIFY_PARTITIONS_AHEAD", default: 7, range: 1...90))
    }

    private static func days(
        _ environment: [String: String], _ name: String, default value: Int, range: ClosedRange<Int>
    ) throws -> Int {
        guard let text = environment[name], !text.isEmpty else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw ValidationError(
                field: name,
                "must be a whole number of days from \(range.lowerBound) to \(range.upperBound), not '\(text)'")
        }
        return number
    }
}

/// Keeps the history bounded: drops the day partitions of `events` and `attempts` that lie wholly
/// before the retention and creates the coming days' partitions, in one transaction. Removal costs
/// the same at any history size (whole tables are dropped, no row is deleted one by one); events
/// still queued for delivery move to the retained partition first and stay until they are done.
public struct HistoryStore {
    /// The advisory lock that lets one housekeeping run at a time.
    static let lockKey = 7_307_013
    /// How long housekeeping waits for a table lock before it gives up its turn: less than
    /// PostgreSQL's `deadlock_timeout` (1 s), so that in a lock cycle with a request or a sweep it
    /// is always housekeeping that yields, and requests queue behind it for half a second at most.
    static let lockTimeout = "500ms"

    /// What one housekeeping did; `ran` is false when another process held the lock.
    public struct Report: Sendable, Equatable {
        public var ran = false
        public var dropped = 0
        public var kept = 0
        public var removed = 0
        public var created = 0
        /// Quota windows (rate_limits rows) forgotten.
        public var expiredQuotas = 0
        /// Kept event pages forgotten: all of them when events were dropped or moved, else the
        /// ones kept more than an hour ago.
        public var forgottenPages = 0
    }

    private let connection: Connection

    public init(connection: Connection) {
        self.connection = connection
    }

    /// One housekeeping at time `now` (RFC 3339).
    public func housekeeping(now: String, retention: HistoryRetention) throws -> Report {
        try connection.transaction {
            var report = Report()
            guard try connection.query(HistoryStatements.lock, [Self.lockKey]).first?.bool("locked") == true else {
                return report
            }
            report.ran = true
            try connection.query(HistoryStatements.lockTimeout, [Self.lockTimeout])
            if let row = try connection.query(HistoryStatements.drop, [now, retention.retentionDays]).first {
                report.dropped = try row.int("dropped")
                report.kept = try row.int("kept")
                report.removed = try row.int("removed")
            }
            report.created =
                try connection.query(HistoryStatements.create, [now, retention.aheadDays]).first?.int("created") ?? 0
            report.expiredQuotas =
                try connection.query(HistoryStatements.expireQuotas, [now]).first?.int("expired") ?? 0
            let historyChanged = report.dropped + report.kept + report.removed > 0
            report.forgottenPages =
                try connection.query(KeptPageStatements.forget, [now, historyChanged]).first?.int("forgotten") ?? 0
            return report
        }
    }

    /// The names of the partitions of `events`, oldest day first (the retained partition last).
    public func partitions() throws -> [String] {
        try connection.query(HistoryStatements.partitions).all.map { try $0.string("name") }
    }
}
