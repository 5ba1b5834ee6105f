import Foundation
import NotifyStore
import NotifyTestSupport
import Testing

extension StoreTests {
    @Suite struct RestartTests {
        /// `scripts/test` provides a script that restarts the throwaway cluster (fast shutdown, start).
        static var restartScript: String? { ProcessInfo.processInfo.environment["NOTIFY_TEST_PG_RESTART"] }

        @Test(.enabled(if: restartScript != nil), .restartsTheCluster)
        func connectionRecoversAfterServerRestart() throws {
            let connection = try TestDatabase.migrated()
            let statement = Statement("count_merchants", "SELECT count(*) AS n FROM merchants")
            #expect(try connection.query(statement).first?.int("n") == 0)

            #expect(try runToCompletion(try #require(Self.restartScript)) == 0)

            #expect(try connection.query(statement).first?.int("n") == 0)
            #expect(connection.ping())
        }

        /// A transaction whose connection was dropped while idle (a restart or a failover between two
        /// requests) starts on a new connection instead of failing the request.
        @Test(.enabled(if: restartScript != nil), .restartsTheCluster)
        func transactionRecoversAfterServerRestart() throws {
            let connection = try TestDatabase.migrated()
            let statement = Statement("count_merchants_in_transaction", "SELECT count(*) AS n FROM merchants")
            #expect(try connection.transaction { try connection.query(statement).first?.int("n") } == 0)

            #expect(try runToCompletion(try #require(Self.restartScript)) == 0)

            #expect(try connection.transaction { try connection.query(statement).first?.int("n") } == 0)
            #expect(!connection.isInTransaction)
        }

        /// A COMMIT cut off by the loss of the connection (the primary died while it waited for its
        /// standby) fails as `unavailable`, and the connection is usable again right after.
        @Test func connectionRecoversAfterACommitLostWithTheServer() throws {
            let conninfo = try TestDatabase.create()
            let connection = try Connection(conninfo: conninfo)
            let admin = try Connection(conninfo: conninfo)
            let pid = Statement("own_backend_pid", "SELECT pg_backend_pid() AS pid")
            let terminate = Statement("terminate_backend", "SELECT pg_terminate_backend($1::int, 5000) AS done")
            do {
                try connection.transaction {
                    let backend = try #require(try connection.query(pid).first?.int("pid"))
                    #expect(try admin.query(terminate, [backend]).first?.bool("done") == true)
                }
                Issue.record("the COMMIT on a terminated session succeeded")
            } catch let error as StoreError {
                #expect(error.kind == .unavailable)
            }
            #expect(!connection.isInTransaction)
            #expect(try connection.query(pid).first?.int("pid") != nil)
            #expect(try connection.transaction { try connection.query(pid).first?.int("pid") } != nil)
        }
    }
}

/// Runs an executable and waits for it with `waitpid` (Foundation's `Process.waitUntilExit` can miss
/// the child's exit inside the test runner). Returns the exit status.
func runToCompletion(_ path: String) throws -> Int32 {
    var pid: pid_t = 0
    let argv: [UnsafeMutablePointer<CChar>?] = [strdup(path), nil]
    defer { for pointer in argv { free(pointer) } }
    let spawned = posix_spawn(&pid, path, nil, nil, argv, environ)
    guard spawned == 0 else { throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EINVAL) }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    return (status >> 8) & 0xff
}
