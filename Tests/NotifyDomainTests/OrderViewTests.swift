import NotifyDomain
import NotifyFoundation
import Testing

/// The Order JSON written from the document's text must be the text of the Order JSON itself:
/// the response and the delivery body are spliced from the stored document, not serialized again.
struct OrderViewTests {
    static let t0 = "2026-01-01T10:00:00.000Z"

    static func documents() throws -> [JSON] {
        let bare = try OrderDocument.create(id: "o1", merchant: "m", channel: "web", body: [:], timestamp: t0)
        let full = try OrderDocument.create(
            id: "o2", merchant: "m", channel: "web",
            body: [
                "reference": .string("R-\"1\""), "currency": .string("SEK"), "country": .string("SE"),
                "culture": .string("sv-SE"), "cart": .object(["items": .array([.object(["sku": .string("a")])])]),
                "customer": .object(["email": .string("a@example.com")]), "attributes": .object([:]),
            ],
            timestamp: t0)
        let processing = try OrderDocument.transition(full, to: "processing", timestamp: t0) ?? full
        return [bare, full, processing]
    }

    static let notifications: [RegisteredNotification] = {
        let spec = try? NotificationSpec(
            json: .object([
                "url": .string("https://hooks.example/p"), "scope": .object(["state": .array([.string("completed")])]),
                "headers": .object(["Authorization": .string("Bearer secret-value")]),
            ]))
        return spec.map { [RegisteredNotification(id: "n1", origin: .api, spec: $0)] } ?? []
    }()

    @Test func thePayloadTextIsThePayloadJSONsText() throws {
        for document in try Self.documents() {
            let text = try #require(SerializedObject(document))
            #expect(OrderView.payloadBytes(document: text) == OrderView.payloadJSON(document: document).serializedBytes)
        }
    }

    @Test func theOrderTextIsTheOrderJSONsTextWithSecretsRedacted() throws {
        #expect(Self.notifications.count == 1)
        for document in try Self.documents() {
            let text = try #require(SerializedObject(document))
            for notifications in [[], Self.notifications] {
                let bytes = OrderView.bytes(document: text, notifications: notifications)
                #expect(bytes == OrderView.json(document: document, notifications: notifications).serializedBytes)
                #expect(!String(decoding: bytes, as: UTF8.self).contains("secret-value"))
            }
        }
    }
}
