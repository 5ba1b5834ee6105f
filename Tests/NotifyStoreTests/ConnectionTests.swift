import NotifyFoundation
import NotifyTestSupport
import Testing

@testable import NotifyStore

/// The store suites share one Postgres cluster and one of them restarts it, so they run one at a time.
@Suite("Store against a real Postgres", .serialized, .enabled(if: TestDatabase.isConfigured))
struct StoreTests {}

extension StoreTests {
    @Suite struct ConnectionTests {
        let connection: Connection

        init() throws {
            connection = try Connection(conninfo: try TestDatabase.create())
        }

        /// Timeouts that keep a vanished database host from hanging a worker, unless the conninfo
        /// sets its own.
        @Test func networkTimeoutsHaveDefaultsTheConninfoOverrides() throws {
            #expect(connection.setting("connect_timeout") == "2")
            #expect(connection.setting("tcp_user_timeout") == "5000")
            #expect(connection.setting("keepalives_idle") == "5")
            let own = try Connection(conninfo: try TestDatabase.create() + " connect_timeout=7 keepalives_idle=30")
            #expect(own.setting("connect_timeout") == "7")
            #expect(own.setting("keepalives_idle") == "30")
            #expect(own.setting("tcp_user_timeout") == "5000")
        }

        @Test func boundParametersAreValuesNotSQL() throws {
            let hostile = "x'); DROP TABLE pg_class; --"
            let row = try #require(
                try connection.query(Statement("echo_text", "SELECT $1::text AS value"), [hostile]).first)
            #expect(try row.string("value") == hostile)
        }

        @Test func decodesTypedValues() throws {
            let statement = Statement(
                "typed_values",
                "SELECT $1::int AS number, $2::bool AS flag, $3::jsonb AS document, NULL::text AS nothing, 2.5::float8 AS ratio"
            )
            let document = JSON.object(["a": .array([.number(1), .string("b")])])
            let row = try #require(try connection.query(statement, [42, true, document]).first)
            #expect(try row.int("number") == 42)
            #expect(try row.bool("flag") == true)
            #expect(try row.json("document") == document)
            #expect(try row.optionalString("nothing") == nil)
            #expect(try row.optionalDouble("ratio") == 2.5)
            #expect(throws: StoreError.self) { try row.string("nothing") }
            #expect(throws: StoreError.self) { try row.int("missing_column") }
        }

        @Test func nullParameter() throws {
            let value: String? = nil
            let row = try #require(
                try connection.query(Statement("null_param", "SELECT $1::text IS NULL AS is_null"), [value]).first)
            #expect(try row.bool("is_null"))
        }

        @Test func errorsCarrySQLStateAndStatementName() throws {
            do {
                try connection.query(Statement("divide_by_zero", "SELECT 1 / $1::int AS quotient"), [0])
                Issue.record("expected a division error")
            } catch let error as StoreError {
                #expect(error.sqlState == "22012")
                #expect(error.statement == "divide_by_zero")
                #expect(error.kind == .invalidData)
            }
            do {
                try connection.query(Statement("no_such_table", "SELECT * FROM no_such_table"))
                Issue.record("expected an undefined-table error")
            } catch let error as StoreError {
                #expect(error.sqlState == "42P01")
                #expect(error.statement == "no_such_table")
                #expect(error.kind == .failed)
            }
            #expect(connection.ping(), "the connection stays usable after errors")
        }

        @Test func transactionCommitsOrRollsBack() throws {
            try connection.executeScript("CREATE TABLE items (name text PRIMARY KEY)", name: "create_items")
            let insert = Statement("insert_item", "INSERT INTO items (name) VALUES ($1)")
            let count = Statement("count_items", "SELECT count(*) AS n FROM items")
            try connection.transaction { try connection.query(insert, ["kept"]) }
            #expect(throws: StoreError.self) {
                try connection.transaction {
                    try connection.query(insert, ["dropped"])
                    try connection.query(insert, ["kept"])
                }
            }
            #expect(try connection.query(count).first?.int("n") == 1)
            #expect {
                try connection.query(insert, ["kept"])
            } throws: { error in
                (error as? StoreError)?.kind == .uniqueViolation
            }
            #expect(!connection.isInTransaction)
        }

        /// An inner `transaction` would commit or roll back the outer one's work behind its back,
        /// so it is refused with a typed error and the outer transaction stays whole.
        @Test func transactionRefusesNesting() throws {
            try connection.executeScript("CREATE TABLE items (name text PRIMARY KEY)", name: "create_items")
            let insert = Statement("insert_item", "INSERT INTO items (name) VALUES ($1)")
            let names = Statement("item_names", "SELECT string_agg(name, ',' ORDER BY name) AS names FROM items")
            let isNested: (any Error) -> Bool = { ($0 as? StoreError)?.kind == .nestedTransaction }
            try connection.transaction {
                try connection.query(insert, ["outer"])
                #expect(
                    performing: { try connection.transaction { try connection.query(insert, ["inner"]) } },
                    throws: isNested)
                #expect(connection.isInTransaction, "the outer transaction goes on")
                try connection.query(insert, ["after"])
            }
            #expect(try connection.query(names).first?.optionalString("names") == "after,outer")
            #expect(
                performing: {
                    try connection.transaction {
                        try connection.query(insert, ["rolled back"])
                        try connection.transaction { try connection.query(insert, ["never"]) }
                    }
                }, throws: isNested)
            #expect(try connection.query(names).first?.optionalString("names") == "after,outer")
            #expect(!connection.isInTransaction)
        }

        /// A statement that ends its own session the first time it runs (after `nextval`, which no
        /// rollback undoes): the connection breaks in the middle of it, so whether it ran is unknown.
        static func breaksItsSessionOnce(safeToRepeat: Bool) -> Statement {
            Statement(
                safeToRepeat ? "hit_safe" : "hit_unsafe",
                """
                SELECT n, CASE WHEN n = 1 THEN pg_terminate_backend(pg_backend_pid()) END AS ended
                FROM nextval('hits') AS n
                """, safeToRepeat: safeToRepeat)
        }

        static let lastHit = Statement("last_hit", "SELECT last_value AS n FROM hits")

        @Test func aStatementSafeToRepeatIsRunAgainOnANewConnection() throws {
            try connection.executeScript("CREATE SEQUENCE hits", name: "create_hits")
            let row = try #require(try connection.query(Self.breaksItsSessionOnce(safeToRepeat: true)).first)
            #expect(try row.int("n") == 2, "the first run broke the connection; the second one answered")
            #expect(try connection.query(Self.lastHit).first?.int("n") == 2)
        }

        @Test func anyOtherStatementCutOffByTheLossFailsAndIsNotRepeated() throws {
            try connection.executeScript("CREATE SEQUENCE hits", name: "create_hits")
            #expect {
                try connection.query(Self.breaksItsSessionOnce(safeToRepeat: false))
            } throws: { error in
                (error as? StoreError)?.kind == .unavailable
            }
            // The next statement, also one not safe to repeat, goes to a new connection at once.
            #expect(try connection.query(Self.lastHit).first?.int("n") == 1, "it ran once, not twice")
            #expect(try connection.query(Self.breaksItsSessionOnce(safeToRepeat: false)).first?.int("n") == 2)
        }

        /// A session the server ended while the connection was idle (a restart, an administrator)
        /// is seen before the next statement is sent, so even a statement not safe to repeat goes
        /// to a new connection, once.
        @Test func aConnectionDroppedWhileIdleIsReopenedBeforeSending() throws {
            try connection.executeScript("CREATE SEQUENCE hits", name: "create_hits")
            let admin = try Connection(conninfo: try TestDatabase.create())
            let pid = Statement("own_backend_pid", "SELECT pg_backend_pid() AS pid")
            let terminate = Statement("terminate_backend", "SELECT pg_terminate_backend($1::int, 5000) AS done")
            let count = Statement("count_hit", "SELECT nextval('hits') AS n")
            let first = try #require(try connection.query(pid).first?.int("pid"))
            #expect(try admin.query(terminate, [first]).first?.bool("done") == true)
            #expect(try connection.query(count).first?.int("n") == 1)
            #expect(try connection.query(pid).first?.int("pid") != first)
        }

        /// A `LISTEN` is part of the session: a reconnect subscribes the new session again, so the
        /// sweep still hears order changes after a restart of the server.
        @Test func aReconnectListensAgain() throws {
            let conninfo = try TestDatabase.create()
            let listener = try Connection(conninfo: conninfo)
            let admin = try Connection(conninfo: conninfo)
            let pid = Statement("own_backend_pid", "SELECT pg_backend_pid() AS pid", safeToRepeat: true)
            let terminate = Statement("terminate_backend", "SELECT pg_terminate_backend($1::int, 5000) AS done")
            let notify = Statement("notify_test_channel", "SELECT pg_notify('test_channel', '') AS sent")
            try listener.listen(Statement("listen_test_channel", "LISTEN test_channel", safeToRepeat: true))
            let first = try #require(try listener.query(pid).first?.int("pid"))
            #expect(try admin.query(terminate, [first]).first?.bool("done") == true)
            #expect(try listener.query(pid).first?.int("pid") != first, "a new session")
            try admin.query(notify)
            #expect(try listener.waitForNotification(timeout: 10), "the new session listens")
        }

        /// A pipelined transaction: its first group's results reach the body, its last group commits
        /// with it, and a failure in either group rolls everything back and leaves the connection
        /// usable (prepared statements included).
        @Test func pipelinedTransactionCommitsOrRollsBack() throws {
            try connection.executeScript("CREATE TABLE piped (name text PRIMARY KEY)", name: "create_piped")
            let insert = Statement("insert_piped", "INSERT INTO piped (name) VALUES ($1)")
            let count = Statement("count_piped", "SELECT count(*) AS n FROM piped")
            let echo = Statement("echo_piped", "SELECT $1::text AS value")
            let seen = try connection.transaction(pipelining: [.init(echo, ["first"]), .init(count)]) {
                rows -> (value: [String?], last: [Connection.Step]) in
                ([try rows[0].first?.string("value"), try rows[1].first?.string("n")], [.init(insert, ["kept"])])
            }
            #expect(seen.value == ["first", "0"])
            #expect(seen.last.map(\.affected) == [1])
            #expect(throws: StoreError.self) {
                try connection.transaction(pipelining: [.init(insert, ["dropped"])]) { _ in
                    ((), [.init(insert, ["also dropped"]), .init(insert, ["kept"]), .init(insert, ["skipped"])])
                }
            }
            #expect(throws: StoreError.self) {
                try connection.transaction(pipelining: [.init(insert, ["dropped"]), .init(insert, ["kept"])]) { _ in
                    ((), [.init(insert, ["never sent"])])
                }
            }
            #expect(throws: StoreError.self) {
                try connection.transaction(pipelining: [.init(insert, ["dropped"])]) {
                    _ -> (value: Void, last: [Connection.Step]) in
                    try connection.query(insert, ["dropped too"])
                    throw StoreError(kind: .failed, message: "the body gives up")
                }
            }
            #expect(!connection.isInTransaction)
            #expect(try connection.query(count).first?.int("n") == 1)
            #expect(try connection.query(echo, ["after"]).first?.string("value") == "after")
        }

        @Test func arrayParameters() throws {
            let statement = Statement("unnest_texts", "SELECT value FROM unnest($1::text[]) AS value")
            let values: [String?] = [
                "plain", "with \"quotes\" and \\ backslash", "comma,brace}", nil, "", "NULL", "é ü 😀 \\\"",
            ]
            let rows = try connection.query(statement, [SQLArray(values)])
            #expect(try rows.all.map { try $0.optionalString("value") } == values)
        }

        @Test func unreachableServerIsUnavailable() throws {
            do {
                _ = try Connection(conninfo: "host=/nonexistent-notify-socket-dir user=notify dbname=notify")
                Issue.record("expected the connection to fail")
            } catch let error as StoreError {
                #expect(error.kind == .unavailable)
            }
        }
    }
}
