import Foundation
import NotifyDomain
import NotifyStore

/// The sweep's settings (DESIGN §7), read once from the environment and the command line; a bad
/// value stops the sweep with a message rather than running with a guess.
struct SweepConfig {
    var databaseURL: String
    var policy: AddressPolicy
    var timeout: Double
    var schedule: RetrySchedule
    var budget: Double
    var batchSize = 100
    var concurrency = 64
    var logLevel: String?

    /// How long a claimed delivery stays leased. A delivery whose sweep died is delivered again
    /// once its lease has run out. The default covers a delivery that waits for a free connection
    /// to a busy receiver for several rounds of the timeout before its own attempt.
    var leaseSeconds: Double?

    var effectiveLeaseSeconds: Double { leaseSeconds ?? timeout * 10 + 30 }

    static func fromEnvironment(_ environment: [String: String], workingDirectory: String) throws -> SweepConfig {
        SweepConfig(
            databaseURL: DatabaseURL.fromEnvironment(environment, workingDirectory: workingDirectory),
            policy: try AddressPolicy.parse(allowList: environment["NOTIFY_ALLOW_TARGETS"] ?? ""),
            timeout: try seconds(environment, "NOTIFY_DELIVERY_TIMEOUT", default: 15),
            schedule: try environment["NOTIFY_RETRY_SCHEDULE"].map { try RetrySchedule(parsing: $0) } ?? .default,
            budget: try seconds(environment, "NOTIFY_SWEEP_BUDGET", default: 55),
            logLevel: environment["NOTIFY_LOG_LEVEL"])
    }

    private static func seconds(_ environment: [String: String], _ name: String, default value: Double) throws
        -> Double
    {
        guard let text = environment[name], !text.isEmpty else { return value }
        guard let number = Double(text), number > 0, number <= 3600 else {
            throw ValidationError(field: name, "must be a number of seconds between 0 and 3600, not '\(text)'")
        }
        return number
    }
}
