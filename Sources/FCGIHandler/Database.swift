import NotifyStore

/// The worker's one Postgres connection (DESIGN §2), opened on first use and re-opened after the
/// server went away, so a worker started while Postgres is down serves 503 until it is back.
final class Database {
    private let conninfo: String
    private var current: Connection?

    init(conninfo: String) {
        self.conninfo = conninfo
    }

    func connection() throws -> Connection {
        if let current { return current }
        let connection = try Connection(conninfo: conninfo)
        current = connection
        return connection
    }
}
