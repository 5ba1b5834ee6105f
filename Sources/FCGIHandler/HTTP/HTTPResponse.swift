import NotifyFoundation

/// A response before it is written to FastCGI.
struct HTTPResponse {
    var status: Int
    var headers: [(String, String)]
    var body: [UInt8]
    /// What the handler adds to the request's one access-log line (e.g. the events a change made).
    var logFields: [(name: String, value: String)] = []

    static func json(_ status: Int, _ value: JSON, headers: [(String, String)] = []) -> HTTPResponse {
        json(status, serialized: value.serializedBytes, headers: headers)
    }

    /// A JSON response whose body is already serialized.
    static func json(_ status: Int, serialized body: [UInt8], headers: [(String, String)] = []) -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", "application/json")] + headers, body: body)
    }

    static func empty(_ status: Int) -> HTTPResponse {
        HTTPResponse(status: status, headers: [], body: [])
    }

    static func text(_ status: Int, contentType: String, _ text: String) -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", contentType)], body: Array(text.utf8))
    }

    /// The reason phrase of `status` (the names of RFC 9110), for the status line nginx passes on
    /// and the `title` of a problem+json body: one table, so the two always agree (and agree with
    /// the 413 nginx answers itself for a body over its limit).
    static func reason(for status: Int) -> String {
        switch status {
        case 200: "OK"
        case 201: "Created"
        case 202: "Accepted"
        case 204: "No Content"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 409: "Conflict"
        case 413: "Content Too Large"
        case 415: "Unsupported Media Type"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 503: "Service Unavailable"
        default: status < 400 ? "OK" : "Error"
        }
    }
}
