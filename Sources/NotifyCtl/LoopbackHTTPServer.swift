import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A minimal HTTP/1.1 server for `notifyctl listen`: one request per connection, served one at a
/// time, bodies by `Content-Length` only (what the sweep sends), every answer with
/// `Connection: close`. Enough for a developer's receiver; not a general web server.
final class LoopbackHTTPServer {
    /// One received request: header names lower-cased.
    struct Request {
        let method: String
        let target: String
        let headers: [String: String]
        let body: [UInt8]
    }

    static let maxHeaderBytes = 64 * 1024
    static let maxBodyBytes = 8 * 1024 * 1024

    private let socket: Int32
    let port: Int

    /// Listens on `host:port` (port 0 picks a free one, see `port`).
    init(host: String, port: Int) throws {
        let fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw CtlSupport.fail("socket: \(String(cString: strerror(errno)))") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(truncatingIfNeeded: port).bigEndian)
        guard (0...65535).contains(port), inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            close(fd)
            throw CtlSupport.fail("--host must be an IPv4 address and --port 0 to 65535", code: 2)
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(fd, 64) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw CtlSupport.fail("cannot listen on \(host):\(port): \(reason)")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        socket = fd
        self.port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit {
        close(socket)
    }

    /// Accepts connections forever; `handle` returns the status and text body of each answer.
    /// A request that cannot be read (malformed, too large, or slower than 10 s) gets a 400.
    func serve(_ handle: (Request) -> (status: Int, body: String)) {
        while true {
            let client = accept(socket, nil, nil)
            guard client >= 0 else { continue }
            var timeout = timeval(tv_sec: 10, tv_usec: 0)
            setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            let answer: (status: Int, body: String) = Self.read(client).map(handle) ?? (400, "malformed request\n")
            Self.write(client, status: answer.status, body: answer.body)
            close(client)
        }
    }

    private static func read(_ client: Int32) -> Request? {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        var headerEnd: Int?
        var expected = Int.max
        while data.count < expected {
            let count = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { return nil }
            data.append(contentsOf: buffer[0..<count])
            if headerEnd == nil, let end = find([13, 10, 13, 10], in: data) {
                headerEnd = end
                guard let length = contentLength(data[0..<end]), length <= maxBodyBytes else { return nil }
                expected = end + 4 + length
            }
            if headerEnd == nil && data.count > maxHeaderBytes { return nil }
        }
        guard let end = headerEnd else { return nil }
        let lines = String(decoding: data[0..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let requestLine = lines[0].split(separator: " ")
        guard requestLine.count == 3 else { return nil }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { return nil }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(
                in: .whitespaces)
        }
        return Request(
            method: String(requestLine[0]), target: String(requestLine[1]), headers: headers,
            body: Array(data[(end + 4)..<expected]))
    }

    /// The `Content-Length` of a header block (0 when absent); `nil` when it is malformed or the
    /// body is chunked (the sweep always sends a length).
    private static func contentLength(_ head: ArraySlice<UInt8>) -> Int? {
        var length = 0
        for line in String(decoding: head, as: UTF8.self).components(separatedBy: "\r\n").dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let name = parts[0].lowercased()
            let value = parts[1].trimmingCharacters(in: .whitespaces)
            if name == "transfer-encoding" { return nil }
            if name == "content-length" {
                guard let number = Int(value), number >= 0 else { return nil }
                length = number
            }
        }
        return length
    }

    private static func find(_ needle: [UInt8], in data: [UInt8]) -> Int? {
        guard data.count >= needle.count else { return nil }
        for start in 0...(data.count - needle.count) where data[start..<(start + needle.count)].elementsEqual(needle) {
            return start
        }
        return nil
    }

    private static func write(_ client: Int32, status: Int, body: String) {
        let reason = [200: "OK", 400: "Bad Request"][status] ?? "Status"
        let bytes = Array(body.utf8)
        let head =
            "HTTP/1.1 \(status) \(reason)\r\nContent-Type: text/plain; charset=utf-8\r\n"
            + "Content-Length: \(bytes.count)\r\nConnection: close\r\n\r\n"
        let output = Array(head.utf8) + bytes
        var sent = 0
        while sent < output.count {
            // MSG_NOSIGNAL: a client that hung up is an error code here, not a SIGPIPE for the process.
            let count = output[sent...].withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if count <= 0 { return }
            sent += count
        }
    }
}
