import ArgumentParser
import Foundation
import NotifyFoundation
import NotifyStore

/// `notifyctl housekeeping`: one history housekeeping now, as the sweep does every minute (drop the
/// day partitions past `NOTIFY_RETENTION_DAYS`, create `NOTIFY_PARTITIONS_AHEAD` days ahead, forget quota windows
/// older than an hour). Safe to
/// run at any time, twice, or next to running sweeps: one housekeeping runs at a time, the others
/// report `"ran": false`.
struct HousekeepingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "housekeeping",
        abstract: "Drop history past NOTIFY_RETENTION_DAYS and create the coming day partitions.")

    func run() throws {
        let retention: HistoryRetention
        do {
            retention = try HistoryRetention.fromEnvironment(ProcessInfo.processInfo.environment)
        } catch let error as NotifyFoundation.ValidationError {
            throw CtlSupport.fail("\(error.field): \(error.message)", code: 2)
        }
        let store = HistoryStore(connection: try CtlSupport.connect())
        let report = try store.housekeeping(
            now: Date().rfc3339, retention: retention)
        let partitions = try store.partitions()
        let output: JSON = .object([
            "ran": .bool(report.ran), "droppedDays": .number(Double(report.dropped)),
            "keptPending": .number(Double(report.kept)), "removedRetained": .number(Double(report.removed)),
            "createdDays": .number(Double(report.created)),
            "expiredQuotaWindows": .number(Double(report.expiredQuotas)),
            "forgottenPages": .number(Double(report.forgottenPages)),
            "retentionDays": .number(Double(retention.retentionDays)),
            "partitions": .array(partitions.map { .string($0) }),
        ])
        print(output.serialized())
    }
}
