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
        let segments: [Segment]
        let access: Access
        let handler: Handler
    }

    /// One `/`-separated piece of a pattern, told apart once when the route is added.
    enum Segment {
        case literal(Substring)
        /// `{name}`: any non-empty segment, percent-decoded into the parameter `name`.
        case parameter(String)

        init(_ piece: Substring) {
            if piece.hasPrefix("{") && piece.hasSuffix("}") {
                self = .parameter(String(piece.dropFirst().dropLast()))
            } else {
                self = .literal(piece)
            }
        }
    }

    enum Match {
        case found(Route, parameters: [String: String])
        case methodNotAllowed(allowed: [String])
        case notFound
    }

    private(set) var routes: [Route] = []

    mutating func add(_ method: String, _ pattern: String, access: Access = .merchant, _ handler: @escaping Handler) {
        routes.append(
            Route(
                method: method, segments: pattern.split(separator: "/").map(Segment.init), access: access,
                handler: handler))
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

    /// The route's parameters when `segments` match its pattern: the literal segments are
    /// compared first, so a route that does not match decodes and stores nothing.
    private static func bind(_ pattern: [Segment], to segments: ArraySlice<Substring>) -> [String: String]? {
        guard pattern.count == segments.count else { return nil }
        for (expected, actual) in zip(pattern, segments) {
            switch expected {
            case .literal(let literal): guard literal == actual else { return nil }
            case .parameter: guard !actual.isEmpty else { return nil }
            }
        }
        var parameters: [String: String] = [:]
        for case (.parameter(let name), let actual) in zip(pattern, segments) {
            parameters[name] = QueryString.decode(actual)
        }
        return parameters
    }
}
