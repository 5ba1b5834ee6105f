import Foundation
import NotifyStore
import Testing

extension StoreTests {
    @Suite struct MigrationTests {
        @Test func bundledMigrationsAreNumberedInOrder() throws {
            let migrations = try Migrator.bundled()
            #expect(migrations.count >= 2)
            #expect(migrations.map(\.version) == Array(1...migrations.count))
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

/// Collects what two migrating threads did.
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
