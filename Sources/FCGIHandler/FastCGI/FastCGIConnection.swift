import CFastCGI
import Glibc

/// One accepted FastCGI request: the single owner of the `FCGX_Request` it accepts into, which it
/// frees in `deinit`. It reads CGI parameters and the body, and writes one response.
final class FastCGIConnection {
    private let request: UnsafeMutablePointer<FCGX_Request>
    /// One buffer for reading input, kept for the life of the worker instead of a new (zeroed)
    /// array per request.
    private let chunk: UnsafeMutablePointer<CChar>
    private static let chunkSize = 65_536

    init(socket: FastCGISocket) {
        request = .allocate(capacity: 1)
        chunk = .allocate(capacity: Self.chunkSize)
        FCGX_InitRequest(request, socket.descriptor, Int32(FCGI_FAIL_ACCEPT_ON_INTR))
    }

    deinit {
        FCGX_Free(request, 1)
        request.deallocate()
        chunk.deallocate()
    }

    /// Waits for the next request. `false` when accept was interrupted (a signal) or failed.
    func accept() -> Bool {
        FCGX_Accept_r(request) >= 0
    }

    /// Ends the current request and flushes its output to nginx, then closes the connection at
    /// once. The rest of the request's input is read first, so nothing is left unread (a unix
    /// socket closed with unread input resets its peer). Left to itself, libfcgi would shut down
    /// its side and wait, up to 2 s, for nginx to close first; an nginx busy answering thousands of
    /// other clients gets to that only after hundreds of milliseconds, and the worker sat idle
    /// meanwhile (6 requests a second at wrk -c5000, each done in 2 ms).
    func finish() {
        if let input = request.pointee.in {
            while FCGX_GetStr(chunk, Int32(Self.chunkSize), input) > 0 {}
        }
        request.pointee.detached = 1
        FCGX_Finish_r(request)
        request.pointee.detached = 0
    }

    /// The CGI parameters nginx sent (REQUEST_METHOD, REQUEST_URI, HTTP_* headers, ...). Each
    /// `NAME=value` entry is split at its first `=` on the bytes (no character-by-character walk).
    func parameters() -> [String: String] {
        var result: [String: String] = [:]
        result.reserveCapacity(48)  // nginx passes about 30
        guard var cursor = request.pointee.envp else { return result }
        while let entry = cursor.pointee {
            let length = strlen(entry)
            entry.withMemoryRebound(to: UInt8.self, capacity: length) { start in
                let bytes = UnsafeBufferPointer(start: start, count: length)
                guard let equals = bytes.firstIndex(of: UInt8(ascii: "=")) else { return }
                let name = String(decoding: UnsafeBufferPointer(rebasing: bytes[..<equals]), as: UTF8.self)
                result[name] = String(decoding: UnsafeBufferPointer(rebasing: bytes[(equals + 1)...]), as: UTF8.self)
            }
            cursor += 1
        }
        return result
    }

    /// Reads the body up to `limit` bytes. `nil` when the body is longer than `limit`.
    func readBody(limit: Int) -> [UInt8]? {
        var body: [UInt8] = []
        while true {
            let count = Int(FCGX_GetStr(chunk, Int32(Self.chunkSize), request.pointee.in))
            if count <= 0 { return body }
            if body.count + count > limit { return nil }
            chunk.withMemoryRebound(to: UInt8.self, capacity: count) {
                body.append(contentsOf: UnsafeBufferPointer(start: $0, count: count))
            }
        }
    }

    /// Writes the CGI status line, headers and body. The body's length goes with it
    /// (`Content-Length`, except where HTTP forbids one: 1xx, 204, 304), so nginx passes the answer
    /// on as it is instead of cutting it into chunks, which cost nginx and every client more than
    /// the answer itself for a 7 KB page.
    func write(status: Int, headers: [(String, String)], body: [UInt8]) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(128 + body.count)
        bytes.append(contentsOf: "Status: ".utf8)
        bytes.append(contentsOf: String(status).utf8)
        bytes.append(UInt8(ascii: " "))
        bytes.append(contentsOf: HTTPResponse.reason(for: status).utf8)
        bytes.append(contentsOf: "\r\n".utf8)
        for (name, value) in headers {
            bytes.append(contentsOf: name.utf8)
            bytes.append(contentsOf: ": ".utf8)
            bytes.append(contentsOf: value.utf8)
            bytes.append(contentsOf: "\r\n".utf8)
        }
        if status >= 200 && status != 204 && status != 304 {
            bytes.append(contentsOf: "Content-Length: ".utf8)
            bytes.append(contentsOf: String(body.count).utf8)
            bytes.append(contentsOf: "\r\n".utf8)
        }
        bytes.append(contentsOf: "\r\n".utf8)
        bytes.append(contentsOf: body)
        bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) {
                _ = FCGX_PutStr($0.baseAddress, Int32($0.count), request.pointee.out)
            }
        }
    }
}
