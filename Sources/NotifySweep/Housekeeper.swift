import Foundation
import Logging
import NotifyStore

/// Runs history housekeeping from the sweep at most once a minute per process: drops the day
/// partitions past the retention, creates the coming ones and forgets old quota windows. It runs
/// when the sweep has nothing in flight (so it never delays a claim or a write-back), or after five
/// minutes without such a moment. Several sweeps may all try; the store's advisory lock lets one do
/// the work and the others skip. A failure is logged and retried at the next turn.
final class Housekeeper {
    static let interval = 60.0
    /// A sweep that is never idle still does housekeeping this often.
    static let busyInterval = 300.0

    let retention: HistoryRetention
    let logger: Logger
    private var lastRun: Date

    /// - Parameter started: when the process started; a sweep that is busy from its start does its
    ///   first housekeeping `busyInterval` later, one that is idle at once.
    init(retention: HistoryRetention, logger: Logger, started: Date = Date()) {
        self.retention = retention
        self.logger = logger
        lastRun = started.addingTimeInterval(-Self.busyInterval)
    }

    func runIfDue(_ connection: Connection, idle: Bool, now: Date = Date()) {
        let waited = now.timeIntervalSince(lastRun)
        guard waited >= (idle ? Self.interval : Self.busyInterval) else { return }
        lastRun = now
        do {
            let report = try HistoryStore(connection: connection).housekeeping(
                now: now.rfc3339, retention: retention)
            guard report.ran,
                report.dropped + report.created + report.removed + report.expiredQuotas + report.forgottenPages > 0
            else {
                return
            }
            logger.info(
                "history housekeeping",
                metadata: [
                    "dropped_days": .stringConvertible(report.dropped),
                    "kept_pending": .stringConvertible(report.kept),
                    "removed_retained": .stringConvertible(report.removed),
                    "created_days": .stringConvertible(report.created),
                    "expired_quota_windows": .stringConvertible(report.expiredQuotas),
                    "forgotten_pages": .stringConvertible(report.forgottenPages),
                ])
        } catch {
            logger.error("history housekeeping failed", metadata: ["error": "\(error)"])
        }
    }
}
