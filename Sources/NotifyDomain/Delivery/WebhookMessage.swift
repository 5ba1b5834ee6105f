/// The HTTP request of one delivery attempt: the notification's own headers, a JSON
/// content type unless it set one, the user agent, and the Standard Webhooks headers signed over
/// the exact body bytes sent. `webhook-id` is the event id, the same on every attempt, so
/// receivers can de-duplicate.
public struct WebhookMessage: Equatable, Sendable {
    public let headers: [HTTPHeader]
    public let body: [UInt8]

    /// - Parameters:
    ///   - payload: the frozen delivery body (JSON text as stored); sent as it is, signed byte for byte.
    ///   - timestamp: unix seconds of this attempt (`webhook-timestamp`).
    ///   - userAgent: e.g. `notify/0.1.0`.
    ///   - previousSignature: the secret a rotation replaced, while its grace period lasts: the
    ///     request then carries both signatures (`v1,<new> v1,<old>`, as Standard Webhooks allows),
    ///     so a receiver still checking the old secret keeps accepting until it switches.
    public init(
        eventId: String, method: DeliveryMethod, headers: [HTTPHeader], payload: [UInt8],
        signature: WebhookSignature, timestamp: Int64, userAgent: String, previousSignature: WebhookSignature? = nil
    ) {
        let body = method.hasBody ? payload : []
        var all = headers
        let names = Set(headers.map { $0.name.lowercased() })
        if method.hasBody && !names.contains("content-type") {
            all.append(HTTPHeader(name: "Content-Type", value: "application/json"))
        }
        if !names.contains("user-agent") { all.append(HTTPHeader(name: "User-Agent", value: userAgent)) }
        all.append(HTTPHeader(name: "webhook-id", value: eventId))
        all.append(HTTPHeader(name: "webhook-timestamp", value: String(timestamp)))
        let signatures = [signature] + (previousSignature.map { [$0] } ?? [])
        all.append(
            HTTPHeader(
                name: "webhook-signature",
                value: signatures.map { $0.sign(id: eventId, timestamp: timestamp, body: body) }.joined(separator: " "))
        )
        self.headers = all
        self.body = body
    }
}

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
