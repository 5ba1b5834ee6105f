import Testing

@testable import FCGIHandler

/// One reason phrase per status, for the status line and the problem's `title` alike.
@Suite struct ReasonPhraseTests {
    static let errors: [APIError] = [
        .badRequest("x"), .unauthorized("x"), .forbidden("x"), .notFound("x"), .methodNotAllowed(allowed: ["GET"]),
        .conflict("x"), .payloadTooLarge("x"), .tooManyRequests("x", retryAfter: 1), .unsupportedMediaType("x"),
        .serviceUnavailable("x"), .internalError,
    ]

    @Test func everyProblemIsTitledWithItsStatusLineReason() {
        for error in Self.errors {
            let reason = HTTPResponse.reason(for: error.status)
            #expect(reason != "Error", "no reason phrase for \(error.status)")
            let body = String(decoding: error.problemResponse(requestId: "r").body, as: UTF8.self)
            #expect(body.contains("\"title\":\"\(reason)\""), "\(body)")
        }
    }

    /// RFC 9110's name, as in the problem nginx answers itself for a body over its limit.
    @Test func aBodyTooLargeIsContentTooLarge() {
        #expect(APIError.payloadTooLarge("x").title == "Content Too Large")
        #expect(HTTPResponse.reason(for: 413) == "Content Too Large")
        #expect(HTTPResponse.reason(for: 429) == "Too Many Requests")
    }
}
