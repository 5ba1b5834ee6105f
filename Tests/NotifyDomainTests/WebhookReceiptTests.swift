import NotifyFoundation
import Testing

@testable import NotifyDomain

@Suite("What notifyctl listen checks in a delivery")
struct WebhookReceiptTests {
    static let signer = try! WebhookSignature(secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    static let id = "0193a8e2-6b1c-7d2e-9f00-112233445566"
    static let now: Int64 = 1_800_000_000
    static let body = Array(
        #"{"event":{"id":"0193a8e2-6b1c-7d2e-9f00-112233445566","scope":"state.completed"},"order":{"id":"o-1"}}"#.utf8)

    static func headers(timestamp: Int64 = now, body: [UInt8] = body) -> [String: String] {
        [
            "webhook-id": id, "webhook-timestamp": String(timestamp),
            "webhook-signature": signer.sign(id: id, timestamp: timestamp, body: body),
        ]
    }

    @Test func aSignedDeliveryVerifiesAndNamesItsEvent() {
        let receipt = WebhookReceipt(headers: Self.headers(), body: Self.body, signer: Self.signer, now: Self.now)
        #expect(receipt.verified)
        #expect(receipt.webhookId == Self.id)
        #expect(receipt.scope == "state.completed")
        #expect(receipt.orderId == "o-1")
    }

    @Test(arguments: [(Int64(0), true), (-300, true), (300, true), (-301, false), (301, false)])
    func timestampMustBeWithinFiveMinutes(offset: Int64, verified: Bool) {
        let headers = Self.headers(timestamp: Self.now + offset)
        let receipt = WebhookReceipt(headers: headers, body: Self.body, signer: Self.signer, now: Self.now)
        #expect(receipt.verified == verified)
        #expect(receipt.failure == (verified ? nil : .staleTimestamp))
    }

    @Test func aChangedBodyOrAnotherSecretFails() throws {
        var changed = Self.body
        changed[changed.count - 2] = UInt8(ascii: "2")
        let tampered = WebhookReceipt(headers: Self.headers(), body: changed, signer: Self.signer, now: Self.now)
        #expect(tampered.failure == .badSignature)
        let other = try WebhookSignature(secret: "whsec_" + Base64.encode(Array(repeating: 7, count: 24)))
        let wrongSecret = WebhookReceipt(headers: Self.headers(), body: Self.body, signer: other, now: Self.now)
        #expect(wrongSecret.failure == .badSignature)
    }

    @Test func missingOrMalformedHeadersFail() {
        var headers = Self.headers()
        headers["webhook-signature"] = nil
        #expect(
            WebhookReceipt(headers: headers, body: Self.body, signer: Self.signer, now: Self.now).failure
                == .missingHeaders)
        headers = Self.headers()
        headers["webhook-timestamp"] = "yesterday"
        #expect(
            WebhookReceipt(headers: headers, body: Self.body, signer: Self.signer, now: Self.now).failure
                == .badTimestamp)
    }

    @Test func anEmptyBodyStillVerifies() {
        let receipt = WebhookReceipt(headers: Self.headers(body: []), body: [], signer: Self.signer, now: Self.now)
        #expect(receipt.verified)
        #expect(receipt.scope == nil && receipt.orderId == nil)
    }
}
