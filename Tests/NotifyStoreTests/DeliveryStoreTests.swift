import NotifyDomain
import NotifyStore
import NotifyTestSupport
import Testing

extension StoreTests {
    /// Claim and complete, the queue rules the sweep relies on: concurrent claims take disjoint
    /// rows, a lease that ran out is claimable again, a write-back with a stale lease token writes
    /// nothing, a destination gives at most its room (and its share of its merchant's) and a paused
    /// one gives nothing.
    @Suite struct DeliveryStoreTests {
        static let t0 = "2026-01-01T10:00:00.000Z"
        static let room = DeliveryStore.ClaimRoom(
            destinations: [:], merchants: [:], perDestination: 100, perMerchant: 100)
        let conninfo: String
        let connection: Connection
        let fixture: QueueFixture

        init() throws {
            conninfo = try TestDatabase.migratedConninfo()
            connection = try Connection(conninfo: conninfo)
            fixture = try QueueFixture(connection: connection)
        }

        private func claim(
            on connection: Connection? = nil, at now: String = t0, limit: Int = 100,
            leaseUntil: String = "2026-01-01T10:01:00.000Z", token: String = "00000000-0000-4000-8000-000000000001",
            room: DeliveryStore.ClaimRoom = room
        ) throws -> [ClaimedDelivery] {
            try DeliveryStore(connection: connection ?? self.connection).claim(
                now: now, limit: limit, leaseUntil: leaseUntil, leaseToken: token, room: room)
        }

        private func succeeded(_ delivery: ClaimedDelivery, leaseToken: String) -> AttemptRecord {
            AttemptRecord(
                merchant: delivery.merchant, eventId: delivery.eventId, attemptId: fixture.nextId(),
                attemptedAt: Self.t0, statusCode: 200, responseBody: "ok", durationMs: 3, error: nil, manual: false,
                verdict: AttemptVerdict(status: .succeeded, retryIn: nil, automaticAttempts: 1), nextDue: nil,
                leaseToken: leaseToken)
        }

        private func count(_ sql: String) throws -> Int {
            try connection.query(Statement(TestDatabase.statementName(for: sql), "SELECT count(*) AS n FROM " + sql))
                .first?.int("n") ?? -1
        }

        @Test func aClaimCarriesWhatTheAttemptNeeds() throws {
            let ids = try fixture.queue(urls: ["http://127.0.0.1:9/hook"], at: Self.t0)
            let claimed = try claim()
            #expect(claimed.map(\.eventId) == ids)
            let delivery = try #require(claimed.first)
            #expect(delivery.url == "http://127.0.0.1:9/hook")
            #expect(delivery.method == .post)
            #expect(delivery.signingSecret == QueueFixture.signingSecret)
            #expect(delivery.automaticAttempts == 0 && !delivery.manual && delivery.defect == nil)
            #expect(delivery.destinationId == (try fixture.destinationId(ofEvent: ids[0])))
            #expect(try claim(at: Self.t0).isEmpty, "a leased delivery is not due again before its lease ends")
        }

        @Test func nothingIsClaimedBeforeItIsDue() throws {
            try fixture.queue(urls: ["http://127.0.0.1:9/hook"], at: Self.t0)
            #expect(try claim(at: "2026-01-01T09:59:59.999Z").isEmpty)
            #expect(try claim(at: Self.t0).count == 1)
        }

        @Test func twoConnectionsClaimingAtOnceTakeDisjointRows() throws {
            let ids = try fixture.queue(
                urls: (1...3).flatMap { ["http://127.0.0.1:9/a\($0)", "http://127.0.0.2:9/b\($0)"] }, at: Self.t0)
            let other = try Connection(conninfo: conninfo)
            var first: [ClaimedDelivery] = []
            var second: [ClaimedDelivery] = []
            // The first claim's rows stay locked until its transaction ends; the second one, on another
            // connection meanwhile, neither waits for them nor takes them.
            var room = Self.room
            room.perDestination = 2
            try connection.transaction {
                first = try claim(token: "00000000-0000-4000-8000-00000000000a", room: room)
                second = try claim(on: other, token: "00000000-0000-4000-8000-00000000000b")
            }
            #expect(first.count == 4)
            #expect(second.count == 2)
            #expect(Set(first.map(\.eventId)).isDisjoint(with: second.map(\.eventId)))
            #expect(Set(first.map(\.eventId) + second.map(\.eventId)) == Set(ids))
            #expect(try claim(on: other).isEmpty)
        }

        @Test func anExpiredLeaseIsClaimableAgain() throws {
            try fixture.queue(urls: ["http://127.0.0.1:9/hook"], at: Self.t0)
            #expect(try claim(leaseUntil: "2026-01-01T10:01:00.000Z").count == 1)
            #expect(try claim(at: "2026-01-01T10:00:59.999Z").isEmpty)
            let again = try claim(at: "2026-01-01T10:01:00.000Z", token: "00000000-0000-4000-8000-000000000002")
            #expect(again.count == 1)
            #expect(again.first?.leaseToken == "00000000-0000-4000-8000-000000000002")
        }

        @Test func aStaleLeaseTokenWritesNothing() throws {
            try fixture.queue(urls: ["http://127.0.0.1:9/hook"], at: Self.t0)
            let stale = try #require(try claim(token: "00000000-0000-4000-8000-000000000001").first)
            let current = try #require(
                try claim(at: "2026-01-01T10:02:00.000Z", token: "00000000-0000-4000-8000-000000000002").first)
            let store = DeliveryStore(connection: connection)
            #expect(try store.complete([succeeded(stale, leaseToken: stale.leaseToken)]) == 0)
            #expect(try count("attempts") == 0)
            #expect(try count("events WHERE status = 'pending'") == 1)
            #expect(try count("deliveries WHERE due_at IS NOT NULL") == 1)
            #expect(try store.complete([succeeded(current, leaseToken: current.leaseToken)]) == 1)
            #expect(try count("attempts") == 1)
            #expect(try count("events WHERE status = 'succeeded'") == 1)
            #expect(try count("deliveries WHERE due_at IS NOT NULL") == 0)
        }

        @Test func aDestinationGivesAtMostItsRoom() throws {
            let ids = try fixture.queue(urls: (1...5).map { "http://127.0.0.1:9/hook\($0)" }, at: Self.t0)
            let destination = try #require(try fixture.destinationId(ofEvent: ids[0]))
            var room = Self.room
            room.perDestination = 2
            #expect(try claim(room: room).count == 2)
            room.destinations = [destination: 1]
            #expect(try claim(token: "00000000-0000-4000-8000-000000000002", room: room).count == 1)
            room.destinations = [destination: 0]
            #expect(try claim(token: "00000000-0000-4000-8000-000000000003", room: room).isEmpty)
            #expect(try claim(token: "00000000-0000-4000-8000-000000000004").count == 2)
        }

        @Test func aMerchantsRoomIsSharedOverItsDestinations() throws {
            let urls = (1...4).map { "http://127.0.0.\($0):9/hook" }
            for _ in 0..<3 { try fixture.queue(urls: urls, at: Self.t0) }
            var room = Self.room
            room.perMerchant = 4
            let first = try claim(room: room)
            #expect(first.count == 4)
            #expect(Set(first.compactMap(\.destinationId)).count == 4, "one of each destination, its share")
            #expect(first.allSatisfy { $0.more }, "each gave its whole share, less than its room: more may be due")
            room.perMerchant = 6
            let second = try claim(token: "00000000-0000-4000-8000-000000000002", room: room)
            #expect(second.count == 6, "shares of 2, cut to the merchant's room")
            room.perMerchant = 100
            let rest = try claim(token: "00000000-0000-4000-8000-000000000003", room: room)
            #expect(rest.count == 2 && !rest.contains { $0.more }, "the last two: less than the share")
        }

        @Test func aPausedDestinationGivesNothing() throws {
            let ids = try fixture.queue(urls: ["http://127.0.0.1:9/a", "http://127.0.0.2:9/b"], at: Self.t0)
            let paused = try #require(try fixture.destinationId(ofEvent: ids[0]))
            #expect(try DestinationStore(connection: connection).pause(merchant: fixture.merchant, id: paused))
            #expect(try claim().map(\.eventId) == [ids[1]])
            #expect(
                try DestinationStore(connection: connection).resume(
                    merchant: fixture.merchant, id: paused, now: Self.t0))
            #expect(try claim(token: "00000000-0000-4000-8000-000000000002").map(\.eventId) == [ids[0]])
        }
    }
}
