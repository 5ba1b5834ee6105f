import NotifyFoundation

/// An API request as the handlers see it, decoded from FastCGI parameters. Header names are
/// lower-case; the body has already been capped at `HTTPRequest.maxBodySize`.
struct HTTPRequest {
    static let maxBodySize = 1_048_576

    let method: String
    let path: String
    let query: [(name: String, value: String)]
    let headers: [String: String]
    let body: [UInt8]
    let requestId: String
    let remoteAddress: String

    /// Builds a request from CGI parameters (`HTTP_X_MERCHANT` becomes header `x-merchant`).
    init(parameters: [String: String], body: [UInt8]) {
        method = parameters["REQUEST_METHOD"] ?? "GET"
        let uri = parameters["REQUEST_URI"] ?? parameters["DOCUMENT_URI"] ?? "/"
        path = uri.utf8.firstIndex(of: UInt8(ascii: "?")).map { String(uri[..<$0]) } ?? uri
        query = QueryString.parse(parameters["QUERY_STRING"] ?? "")
        var headers: [String: String] = [:]
        headers.reserveCapacity(16)
        for (name, value) in parameters where name.hasPrefix("HTTP_") {
            headers[Self.headerName(cgiName: name)] = value
        }
        if let type = parameters["CONTENT_TYPE"], !type.isEmpty { headers["content-type"] = type }
        self.headers = headers
        self.body = body
        requestId = parameters["REQUEST_ID"].flatMap { $0.isEmpty ? nil : $0 } ?? headers["x-request-id"] ?? ""
        remoteAddress = parameters["REMOTE_ADDR"] ?? ""
    }

    /// The body as a JSON value: 415 unless the content type is JSON, 400 when it does not parse.
    func jsonBody() throws -> JSON {
        let type = (headers["content-type"] ?? "").lowercased()
        let mediaType = type.split(separator: ";").first.map { $0.trimmingASCIIWhitespace() } ?? ""
        guard mediaType == "application/json" || (mediaType.hasPrefix("application/") && mediaType.hasSuffix("+json"))
        else {
            throw APIError.unsupportedMediaType("the body must be application/json")
        }
        do {
            return try JSON.parse(body)
        } catch {
            throw APIError.badRequest("malformed JSON: \(error.message)")
        }
    }

    /// The body as a JSON object (an array or scalar body is a 400).
    func jsonObjectBody() throws -> [String: JSON] {
        guard let object = try jsonBody().objectValue else {
            throw APIError.badRequest("the body must be a JSON object")
        }
        return object
    }
}

extension HTTPRequest {
    /// The header name of a CGI parameter `HTTP_X_MERCHANT`: `x-merchant` (lower case, `-` for `_`).
    /// nginx passes header names as ASCII; anything else is lower-cased by Unicode's rules.
    static func headerName(cgiName: String) -> String {
        let name = cgiName.utf8.dropFirst(5)
        guard name.allSatisfy({ $0 < 0x80 }) else {
            return String(cgiName.dropFirst(5).lowercased().map { $0 == "_" ? "-" : $0 })
        }
        return String(
            decoding: name.map { byte in
                switch byte {
                case UInt8(ascii: "A")...UInt8(ascii: "Z"): byte + 32
                case UInt8(ascii: "_"): UInt8(ascii: "-")
                default: byte
                }
            }, as: UTF8.self)
    }
}
