import Glibc
import NotifyStore

/// The worker's one Postgres connection, opened on first use and re-opened after the
/// server went away, so a worker started while Postgres is down serves 503 until it is back.
final class Database {
    private let conninfo: String
    private var current: Connection?

    /// The worker's statements are prepared once per filter combination, so each has its own index
    /// plan; a generic plan serves them all. Left to itself PostgreSQL plans the first calls of each
    /// anew, and over the day partitions of the history that planning cost several times the query.
    /// Set through libpq's `PGOPTIONS`, so it also holds after a reconnect, with any conninfo form.
    static let sessionOptions = "-c plan_cache_mode=force_generic_plan"

    init(conninfo: String) {
        self.conninfo = conninfo
        let existing = getenv("PGOPTIONS").map { String(cString: $0) } ?? ""
        if !existing.contains("plan_cache_mode") {
            setenv("PGOPTIONS", existing.isEmpty ? Self.sessionOptions : existing + " " + Self.sessionOptions, 1)
        }
    }

    func connection() throws -> Connection {
        if let current { return current }
        let connection = try Connection(conninfo: conninfo)
        current = connection
        return connection
    }
}
