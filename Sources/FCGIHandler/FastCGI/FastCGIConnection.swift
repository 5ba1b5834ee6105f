import CFastCGI

/// One accepted FastCGI request: the single owner of the `FCGX_Request` it accepts into, which it
/// frees in `deinit`. It reads CGI parameters and the body, and writes one response.
final class FastCGIConnection {
    private let request: UnsafeMutablePointer<FCGX_Request>

    init(socket: FastCGISocket) {
        request = .allocate(capacity: 1)
        FCGX_InitRequest(request, socket.descriptor, Int32(FCGI_FAIL_ACCEPT_ON_INTR))
    }

    deinit {
        FCGX_Free(request, 1)
        request.deallocate()
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
        var chunk = [CChar](repeating: 0, count: 4096)
        if let input = request.pointee.in {
            while FCGX_GetStr(&chunk, Int32(chunk.count), input) > 0 {}
        }
        request.pointee.detached = 1
        FCGX_Finish_r(request)
        request.pointee.detached = 0
    }

    /// The CGI parameters nginx sent (REQUEST_METHOD, REQUEST_URI, HTTP_* headers, ...).
    func parameters() -> [String: String] {
        var result: [String: String] = [:]
        guard var cursor = request.pointee.envp else { return result }
        while let entry = cursor.pointee {
            let text = String(cString: entry)
            if let equals = text.firstIndex(of: "=") {
                result[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            cursor += 1
        }
        return result
    }

    /// Reads the body up to `limit` bytes. `nil` when the body is longer than `limit`.
    func readBody(limit: Int) -> [UInt8]? {
        var body: [UInt8] = []
        var chunk = [CChar](repeating: 0, count: 65_536)
        while true {
            let count = Int(FCGX_GetStr(&chunk, Int32(chunk.count), request.pointee.in))
            if count <= 0 { return body }
            if body.count + count > limit { return nil }
            chunk.withUnsafeBytes { body.append(contentsOf: $0.prefix(count)) }
        }
    }

    /// Writes the CGI status line, headers and body.
    func write(status: Int, headers: [(String, String)], body: [UInt8]) {
        var head = "Status: \(status) \(HTTPResponse.reason(for: status))\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "\r\n"
        var bytes = Array(head.utf8)
        bytes.append(contentsOf: body)
        bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) {
                _ = FCGX_PutStr($0.baseAddress, Int32($0.count), request.pointee.out)
            }
        }
    }
}
