import NotifyFoundation

/// Reading a notification from client JSON in either accepted form. Every problem is a
/// `ValidationError` naming the exact field (`scope.state[1]`, `headers.X-Foo`, `schema.enum`), and
/// unknown fields or wrong types are refused rather than ignored.
extension NotificationSpec {
    /// Fields of the simple form: `{"url", "method", "headers", "scope": {...}}`.
    public static let simpleFields: Set<String> = ["url", "method", "headers", "scope"]
    /// Fields of the pointer form.
    public static let pointerFields: Set<String> = [
        "id", "adapterId", "reference", "description", "scope", "schema", "invoke", "version", "method", "headers",
    ]
    /// Keys of the simple form's `scope` object.
    public static let simpleScopeFields: Set<String> = ["state", "payment", "shipping"]

    static let maxIDLength = 128
    static let maxTextLength = 1024

    /// Parses one notification; the type of `scope` decides the form (object: simple, string: pointer).
    /// - Throws: `ValidationError` with the field relative to the notification (`url`, `scope.state[0]`).
    public init(json: JSON) throws(ValidationError) {
        guard let object = json.objectValue else {
            throw ValidationError(field: "", "a notification must be a JSON object")
        }
        switch object["scope"] {
        case .object(let scope)?:
            try Self.refuseUnknown(object, allowed: Self.simpleFields)
            self = try Self.parseSimple(object, scope: scope)
        case .string(let pointer)?:
            try Self.refuseUnknown(object, allowed: Self.pointerFields)
            self = try Self.parsePointer(object, pointer: pointer)
        case nil:
            throw ValidationError(field: "scope", "is required")
        case .some:
            throw ValidationError(
                field: "scope", "must be an object (simple form) or a JSON pointer string (pointer form)")
        }
    }

    /// Parses an array of notifications (`notifications` of a payment upsert or a configuration);
    /// errors are nested under `field` with the index (`notifications[2].url`).
    public static func parseList(_ json: JSON, field: String = "notifications") throws(ValidationError)
        -> [NotificationSpec]
    {
        guard let items = json.arrayValue else { throw ValidationError(field: field, "must be an array") }
        var result: [NotificationSpec] = []
        for (index, item) in items.enumerated() {
            do {
                result.append(try NotificationSpec(json: item))
            } catch {
                throw error.nested(under: "\(field)[\(index)]")
            }
        }
        return result
    }

    private static func parseSimple(_ object: [String: JSON], scope: [String: JSON]) throws(ValidationError)
        -> NotificationSpec
    {
        try refuseUnknown(scope, allowed: simpleScopeFields, prefix: "scope.")
        var scopes: [Scope] = []
        if let state = scope["state"], !state.isNull {
            let statuses = try parseStatuses(state)
            if !statuses.isEmpty { scopes.append(.state(statuses)) }
        }
        if try flag(scope["payment"], field: "scope.payment") { scopes.append(.payment) }
        if try flag(scope["shipping"], field: "scope.shipping") { scopes.append(.shipping) }
        guard !scopes.isEmpty else {
            throw ValidationError(
                field: "scope", "must watch something: a non-empty 'state' list, 'payment': true or 'shipping': true")
        }
        let url = try template(object["url"], field: "url")
        return NotificationSpec(
            form: .simple, method: try method(object["method"]), url: url,
            headers: try headers(object["headers"]), scopes: scopes)
    }

    private static func parsePointer(_ object: [String: JSON], pointer text: String) throws(ValidationError)
        -> NotificationSpec
    {
        let pointer = try JSONPointer(parsing: text)
        var schema: JSONSchema?
        if let source = object["schema"], !source.isNull { schema = try JSONSchema(source) }
        let id = try string(object["id"], field: "id", maxLength: maxIDLength)
        if let id { try checkIdentifier(id) }
        let adapterId = try string(object["adapterId"], field: "adapterId", maxLength: maxIDLength)
        if adapterId?.isEmpty == true { throw ValidationError(field: "adapterId", "must not be empty") }
        let url = try template(object["invoke"], field: "invoke")
        if url.usesConfiguration, adapterId == nil {
            throw ValidationError(
                field: "invoke", "{configuration.<path>} placeholders need an 'adapterId' naming the configuration")
        }
        var version: JSON?
        switch object["version"] {
        case nil, .null?: version = nil
        case .string(let text)? where text.utf8.count <= maxIDLength: version = .string(text)
        case .number(let number)?: version = .number(number)
        case .some:
            throw ValidationError(field: "version", "must be a string of at most \(maxIDLength) bytes or a number")
        }
        return NotificationSpec(
            form: .pointer, id: id, adapterId: adapterId,
            reference: try string(object["reference"], field: "reference", maxLength: maxTextLength),
            description: try string(object["description"], field: "description", maxLength: maxTextLength),
            version: version, method: try method(object["method"]), url: url,
            headers: try headers(object["headers"]), scopes: [.pointer(pointer, schema: schema)])
    }

    private static func refuseUnknown(_ object: [String: JSON], allowed: Set<String>, prefix: String = "")
        throws(ValidationError)
    {
        if let unknown = object.keys.filter({ !allowed.contains($0) }).sorted().first {
            throw ValidationError(field: prefix + unknown, "unknown field '\(unknown)'")
        }
    }

    private static func parseStatuses(_ json: JSON) throws(ValidationError) -> [String] {
        guard let items = json.arrayValue else {
            throw ValidationError(field: "scope.state", "must be an array of order statuses")
        }
        var statuses: [String] = []
        for (index, item) in items.enumerated() {
            let field = "scope.state[\(index)]"
            guard let text = item.stringValue else { throw ValidationError(field: field, "must be a string") }
            guard OrderStatus(rawValue: text) != nil else {
                let known = OrderStatus.allCases.map(\.rawValue).joined(separator: ", ")
                throw ValidationError(field: field, "unknown order status '\(text)', expected one of \(known)")
            }
            guard !statuses.contains(text) else { throw ValidationError(field: field, "duplicate status '\(text)'") }
            statuses.append(text)
        }
        return statuses
    }

    private static func flag(_ json: JSON?, field: String) throws(ValidationError) -> Bool {
        switch json {
        case nil, .null?: return false
        case .bool(let value)?: return value
        case .some: throw ValidationError(field: field, "must be a boolean")
        }
    }

    private static func template(_ json: JSON?, field: String) throws(ValidationError) -> URLTemplate {
        guard let json, !json.isNull else { throw ValidationError(field: field, "is required") }
        guard let text = json.stringValue else { throw ValidationError(field: field, "must be a string") }
        let template = try URLTemplate(parsing: text, field: field)
        try template.validateAsURL(field: field)
        return template
    }

    private static func method(_ json: JSON?) throws(ValidationError) -> DeliveryMethod {
        switch json {
        case nil, .null?: return .post
        case .string(let text)?:
            guard let method = DeliveryMethod(rawValue: text.uppercased()) else {
                throw ValidationError(field: "method", "must be POST, PUT, PATCH or GET, not '\(text)'")
            }
            return method
        case .some: throw ValidationError(field: "method", "must be a string")
        }
    }

    private static func headers(_ json: JSON?) throws(ValidationError) -> [HTTPHeader] {
        switch json {
        case nil, .null?: return []
        case .object(let members)?:
            var headers: [HTTPHeader] = []
            for (name, value) in members.sorted(by: { $0.key < $1.key }) {
                guard let text = value.stringValue else {
                    throw ValidationError(field: "headers.\(name)", "header value must be a string")
                }
                headers.append(HTTPHeader(name: name, value: text))
            }
            try HeaderRules.validate(headers)
            return headers
        case .some: throw ValidationError(field: "headers", "must be an object of header names to string values")
        }
    }

    private static func string(_ json: JSON?, field: String, maxLength: Int) throws(ValidationError) -> String? {
        switch json {
        case nil, .null?: return nil
        case .string(let text)?:
            guard text.utf8.count <= maxLength else {
                throw ValidationError(field: field, "must be at most \(maxLength) bytes")
            }
            return text
        case .some: throw ValidationError(field: field, "must be a string")
        }
    }

    /// Client ids appear in URLs (`DELETE .../notifications/{id}`), so they keep to URL-safe text.
    private static func checkIdentifier(_ id: String) throws(ValidationError) {
        let valid =
            !id.isEmpty
            && id.unicodeScalars.allSatisfy { scalar in
                switch scalar {
                case "a"..."z", "A"..."Z", "0"..."9", "-", "_", ".", ":", "~": return true
                default: return false
                }
            }
        guard valid else {
            throw ValidationError(
                field: "id", "must be 1-\(maxIDLength) characters of letters, digits, '-', '_', '.', ':', '~'")
        }
    }
}
