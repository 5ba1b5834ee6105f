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
