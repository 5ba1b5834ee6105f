import Crypto
import NotifyFoundation

/// Standard Webhooks signing (https://www.standardwebhooks.com): each delivery carries
/// `webhook-id`, `webhook-timestamp` and `webhook-signature: v1,<base64 HMAC-SHA256>` so a
/// receiver can check, with any Standard Webhooks library, that the merchant's secret signed it.
public struct WebhookSignature: Sendable {
    /// The prefix of every signing secret.
    public static let secretPrefix = "whsec_"
    /// The signature version tag written before the comma.
    public static let version = "v1"

    private let key: [UInt8]

    /// A signer for a secret in the `whsec_<base64>` form (the prefix may be omitted).
    /// - Throws: `ValidationError` (field `secret`) when the key is not base64 or is empty.
    public init(secret: String) throws(ValidationError) {
        let encoded = secret.hasPrefix(Self.secretPrefix) ? String(secret.dropFirst(Self.secretPrefix.count)) : secret
        guard let key = Base64.decode(encoded), !key.isEmpty else {
            throw ValidationError(field: "secret", "signing secret must be 'whsec_' followed by base64")
        }
        self.key = key
    }

    /// The `webhook-signature` header value for one delivery.
    /// - Parameters:
    ///   - id: the `webhook-id` (the event id, the same on every attempt).
    ///   - timestamp: the `webhook-timestamp`, unix seconds.
    ///   - body: the exact bytes sent as the request body (empty for GET).
    public func sign(id: String, timestamp: Int64, body: [UInt8]) -> String {
        var hmac = HMAC<SHA256>(key: SymmetricKey(data: key))
        hmac.update(data: Array("\(id).\(timestamp).".utf8))
        hmac.update(data: body)
        let mac = hmac.finalize()
        return "\(Self.version),\(Base64.encode(Array(mac)))"
    }

    /// `sign(id:timestamp:body:)` for a UTF-8 text body.
    public func sign(id: String, timestamp: Int64, body: String) -> String {
        sign(id: id, timestamp: timestamp, body: Array(body.utf8))
    }

    /// Checks a `webhook-signature` header (space-separated `v1,<sig>` entries, any may match) and,
    /// when `now` is given, that the timestamp is within `tolerance` seconds of it.
    public func verify(
        id: String, timestamp: Int64, body: [UInt8], signatureHeader: String,
        now: Int64? = nil, tolerance: Int64 = 300
    ) -> Bool {
        if let now, abs(now - timestamp) > tolerance { return false }
        let expected = Array(sign(id: id, timestamp: timestamp, body: body).utf8)
        return signatureHeader.split(separator: " ").contains { candidate in
            Self.constantTimeEqual(Array(candidate.utf8), expected)
        }
    }

    /// A new secret from 24–32 bytes of the caller's cryptographic randomness: `whsec_<base64>`.
    /// - Precondition: `randomBytes.count` is in 24...32 (the caller controls it; it is not input).
    public static func makeSecret(randomBytes: [UInt8]) -> String {
        precondition((24...32).contains(randomBytes.count), "a signing secret needs 24 to 32 random bytes")
        return secretPrefix + Base64.encode(randomBytes)
    }

    private static func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for index in lhs.indices { difference |= lhs[index] ^ rhs[index] }
        return difference == 0
    }
}
