import NotifyFoundation

/// When automatic delivery attempts happen, as data (the Svix way): `delays[i]` is the wait before
/// attempt `i + 1`, counted from the previous attempt (attempt 1 from the event's creation).
/// Jitter spreads retries of many events failing together; the random fraction is a parameter.
public struct RetrySchedule: Equatable, Sendable {
    /// The default: attempts at 0 s, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h.
    public static let defaultDelays: [Double] = [0, 5, 300, 1800, 7200, 18000, 36000, 36000]
    public static let `default` = RetrySchedule(checked: defaultDelays)
    /// Retries (attempt 2 on) are moved by up to this fraction either way.
    public static let jitter = 0.2
    /// Bounds on a configured schedule.
    public static let maxEntries = 100
    public static let maxDelay: Double = 30 * 24 * 3600

    /// Seconds to wait before each attempt.
    public let delays: [Double]

    /// The number of automatic attempts; after the last one fails the event is `failed`.
    public var maxAttempts: Int { delays.count }

    /// A schedule from explicit delays.
    /// - Throws: `ValidationError` (field `NOTIFY_RETRY_SCHEDULE`) when empty, too long, or a delay
    ///   is negative, not finite or over 30 days.
    public init(delays: [Double]) throws(ValidationError) {
        let field = "NOTIFY_RETRY_SCHEDULE"
        guard !delays.isEmpty else { throw ValidationError(field: field, "retry schedule must not be empty") }
        guard delays.count <= Self.maxEntries else {
            throw ValidationError(field: field, "retry schedule has more than \(Self.maxEntries) attempts")
        }
        for delay in delays where !(delay.isFinite && delay >= 0 && delay <= Self.maxDelay) {
            throw ValidationError(
                field: field, "retry delay \(delay) must be between 0 and \(Int(Self.maxDelay)) seconds")
        }
        self.delays = delays
    }

    private init(checked delays: [Double]) {
        self.delays = delays
    }

    /// Parses `NOTIFY_RETRY_SCHEDULE`: comma-separated seconds (`0,5,300`), each optionally with a
    /// unit `s`, `m`, `h` or `d` (`0,5s,5m,30m,2h`).
    public init(parsing text: String) throws(ValidationError) {
        var delays: [Double] = []
        for entry in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard let value = DurationText.seconds(entry) else {
                throw ValidationError(
                    field: "NOTIFY_RETRY_SCHEDULE",
                    "'\(entry.trimmingASCIIWhitespace())' is not a delay in seconds (e.g. 0,5,300 or 0,5s,5m,2h)")
            }
            delays.append(value)
        }
        try self.init(delays: delays)
    }

    /// Seconds to wait before attempt `n` (1-based), with jitter for retries.
    /// - Parameters:
    ///   - n: the attempt about to be scheduled.
    ///   - random: a uniform random fraction in [0, 1); 0.5 means no jitter. Clamped into range.
    /// - Returns: `nil` when the schedule has no attempt `n` (attempts exhausted).
    public func delay(beforeAttempt n: Int, random: Double) -> Double? {
        guard n >= 1, n <= delays.count else { return nil }
        let base = delays[n - 1]
        guard n > 1 else { return base }
        let fraction = random.isFinite ? min(max(random, 0), 1) : 0.5
        return base * (1 + Self.jitter * (2 * fraction - 1))
    }

    /// When the next automatic attempt is due, after `attemptsMade` attempts ended at `now`
    /// (unix seconds), or `nil` when the schedule is exhausted.
    public func nextAttemptAt(now: Double, attemptsMade: Int, random: Double) -> Double? {
        delay(beforeAttempt: attemptsMade + 1, random: random).map { now + $0 }
    }
}
