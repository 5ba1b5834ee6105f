import NotifyFoundation

/// One notification registered on an order: the single internal model behind the two accepted
/// JSON forms (simple and pointer), so matching, delivery and storage never look at which
/// form a client used; only `json(redacted:)` renders it back in its own form.
public struct NotificationSpec: Equatable, Sendable {
    /// The JSON form the notification was registered in; decided by the type of `scope`.
    public enum Form: String, Sendable {
        /// `{"url", "method", "headers", "scope": {"state", "payment", "shipping"}}`.
        case simple
        /// `{"id", "adapterId", "reference", "description", "scope": "/pointer", "schema", "invoke", "version"}`.
        case pointer
    }

    public let form: Form
    /// The client's own id for the notification (pointer form only).
    public let id: String?
    /// The channel configuration whose values `{configuration.<path>}` placeholders read.
    public let adapterId: String?
    public let reference: String?
    public let description: String?
    /// The client's version tag, a string or a number, kept as given.
    public let version: JSON?
    public let method: DeliveryMethod
    /// The target URL template (`url` in the simple form, `invoke` in the pointer form).
    public let url: URLTemplate
    /// The notification's own request headers, sorted by name (JSON objects have no order).
    public let headers: [HTTPHeader]
    /// What the notification watches; never empty. Any scope firing fires the notification.
    public let scopes: [Scope]

    /// A notification from already validated parts (used by the parsers and by tests).
    public init(
        form: Form, id: String? = nil, adapterId: String? = nil, reference: String? = nil,
        description: String? = nil, version: JSON? = nil, method: DeliveryMethod = .post,
        url: URLTemplate, headers: [HTTPHeader] = [], scopes: [Scope]
    ) {
        self.form = form
        self.id = id
        self.adapterId = adapterId
        self.reference = reference
        self.description = description
        self.version = version
        self.method = method
        self.url = url
        self.headers = headers
        self.scopes = scopes
    }

    /// The scopes a change of the order from `before` to `after` fires, in registration order.
    /// Empty means the change does not concern this notification.
    public func matchingScopes(before: JSON, after: JSON, budget: MatchBudget = .unlimited) -> [Scope] {
        scopes.filter { $0.fires(before: before, after: after, budget: budget) }
    }

    /// Whether any scope fires for the change from `before` to `after`.
    public func fires(before: JSON, after: JSON) -> Bool {
        scopes.contains { $0.fires(before: before, after: after) }
    }

    /// The headers to show in responses and payloads: secret values as `***` (see `HeaderRules`).
    public var redactedHeaders: [HTTPHeader] { HeaderRules.redacted(headers) }

    /// The notification as registered, in its own form, with `method` and `headers` always present.
    /// - Parameter redacted: show secret header and query values as `***` (every API response and payload);
    ///   `false` only for storage, so that `NotificationSpec(json:)` reads it back unchanged.
    public func json(redacted: Bool) -> JSON {
        var object: [String: JSON] = [
            "method": .string(method.rawValue),
            "headers": .object(
                Dictionary(
                    (redacted ? redactedHeaders : headers).map { ($0.name, JSON.string($0.value)) },
                    uniquingKeysWith: { first, _ in first })),
        ]
        let urlText = redacted ? HeaderRules.redactedURL(url.source) : url.source
        switch form {
        case .simple:
            object["url"] = .string(urlText)
            object["scope"] = simpleScopeJSON()
        case .pointer:
            object["invoke"] = .string(urlText)
            if let scope = scopes.first {
                object["scope"] = .string(scope.pointer.description)
                if let schema = scope.schema { object["schema"] = schema.source }
            }
            object["id"] = id.map(JSON.string)
            object["adapterId"] = adapterId.map(JSON.string)
            object["reference"] = reference.map(JSON.string)
            object["description"] = description.map(JSON.string)
            object["version"] = version
        }
        return .object(object)
    }

    private func simpleScopeJSON() -> JSON {
        var scope: [String: JSON] = [:]
        for item in scopes {
            switch item.kind {
            case .state: scope["state"] = item.schema?.source["enum"] ?? .array([])
            case .payment: scope["payment"] = .bool(true)
            case .shipping: scope["shipping"] = .bool(true)
            case .pointer: break
            }
        }
        return .object(scope)
    }
}
