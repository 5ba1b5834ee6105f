import CCurl
import Glibc
import NotifyDomain
import NotifyFoundation

/// One delivery attempt as a libcurl easy handle, and the single owner of everything libcurl
/// borrows for it: the `CURL *`, the header `curl_slist`, the request body and the error buffer,
/// all freed in `deinit`. It is also the target of the write and open-socket callbacks, so the
/// response cap and the connect-time address policy are enforced here.
final class CurlTransfer {
    /// What every transfer of a deliverer shares.
    struct Settings {
        let policy: AddressPolicy
        let timeoutMs: Int
        let connectTimeoutMs: Int
        let userAgent: String
        let responseLimit: Int
    }

    /// A request that cannot be started; `permanent` when retrying cannot help.
    struct SetupFailure: Error {
        let message: String
        let permanent: Bool
    }

    /// The request's position in its batch.
    let index: Int
    let id: String
    /// `CURL *` (`typedef void CURL`, so Swift sees a raw pointer); cleaned up in `deinit`.
    let easy: UnsafeMutableRawPointer
    private let policy: AddressPolicy
    /// libcurl writes its detailed message here (`CURLOPT_ERRORBUFFER`); it must hold
    /// `CURL_ERROR_SIZE` bytes and live as long as the easy handle.
    private let errorBuffer: UnsafeMutablePointer<CChar>
    /// `CURLOPT_POSTFIELDS` does not copy: libcurl reads the body from here during the transfer.
    private let body: UnsafeMutableRawBufferPointer
    /// `CURLOPT_HTTPHEADER` does not copy the list either; it must outlive the transfer.
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private var response: ResponseBuffer
    /// The first reason the address policy refused an address of this transfer.
    private var refusal: String?
    /// Sockets actually opened: a refusal only decides the outcome when none was.
    private var socketsOpened = 0

    /// Allocates the easy handle and buffers; `configure` then sets the request up.
    /// - Returns: `nil` when libcurl cannot allocate a handle (out of memory).
    init?(index: Int, request: DeliveryRequest, settings: Settings) {
        guard let easy = curl_easy_init() else { return nil }
        self.index = index
        self.id = request.id
        self.easy = easy
        self.policy = settings.policy
        self.response = ResponseBuffer(limit: settings.responseLimit)
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
        // At least one byte, so an empty POST still has a valid pointer (a NULL POSTFIELDS would make
        // libcurl read the body from stdin).
        body = .allocate(byteCount: max(1, request.body.count), alignment: 1)
        request.body.withUnsafeBytes { body.copyMemory(from: $0) }
    }

    deinit {
        // The easy handle first: it may still point at the list, the body and the error buffer.
        curl_easy_cleanup(easy)
        curl_slist_free_all(headerList)
        body.deallocate()
        errorBuffer.deallocate()
    }

    /// Sets every option of the attempt. Call once, before the transfer is added to a multi handle.
    func configure(_ request: DeliveryRequest, settings: Settings) throws(SetupFailure) {
        try CurlTransfer.validate(request)
        // libcurl copies every string option (URL, user agent, custom method, header lines) at the
        // call, so the temporary C strings Swift passes need not outlive it.
        try set(CURLOPT_URL, request.url)
        try set(CURLOPT_PROTOCOLS_STR, "http,https")
        try set(CURLOPT_FOLLOWLOCATION, 0)
        // An empty proxy overrides http_proxy and friends from the environment.
        try set(CURLOPT_PROXY, "")
        try set(CURLOPT_NOSIGNAL, 1)
        try set(CURLOPT_TIMEOUT_MS, settings.timeoutMs)
        try set(CURLOPT_CONNECTTIMEOUT_MS, settings.connectTimeoutMs)
        try set(CURLOPT_USERAGENT, settings.userAgent)
        // Receivers get the merchant's signed order data: nothing older than TLS 1.2.
        try set(CURLOPT_SSLVERSION, Int(CURL_SSLVERSION_TLSv1_2))
        try check(notify_easy_setopt_pointer(easy, CURLOPT_ERRORBUFFER, errorBuffer))

        // `self` owns the easy handle and cleans it up in deinit, so it outlives every callback:
        // an unretained pointer is enough and creates no cycle.
        let context = Unmanaged.passUnretained(self).toOpaque()
        try check(notify_easy_setopt_write_callback(easy, CurlTransfer.writeCallback))
        try check(notify_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, context))
        try check(notify_easy_setopt_opensocket_callback(easy, CurlTransfer.openSocketCallback))
        try check(notify_easy_setopt_pointer(easy, CURLOPT_OPENSOCKETDATA, context))

        try setMethodAndBody(request)
        try setHeaders(request)
    }

    private func setMethodAndBody(_ request: DeliveryRequest) throws(SetupFailure) {
        guard request.method != "GET" else {
            try set(CURLOPT_HTTPGET, 1)
            return
        }
        try set(CURLOPT_POSTFIELDSIZE, request.body.count)
        try check(notify_easy_setopt_pointer(easy, CURLOPT_POSTFIELDS, body.baseAddress))
        if request.method != "POST" {
            try set(CURLOPT_CUSTOMREQUEST, request.method)
        }
    }

    private func setHeaders(_ request: DeliveryRequest) throws(SetupFailure) {
        var lines = request.headers.map { header in
            // "Name:" with nothing after it would remove the header; "Name;" sends it empty.
            header.value.isEmpty ? "\(header.name);" : "\(header.name): \(header.value)"
        }
        // A header with no value removes one libcurl would add: no `Expect: 100-continue` round trip,
        // and no invented form Content-Type on a body the caller did not type.
        lines.append("Expect:")
        let given = Set(request.headers.map { $0.name.lowercased() })
        if !given.contains("content-type") { lines.append("Content-Type:") }
        for line in lines {
            // curl_slist_append copies the line and returns the new head, or NULL (leaving the old
            // list intact, still ours to free) when out of memory.
            guard let appended = curl_slist_append(headerList, line) else {
                throw SetupFailure(message: "out of memory building request headers", permanent: false)
            }
            headerList = appended
        }
        try check(notify_easy_setopt_pointer(easy, CURLOPT_HTTPHEADER, headerList))
    }

    /// Refuses requests that would put line breaks or NULs into the request head (header
    /// injection) or that are not a method token; validated notifications never produce them.
    private static func validate(_ request: DeliveryRequest) throws(SetupFailure) {
        let isToken: (String) -> Bool = { text in
            !text.isEmpty && text.utf8.allSatisfy { tokenBytes[Int($0)] }
        }
        let isClean: (String) -> Bool = { !$0.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 }) }
        guard isToken(request.method) else {
            throw SetupFailure(message: "invalid HTTP method '\(request.method)'", permanent: true)
        }
        guard isClean(request.url) else {
            throw SetupFailure(message: "URL contains a line break or NUL", permanent: true)
        }
        for header in request.headers where !isToken(header.name) || !isClean(header.value) {
            throw SetupFailure(message: "invalid request header '\(header.name)'", permanent: true)
        }
    }

    /// The bytes of an HTTP token (a method or a header name): visible ASCII but the separators.
    private static let tokenBytes: [Bool] = (0...255).map { byte in
        (0x21...0x7E).contains(byte) && !"\"(),/:;<=>?@[\\]{}".utf8.contains(UInt8(byte))
    }

    private func set(_ option: CURLoption, _ value: Int) throws(SetupFailure) {
        try check(notify_easy_setopt_long(easy, option, value))
    }

    private func set(_ option: CURLoption, _ value: String) throws(SetupFailure) {
        try check(notify_easy_setopt_string(easy, option, value))
    }

    private func check(_ code: CURLcode) throws(SetupFailure) {
        guard code == CURLE_OK else {
            throw SetupFailure(message: "cannot set up the transfer: \(CurlTransfer.describe(code))", permanent: false)
        }
    }

    // MARK: - Callbacks (run on the delivering thread, inside curl_multi_perform)

    private static let writeCallback: curl_write_callback = { data, size, count, context in
        let length = size * count
        guard let context, let data else { return 0 }
        let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
        // Returning anything but `length` makes libcurl abort the transfer with CURLE_WRITE_ERROR.
        return transfer.response.append(UnsafeRawBufferPointer(start: data, count: length)) ? length : 0
    }

    private static let openSocketCallback: curl_opensocket_callback = { context, purpose, address in
        guard let context, let address else { return CURL_SOCKET_BAD }
        return Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue().openSocket(purpose, address)
    }

    /// Checks the address libcurl is about to connect to (after DNS, so a name that resolves to a
    /// refused address is caught however it resolved) and opens the socket only if it is permitted.
    private func openSocket(_ purpose: curlsocktype, _ address: UnsafeMutablePointer<curl_sockaddr>) -> curl_socket_t {
        var raw = [UInt8](repeating: 0, count: 16)
        let count = Int(notify_sockaddr_ip_bytes(address, &raw))
        guard purpose == CURLSOCKTYPE_IPCXN, count > 0, let ip = IPAddress(bytes: Array(raw.prefix(count))) else {
            refusal = refusal ?? "target address is not an IPv4 or IPv6 address"
            return CURL_SOCKET_BAD
        }
        if case .refused(let reason) = policy.permits(ip) {
            refusal = refusal ?? reason
            return CURL_SOCKET_BAD
        }
        let socketType = address.pointee.socktype | Int32(SOCK_CLOEXEC.rawValue)
        let socket = Glibc.socket(address.pointee.family, socketType, address.pointee.protocol)
        if socket >= 0 { socketsOpened += 1 }
        return socket
    }

    // MARK: - Outcome

    /// The outcome of the finished transfer, from libcurl's result code and what it recorded.
    func outcome(result: CURLcode) -> DeliveryOutcome {
        var status = 0
        _ = notify_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
        var seconds = 0.0
        _ = notify_easy_getinfo_double(easy, CURLINFO_TOTAL_TIME, &seconds)
        let statusCode = status > 0 ? status : nil
        let durationMs = Int((seconds * 1000).rounded())
        let body = response.text
        let error: String?
        var permanent = false
        if result == CURLE_OK {
            error = nil
        } else if response.exceeded {
            error = "response body exceeds \(response.limit / 1024) KiB; transfer cut"
        } else if refusal != nil, socketsOpened == 0 {
            // Every address was refused before a socket existed: no connection was made. The attempt
            // (shown to the merchant) does not say which address the name resolved to; the sweep
            // logs it from `refusal`.
            error = AddressPolicy.refusalMessage
            permanent = true
        } else {
            let detail = String(cString: errorBuffer)
            let summary = CurlTransfer.describe(result)
            error = detail.isEmpty || detail == summary ? summary : "\(summary): \(detail)"
            // Nothing sent: a URL libcurl cannot use at all. Once the request went out (on a new or a
            // reused connection), CURLE_UNSUPPORTED_PROTOCOL means the receiver answered malformed
            // HTTP (HTTP/0.9, a bad status line): that is worth a retry.
            var requestBytes = 0
            _ = notify_easy_getinfo_long(easy, CURLINFO_REQUEST_SIZE, &requestBytes)
            permanent = requestBytes == 0 && (result == CURLE_UNSUPPORTED_PROTOCOL || result == CURLE_URL_MALFORMAT)
        }
        // libcurl reads `Retry-After` in both its forms (seconds or an HTTP date) into seconds from now.
        var retryAfter: curl_off_t = 0
        _ = notify_easy_getinfo_off_t(easy, CURLINFO_RETRY_AFTER, &retryAfter)
        return DeliveryOutcome(
            id: id, statusCode: statusCode, responseBody: body, durationMs: durationMs, error: error,
            permanent: permanent, refusal: error == AddressPolicy.refusalMessage ? refusal : nil,
            retryAfterSeconds: retryAfter > 0 ? Double(retryAfter) : nil)
    }

    /// libcurl's text for a result code. The string is static inside libcurl.
    static func describe(_ code: CURLcode) -> String {
        guard let text = curl_easy_strerror(code) else { return "libcurl error \(code.rawValue)" }
        return String(cString: text)
    }
}
