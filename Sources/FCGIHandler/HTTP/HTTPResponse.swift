import NotifyFoundation

/// A response before it is written to FastCGI.
struct HTTPResponse {
    var status: Int
    var headers: [(String, String)]
    var body: [UInt8]

    static func json(_ status: Int, _ value: JSON, headers: [(String, String)] = []) -> HTTPResponse {
        HTTPResponse(
            status: status, headers: [("Content-Type", "application/json")] + headers,
            body: value.serializedBytes)
    }

    static func empty(_ status: Int) -> HTTPResponse {
        HTTPResponse(status: status, headers: [], body: [])
    }

    static func text(_ status: Int, contentType: String, _ text: String) -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", contentType)], body: Array(text.utf8))
    }
}
