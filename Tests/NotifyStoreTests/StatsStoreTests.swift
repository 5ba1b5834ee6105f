import NotifyStore
import NotifyTestSupport
import Testing

extension StoreTests {
    /// The dashboard's figures: attempts per minute by outcome (only the window's, only the
    /// merchant's) and the due backlog, with the time as a parameter.
    @Suite struct StatsStoreTests {
        let connection: Connection

        init() throws {
            connection = try TestDatabase.migrated()
            try connection.executeScript(
                """
                INSERT INTO merchants (merchant, signing_secret) VALUES ('m', 'whsec_AAAA'), ('other', 'whsec_AAAA');
                INSERT INTO events (merchant, event_id, order_id, channel, notification_id, scope, status, created_at,
                                    request_method, request_url, request_headers, payload)
                SELECT merchant, id::uuid, '0190f0e0-0000-7000-8000-0000000000aa', 'web', 'n', 'payment', 'pending',
                       '2026-01-01T09:00:00Z', 'POST', 'http://127.0.0.1/', '{}', '{}'
                FROM (VALUES ('m', '0190f0e0-0000-7000-8000-000000000001'),
                             ('m', '0190f0e0-0000-7000-8000-000000000002'),
                             ('other', '0190f0e0-0000-7000-8000-000000000003')) AS e (merchant, id);
                INSERT INTO attempts (merchant, event_id, attempt_id, attempted_at, status_code, duration_ms, error, trigger)
                SELECT merchant, event_id::uuid, gen_random_uuid(), at::timestamptz, code, 5, error, 'automatic'
                FROM (VALUES
                    ('m', '0190f0e0-0000-7000-8000-000000000001', '2026-01-01T10:30:10Z', 200, NULL),
                    ('m', '0190f0e0-0000-7000-8000-000000000001', '2026-01-01T10:30:59.999Z', 204, NULL),
                    ('m', '0190f0e0-0000-7000-8000-000000000001', '2026-01-01T10:29:00Z', 500, 'HTTP 500'),
                    ('m', '0190f0e0-0000-7000-8000-000000000002', '2026-01-01T09:31:00Z', NULL, 'timed out'),
                    ('m', '0190f0e0-0000-7000-8000-000000000002', '2026-01-01T09:30:59Z', 200, NULL),
                    ('m', '0190f0e0-0000-7000-8000-000000000002', '2026-01-01T10:31:00Z', 200, NULL),
                    ('other', '0190f0e0-0000-7000-8000-000000000003', '2026-01-01T10:30:00Z', 200, NULL)
                ) AS a (merchant, event_id, at, code, error);
                INSERT INTO deliveries (merchant, event_id, due_at) VALUES
                    ('m', '0190f0e0-0000-7000-8000-000000000001', '2026-01-01T10:20:00Z'),
                    ('m', '0190f0e0-0000-7000-8000-000000000002', '2026-01-01T10:40:00Z'),
                    ('other', '0190f0e0-0000-7000-8000-000000000003', '2026-01-01T10:00:00Z');
                """, name: "stats_fixture")
        }

        @Test func countsTheLastSixtyMinutesByOutcome() throws {
            let snapshot = try StatsStore(connection: connection).snapshot(merchant: "m", now: "2026-01-01T10:30:30Z")
            #expect(snapshot.minutes.count == 60)
            #expect(snapshot.minutes.first?.start == "2026-01-01T09:31:00.000Z")
            #expect(snapshot.minutes.last?.start == "2026-01-01T10:30:00.000Z")
            let counted = snapshot.minutes.filter { $0.succeeded + $0.httpErrors + $0.transportErrors > 0 }
            #expect(
                counted == [
                    .init(start: "2026-01-01T09:31:00.000Z", succeeded: 0, httpErrors: 0, transportErrors: 1),
                    .init(start: "2026-01-01T10:29:00.000Z", succeeded: 0, httpErrors: 1, transportErrors: 0),
                    .init(start: "2026-01-01T10:30:00.000Z", succeeded: 2, httpErrors: 0, transportErrors: 0),
                ])
        }

        @Test func backlogIsWhatIsDueNowForThisMerchant() throws {
            let store = StatsStore(connection: connection)
            let now = try store.snapshot(merchant: "m", now: "2026-01-01T10:30:30Z")
            #expect(now.dueBacklog == 1)
            #expect(now.oldestDueAt == "2026-01-01T10:20:00.000Z")
            let later = try store.snapshot(merchant: "m", now: "2026-01-01T11:00:00Z")
            #expect(later.dueBacklog == 2)
            let before = try store.snapshot(merchant: "m", now: "2026-01-01T10:00:00Z")
            #expect(before.dueBacklog == 0 && before.oldestDueAt == nil)
        }

        @Test func anotherMerchantSeesNothingOfThese() throws {
            let snapshot = try StatsStore(connection: connection).snapshot(
                merchant: "nobody", now: "2026-01-01T10:30:30Z")
            #expect(snapshot.minutes.count == 60)
            #expect(snapshot.minutes.allSatisfy { $0.succeeded + $0.httpErrors + $0.transportErrors == 0 })
            #expect(snapshot.dueBacklog == 0)
        }
    }
}
