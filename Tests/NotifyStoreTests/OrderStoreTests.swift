import NotifyDomain
import NotifyStore
import NotifyTestSupport
import Testing

extension StoreTests {
    /// `OrderStore.change`, the transactional outbox: the order's new document, its events and
    /// their deliveries are written together, or (when anything in the change fails) not at all.
    @Suite struct OrderStoreTests {
        static let t0 = "2026-01-01T10:00:00.000Z"
        static let t1 = "2026-01-01T10:05:00.000Z"
        let connection: Connection
        let fixture: QueueFixture
        let orderId: String

        /// An order in `checkout` with two notifications on `processing` and one on `payment`.
        init() throws {
            connection = try TestDatabase.migrated()
            fixture = try QueueFixture(connection: connection)
            orderId = fixture.nextId()
            let paymentSpec = try NotificationSpec(
                json: .object(["url": .string("http://127.0.0.1:9/pay"), "scope": .object(["payment": .bool(true)])]))
            let notifications = [
                RegisteredNotification(
                    id: "n1", origin: .api, spec: try QueueFixture.spec(url: "http://127.0.0.1:9/a")),
                RegisteredNotification(
                    id: "n2", origin: .api, spec: try QueueFixture.spec(url: "http://127.0.0.2:9/b")),
                RegisteredNotification(id: "n3", origin: .api, spec: paymentSpec),
            ]
            let document = try OrderDocument.create(
                id: orderId, merchant: fixture.merchant, channel: "web", body: [:], timestamp: Self.t0)
            try OrderStore(connection: connection).create(
                OrderRecord(
                    merchant: fixture.merchant, orderId: orderId, channel: "web", document: document,
                    notifications: notifications),
                origin: Self.t0)
        }

        private func move(
            to status: String, makeId: @escaping () -> String, register: [RegisteredNotification] = []
        ) throws -> (order: OrderRecord, events: [PlannedEvent])? {
            let context = ChangeContext(timestamp: { Self.t1 }, makeId: makeId)
            return try OrderStore(connection: connection).change(
                merchant: fixture.merchant, orderId: orderId, context: context
            ) { order, timestamp in
                let moved = try OrderDocument.transition(order.document, to: status, timestamp: timestamp)
                return OrderChange(document: moved ?? order.document, register: register)
            }
        }

        private func rows(_ sql: String) throws -> [String] {
            try connection.query(Statement(TestDatabase.statementName(for: sql), sql)).all.map { try $0.string("v") }
        }

        @Test func aChangeRecordsItsEventsAndTheirDeliveries() throws {
            let result = try #require(try move(to: "processing", makeId: fixture.nextId))
            #expect(result.order.document["state"]?["currentStatus"]?.stringValue == "processing")
            #expect(result.events.map(\.notificationId).sorted() == ["n1", "n2"])
            let ids = result.events.map(\.id).sorted()
            #expect(try rows("SELECT event_id::text AS v FROM events ORDER BY event_id") == ids)
            #expect(try rows("SELECT event_id::text AS v FROM deliveries ORDER BY event_id") == ids)
            #expect(try rows("SELECT DISTINCT status AS v FROM events") == ["pending"])
            #expect(
                try rows("SELECT DISTINCT to_char(due_at AT TIME ZONE 'UTC', 'HH24:MI:SS') AS v FROM deliveries")
                    == ["10:05:00"])
            #expect(try rows("SELECT count(*)::text AS v FROM destinations") == ["2"])
            let stored = try #require(
                try OrderStore(connection: connection).load(merchant: fixture.merchant, orderId: orderId))
            #expect(stored.document == result.order.document)
        }

        @Test func aChangeThatFiresNothingRecordsNoEvent() throws {
            let result = try #require(try move(to: "removed", makeId: fixture.nextId))
            #expect(result.events.isEmpty)
            #expect(try rows("SELECT count(*)::text AS v FROM events") == ["0"])
            #expect(try rows("SELECT count(*)::text AS v FROM deliveries") == ["0"])
        }

        @Test func aChangeThatThrowsWritesNothing() throws {
            #expect(throws: IllegalTransition.self) { try move(to: "completed", makeId: fixture.nextId) }
            let extra = RegisteredNotification(
                id: "n4", origin: .api, spec: try QueueFixture.spec(url: "http://127.0.0.1:9/late"))
            // The order row and the new notification are written before the events; an event id the
            // database refuses fails the last statement, and the whole change with it.
            #expect(throws: StoreError.self) {
                try move(to: "processing", makeId: { "not-a-uuid" }, register: [extra])
            }
            let stored = try #require(
                try OrderStore(connection: connection).load(merchant: fixture.merchant, orderId: orderId))
            #expect(stored.document["state"]?["currentStatus"]?.stringValue == "checkout")
            #expect(stored.notifications.map(\.id) == ["n1", "n2", "n3"])
            #expect(try rows("SELECT count(*)::text AS v FROM events") == ["0"])
            #expect(try rows("SELECT count(*)::text AS v FROM deliveries") == ["0"])
            #expect(try rows("SELECT count(*)::text AS v FROM destinations") == ["0"])
            #expect(!connection.isInTransaction)
        }

        @Test func anotherMerchantsOrderIsNotChanged() throws {
            let context = ChangeContext(timestamp: { Self.t1 }, makeId: fixture.nextId)
            let result = try OrderStore(connection: connection).change(
                merchant: "someone-else", orderId: orderId, context: context
            ) { order, _ in OrderChange(document: order.document) }
            #expect(result == nil)
        }
    }
}
