/// What one delivery attempt produced, in the shape an attempt row records: the
/// status if a response arrived, the start of its body, how long it took, and why it failed.
/// `permanent` tells the scheduler not to retry automatically (the target address policy refused
/// it, or the request itself can never be sent).
struct DeliveryOutcome: Sendable, Equatable {
    /// The `DeliveryRequest.id` this outcome answers.
    let id: String
    /// The HTTP status received, `nil` when no response status arrived.
    let statusCode: Int?
    /// The first 64 KiB of the response body, decoded as UTF-8 with invalid bytes replaced.
    let responseBody: String
    /// Wall time of the attempt in milliseconds, from the start of the transfer to its end.
    let durationMs: Int
    /// Why the attempt failed before or while reading the response; `nil` when a whole response
    /// arrived (a non-2xx status is a failure without an error).
    let error: String?
    /// `true` when retrying cannot help: the target address is refused by policy or the request
    /// is malformed.
    let permanent: Bool
    /// Why the address policy refused the target, with the resolved address: for the sweep's log
    /// only, never for the attempt row (`error` then just says the target is not allowed).
    let refusal: String?
    /// The receiver's `Retry-After`, in seconds, when it sent one.
    let retryAfterSeconds: Double?

    /// A 2xx status with the whole response read.
    var succeeded: Bool {
        guard let statusCode, error == nil else { return false }
        return (200..<300).contains(statusCode)
    }

    init(
        id: String, statusCode: Int? = nil, responseBody: String = "", durationMs: Int = 0, error: String? = nil,
        permanent: Bool = false, refusal: String? = nil, retryAfterSeconds: Double? = nil
    ) {
        self.id = id
        self.statusCode = statusCode
        self.responseBody = responseBody
        self.durationMs = durationMs
        self.error = error
        self.permanent = permanent
        self.refusal = refusal
        self.retryAfterSeconds = retryAfterSeconds
    }
}
