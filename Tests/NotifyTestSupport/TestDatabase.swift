import Foundation
import NotifyStore

/// A fresh database per test on the throwaway cluster that `scripts/test` starts
/// (`NOTIFY_TEST_DATABASE_URL`); tests never share state. Shared by every test target that talks
/// to Postgres (store, sweep and request-handling tests).
public enum TestDatabase {
    public static var baseURL: String? { ProcessInfo.processInfo.environment["NOTIFY_TEST_DATABASE_URL"] }

    /// Whether `scripts/test` provided a database; suites that need one are skipped otherwise.
    public static var isConfigured: Bool { baseURL != nil }

    /// Creates an empty database and returns its conninfo.
    public static func create() throws -> String {
        let base = baseURL ?? ""
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        let admin = try Connection(conninfo: base)
        try admin.executeScript("CREATE DATABASE \(name)", name: "create_test_database")
        return base + " dbname=\(name)"
    }

    /// A name for a test's ad-hoc statement: a connection keeps statements prepared by name, so
    /// two different texts must never share one.
    public static func statementName(for sql: String) -> String {
        "test_" + String(UInt(bitPattern: sql.hashValue), radix: 16)
    }

    /// Creates a database with every migration applied and returns its conninfo.
    public static func migratedConninfo() throws -> String {
        let conninfo = try create()
        try Migrator(connection: try Connection(conninfo: conninfo)).migrate(try Migrator.bundled())
        return conninfo
    }

    /// Creates a database with every migration applied and returns a connection to it.
    public static func migrated() throws -> Connection {
        try Connection(conninfo: try migratedConninfo())
    }
}
