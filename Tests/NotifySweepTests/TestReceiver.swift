import Foundation
import Glibc

/// A small HTTP/1.1 server on a loopback address for the delivery tests: it records every
/// request (method, path, headers, body) and every accepted TCP connection, and answers as its
/// `behaviour` says, including the misbehaviours a real receiver can show (slow, redirecting,
/// endless body, never answering). Plain POSIX sockets, a thread per connection, keep-alive.
/// `@unchecked Sendable`: its mutable state (requests, connections, stopped) is read and written
/// only under `lock`; the rest is immutable after `init`.
final class TestReceiver: @unchecked Sendable {
    /// One request as it arrived.
    struct Request: Sendable {
        let method: String
        let path: String
        let headers: [(name: String, value: String)]
        let body: [UInt8]

        /// The value of the first header named `name` (case-insensitive).
        func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }
    }

    /// How to answer a request.
    indirect enum Behaviour: Sendable {
        /// A complete response with this status and body.
        case respond(status: Int, body: String)
        /// Waits, then answers as `then`.
        case delay(seconds: Double, then: Behaviour)
        /// A `302` whose `Location` is `path` on this receiver.
        case redirect(to: String)
        /// A `200` announcing and sending `bytes` bytes of `x`, then closing.
        case largeBody(bytes: Int)
        /// Never answers; the connection stays open until the receiver stops.
        case hang
    }

    let host: String
    let port: UInt16
    private let listener: Int32
    private let behaviour: @Sendable (Request) -> Behaviour
    private let lock = NSLock()
    private var recorded: [Request] = []
    private var accepted = 0
    private var clients: Set<Int32> = []
    private var stopped = false

    /// Listens on `host` at a free port and starts accepting.
    init(host: String = "127.0.0.1", behaviour: @escaping @Sendable (Request) -> Behaviour) throws {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw ReceiverError("socket: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            close(socket)
            throw ReceiverError("not an IPv4 address: \(host)")
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(socket, 128) == 0 else {
            close(socket)
            throw ReceiverError("bind/listen on \(host): errno \(errno)")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) }
        }
        self.host = host
        self.port = UInt16(bigEndian: address.sin_port)
        self.listener = socket
        self.behaviour = behaviour
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    deinit {
        stop()
    }

    /// `http://host:port` of this receiver.
    var baseURL: String { "http://\(host):\(port)" }

    /// The requests received so far, in arrival order.
    var requests: [Request] {
        lock.lock()
        defer { lock.unlock() }
        return recorded
    }

    /// TCP connections accepted so far.
    var acceptedConnections: Int {
        lock.lock()
        defer { lock.unlock() }
        return accepted
    }

    private var isStopped: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopped
    }

    /// Stops accepting and ends every open connection. Descriptors are only shut down here and
    /// closed by the thread that uses them, so a number is never reused while a thread still holds it.
    func stop() {
        lock.lock()
        defer { lock.unlock() }
        guard !stopped else { return }
        stopped = true
        shutdown(listener, Int32(SHUT_RDWR))
        for client in clients { shutdown(client, Int32(SHUT_RDWR)) }
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            lock.lock()
            if stopped || client < 0 {
                lock.unlock()
                if client >= 0 { close(client) }
                if !isStopped, client < 0, errno == EINTR { continue }
                break
            }
            accepted += 1
            clients.insert(client)
            lock.unlock()
            let thread = Thread { [self] in serve(client) }
            thread.start()
        }
        close(listener)
    }

    private func serve(_ client: Int32) {
        var buffer: [UInt8] = []
        while let request = readRequest(client, &buffer) {
            lock.lock()
            recorded.append(request)
            lock.unlock()
            guard answer(client, behaviour(request)) else { break }
        }
        lock.lock()
        clients.remove(client)
        lock.unlock()
        close(client)
    }

    /// Answers one request. - Returns: whether the connection can carry another request.
    private func answer(_ client: Int32, _ behaviour: Behaviour) -> Bool {
        switch behaviour {
        case .respond(let status, let body):
            return send(client, head(status: status, length: body.utf8.count) + Array(body.utf8))
        case .delay(let seconds, let then):
            usleep(UInt32(seconds * 1_000_000))
            return answer(client, then)
        case .redirect(let path):
            return send(client, head(status: 302, length: 0, extra: "Location: \(baseURL)\(path)\r\n"))
        case .largeBody(let bytes):
            guard send(client, head(status: 200, length: bytes)) else { return false }
            let chunk = [UInt8](repeating: UInt8(ascii: "x"), count: 16 * 1024)
            var sent = 0
            while sent < bytes, send(client, Array(chunk.prefix(bytes - sent))) {
                sent += min(chunk.count, bytes - sent)
            }
            return false
        case .hang:
            while !isStopped { usleep(20_000) }
            return false
        }
    }

    private func head(status: Int, length: Int, extra: String = "") -> [UInt8] {
        Array("HTTP/1.1 \(status) Status\r\nContent-Length: \(length)\r\n\(extra)\r\n".utf8)
    }

    private func send(_ client: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes {
                Glibc.send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { return false }
            offset += written
        }
        return true
    }

    /// Reads one request (head and `Content-Length` body); `nil` when the peer closed or sent garbage.
    private func readRequest(_ client: Int32, _ buffer: inout [UInt8]) -> Request? {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        var headEnd: Int?
        while true {
            headEnd = buffer.firstRange(of: separator)?.lowerBound
            if headEnd != nil { break }
            guard receive(client, &buffer) else { return nil }
        }
        guard let headEnd else { return nil }
        let lines = String(decoding: buffer[..<headEnd], as: UTF8.self).components(separatedBy: "\r\n")
        let requestLine = lines[0].split(separator: " ")
        guard requestLine.count == 3 else { return nil }
        let headers: [(name: String, value: String)] = lines.dropFirst().compactMap { line in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            return (name: String(line[..<colon]), value: value)
        }
        let length = headers.first { $0.name.lowercased() == "content-length" }.flatMap { Int($0.value) } ?? 0
        let bodyStart = headEnd + separator.count
        while buffer.count < bodyStart + length {
            guard receive(client, &buffer) else { return nil }
        }
        let body = Array(buffer[bodyStart..<(bodyStart + length)])
        buffer.removeFirst(bodyStart + length)
        return Request(method: String(requestLine[0]), path: String(requestLine[1]), headers: headers, body: body)
    }

    private func receive(_ client: Int32, _ buffer: inout [UInt8]) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { return false }
            buffer.append(contentsOf: chunk.prefix(count))
            return true
        }
    }

    /// A failure to set the receiver up.
    struct ReceiverError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}

extension TestReceiver {
    /// A port on 127.0.0.1 where nothing listens: bound to get a free number, then closed unlistened.
    static func closedPort() throws -> UInt16 {
        let receiver = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard receiver >= 0 else { throw ReceiverError("socket: errno \(errno)") }
        defer { close(receiver) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(receiver, $0, length) == 0 && getsockname(receiver, $0, &length) == 0
            }
        }
        guard bound else { throw ReceiverError("bind: errno \(errno)") }
        return UInt16(bigEndian: address.sin_port)
    }
}
