import Foundation
import NotifyStore

/// A fresh database per test on the throwaway cluster that `scripts/test` starts
/// (`NOTIFY_TEST_DATABASE_URL`); tests never share state.
enum TestDatabase {
    static var baseURL: String? { ProcessInfo.processInfo.environment["NOTIFY_TEST_DATABASE_URL"] }

    static var isConfigured: Bool { baseURL != nil }

    /// Creates an empty database and returns its conninfo.
    static func create() throws -> String {
        let base = baseURL ?? ""
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        let admin = try Connection(conninfo: base)
        try admin.executeScript("CREATE DATABASE \(name)", name: "create_test_database")
        return base + " dbname=\(name)"
    }

    /// Creates a database with every migration applied and returns a connection to it.
    static func migrated() throws -> Connection {
        let connection = try Connection(conninfo: try create())
        try Migrator(connection: connection).migrate(try Migrator.bundled())
        return connection
    }
}
