/// A named SQL statement with `$n` parameters. Every statement of the system is one of these,
/// declared in a `*Statements.swift` file of this module and listed by `StatementCatalog`; the name
/// is used to prepare it once per connection and appears in every error and log line about it.
public struct Statement: Sendable, Hashable {
    public let name: String
    public let sql: String
    /// Whether running the statement a second time, after a first run whose outcome is unknown
    /// (the connection broke while it ran), does no harm and answers the same: reads, and writes
    /// that set a state rather than add to one. Only these are retried on a new connection when
    /// the server went away in the middle of them; any other statement then fails as
    /// `unavailable`, because its first run may have committed.
    public let safeToRepeat: Bool

    public init(_ name: String, _ sql: String, safeToRepeat: Bool = false) {
        self.name = name
        self.sql = sql
        self.safeToRepeat = safeToRepeat
    }
}
