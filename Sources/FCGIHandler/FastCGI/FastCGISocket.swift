import CFastCGI
import Glibc

/// The listening unix socket that the master opens before forking; every worker accepts on it.
/// libfcgi keeps its own state per process, so `FCGX_Init` runs once in each worker.
struct FastCGISocket {
    let descriptor: Int32

    /// Opens (replacing a stale file) the socket at `path` with a deep backlog (DESIGN §6) and makes
    /// it writable for nginx's workers; access is controlled by the folder that holds it.
    init(path: String, backlog: Int32) throws {
        unlink(path)
        let descriptor = FCGX_OpenSocket(path, backlog)
        guard descriptor >= 0 else { throw StartupError("cannot open FastCGI socket at \(path)") }
        chmod(path, 0o666)
        self.descriptor = descriptor
    }

    static func initializeLibrary() throws {
        guard FCGX_Init() == 0 else { throw StartupError("FCGX_Init failed") }
    }
}

/// A failure to start that ends the process with a message.
struct StartupError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
