import Foundation
import NotifyStore
import NotifyTestSupport
import Testing

extension StoreTests {
    /// The day partitions of `events` keep room on each page, so the update that records an
    /// attempt (no indexed column changes) stays on the event's page, even when every event of the
    /// page is written back in one transaction: a HOT update, no new index entries. On full pages
    /// all but the first moved to another page.
    @Suite struct EventPageRoomTests {
        let connection: Connection

        init() throws {
            connection = try TestDatabase.migrated()
        }

        func rows(_ name: String, _ sql: String) throws -> [Row] {
            try connection.query(Statement(name, sql)).all
        }

        @Test func dayPartitionsOfEventsKeepRoomForTheirUpdates() throws {
            let options = try rows(
                "test_event_partition_options",
                """
                SELECT c.relname AS name, coalesce(array_to_string(c.reloptions, ','), '') AS options
                FROM pg_inherits AS i JOIN pg_class AS c ON c.oid = i.inhrelid
                WHERE i.inhparent = 'events'::regclass
                """)
            #expect(!options.isEmpty)
            for row in options {
                let name = try row.string("name")
                #expect(try row.string("options").contains("fillfactor=50"), "\(name)")
            }
            // A few pages of today's events (1 KB of payload each), then all their attempts recorded at once.
            try connection.executeScript(
                """
                INSERT INTO merchants (merchant, signing_secret) VALUES ('room', 'whsec_test');
                INSERT INTO events (merchant, event_id, order_id, channel, notification_id, scope, status, created_at,
                                    request_method, request_url, request_headers, payload)
                SELECT 'room', (lpad(to_hex((extract(epoch FROM now()) * 1000)::bigint), 12, '0') || '7000'
                                || lpad(to_hex(8 * 4096 + i), 4, '0') || lpad(to_hex(i), 12, '0'))::uuid,
                       gen_random_uuid(), 'web', 'n', 'state.processing', 'pending', now(), 'POST',
                       'http://127.0.0.1:9/', '{}', jsonb_build_object('pad', repeat('x', 1000))
                FROM generate_series(1, 12) AS i;
                """, name: "test_event_fill")
            let moved = try rows(
                "test_event_update",
                """
                WITH before AS (SELECT event_id, (ctid::text::point)[0] AS page FROM events WHERE merchant = 'room'),
                updated AS (
                    UPDATE events SET status = 'succeeded', attempt_count = 1, last_attempt_at = now()
                    WHERE merchant = 'room' RETURNING event_id, (ctid::text::point)[0] AS page
                )
                SELECT count(*) FILTER (WHERE updated.page <> before.page) AS moved, count(*) AS total
                FROM updated JOIN before USING (event_id)
                """)
            let result = try #require(moved.first)
            #expect(try result.int("total") == 12)
            #expect(try result.int("moved") == 0, "updates left their page")
        }
    }
}
