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
    /// JIT compilation is off: a generic plan over all the partitions is estimated expensive enough
    /// to be compiled, and compiling the rendering of an event page takes seconds, for a statement
    /// that runs in milliseconds. Set through libpq's `PGOPTIONS`, so it also holds after a
    /// reconnect, with any conninfo form.
    static let sessionOptions = ["plan_cache_mode": "force_generic_plan", "jit": "off"]

    init(conninfo: String) {
        self.conninfo = conninfo
        var options = getenv("PGOPTIONS").map { String(cString: $0) } ?? ""
        // The standard library's search over the bytes: Foundation's `String.contains` would be the
        // only Foundation string code a worker runs, and paging it in cost each worker memory.
        for (name, value) in Self.sessionOptions.sorted(by: { $0.key < $1.key })
        where !options.utf8.contains(name.utf8) {
            options += (options.isEmpty ? "" : " ") + "-c \(name)=\(value)"
        }
        setenv("PGOPTIONS", options, 1)
    }

    func connection() throws -> Connection {
        if let current { return current }
        let connection = try Connection(conninfo: conninfo)
        current = connection
        return connection
    }
}
