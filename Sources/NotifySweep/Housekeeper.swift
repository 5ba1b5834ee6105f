import Foundation
import Logging
import NotifyStore

/// Runs history housekeeping from the sweep at most once a minute per process: drops the day
/// partitions past the retention and creates the coming ones. Several sweeps may all try; the
/// store's advisory lock lets one do the work and the others skip. A failure is logged and
/// retried at the next turn: delivering never waits on it.
final class Housekeeper {
    static let interval = 60.0

    let retention: HistoryRetention
    let logger: Logger
    private var lastRun = Date.distantPast

    init(retention: HistoryRetention, logger: Logger) {
        self.retention = retention
        self.logger = logger
    }

    func runIfDue(_ connection: Connection, now: Date = Date()) {
        guard now.timeIntervalSince(lastRun) >= Self.interval else { return }
        lastRun = now
        do {
            let report = try HistoryStore(connection: connection).housekeeping(
                now: now.rfc3339, retention: retention)
            guard report.ran, report.dropped + report.created + report.removed > 0 else { return }
            logger.info(
                "history housekeeping",
                metadata: [
                    "dropped_days": .stringConvertible(report.dropped),
                    "kept_pending": .stringConvertible(report.kept),
                    "removed_retained": .stringConvertible(report.removed),
                    "created_days": .stringConvertible(report.created),
                ])
        } catch {
            logger.error("history housekeeping failed", metadata: ["error": "\(error)"])
        }
    }
}
