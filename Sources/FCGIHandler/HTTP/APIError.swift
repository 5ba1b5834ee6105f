import NotifyDomain
import NotifyFoundation
import NotifyStore

/// Every way an API call can fail, each with its HTTP status. Handlers throw these (or domain and
/// store errors, mapped in `APIError.from`); `problemResponse` is the one place that renders them
/// as `application/problem+json` (RFC 9457).
enum APIError: Error, Equatable {
    case badRequest(String, field: String? = nil)
    case unauthorized(String)
    case forbidden(String)
    case notFound(String)
    case methodNotAllowed(allowed: [String])
    case conflict(String)
    case payloadTooLarge(String)
    /// A rate quota is used up; the client may try again after `retryAfter` seconds.
    case tooManyRequests(String, retryAfter: Int)
    case unsupportedMediaType(String)
    case serviceUnavailable(String)
    case internalError

    var status: Int {
        switch self {
        case .badRequest: 400
        case .unauthorized: 401
        case .forbidden: 403
        case .notFound: 404
        case .methodNotAllowed: 405
        case .conflict: 409
        case .payloadTooLarge: 413
        case .tooManyRequests: 429
        case .unsupportedMediaType: 415
        case .serviceUnavailable: 503
        case .internalError: 500
        }
    }

    /// The status's reason phrase (`HTTPResponse.reason(for:)`, the status line's too).
    var title: String { HTTPResponse.reason(for: status) }

    var detail: String {
        switch self {
        case .badRequest(let detail, _), .unauthorized(let detail), .forbidden(let detail), .notFound(let detail),
            .conflict(let detail), .unsupportedMediaType(let detail), .serviceUnavailable(let detail),
            .payloadTooLarge(let detail), .tooManyRequests(let detail, _):
            detail
        case .methodNotAllowed(let allowed): "allowed methods: \(allowed.joined(separator: ", "))"
        case .internalError: "an unexpected error occurred; it has been logged"
        }
    }

    /// Maps any error a handler throws to an API error. Unknown errors become 500 (and are logged
    /// by the caller); their text never reaches the client.
    static func from(_ error: Error) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as ValidationError:
            return .badRequest(error.description, field: error.field.isEmpty ? nil : error.field)
        case let error as IllegalTransition:
            return .conflict(error.description)
        case let error as StoreError:
            switch error.kind {
            case .unavailable: return .serviceUnavailable("the database is unavailable; retry later")
            case .invalidData: return .badRequest("a value was refused by the database")
            case .uniqueViolation: return .conflict("the resource already exists")
            case .failed, .nestedTransaction: return .internalError
            }
        default:
            return .internalError
        }
    }

    /// The problem+json response for this error.
    func problemResponse(requestId: String) -> HTTPResponse {
        var problem: [String: JSON] = [
            "type": .string("https://notify.dev/problems/\(title.lowercased().replacingSpaces())"),
            "title": .string(title),
            "status": .number(Double(status)),
            "detail": .string(detail),
        ]
        if case .badRequest(_, let field?) = self { problem["field"] = .string(field) }
        if !requestId.isEmpty { problem["requestId"] = .string(requestId) }
        var headers: [(String, String)] = [("Content-Type", "application/problem+json")]
        if case .methodNotAllowed(let allowed) = self { headers.append(("Allow", allowed.joined(separator: ", "))) }
        if case .unauthorized = self { headers.append(("WWW-Authenticate", "Bearer")) }
        if case .serviceUnavailable = self { headers.append(("Retry-After", "1")) }
        if case .tooManyRequests(_, let seconds) = self { headers.append(("Retry-After", String(seconds))) }
        return HTTPResponse(status: status, headers: headers, body: JSON.object(problem).serializedBytes)
    }
}

extension String {
    fileprivate func replacingSpaces() -> String {
        String(map { $0 == " " ? "-" : $0 })
    }
}
