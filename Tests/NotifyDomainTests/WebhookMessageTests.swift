import NotifyDomain
import Testing

/// The request of one attempt: the body as stored (none for GET), the notification's headers
/// first, a JSON content type and the user agent unless it set its own, and the Standard Webhooks
/// headers signed over the exact bytes sent.
struct WebhookMessageTests {
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    static let payload = Array(#"{"event":{"id":"e1"}}"#.utf8)

    static func message(_ method: DeliveryMethod, headers: [HTTPHeader] = []) throws -> WebhookMessage {
        WebhookMessage(
            eventId: "e1", method: method, headers: headers, payload: payload,
            signature: try WebhookSignature(secret: secret), timestamp: 1_767_261_600, userAgent: "notify/test")
    }

    static func names(_ message: WebhookMessage) -> [String] { message.headers.map(\.name) }

    @Test func postCarriesThePayloadSignedWithStandardHeaders() throws {
        let message = try Self.message(.post, headers: [HTTPHeader(name: "X-Shop", value: "1")])
        #expect(message.body == Self.payload)
        #expect(
            Self.names(message) == [
                "X-Shop", "Content-Type", "User-Agent", "webhook-id", "webhook-timestamp", "webhook-signature",
            ])
        #expect(message.headers.first { $0.name == "Content-Type" }?.value == "application/json")
        #expect(message.headers.first { $0.name == "webhook-id" }?.value == "e1")
        #expect(message.headers.first { $0.name == "webhook-timestamp" }?.value == "1767261600")
        let signature = try #require(message.headers.first { $0.name == "webhook-signature" }?.value)
        #expect(
            try WebhookSignature(secret: Self.secret).verify(
                id: "e1", timestamp: 1_767_261_600, body: Self.payload, signatureHeader: signature))
    }

    @Test func getSendsNoBodyAndSignsTheEmptyBody() throws {
        let message = try Self.message(.get)
        #expect(message.body.isEmpty)
        #expect(!Self.names(message).contains("Content-Type"))
        let signature = try #require(message.headers.first { $0.name == "webhook-signature" }?.value)
        #expect(
            try WebhookSignature(secret: Self.secret).verify(
                id: "e1", timestamp: 1_767_261_600, body: [], signatureHeader: signature))
    }

    @Test func theNotificationsOwnContentTypeAndUserAgentWin() throws {
        let message = try Self.message(
            .put,
            headers: [
                HTTPHeader(name: "content-type", value: "application/vnd.shop+json"),
                HTTPHeader(name: "user-agent", value: "shop-hooks"),
            ])
        #expect(
            Self.names(message) == [
                "content-type", "user-agent", "webhook-id", "webhook-timestamp", "webhook-signature",
            ])
    }
}
