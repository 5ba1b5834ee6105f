import Foundation
import NotifyStore
import NotifyTestSupport
import Testing

extension StoreTests {
    @Suite struct MigrationTests {
        /// Numbers may leave gaps (a number is taken by work that lands later), never repeat.
        @Test func bundledMigrationsAreNumberedInOrder() throws {
            let migrations = try Migrator.bundled()
            #expect(migrations.count >= 2)
            #expect(migrations.first?.version == 1)
            #expect(zip(migrations, migrations.dropFirst()).allSatisfy { $0.version < $1.version })
        }

        /// Events recorded before the query key existed get it: the simple forms their own scope, the
        /// pointer forms the key of what the pointer watches.
        @Test func eventScopeKeysAreFilledInForEarlierEvents() throws {
            let connection = try Connection(conninfo: try TestDatabase.create())
            let migrator = Migrator(connection: connection)
            let all = try Migrator.bundled()
            try migrator.migrate(all.filter { $0.name != "0005_event_scope_keys" })
            let scopes: [(scope: String, status: String, key: String?)] = [
                ("state.completed", "completed", "state.completed"), ("payment", "new", "payment"),
                ("shipping", "new", "shipping"), ("/state/currentStatus", "declined", "state.declined"),
                ("/payments", "new", "payment"), ("/payments/0/state", "new", "payment"),
                ("/shippings/1", "new", "shipping"), ("/paymentsX", "new", nil), ("/state", "new", nil),
                ("/cart/total", "new", nil), ("", "new", nil),
            ]
            let insert = Statement(
                "test_event_insert",
                """
                INSERT INTO events (merchant, event_id, order_id, channel, notification_id, scope, status, created_at,
                                    request_method, request_url, request_headers, payload)
                VALUES ('m', $1::uuid, gen_random_uuid(), 'web', 'n', $2, 'succeeded', now(), 'POST',
                        'http://127.0.0.1:9/', '{}', jsonb_build_object('order', jsonb_build_object(
                            'state', jsonb_build_object('currentStatus', $3::text))))
                """)
            var ids: [String] = []
            for (position, row) in scopes.enumerated() {
                let id = String(format: "00000000-0000-7000-8000-%012d", position)
                ids.append(id)
                try connection.query(insert, [id, row.scope, row.status])
            }
            #expect(try migrator.migrate(all) == ["0005_event_scope_keys"])
            let select = Statement("test_event_key", "SELECT scope_key FROM events WHERE event_id = $1::uuid")
            for (id, row) in zip(ids, scopes) {
                let key = try connection.query(select, [id]).first?.optionalString("scope_key")
                #expect(key == row.key, "scope '\(row.scope)'")
            }
        }

        @Test func applyingTwiceChangesNothing() throws {
            let connection = try Connection(conninfo: try TestDatabase.create())
            let migrator = Migrator(connection: connection)
            let first = try migrator.migrate(try Migrator.bundled())
            let second = try migrator.migrate(try Migrator.bundled())
            #expect(first.count == (try Migrator.bundled()).count)
            #expect(second.isEmpty)
        }

        @Test func twoConcurrentMigrationsApplyEachFileOnce() throws {
            let url = try TestDatabase.create()
            let migrations = try Migrator.bundled()
            let results = ResultBox()
            let group = DispatchGroup()
            for _ in 0..<2 {
                group.enter()
                Thread.detachNewThread {
                    defer { group.leave() }
                    do {
                        let applied = try Migrator(connection: try Connection(conninfo: url)).migrate(migrations)
                        results.add(applied)
                    } catch {
                        results.fail("\(error)")
                    }
                }
            }
            group.wait()
            #expect(results.errors.isEmpty)
            #expect(results.applied.sorted() == migrations.map(\.name).sorted())
            let check = try Connection(conninfo: url)
            let count = try check.query(Statement("count_migrations", "SELECT count(*) AS n FROM schema_migrations"))
            #expect(try count.first?.int("n") == migrations.count)
        }

        @Test func everyStatementPreparesAgainstTheSchema() throws {
            let connection = try TestDatabase.migrated()
            for statement in StatementCatalog.all {
                #expect(throws: Never.self, "statement \(statement.name)") { try connection.prepare(statement) }
            }
        }
    }
}

/// Collects what two migrating threads did. `@unchecked Sendable`: every access to the arrays goes
/// through `lock`.
final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var applied: [String] = []
    private(set) var errors: [String] = []

    func add(_ names: [String]) {
        lock.withLock { applied += names }
    }

    func fail(_ message: String) {
        lock.withLock { errors.append(message) }
    }
}
