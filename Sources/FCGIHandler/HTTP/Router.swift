/// Maps a method and path to a handler. Patterns are literal segments and `{name}` parameters.
/// A path that matches a pattern under another method is a 405 (with the allowed methods), a path
/// that matches nothing is a 404.
struct Router {
    typealias Handler = (RequestContext) throws -> HTTPResponse

    /// Whether a route needs the merchant's credentials (`/healthz` and `/metrics` do not).
    enum Access {
        case merchant
        /// The merchant's credentials, checked by the handler's own statement in the same round
        /// trip as its read (``RequestContext/verifyToken(owner:failures:)``); the handler must
        /// read nothing but through such a statement. Refused credentials get the same answers as
        /// with `merchant`, and take precedence over the handler's own errors.
        case merchantInStatement
        case open
    }

    struct Route {
        let method: String
        let segments: [Substring]
        let access: Access
        let handler: Handler
    }

    enum Match {
        case found(Route, parameters: [String: String])
        case methodNotAllowed(allowed: [String])
        case notFound
    }

    private(set) var routes: [Route] = []

    mutating func add(_ method: String, _ pattern: String, access: Access = .merchant, _ handler: @escaping Handler) {
        routes.append(Route(method: method, segments: pattern.split(separator: "/"), access: access, handler: handler))
    }

    func match(method: String, path: String) -> Match {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        var allowed: [String] = []
        for route in routes {
            guard let parameters = Self.bind(route.segments, to: segments) else { continue }
            if route.method == method { return .found(route, parameters: parameters) }
            allowed.append(route.method)
        }
        return allowed.isEmpty ? .notFound : .methodNotAllowed(allowed: allowed)
    }

    private static func bind(_ pattern: [Substring], to segments: ArraySlice<Substring>) -> [String: String]? {
        guard pattern.count == segments.count else { return nil }
        var parameters: [String: String] = [:]
        for (expected, actual) in zip(pattern, segments) {
            if expected.hasPrefix("{") && expected.hasSuffix("}") {
                guard !actual.isEmpty else { return nil }
                parameters[String(expected.dropFirst().dropLast())] = QueryString.decode(actual)
            } else if expected != actual {
                return nil
            }
        }
        return parameters
    }
}
