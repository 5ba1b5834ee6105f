import Foundation
import NotifyDomain
import NotifyFoundation
import NotifyStore

/// The sweep's settings, read once from the environment and the command line; a bad value stops
/// the sweep with a message rather than running with a guess.
struct SweepConfig {
    var databaseURL: String
    var policy: AddressPolicy
    var timeout: Double
    var schedule: RetrySchedule
    var budget: Double
    var batchSize = 100
    /// Requests in flight at once, over all destinations.
    var concurrency = 128
    /// Requests in flight to one destination at once (`NOTIFY_DESTINATION_CONCURRENCY`).
    var destinationConcurrency = 8
    var breaker = BreakerPolicy()
    /// How long history is kept (`NOTIFY_RETENTION_DAYS`) and partitions made ahead (`NOTIFY_PARTITIONS_AHEAD`).
    var retention = HistoryRetention()
    var logLevel: String?

    /// How long a claimed delivery stays leased. A delivery whose sweep died is delivered again
    /// once its lease has run out. The default covers a delivery that waits for a free connection
    /// to a busy receiver for several rounds of the timeout before its own attempt.
    var leaseSeconds: Double?

    var effectiveLeaseSeconds: Double { leaseSeconds ?? timeout * 10 + 30 }

    /// Deliveries of one destination claimed at once: its requests in flight and three rounds
    /// waiting behind them, so a fast receiver is never idle between two claims.
    var destinationWindow: Int { destinationConcurrency * 4 }

    /// Requests in flight for one merchant: half of all, so one merchant never takes every slot.
    var merchantConcurrency: Int { max(destinationConcurrency, concurrency / 2) }

    /// Deliveries of one merchant claimed at once: like a destination's window, its requests in
    /// flight and three rounds waiting. A backlogged merchant is claimed again once half of its
    /// window is free, so half of it is what such a claim can take; by default that is more than a
    /// batch (128), since every claim has a fixed cost of its own.
    var merchantWindow: Int { merchantConcurrency * 4 }

    /// Deliveries claimed at once in all: the requests in flight and three rounds waiting, as for
    /// each window (one merchant's window is half of it by default).
    var maxHeld: Int { concurrency * 4 }

    static func fromEnvironment(_ environment: [String: String], workingDirectory: String) throws -> SweepConfig {
        var config = SweepConfig(
            databaseURL: DatabaseURL.fromEnvironment(environment, workingDirectory: workingDirectory),
            policy: try AddressPolicy.parse(allowList: environment["NOTIFY_ALLOW_TARGETS"] ?? ""),
            timeout: try seconds(environment, "NOTIFY_DELIVERY_TIMEOUT", default: 15),
            schedule: try environment["NOTIFY_RETRY_SCHEDULE"].map { try RetrySchedule(parsing: $0) } ?? .default,
            budget: try seconds(environment, "NOTIFY_SWEEP_BUDGET", default: 55),
            logLevel: environment["NOTIFY_LOG_LEVEL"])
        config.retention = try HistoryRetention.fromEnvironment(environment)
        config.destinationConcurrency = try count(environment, "NOTIFY_DESTINATION_CONCURRENCY", default: 8)
        config.breaker = BreakerPolicy(
            failureThreshold: try count(environment, "NOTIFY_BREAKER_FAILURES", default: 5),
            disableAfter: try seconds(environment, "NOTIFY_DISABLE_AFTER", default: 5 * 86_400, max: 365 * 86_400))
        return config
    }

    private static func seconds(
        _ environment: [String: String], _ name: String, default value: Double, max: Double = 3600
    ) throws -> Double {
        guard let text = environment[name], !text.isEmpty else { return value }
        guard let number = DurationText.seconds(text), number > 0, number <= max else {
            throw ValidationError(
                field: name,
                "must be a duration between 0 and \(Int(max)) seconds (e.g. 30, 30s, 5m, 2h, 5d), not '\(text)'")
        }
        return number
    }

    private static func count(_ environment: [String: String], _ name: String, default value: Int) throws -> Int {
        guard let text = environment[name], !text.isEmpty else { return value }
        guard let number = Int(text), (1...1000).contains(number) else {
            throw ValidationError(field: name, "must be a whole number from 1 to 1000, not '\(text)'")
        }
        return number
    }
}
