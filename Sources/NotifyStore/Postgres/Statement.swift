/// A named SQL statement with `$n` parameters. Every statement of the system is one of these,
/// declared in a `*Statements.swift` file of this module; the name is used to prepare it once per
/// connection and appears in every error and log line about it.
public struct Statement: Sendable, Hashable {
    public let name: String
    public let sql: String

    public init(_ name: String, _ sql: String) {
        self.name = name
        self.sql = sql
    }
}
