import NotifyStore
import NotifyTestSupport
import Testing

extension StoreTests {
    /// `destination_id` (migration 0011) gives every destination the id it had before (an id is
    /// stored in events, deliveries and destinations), and is inlined into the statements that call it.
    @Suite struct DestinationIdTests {
        let connection: Connection

        init() throws {
            connection = try TestDatabase.migrated()
        }

        @Test func theIdIsTheOneMigration0003Derived() throws {
            let sql = """
                SELECT count(*) FILTER (WHERE destination_id(m, o) IS DISTINCT FROM (
                           SELECT (substr(h, 1, 12) || '3' || substr(h, 14, 3)
                                   || substr('89ab', (('x' || substr(h, 17, 1))::bit(4)::integer & 3) + 1, 1)
                                   || substr(h, 18))::uuid
                           FROM md5(m || chr(10) || o) AS h))::integer AS different,
                       count(*)::integer AS n
                FROM (SELECT 'merchant-' || i AS m, 'https://host-' || (i * 7919) || '.example:443' AS o
                      FROM generate_series(1, 20000) AS i) AS s
                """
            let row = try #require(try connection.query(Statement(TestDatabase.statementName(for: sql), sql)).first)
            #expect(try row.int("n") == 20000)
            #expect(try row.int("different") == 0)
        }

        @Test func itIsInlinedIntoTheStatementThatCallsIt() throws {
            let sql =
                "EXPLAIN (VERBOSE, COSTS OFF) SELECT destination_id(m, 'https://a.example:443') FROM unnest($1::text[]) AS m"
            let plan = try connection.query(Statement(TestDatabase.statementName(for: sql), sql), ["{a,b}"]).all
                .map { try $0.string("\"QUERY PLAN\"") }.joined(separator: "\n")
            #expect(plan.contains("md5("), "\(plan)")
            #expect(!plan.contains("destination_id("), "\(plan)")
        }
    }
}
