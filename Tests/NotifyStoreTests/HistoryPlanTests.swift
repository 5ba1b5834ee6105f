import Foundation
import NotifyDomain
import NotifyFoundation
import NotifyStore
import NotifyTestSupport
import Testing

extension StoreTests {
    /// The statements that read or write history stay index scans on the partitions they need once
    /// `events` and `attempts` are split by day: each one is planned with `EXPLAIN` over a few days of
    /// realistic history (many merchants, orders of ten events, a retained partition that is not
    /// empty) and fails on a sequential scan of a history table.
    @Suite struct HistoryPlanTests {
        static let days = 4
        static let perDay = 15_000
        static let merchant = "m7"
        /// The token check's parameters of the event statements: the token's hash, the bucket and
        /// window of the address's failed authentications, and how many failures are allowed.
        static let credentials = [String(repeating: "ab", count: 32), "auth:127.0.0.1", "0", "10"]

        let connection: Connection
        let now = Date()

        init() throws {
            connection = try TestDatabase.migrated()
            try connection.executeScript(Self.history(now: now), name: "load_history")
        }

        /// Events of the `days` days before today and of today so far, `perDay` in each day's
        /// partition whatever the time of day (a day only minutes long would be planned as the tiny
        /// table it is), id-ordered, ten per order, 200 merchants, three destinations each; an attempt
        /// for each, a queue of due deliveries for the last hour's, and 3,000 events in the retained
        /// partition (ids of a day that has no partition); partitions up to tomorrow, as housekeeping
        /// makes them (at least a day ahead).
        static func history(now: Date) -> String {
            let nowMs = Int64(now.timeIntervalSince1970 * 1000)
            let dayMs: Int64 = 86_400_000
            let todayMs = nowMs - nowMs % dayMs
            let id = { (ms: String, n: String) in
                "(lpad(to_hex(\(ms)), 12, '0') || '7' || lpad(to_hex((\(n)) % 4096), 3, '0') || '8' || lpad(to_hex(\(n)), 15, '0'))::uuid"
            }
            return """
                INSERT INTO merchants (merchant, signing_secret) VALUES ('\(merchant)', 'whsec_test');
                SELECT history_create_partitions((now() AT TIME ZONE 'UTC')::date - \(days), (now() AT TIME ZONE 'UTC')::date + 1);
                CREATE TEMP TABLE load AS
                SELECT i, CASE WHEN (i - 1) / \(perDay) < \(days)
                               THEN \(todayMs - Int64(days) * dayMs)::bigint + (i - 1) / \(perDay) * \(dayMs)::bigint
                                    + (i - 1) % \(perDay) * \(dayMs / Int64(perDay))
                               ELSE \(todayMs)::bigint + (i - 1) % \(perDay) * \((nowMs - todayMs) / Int64(perDay)) END AS ms
                FROM generate_series(1, \((days + 1) * perDay)) AS i
                UNION ALL
                SELECT 1000000 + i, \(nowMs)::bigint - 40 * \(dayMs)::bigint + i * 1000 FROM generate_series(1, 3000) AS i;
                INSERT INTO events (merchant, event_id, order_id, channel, notification_id, scope, scope_key, status,
                                    created_at, request_method, request_url, request_headers, payload, destination_id)
                SELECT 'm' || (i / 10 % 200), \(id("ms", "i")), md5('order' || (i / 10))::uuid, 'web', 'n',
                       'state.' || (i % 5), 'state.' || (i % 5), CASE WHEN ms > \(nowMs) - 3600000 THEN 'pending' ELSE 'succeeded' END,
                       to_timestamp(ms / 1000.0), 'POST', 'http://127.0.0.1:9/hook', '{}', '{}',
                       md5('destination' || (i / 10 % 200) || (i % 3))::uuid
                FROM load;
                INSERT INTO attempts (merchant, event_id, attempt_id, attempted_at, status_code, response_body,
                                      duration_ms, trigger)
                SELECT 'm' || (i / 10 % 200), \(id("ms", "i")), \(id("ms + 5", "i")), to_timestamp(ms / 1000.0),
                       204, '', 3, 'automatic'
                FROM load;
                INSERT INTO deliveries (merchant, event_id, due_at, destination_id)
                SELECT merchant, event_id, now(), destination_id FROM events WHERE status = 'pending';
                ANALYZE;
                """
        }

        /// The plan of `statement` with `parameters`, one line per row of `EXPLAIN`.
        func plan(_ statement: Statement, _ parameters: [any SQLParameter]) throws -> String {
            let explain = Statement("explain_" + statement.name, "EXPLAIN " + statement.sql)
            return try connection.query(explain, parameters).all.map { try $0.string("\"QUERY PLAN\"") }
                .joined(separator: "\n")
        }

        /// The partitions of `events` and `attempts` that hold rows. A sequential scan of an empty
        /// partition (a day still ahead) reads nothing; one of a partition with rows is what fails.
        var filled: [String] {
            get throws {
                try connection.query(
                    Statement(
                        "filled_partitions",
                        """
                        SELECT c.relname AS name FROM pg_inherits AS i JOIN pg_class AS c ON c.oid = i.inhrelid
                        WHERE i.inhparent IN ('events'::regclass, 'attempts'::regclass) AND c.reltuples > 0
                        """)
                ).all.map { try $0.string("name") }
            }
        }

        func expectIndexScans(_ name: String, _ parameters: [any SQLParameter]) throws {
            let filled = try self.filled
            #expect(filled.count == 2 * (Self.days + 2), "\(filled)")
            let statement = try #require(StatementCatalog.all.first { $0.name == name }, "no statement \(name)")
            let text = try plan(statement, parameters)
            let sequential = text.split(separator: "\n").filter { line in
                filled.contains { line.contains("Seq Scan on \($0) ") }
            }
            #expect(sequential.isEmpty, "\(name) scans history sequentially:\n\(sequential.joined(separator: "\n"))")
        }

        /// The write-back of one event's 204 (`deliveries_complete`): its outcome arrays, no
        /// destination health, and the event as the batch's lowest and highest id.
        func completeParameters(eventId: String, lease: String, at stamp: String) -> [any SQLParameter] {
            let outcome: [any SQLParameter] = [
                "{\(Self.merchant)}", "{\(eventId)}", "{\(lease)}", "{\(stamp)}", "{204}", "{\"\"}", "{3}",
                "{NULL}", "{automatic}", "{succeeded}", "{NULL}", "{1}", "{\(lease)}",
            ]
            return outcome + Array(repeating: "{}", count: 11) + [eventId, eventId]
        }

        func value(_ sql: String) throws -> String {
            try #require(try connection.query(Statement("value_\(abs(sql.hashValue))", sql)).first).string("v")
        }

        @Test func historyStatementsUseIndexes() throws {
            let eventId = try value(
                "SELECT event_id::text AS v FROM events WHERE merchant = '\(Self.merchant)' ORDER BY event_id DESC LIMIT 1"
            )
            let orderId = try value(
                "SELECT order_id::text AS v FROM events WHERE merchant = '\(Self.merchant)' LIMIT 1")
            let destinationId = try value(
                "SELECT destination_id::text AS v FROM events WHERE merchant = '\(Self.merchant)' LIMIT 1")
            let filterValues: [String] = [
                orderId, "state.1", "succeeded", "web", "adapter", "reference", "state.1", destinationId,
            ]
            let names = Set(StatementCatalog.all.map(\.name))
            let everything = "00000000-0000-0000-0000-000000000000"
            for mask in 0..<(1 << filterValues.count) where names.contains("events_page_\(mask)") {
                let filters = filterValues.indices.filter { mask & (1 << $0) != 0 }.map { filterValues[$0] }
                let from = mask & 1 != 0 ? [everything, OrderEventBound.all] : []
                let page = [Self.merchant] + filters + ["50", "0"] + from + Self.credentials
                try expectIndexScans("events_page_\(mask)", page)
                try expectIndexScans("events_count_\(mask)", [Self.merchant] + filters + from)
            }
            let stamp = now.ISO8601Format()
            let later = now.addingTimeInterval(300).ISO8601Format()
            let weekAgo = now.addingTimeInterval(-7 * 86_400).ISO8601Format()
            let token = UUID().uuidString.lowercased()
            let none: String? = nil
            try expectIndexScans("event_select", [Self.merchant, eventId, 100, 0])
            try expectIndexScans("event_retry", [Self.merchant, eventId, stamp])
            try expectIndexScans(
                "events_recover",
                [
                    Self.merchant, "00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff",
                    weekAgo, stamp, "failed", none, none, none, none, none, 100, stamp,
                ])
            try expectIndexScans(
                "deliveries_claim", [stamp, 100, later, token, "{}", "{}", "{}", "{}", 32, 128])
            try expectIndexScans("deliveries_complete", completeParameters(eventId: eventId, lease: token, at: stamp))
            try expectIndexScans("stats_attempts_per_minute", [Self.merchant, stamp, 60])
            for name in ["metrics_events_by_status", "metrics_attempt_counts"] {
                try expectIndexScans(name, [])
            }
        }

        /// An order's events are read from the day before its id's time up to the day after the read:
        /// the plan of its page opens no older day partition of `events` or `attempts` (it would open
        /// every one without the bound), none of the days made ahead past tomorrow, and not the
        /// retained partition.
        @Test func orderReadOpensOnlyTheDaysSinceTheOrder() throws {
            let nowMillis = UInt64(now.timeIntervalSince1970 * 1000)
            let orderId = UUIDv7.make(unixMillis: nowMillis, random: Array(1...10))
            let page = try #require(StatementCatalog.all.first { $0.name == "events_page_1" })
            let range = [
                OrderEventBound.lowestEventId(orderId: orderId),
                OrderEventBound.highestEventId(orderId: orderId, nowMillis: nowMillis),
            ]
            let text = try plan(page, [Self.merchant, orderId, "50", "0"] + range + Self.credentials)
            let opened = try connection.query(
                Statement(
                    "opened_days",
                    """
                    SELECT c.relname AS name FROM pg_inherits AS i JOIN pg_class AS c ON c.oid = i.inhrelid
                    WHERE i.inhparent IN ('events'::regclass, 'attempts'::regclass)
                      AND (c.relname !~ '_p[0-9]{8}$'
                           OR to_date(right(c.relname, 8), 'YYYYMMDD') < (now() AT TIME ZONE 'UTC')::date - 1
                           OR to_date(right(c.relname, 8), 'YYYYMMDD') > (now() AT TIME ZONE 'UTC')::date + 1)
                    """)
            ).all.map { try $0.string("name") }.filter { text.contains(" \($0) ") }
            #expect(opened.isEmpty, "the order's page opens days outside its range: \(opened)\n\(text)")
            #expect(text.contains("events_p"), "the order's page opens no day at all:\n\(text)")
        }

        /// A write-back updates its batch's events through the days between the batch's lowest and
        /// highest event id only: its plan opens no other day partition of `events`.
        @Test func writeBackOpensOnlyTheDaysOfItsBatch() throws {
            let eventId = try value(
                "SELECT event_id::text AS v FROM events WHERE merchant = '\(Self.merchant)' ORDER BY event_id DESC LIMIT 1"
            )
            let day = try value("SELECT 'events_p' || to_char(history_day('\(eventId)'::uuid), 'YYYYMMDD') AS v")
            let complete = try #require(StatementCatalog.all.first { $0.name == "deliveries_complete" })
            let text = try plan(
                complete,
                completeParameters(eventId: eventId, lease: UUID().uuidString.lowercased(), at: now.ISO8601Format()))
            let opened = try connection.query(
                Statement(
                    "events_days",
                    "SELECT c.relname AS name FROM pg_inherits AS i JOIN pg_class AS c ON c.oid = i.inhrelid WHERE i.inhparent = 'events'::regclass"
                )
            ).all.map { try $0.string("name") }.filter { text.contains(" \($0) ") }
            #expect(opened == [day], "the write-back opens other days than its batch's \(day): \(opened)\n\(text)")
        }

        @Test func housekeepingKeepsTodayAndCreatesAhead() throws {
            let store = HistoryStore(connection: connection)
            let stamp = now.ISO8601Format()
            let first = try store.housekeeping(now: stamp, retention: HistoryRetention(retentionDays: 2, aheadDays: 3))
            #expect(first.ran)
            #expect(first.dropped == Self.days - 2)
            let second = try store.housekeeping(now: stamp, retention: HistoryRetention(retentionDays: 2, aheadDays: 3))
            #expect(second.ran && second.dropped == 0 && second.created == 0)
            let partitions = try store.partitions()
            #expect(partitions.last == "events_retained")
            let kept = try value(
                """
                SELECT string_agg('events_p' || to_char(d, 'YYYYMMDD'), ',' ORDER BY d) AS v
                FROM generate_series((now() AT TIME ZONE 'UTC')::date - 2, (now() AT TIME ZONE 'UTC')::date + 3,
                                     interval '1 day') AS d
                """
            ).split(separator: ",").map(String.init)
            #expect(partitions.prefix(kept.count).elementsEqual(kept), "\(partitions)")
            let pending = try value("SELECT count(*)::text AS v FROM events WHERE status = 'pending'")
            #expect(pending != "0")
        }
    }
}

/// The write-back counts attempts into the same buckets that `/metrics` renders (no database needed).
@Suite struct MetricsBucketTests {
    /// The write-back counts attempts into the buckets `/metrics` renders: same bounds, same names.
    @Test func writeBackBucketsMatchTheHistogram() throws {
        let complete = try #require(StatementCatalog.all.first { $0.name == "deliveries_complete" })
        for bound in MetricsStore.latencyBuckets {
            #expect(complete.sql.contains("a.duration_ms <= \(bound) THEN 'le_\(bound)'"), "bucket \(bound)")
        }
        let cases = complete.sql.components(separatedBy: "WHEN a.duration_ms <=").count - 1
        #expect(cases == MetricsStore.latencyBuckets.count)
    }
}
