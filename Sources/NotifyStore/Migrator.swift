import Foundation

/// Applies the numbered `.sql` files of `Migrations/` in order, each in its own transaction, and
/// records them in `schema_migrations`. Safe to run twice (applied files are skipped) and from two
/// processes at once (a session advisory lock serializes them). Files are never edited once applied.
public struct Migrator {
    /// A migration file: `0001_name.sql` has version 1.
    public struct Migration: Sendable {
        public let version: Int
        public let name: String
        public let sql: String
    }

    static let lockKey = 7_307_001

    private let connection: Connection

    public init(connection: Connection) {
        self.connection = connection
    }

    /// The migrations shipped with this build, in version order.
    public static func bundled() throws -> [Migration] {
        guard let folder = Bundle.module.url(forResource: "Migrations", withExtension: nil) else {
            throw StoreError(kind: .failed, message: "the Migrations folder is missing from the build")
        }
        let files = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
        let migrations = try files.filter { $0.pathExtension == "sql" }.map { file -> Migration in
            let name = file.deletingPathExtension().lastPathComponent
            guard let version = Int(name.prefix { $0.isNumber }) else {
                throw StoreError(kind: .failed, message: "migration \(name) does not start with a number")
            }
            return Migration(version: version, name: name, sql: try String(contentsOf: file, encoding: .utf8))
        }
        return migrations.sorted { $0.version < $1.version }
    }

    /// Applies what is missing and returns the names of the migrations applied by this call.
    @discardableResult
    public func migrate(_ migrations: [Migration]) throws -> [String] {
        try connection.query(MigrationStatements.lock, [Self.lockKey])
        defer { _ = try? connection.query(MigrationStatements.unlock, [Self.lockKey]) }
        try connection.query(MigrationStatements.createTable)
        let applied = Set(try connection.query(MigrationStatements.applied).all.map { try $0.int("version") })
        var names: [String] = []
        for migration in migrations where !applied.contains(migration.version) {
            try connection.transaction {
                try connection.executeScript(migration.sql, name: migration.name)
                try connection.query(MigrationStatements.record, [migration.version, migration.name])
            }
            names.append(migration.name)
        }
        return names
    }
}
