import NotifyDomain
import NotifyStore

/// Puts deliveries in the queue the way the API does (an order, its notifications, a change that
/// fires them, through `OrderStore`), with ids and times chosen by the test, so store and sweep
/// tests start from the rows a real order change writes.
public final class QueueFixture {
    /// A well-formed signing secret (the Standard Webhooks example).
    public static let signingSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

    public let connection: Connection
    public let merchant: String
    private var issued = 0

    /// Creates the merchant (with a token nobody presents).
    public init(connection: Connection, merchant: String = "m") throws {
        self.connection = connection
        self.merchant = merchant
        _ = try MerchantStore(connection: connection).create(
            merchant: merchant, tokenHash: APIToken.sha256Hex("fixture-" + merchant), signingSecret: Self.signingSecret)
    }

    /// A new UUIDv7-shaped id, counting up: the same on every run.
    public func nextId() -> String {
        issued += 1
        let hex = String(issued, radix: 16)
        return "0190f0e0-0000-7000-8000-" + String(repeating: "0", count: 12 - hex.count) + hex
    }

    /// The notification spec that fires when the order moves to `processing`.
    public static func spec(url: String) throws -> NotificationSpec {
        try NotificationSpec(
            json: .object(["url": .string(url), "scope": .object(["state": .array([.string("processing")])])]))
    }

    /// Creates an order with one notification per URL, then moves it to `processing` at
    /// `timestamp`: one event and one delivery due at `timestamp` per URL. Returns the event ids.
    @discardableResult
    public func queue(urls: [String], at timestamp: String) throws -> [String] {
        let orderId = nextId()
        let document = try OrderDocument.create(
            id: orderId, merchant: merchant, channel: "web", body: [:], timestamp: timestamp)
        let notifications = try urls.map {
            RegisteredNotification(id: nextId(), origin: .api, spec: try Self.spec(url: $0))
        }
        let store = OrderStore(connection: connection)
        try store.create(
            OrderRecord(
                merchant: merchant, orderId: orderId, channel: "web", document: document, notifications: notifications),
            origin: timestamp)
        let context = ChangeContext(timestamp: { timestamp }, makeId: { self.nextId() })
        let result = try store.change(merchant: merchant, orderId: orderId, context: context) { order, time in
            OrderChange(
                document: try OrderDocument.transition(order.document, to: "processing", timestamp: time)
                    ?? order.document)
        }
        return result?.events.map(\.id) ?? []
    }

    /// The id of the destination an event goes to.
    public func destinationId(ofEvent eventId: String) throws -> String? {
        let statement = Statement(
            "fixture_destination_of_event",
            "SELECT destination_id::text AS id FROM events WHERE merchant = $1 AND event_id = $2::uuid")
        return try connection.query(statement, [merchant, eventId]).first?.optionalString("id")
    }
}
