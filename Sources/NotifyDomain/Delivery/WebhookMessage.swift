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
