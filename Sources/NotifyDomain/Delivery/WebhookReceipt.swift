import NotifyFoundation

/// What a receiver learns from one delivery: whether its Standard Webhooks headers verify with the
/// merchant's secret (and why not), and the event it names. `notifyctl listen` prints one line per
/// receipt; the rule is pure (the receive time is a parameter) so it is tested without a socket.
public struct WebhookReceipt: Sendable, Equatable {
    /// Why a delivery did not verify.
    public enum Failure: String, Sendable, Equatable {
        case missingHeaders = "missing webhook-id, webhook-timestamp or webhook-signature"
        case badTimestamp = "webhook-timestamp is not unix seconds"
        case staleTimestamp = "webhook-timestamp is more than 5 minutes from now"
        case badSignature = "signature does not match"
    }

    /// The `webhook-id` header: the event id, the same on every attempt.
    public var webhookId: String?
    public var failure: Failure?
    public var scope: String?
    public var orderId: String?

    public var verified: Bool { failure == nil }

    /// How far `webhook-timestamp` may be from the receive time, as the Standard Webhooks libraries allow.
    public static let tolerance: Int64 = 300

    /// Checks one received request.
    /// - Parameters:
    ///   - headers: header names lower-cased, values as received.
    ///   - body: the exact request body bytes (empty for a GET delivery).
    ///   - signer: the merchant's signing secret.
    ///   - now: the receive time, unix seconds.
    public init(headers: [String: String], body: [UInt8], signer: WebhookSignature, now: Int64) {
        webhookId = headers["webhook-id"]
        if let event = try? JSON.parse(body, maxDepth: JSON.storedDepth) {
            scope = event["event"]?["scope"]?.stringValue
            orderId = event["order"]?["id"]?.stringValue
        }
        guard let id = webhookId, let stamp = headers["webhook-timestamp"], let signature = headers["webhook-signature"]
        else {
            failure = .missingHeaders
            return
        }
        guard let timestamp = Int64(stamp) else {
            failure = .badTimestamp
            return
        }
        if abs(now - timestamp) > Self.tolerance {
            failure = .staleTimestamp
        } else if !signer.verify(id: id, timestamp: timestamp, body: body, signatureHeader: signature) {
            failure = .badSignature
        }
    }
}
