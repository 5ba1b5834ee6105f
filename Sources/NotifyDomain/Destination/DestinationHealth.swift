/// How a destination's attempts move it between statuses: the circuit breaker, the receiver's
/// back-pressure and automatic disabling. A pure state machine: the sweep reads a destination's
/// health under a row lock, feeds it the attempts it just finished, in order, and writes the
/// result back. Times are unix seconds, passed in.
public struct DestinationHealth: Equatable, Sendable {
    public var status: Destination.Status
    /// Failed attempts in a row of the kinds that trip the breaker.
    public var consecutiveFailures: Int
    public var lastSuccessAt: Double?
    public var lastFailureAt: Double?
    public var lastError: String?
    /// The first failure since the last success (automatic disabling counts from here).
    public var failingSince: Double?
    /// While `open`: when the next probe may be sent.
    public var nextProbeAt: Double?
    /// The wait before the next probe after the last one failed (0 while closed).
    public var probeWaitSeconds: Double
    /// No attempt before this time (a receiver's `Retry-After`).
    public var heldUntil: Double?
    public var disabledAt: Double?

    public init(
        status: Destination.Status = .healthy, consecutiveFailures: Int = 0, lastSuccessAt: Double? = nil,
        lastFailureAt: Double? = nil, lastError: String? = nil, failingSince: Double? = nil,
        nextProbeAt: Double? = nil, probeWaitSeconds: Double = 0, heldUntil: Double? = nil, disabledAt: Double? = nil
    ) {
        self.status = status
        self.consecutiveFailures = consecutiveFailures
        self.lastSuccessAt = lastSuccessAt
        self.lastFailureAt = lastFailureAt
        self.lastError = lastError
        self.failingSince = failingSince
        self.nextProbeAt = nextProbeAt
        self.probeWaitSeconds = probeWaitSeconds
        self.heldUntil = heldUntil
        self.disabledAt = disabledAt
    }

    /// Applies one finished attempt.
    /// - Parameters:
    ///   - probe: the attempt was the one probe sent while the breaker was open.
    public mutating func record(_ attempt: AttemptResult, probe: Bool, policy: BreakerPolicy) {
        let time = attempt.finishedAt
        if let retryAfter = attempt.retryAfterSeconds {
            heldUntil = max(heldUntil ?? 0, time + min(max(retryAfter, 0), BreakerPolicy.maxRetryAfter))
        }
        switch attempt.kind {
        case .success:
            consecutiveFailures = 0
            lastSuccessAt = time
            failingSince = nil
            closeBreaker()
            return
        case .unreachable:
            consecutiveFailures += 1
        case .refused:
            // The receiver answered: it is up, so the breaker's chain of failures ends here.
            consecutiveFailures = 0
            if status == .open && probe { closeBreaker() }
        }
        lastFailureAt = time
        lastError = attempt.error
        if failingSince == nil { failingSince = time }
        switch status {
        case .healthy, .failing:
            if attempt.kind == .unreachable && consecutiveFailures >= policy.failureThreshold {
                status = .open
                probeWaitSeconds = BreakerPolicy.firstProbeWait
                nextProbeAt = time + probeWaitSeconds
            } else {
                status = .failing
            }
        case .open where probe && attempt.kind == .unreachable:
            probeWaitSeconds = min(max(probeWaitSeconds * 2, BreakerPolicy.firstProbeWait), BreakerPolicy.maxProbeWait)
            nextProbeAt = time + probeWaitSeconds
        case .open, .paused, .disabled:
            break
        }
        if let since = failingSince, status != .paused, status != .disabled, time - since >= policy.disableAfter {
            status = .disabled
            disabledAt = time
            nextProbeAt = nil
        }
    }

    private mutating func closeBreaker() {
        if status == .paused || status == .disabled { return }
        status = failingSince == nil ? .healthy : .failing
        nextProbeAt = nil
        probeWaitSeconds = 0
    }
}

/// The settings of the breaker and of automatic disabling.
public struct BreakerPolicy: Equatable, Sendable {
    /// The first wait before a probe once the breaker opens; it doubles after each failed probe.
    public static let firstProbeWait: Double = 5
    public static let maxProbeWait: Double = 600
    /// A receiver's `Retry-After` holds its destination at most this long.
    public static let maxRetryAfter: Double = 3600

    /// Failed attempts in a row (connection, TLS, timeout, 5xx, 429) that open the breaker.
    public var failureThreshold: Int
    /// Seconds of failing without a success after which a destination is disabled.
    public var disableAfter: Double

    public init(failureThreshold: Int = 5, disableAfter: Double = 5 * 86_400) {
        self.failureThreshold = max(1, failureThreshold)
        self.disableAfter = disableAfter
    }
}

/// What one attempt tells about its destination.
public struct AttemptResult: Equatable, Sendable {
    public enum Kind: Equatable, Sendable {
        /// A 2xx answer.
        case success
        /// No usable answer: connection or TLS error, timeout, a 5xx or a 429. Trips the breaker.
        case unreachable
        /// The receiver answered with another status (4xx), or the attempt was refused before
        /// any connection (address policy): a failure that says nothing against the receiver's health.
        case refused
    }

    public var kind: Kind
    public var finishedAt: Double
    public var error: String?
    /// Seconds from `Retry-After`, on a 429 or 503 that carried one.
    public var retryAfterSeconds: Double?

    public init(kind: Kind, finishedAt: Double, error: String? = nil, retryAfterSeconds: Double? = nil) {
        self.kind = kind
        self.finishedAt = finishedAt
        self.error = error
        self.retryAfterSeconds = retryAfterSeconds
    }

    /// Classifies an attempt by its HTTP status (`nil` when no answer arrived) and whether it
    /// failed for good before reaching the receiver.
    public static func kind(statusCode: Int?, succeeded: Bool, permanent: Bool) -> Kind {
        if succeeded { return .success }
        guard let statusCode else { return permanent ? .refused : .unreachable }
        return statusCode >= 500 || statusCode == 429 ? .unreachable : .refused
    }
}
