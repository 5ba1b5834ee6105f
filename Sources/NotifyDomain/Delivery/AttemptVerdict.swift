/// What happens to a delivery after an attempt: the event's status and, when another automatic
/// attempt follows, how long until it. Manual attempts do not use up the automatic
/// schedule.
public struct AttemptVerdict: Equatable, Sendable {
    public enum Status: String, Sendable {
        case pending
        case succeeded
        case failed
    }

    public let status: Status
    /// Seconds until the next automatic attempt; `nil` when there is none.
    public let retryIn: Double?
    /// Automatic attempts made, this one included when it was automatic.
    public let automaticAttempts: Int

    public init(status: Status, retryIn: Double?, automaticAttempts: Int) {
        self.status = status
        self.retryIn = retryIn
        self.automaticAttempts = automaticAttempts
    }

    /// - Parameters:
    ///   - automaticAttemptsBefore: automatic attempts made before this one.
    ///   - random: a uniform fraction in [0, 1) for the retry jitter.
    public init(
        succeeded: Bool, permanent: Bool, manual: Bool, automaticAttemptsBefore: Int, schedule: RetrySchedule,
        random: Double
    ) {
        automaticAttempts = automaticAttemptsBefore + (manual ? 0 : 1)
        if succeeded {
            status = .succeeded
            retryIn = nil
        } else if !permanent, let delay = schedule.delay(beforeAttempt: automaticAttempts + 1, random: random) {
            status = .pending
            retryIn = delay
        } else {
            status = .failed
            retryIn = nil
        }
    }
}

extension AttemptVerdict {
    /// The verdict once the attempt's destination has taken it into account (`destination` is its
    /// health after the attempt, at unix time `now`):
    /// - a failed probe spends no automatic attempt; the event waits for the next probe;
    /// - an event whose destination is now disabled stays pending instead of failing (it was not
    ///   given up because of its own attempts but because of its destination; resume delivers it);
    /// - a destination held by `Retry-After` delays the next attempt until the hold ends.
    /// - Parameters:
    ///   - permanent: the attempt failed in a way retrying cannot help (refused address, 410 Gone).
    public func adjusted(
        for destination: DestinationHealth, probeFailed: Bool, permanent: Bool, automaticAttemptsBefore: Int,
        now: Double
    ) -> AttemptVerdict {
        if probeFailed {
            let wait = (destination.nextProbeAt ?? now) - now
            return AttemptVerdict(status: .pending, retryIn: max(0, wait), automaticAttempts: automaticAttemptsBefore)
        }
        if status == .failed && !permanent && destination.status == .disabled {
            return AttemptVerdict(status: .pending, retryIn: 0, automaticAttempts: automaticAttempts)
        }
        if status == .pending, let retryIn, let held = destination.heldUntil, held - now > retryIn {
            return AttemptVerdict(status: .pending, retryIn: held - now, automaticAttempts: automaticAttempts)
        }
        return self
    }
}
