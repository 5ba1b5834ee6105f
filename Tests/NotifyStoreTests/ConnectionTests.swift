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
            do {
                try connection.query(insert, ["kept"])
            } catch let error as StoreError {
                #expect(error.kind == .uniqueViolation)
            }
            #expect(!connection.isInTransaction)
        }

        @Test func arrayParameters() throws {
            let statement = Statement("unnest_texts", "SELECT value FROM unnest($1::text[]) AS value")
            let values: [String?] = ["plain", "with \"quotes\" and \\ backslash", "comma,brace}", nil]
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
