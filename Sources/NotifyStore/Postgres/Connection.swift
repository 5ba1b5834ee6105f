import CPostgres
import Glibc
import NotifyFoundation

/// One libpq connection and the single owner of its `PGconn` (closed in `deinit`). Statements are
/// prepared once per connection on first use and values are always bound parameters.
///
/// A connection that the server dropped (restart, failover) is re-opened, outside a transaction
/// only: before a statement is sent when the loss is already visible (nothing was sent, so any
/// statement may go), and after a statement failed with it only when the statement is
/// `safeToRepeat` (its first run may have committed, so anything else fails as `unavailable`).
/// With a multi-host conninfo (`host=a,b port=p,q target_session_attrs=read-write`) the re-opened
/// connection goes to whichever host is the primary now.
public final class Connection {
    let handle: OpaquePointer
    var prepared: Set<String> = []
    var inTransaction = false
    /// The `LISTEN`s of this connection: run again on the new session a reconnect opens, which
    /// would otherwise no longer hear the channels, without a word.
    var subscriptions: [Statement] = []

    /// Settings used unless the conninfo gives its own: a host that does not answer (down, or cut
    /// off by the network) costs at most 2 s per host to connect, 5 s of unacknowledged data on an
    /// open connection ends it, and a connection silent for 5 s is probed, so a caller waiting for
    /// an answer from a host that vanished gets an `unavailable` error within about 10 s instead of
    /// hanging for the minutes (or hours) TCP would take. Ignored for unix sockets.
    static let defaultSettings: [(keyword: String, value: String)] = [
        ("connect_timeout", "2"), ("tcp_user_timeout", "5000"), ("keepalives_idle", "5"),
        ("keepalives_interval", "2"), ("keepalives_count", "2"),
    ]

    /// Opens a connection. - Parameter conninfo: a libpq conninfo string or URI; its own settings
    /// win over `defaultSettings`.
    public init(conninfo: String) throws {
        // Keywords before the expanded `dbname` entry are overridden by the conninfo's own values.
        let keywords = Self.defaultSettings.map(\.keyword) + ["dbname"]
        let values = Self.defaultSettings.map(\.value) + [conninfo]
        let cKeywords: [UnsafeMutablePointer<CChar>?] = keywords.map { strdup($0) } + [nil]
        let cValues: [UnsafeMutablePointer<CChar>?] = values.map { strdup($0) } + [nil]
        defer { for pointer in cKeywords + cValues { free(pointer) } }
        let opened = cKeywords.withUnsafeBufferPointer { keywordBuffer in
            cValues.withUnsafeBufferPointer { valueBuffer in
                keywordBuffer.withMemoryRebound(to: UnsafePointer<CChar>?.self) { constKeywords in
                    valueBuffer.withMemoryRebound(to: UnsafePointer<CChar>?.self) { constValues in
                        PQconnectdbParams(constKeywords.baseAddress, constValues.baseAddress, 1)
                    }
                }
            }
        }
        guard let handle = opened else {
            throw StoreError(kind: .unavailable, message: "libpq could not allocate a connection")
        }
        self.handle = handle
        guard PQstatus(handle) == CONNECTION_OK else {
            throw StoreError(kind: .unavailable, message: "cannot connect to Postgres: \(lastError)")
        }
        PQsetNoticeProcessor(handle, { _, _ in }, nil)
    }

    deinit {
        PQfinish(handle)
    }

    public var isInTransaction: Bool { inTransaction }

    /// The value libpq uses for one connection setting (e.g. `connect_timeout`), `nil` when unset.
    func setting(_ keyword: String) -> String? {
        guard let options = PQconninfo(handle) else { return nil }
        defer { PQconninfoFree(options) }
        var option = options
        while let name = option.pointee.keyword {
            if String(cString: name) == keyword { return option.pointee.val.map { String(cString: $0) } }
            option += 1
        }
        return nil
    }

    var lastError: String {
        String(cString: PQerrorMessage(handle)).trimmingASCIIWhitespace()
    }

    /// Runs a prepared statement with bound parameters and returns its rows.
    @discardableResult
    public func query(_ statement: Statement, _ parameters: [any SQLParameter] = []) throws -> Rows {
        let values = parameters.map(\.sqlText)
        guard !inTransaction else { return try run(statement, values) }
        if !statement.safeToRepeat { try reopenIfLost() }
        do {
            return try run(statement, values)
        } catch let error as StoreError where error.kind == .unavailable && statement.safeToRepeat {
            try reconnect(after: error)
            return try run(statement, values)
        }
    }

    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws.
    /// Transactions do not nest: calling this inside `body` throws a `StoreError` of kind
    /// `nestedTransaction` (the inner one would commit or roll back the outer one's work).
    @discardableResult
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        guard !inTransaction else {
            throw StoreError(
                kind: .nestedTransaction, message: "a transaction cannot start inside another one",
                statement: ConnectionStatements.begin.name)
        }
        try query(ConnectionStatements.begin)
        inTransaction = true
        let value: T
        do {
            value = try body()
        } catch {
            _ = try? run(ConnectionStatements.rollback, [])
            inTransaction = false
            throw error
        }
        // A COMMIT that fails on a lost connection leaves the outcome unknown to us (the server may
        // have committed it): the error says so, and the next call opens a new connection.
        defer { inTransaction = false }
        _ = try run(ConnectionStatements.commit, [])
        return value
    }

    /// One statement of a pipelined transaction and its parameters.
    public struct Step: Sendable {
        let statement: Statement
        let values: [String?]

        public init(_ statement: Statement, _ parameters: [any SQLParameter] = []) {
            self.statement = statement
            self.values = parameters.map(\.sqlText)
        }

        static let begin = Step(ConnectionStatements.begin)
        static let commit = Step(ConnectionStatements.commit)
    }

    /// Prepares a statement without running it: lets a test check every statement of the system
    /// against the migrated schema.
    public func prepare(_ statement: Statement) throws {
        guard !prepared.contains(statement.name) else { return }
        try check(PQprepare(handle, statement.name, statement.sql, 0, nil), statement: statement.name)
            .map { PQclear($0) }
        prepared.insert(statement.name)
    }

    /// Runs SQL text that has no parameters and may hold several statements: migrations only.
    public func executeScript(_ sql: String, name: String) throws {
        try check(PQexec(handle, sql), statement: name).map { PQclear($0) }
    }

    /// Subscribes this connection to a channel (`statement` is its `LISTEN`), now and on every new
    /// session a reconnect opens.
    public func listen(_ statement: Statement) throws {
        try query(statement)
        if !subscriptions.contains(statement) { subscriptions.append(statement) }
    }

    /// Waits up to `timeout` seconds for a `NOTIFY` on a channel this connection listens to and
    /// drains every pending one. `false` on timeout or when a signal interrupted the wait.
    public func waitForNotification(timeout: Double) throws -> Bool {
        if drainNotifications() { return true }
        let socket = PQsocket(handle)
        guard socket >= 0 else { throw StoreError(kind: .unavailable, message: "the connection has no socket") }
        var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
        guard poll(&descriptor, 1, Int32(max(0, timeout) * 1000)) > 0 else { return false }
        guard PQconsumeInput(handle) == 1 else {
            throw StoreError(kind: .unavailable, message: "lost the connection while waiting: \(lastError)")
        }
        return drainNotifications()
    }

    /// Frees every notification libpq has queued; `true` when there was one.
    private func drainNotifications() -> Bool {
        var received = false
        while let notification = PQnotifies(handle) {
            PQfreemem(notification)  // the PGnotify struct and its strings are one allocation
            received = true
        }
        return received
    }

    /// `true` when the server answers a trivial query now (used by `/healthz`).
    public func ping() -> Bool {
        (try? query(ConnectionStatements.ping)) != nil
    }

    /// Re-opens the connection when the server is already known to have closed it: libpq says so,
    /// or reading what the idle socket holds shows it. A server that ends a session sends its
    /// reason, then end of file, and libpq sees the end only on the read after the one that took
    /// the reason: so up to a few reads, while there is something to read. Nothing of the next
    /// statement has been sent yet.
    func reopenIfLost() throws {
        var reads = 0
        while PQstatus(handle) == CONNECTION_OK && reads < 4 {
            var descriptor = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 0) > 0 else { break }
            _ = PQconsumeInput(handle)
            reads += 1
        }
        if PQstatus(handle) != CONNECTION_OK {
            try reconnect(after: StoreError(kind: .unavailable, message: lastError))
        }
    }

    func reconnect(after error: StoreError) throws {
        guard PQstatus(handle) != CONNECTION_OK else { throw error }
        PQreset(handle)
        prepared.removeAll()
        guard PQstatus(handle) == CONNECTION_OK else {
            throw StoreError(
                kind: .unavailable, message: "cannot reconnect to Postgres: \(lastError)",
                statement: error.statement)
        }
        for subscription in subscriptions { _ = try run(subscription, []) }
    }

    func run(_ statement: Statement, _ values: [String?]) throws -> Rows {
        if !prepared.contains(statement.name) {
            try check(
                PQprepare(handle, statement.name, statement.sql, Int32(values.count), nil),
                statement: statement.name
            ).map { PQclear($0) }
            prepared.insert(statement.name)
        }
        let result = withParameters(values) {
            PQexecPrepared(handle, statement.name, Int32(values.count), $0, nil, nil, 0)
        }
        guard let result = try check(result, statement: statement.name) else {
            throw StoreError(kind: .failed, message: "no result", statement: statement.name)
        }
        return Rows(result: result, statement: statement.name)
    }

    /// Calls `body` with `values` as libpq takes a statement's parameters: an array of C strings,
    /// a null pointer for NULL, valid for the call.
    func withParameters<R>(_ values: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
        let cStrings: [UnsafeMutablePointer<CChar>?] = values.map { $0.flatMap { strdup($0) } }
        defer { for pointer in cStrings { free(pointer) } }
        return cStrings.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: UnsafePointer<CChar>?.self) { body($0.baseAddress) }
        }
    }

    /// Turns a libpq result into either the result (caller owns it) or a typed error (result cleared).
    func check(_ result: OpaquePointer?, statement: String) throws -> OpaquePointer? {
        guard let result else {
            throw StoreError.from(
                sqlState: nil, message: lastError, statement: statement,
                connectionLost: PQstatus(handle) != CONNECTION_OK)
        }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            return result
        default:
            let sqlState = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
            let message = String(cString: PQresultErrorMessage(result)).trimmingASCIIWhitespace()
            PQclear(result)
            throw StoreError.from(
                sqlState: sqlState, message: message.isEmpty ? lastError : message,
                statement: statement, connectionLost: PQstatus(handle) != CONNECTION_OK)
        }
    }
}
