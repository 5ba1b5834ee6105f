import NotifyDomain
import NotifyFoundation
import NotifyStore
import NotifyTestSupport
import Testing

extension StoreTests {
    /// A change that fires one notification records its event with plain values (`event_record`),
    /// one that fires more with arrays (`events_record`): both forms must store the same rows.
    @Suite struct EventRecordFormsTests {
        static let t0 = "2026-01-01T10:00:00.000Z"
        static let t1 = "2026-01-01T10:05:00.000Z"
        let connection: Connection
        let fixture: QueueFixture

        init() throws {
            connection = try TestDatabase.migrated()
            fixture = try QueueFixture(connection: connection)
        }

        /// Every field a notification gives its event: adapter, reference, a secret header, a method.
        static func fullSpec(url: String) throws -> NotificationSpec {
            try NotificationSpec(
                json: .object([
                    "invoke": .string(url), "method": .string("PUT"), "adapterId": .string("erp"),
                    "reference": .string("ref \"quoted\" \\ back"),
                    "headers": .object(["X-Api-Key": .string("s3cr\"et")]),
                    "scope": .string("/state/currentStatus"), "schema": .object(["const": .string("processing")]),
                ]))
        }

        /// Creates an order with `specs` (ids `a`, `b`, …), moves it to `processing` and returns its
        /// id and the events the change planned.
        private func orderMoved(_ specs: [NotificationSpec]) throws -> (orderId: String, events: [PlannedEvent]) {
            let orderId = fixture.nextId()
            let notifications = specs.enumerated().map { index, spec in
                RegisteredNotification(id: String(UnicodeScalar(UInt8(97 + index))), origin: .api, spec: spec)
            }
            let store = OrderStore(connection: connection)
            try store.create(
                OrderRecord(
                    merchant: fixture.merchant, orderId: orderId, channel: "web",
                    document: try OrderDocument.create(
                        id: orderId, merchant: fixture.merchant, channel: "web", body: [:], timestamp: Self.t0),
                    notifications: notifications),
                origin: Self.t0)
            let context = ChangeContext(timestamp: { Self.t1 }, makeId: fixture.nextId)
            let result = try #require(
                try store.change(merchant: fixture.merchant, orderId: orderId, context: context) { order, timestamp in
                    OrderChange(
                        document: try OrderDocument.transition(order.document, to: "processing", timestamp: timestamp)
                            ?? order.document)
                })
            return (orderId, result.events)
        }

        /// The stored columns of the order's events (all but the ids, which differ by order), by notification.
        private func storedEvents(of orderId: String) throws -> [String: String] {
            let sql = """
                SELECT e.notification_id, concat_ws(' | ', e.adapter_id, e.reference, e.scope, e.scope_key, e.status,
                       e.request_method, e.request_url, e.request_headers::text, e.payload->'notification',
                       e.error, e.destination_id, e.created_at, e.next_attempt_at, e.channel,
                       (SELECT count(*) FROM deliveries AS d WHERE d.event_id = e.event_id)) AS v
                FROM events AS e WHERE e.order_id = $1::uuid
                """
            let rows = try connection.query(Statement(TestDatabase.statementName(for: sql), sql), [orderId]).all
            return try Dictionary(
                uniqueKeysWithValues: rows.map { (try $0.string("notification_id"), try $0.string("v")) })
        }

        @Test func oneEventIsStoredAsAnEventOfSeveral() throws {
            let spec = try Self.fullSpec(url: "http://127.0.0.1:9/erp?x=1")
            let other = try QueueFixture.spec(url: "http://127.0.0.2:9/b")
            let alone = try orderMoved([spec])
            let together = try orderMoved([spec, other])
            #expect(alone.events.count == 1)
            #expect(together.events.count == 2)
            let aloneRows = try storedEvents(of: alone.orderId)
            let togetherRows = try storedEvents(of: together.orderId)
            #expect(aloneRows.keys.sorted() == ["a"])
            #expect(aloneRows["a"] == togetherRows["a"])
            #expect(aloneRows["a"]?.contains("s3cr\\\"et") == true, "the header is stored as registered")
            #expect(aloneRows["a"]?.hasSuffix(" | 1") == true, "one pending delivery")

            let sql = "SELECT payload, event_id::text FROM events WHERE order_id = $1::uuid"
            let row = try #require(
                try connection.query(Statement(TestDatabase.statementName(for: sql), sql), [alone.orderId]).first)
            #expect(try row.json("payload") == alone.events[0].payload)
            #expect(try row.string("event_id") == alone.events[0].id)
        }

        @Test func oneFailedEventIsStoredAsAFailedEventOfSeveral() throws {
            let broken = try Self.fullSpec(url: "http://127.0.0.1:9/{order.nowhere}")
            let other = try QueueFixture.spec(url: "http://127.0.0.2:9/b")
            let alone = try orderMoved([broken])
            let together = try orderMoved([broken, other])
            let aloneRows = try storedEvents(of: alone.orderId)
            let togetherRows = try storedEvents(of: together.orderId)
            #expect(aloneRows["a"] == togetherRows["a"])
            #expect(aloneRows["a"]?.contains("failed") == true)
            #expect(aloneRows["a"]?.hasSuffix(" | 0") == true, "no delivery for a failed event")
            let sql = "SELECT coalesce(sum(n), 0)::text AS v FROM event_counts WHERE status = 'failed'"
            #expect(
                try connection.query(Statement(TestDatabase.statementName(for: sql), sql)).first?.string("v") == "2")
            let queued = "SELECT count(*)::text AS v FROM deliveries"
            #expect(
                try connection.query(Statement(TestDatabase.statementName(for: queued), queued)).first?.string("v")
                    == "1")
        }
    }
}
