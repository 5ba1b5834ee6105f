import NotifyDomain
import NotifyStore
import NotifyTestSupport
import Testing

extension StoreTests {
    /// `OrderStore.change(checking:)`: the token is checked in the change's first round trip. A
    /// token that is not the merchant's changes nothing and never waits for, nor takes, the lock on
    /// the merchant's order; the merchant's own token changes the order as before.
    @Suite struct OrderChangeTokenTests {
        static let t0 = "2026-01-01T10:00:00.000Z"
        let conninfo: String
        let connection: Connection
        let fixture: QueueFixture
        let orderId: String

        init() throws {
            conninfo = try TestDatabase.migratedConninfo()
            connection = try Connection(conninfo: conninfo)
            fixture = try QueueFixture(connection: connection)
            orderId = fixture.nextId()
            let document = try OrderDocument.create(
                id: orderId, merchant: fixture.merchant, channel: "web", body: [:], timestamp: Self.t0)
            try OrderStore(connection: connection).create(
                OrderRecord(
                    merchant: fixture.merchant, orderId: orderId, channel: "web", document: document, notifications: []),
                origin: Self.t0)
            _ = try MerchantStore(connection: connection).create(
                merchant: "other", tokenHash: APIToken.sha256Hex("other-token"),
                signingSecret: QueueFixture.signingSecret)
        }

        func credentials(_ token: String) -> TokenCheck {
            TokenCheck(tokenHash: APIToken.sha256Hex(token), failureBucket: "auth:test", window: 0, maxFailures: 20)
        }

        func move(on connection: Connection, with token: String) throws -> (
            token: (owner: MerchantStore.TokenOwner?, failures: Int)?,
            outcome: (order: OrderRecord, events: [PlannedEvent])?
        ) {
            try OrderStore(connection: connection).change(
                merchant: fixture.merchant, orderId: orderId,
                context: ChangeContext(timestamp: { Self.t0 }, makeId: fixture.nextId),
                checking: credentials(token)
            ) { order, timestamp in
                OrderChange(
                    document: try OrderDocument.transition(order.document, to: "processing", timestamp: timestamp)
                        ?? order.document)
            }
        }

        @Test func anotherMerchantsTokenNeitherChangesNorWaitsForTheOrder() throws {
            // Another session holds the order's row lock; a refused request must not queue behind it.
            let holder = try Connection(conninfo: conninfo)
            try holder.executeScript(
                "BEGIN; SELECT 1 FROM orders WHERE order_id = '\(orderId)' FOR UPDATE", name: "test_hold_order")
            let refused = try Connection(conninfo: conninfo)
            try refused.executeScript("SET lock_timeout = '2s'", name: "test_lock_timeout")
            let result = try move(on: refused, with: "other-token")
            #expect(result.token?.owner?.merchant == "other")
            #expect(result.outcome == nil)
            try holder.executeScript("ROLLBACK", name: "test_release_order")

            let stored = try #require(
                try OrderStore(connection: connection).load(merchant: fixture.merchant, orderId: orderId))
            #expect(stored.document["state"]?["currentStatus"]?.stringValue == "checkout")
        }

        @Test func theMerchantsOwnTokenChangesTheOrder() throws {
            let result = try move(on: connection, with: "fixture-" + fixture.merchant)
            #expect(result.token?.owner?.merchant == fixture.merchant)
            #expect(result.outcome?.order.document["state"]?["currentStatus"]?.stringValue == "processing")
        }

        @Test func anUnknownTokenChangesNothing() throws {
            let result = try move(on: connection, with: "nobody's")
            #expect(result.token != nil && result.token?.owner == nil)
            #expect(result.outcome == nil)
        }
    }
}
