/// The SQL a `Connection` runs of its own: the health check and the transaction frame.
enum ConnectionStatements {
    /// A trivial query: the server answers it only when it is up and accepts queries.
    static let ping = Statement("connection_ping", "SELECT 1 AS alive", safeToRepeat: true)
    /// Runs only outside a transaction, so a new connection may start it again.
    static let begin = Statement("transaction_begin", "BEGIN", safeToRepeat: true)
    static let commit = Statement("transaction_commit", "COMMIT")
    static let rollback = Statement("transaction_rollback", "ROLLBACK")

    static var all: [Statement] { [ping, begin, commit, rollback] }
}
