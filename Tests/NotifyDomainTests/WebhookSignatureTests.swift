import NotifyFoundation
import Testing

@testable import NotifyDomain

@Suite("Standard Webhooks signature")
struct WebhookSignatureTests {
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    static let id = "msg_p5jXN8AQM9LWM0D4loKWxJek"
    static let timestamp: Int64 = 1_614_265_330
    static let body = #"{"test": 2432232314}"#
    static let expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

    @Test func reproducesTheStandardWebhooksTestVector() throws {
        let signer = try WebhookSignature(secret: Self.secret)
        #expect(signer.sign(id: Self.id, timestamp: Self.timestamp, body: Self.body) == Self.expected)
        #expect(signer.sign(id: Self.id, timestamp: Self.timestamp, body: Array(Self.body.utf8)) == Self.expected)
    }

    @Test func secretWithoutPrefixIsTheSameKey() throws {
        let signer = try WebhookSignature(secret: "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        #expect(signer.sign(id: Self.id, timestamp: Self.timestamp, body: Self.body) == Self.expected)
    }

    @Test func anyChangeChangesTheSignature() throws {
        let signer = try WebhookSignature(secret: Self.secret)
        #expect(signer.sign(id: Self.id, timestamp: Self.timestamp + 1, body: Self.body) != Self.expected)
        #expect(signer.sign(id: "msg_other", timestamp: Self.timestamp, body: Self.body) != Self.expected)
        #expect(signer.sign(id: Self.id, timestamp: Self.timestamp, body: Self.body + " ") != Self.expected)
    }

    @Test func verify() throws {
        let signer = try WebhookSignature(secret: Self.secret)
        let body = Array(Self.body.utf8)
        #expect(signer.verify(id: Self.id, timestamp: Self.timestamp, body: body, signatureHeader: Self.expected))
        #expect(
            signer.verify(
                id: Self.id, timestamp: Self.timestamp, body: body, signatureHeader: "v1,bm9wZQ== \(Self.expected)"))
        #expect(!signer.verify(id: Self.id, timestamp: Self.timestamp, body: body, signatureHeader: "v1,bm9wZQ=="))
        #expect(!signer.verify(id: Self.id, timestamp: Self.timestamp, body: [], signatureHeader: Self.expected))
        #expect(
            signer.verify(
                id: Self.id, timestamp: Self.timestamp, body: body, signatureHeader: Self.expected,
                now: Self.timestamp + 300))
        #expect(
            !signer.verify(
                id: Self.id, timestamp: Self.timestamp, body: body, signatureHeader: Self.expected,
                now: Self.timestamp + 301))
    }

    @Test func aRotatedSecretSignsNextToTheNewOneDuringItsGrace() throws {
        let new = try WebhookSignature(secret: "whsec_AAcOFRwjKjE4P0ZNVFtiaXB3foWMk5qh")
        let old = try WebhookSignature(secret: Self.secret)
        let payload = Array(Self.body.utf8)
        func message(previous: WebhookSignature?) -> WebhookMessage {
            WebhookMessage(
                eventId: Self.id, method: .post, headers: [], payload: payload, signature: new,
                timestamp: Self.timestamp, userAgent: "notify/test", previousSignature: previous)
        }
        func header(_ message: WebhookMessage) -> String {
            message.headers.first { $0.name == "webhook-signature" }?.value ?? ""
        }
        let both = header(message(previous: old))
        #expect(both == "\(new.sign(id: Self.id, timestamp: Self.timestamp, body: payload)) \(Self.expected)")
        for signer in [new, old] {
            #expect(signer.verify(id: Self.id, timestamp: Self.timestamp, body: payload, signatureHeader: both))
        }
        let one = header(message(previous: nil))
        #expect(new.verify(id: Self.id, timestamp: Self.timestamp, body: payload, signatureHeader: one))
        #expect(!old.verify(id: Self.id, timestamp: Self.timestamp, body: payload, signatureHeader: one))
    }

    @Test(arguments: ["whsec_", "whsec_not base64!", "whsec_A"])
    func refusesBadSecrets(secret: String) {
        #expect(throws: ValidationError(field: "secret", "signing secret must be 'whsec_' followed by base64")) {
            try WebhookSignature(secret: secret)
        }
    }

    @Test func makeSecretRoundTrips() throws {
        let bytes = (0..<24).map { UInt8($0 * 7) }
        let secret = WebhookSignature.makeSecret(randomBytes: bytes)
        #expect(secret == "whsec_AAcOFRwjKjE4P0ZNVFtiaXB3foWMk5qh")
        #expect(Base64.decode(String(secret.dropFirst(6))) == bytes)
        _ = try WebhookSignature(secret: secret)
        #expect(WebhookSignature.makeSecret(randomBytes: [UInt8](repeating: 0xff, count: 32)).count == 6 + 44)
    }
}
