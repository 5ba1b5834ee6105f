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
