import CFastCGI
import Foundation
import Glibc

/// The listening unix socket that the master opens before forking; every worker accepts on it.
/// libfcgi keeps its own state per process, so `FCGX_Init` runs once in each worker.
struct FastCGISocket {
    /// Connections nginx may have waiting for a free worker: the kernel's accept queue of the
    /// socket. nginx keeps fewer requests than this in flight (its `limit_conn`), so the queue is
    /// the bounded wait in front of the workers and never overflows; if it did, nginx's connect
    /// would fail at once (EAGAIN) and the client would get a 503 with `Retry-After`.
    static let backlog: Int32 = 4096

    let descriptor: Int32

    /// Opens (replacing a stale file) the socket at `path` with a deep backlog, mode
    /// 0660: only its owner and `group` (nginx's workers' group) may connect, never other local
    /// users, who could otherwise send requests with any `REMOTE_ADDR` and skip nginx's limits.
    /// The umask is tightened while the socket is created, so it is never briefly open to all.
    /// - Parameter group: a group name or number; `nil` keeps the process's own group.
    init(path: String, backlog: Int32, group: String? = nil) throws {
        var groupId: gid_t?
        if let group {
            if let number = UInt32(group) {
                groupId = number
            } else if let entry = getgrnam(group) {
                groupId = entry.pointee.gr_gid
            } else {
                throw StartupError("NOTIFY_FCGI_SOCKET_GROUP: no group '\(group)'")
            }
        }
        unlink(path)
        let previousMask = umask(0o117)
        let descriptor = FCGX_OpenSocket(path, backlog)
        umask(previousMask)
        guard descriptor >= 0 else { throw StartupError("cannot open FastCGI socket at \(path)") }
        if let groupId, chown(path, uid_t.max, groupId) != 0 {
            throw StartupError("cannot give FastCGI socket \(path) to group \(groupId): errno \(errno)")
        }
        guard chmod(path, 0o660) == 0 else { throw StartupError("cannot chmod FastCGI socket \(path): errno \(errno)") }
        self.descriptor = descriptor
    }

    /// The accept queue the kernel really gives: `listen` silently caps the backlog at
    /// `net.core.somaxconn` (4096 by default since Linux 5.4, 128 before), so the start log shows
    /// the smaller of the two.
    static func effectiveBacklog(_ requested: Int32, somaxconnFile: String = "/proc/sys/net/core/somaxconn")
        -> Int32
    {
        guard let text = try? String(contentsOfFile: somaxconnFile, encoding: .utf8),
            let cap = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), cap > 0
        else { return requested }
        return min(requested, cap)
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
