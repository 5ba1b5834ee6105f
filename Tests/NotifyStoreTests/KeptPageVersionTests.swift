import Foundation
import NotifyTestSupport
import Testing

@testable import NotifyStore

extension StoreTests {
    /// A kept events page is served only at the version its order had when it was rendered: every
    /// statement that inserts, updates or deletes an order's events gives the order a new version
    /// in its own transaction, whatever code (or person) runs it.
    @Suite struct KeptPageVersionTests {
        let connection: Connection

        init() throws {
            connection = try TestDatabase.migrated()
        }

        func version(_ order: String) throws -> Int? {
            try connection.query(
                Statement(
                    "test_order_event_version",
                    "SELECT max(version) AS version FROM order_event_versions WHERE merchant = 'kept' AND order_id = $1::uuid"
                ), [order]
            ).first?.optionalInt("version")
        }

        @Test func everyChangeOfAnOrdersEventsGivesItANewVersion() throws {
            let order = "0190a000-0000-7000-8000-00000000c0de"
            let other = "0190a000-0000-7000-8000-00000000beef"
            let event = "0190a000-0001-7000-8000-000000000001"
            try connection.executeScript(
                """
                INSERT INTO merchants (merchant, signing_secret) VALUES ('kept', 'whsec_test');
                INSERT INTO events (merchant, event_id, order_id, channel, notification_id, scope, status, created_at,
                                    request_method, request_url, request_headers, payload)
                VALUES ('kept', '\(event)', '\(order)', 'web', 'n', 'state.processing', 'pending', now(), 'POST',
                        'http://127.0.0.1:9/', '{}', '{}'),
                       ('kept', '0190a000-0002-7000-8000-000000000002', '\(other)', 'web', 'n', 'state.processing',
                        'pending', now(), 'POST', 'http://127.0.0.1:9/', '{}', '{}');
                """, name: "test_kept_insert")
            let inserted = try #require(try version(order))
            let untouched = try #require(try version(other))

            try connection.executeScript(
                "UPDATE events SET status = 'succeeded' WHERE event_id = '\(event)'", name: "test_kept_update")
            let updated = try #require(try version(order))
            #expect(updated != inserted)
            #expect(try version(other) == untouched, "another order's version stays")

            try connection.executeScript(
                "UPDATE events SET status = 'failed' WHERE event_id = '\(event)' AND false", name: "test_kept_none")
            #expect(try version(order) == updated, "a statement that changes no event of the order leaves it")

            try connection.executeScript("DELETE FROM events WHERE event_id = '\(event)'", name: "test_kept_delete")
            let deleted = try #require(try version(order))
            #expect(deleted != updated && deleted != inserted)
        }

        @Test func eachQueryOfAnOrderHasItsOwnKey() {
            var filter = EventFilter()
            filter.orderId = "0190a000-0000-7000-8000-00000000c0de"
            let first = EventStore.keptQuery(filter, offset: 0, limit: 10)
            #expect(EventStore.keptQuery(filter, offset: 0, limit: 10) == first)
            #expect(EventStore.keptQuery(filter, offset: 10, limit: 10) != first)
            #expect(EventStore.keptQuery(filter, offset: 0, limit: 11) != first)
            filter.status = "pending"
            let pending = EventStore.keptQuery(filter, offset: 0, limit: 10)
            filter.status = nil
            filter.channel = "pending"
            #expect(EventStore.keptQuery(filter, offset: 0, limit: 10) != pending, "which filter a value is of counts")
        }
    }
}
