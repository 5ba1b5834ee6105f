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
