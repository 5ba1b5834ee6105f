import NotifyFoundation

/// The pure operations on an order's JSON document: creating one, merge-patching its
/// editable fields, moving its state, and upserting or removing payments and shippings. Each takes
/// the time as a parameter and returns the new document, so the store can diff before and after.
public enum OrderDocument {
    /// Fields a client may set on create and change with a merge patch; everything else is the
    /// service's (`id`, `state`, `payments`, ...).
    public static let editableFields: [String: FieldKind] = [
        "reference": .string, "culture": .string, "currency": .string, "country": .string,
        "cart": .object, "customer": .object, "attributes": .object,
    ]

    /// The JSON type an editable field must have.
    public enum FieldKind: Sendable {
        case string
        case object
        case number

        func accepts(_ value: JSON) -> Bool {
            switch (self, value) {
            case (.string, .string), (.object, .object), (.number, .number): true
            default: false
            }
        }

        var name: String {
            switch self {
            case .string: "a string"
            case .object: "an object"
            case .number: "a number"
            }
        }
    }

    /// A new order in state `checkout`.
    /// - Parameter body: the create request's object; only `editableFields`, each of its kind.
    public static func create(
        id: String, merchant: String, channel: String, body: [String: JSON], timestamp: String
    ) throws(ValidationError) -> JSON {
        try checkFields(body, allowed: editableFields)
        var document: [String: JSON] = [
            "id": .string(id), "merchant": .string(merchant), "channel": .string(channel),
            "created": .string(timestamp), "lastModified": .string(timestamp),
            "state": .object([
                "currentStatus": .string(OrderStatus.checkout.rawValue),
                "transitions": .array([transition(.checkout, timestamp)]),
            ]),
            "payments": .array([]), "shippings": .array([]), "attributes": .object([:]),
        ]
        for (name, value) in body where !value.isNull { document[name] = value }
        return .object(document)
    }

    /// Applies a JSON Merge Patch (RFC 7396) restricted to the editable fields.
    public static func patch(_ document: JSON, with patch: JSON, timestamp: String) throws(ValidationError) -> JSON {
        guard let changes = patch.objectValue else {
            throw ValidationError(field: "", "a merge patch must be a JSON object")
        }
        try checkFields(changes, allowed: editableFields)
        var editable: [String: JSON] = [:]
        for name in editableFields.keys { editable[name] = document[name] }
        guard case .object(let patched) = JSON.object(editable).mergePatched(with: patch),
            var result = document.objectValue
        else { return document }
        for name in editableFields.keys { result[name] = patched[name] }
        return touched(.object(result), at: timestamp, comparedTo: document)
    }

    /// Moves the order to `status`. Returns `nil` when it already has that status (no change, no event).
    /// - Throws: `ValidationError` for an unknown status, `IllegalTransition` for a move the state
    ///   machine forbids.
    public static func transition(_ document: JSON, to status: String, timestamp: String) throws -> JSON? {
        guard let target = OrderStatus(rawValue: status) else {
            let known = OrderStatus.allCases.map(\.rawValue).joined(separator: ", ")
            throw ValidationError(field: "currentStatus", "must be one of \(known)")
        }
        let currentText = document["state"]?["currentStatus"]?.stringValue ?? ""
        let current = OrderStatus(rawValue: currentText) ?? .checkout
        switch OrderStatus.transition(from: current, to: target) {
        case .unchanged:
            return nil
        case .illegal:
            throw IllegalTransition(from: current, to: target)
        case .allowed:
            var state = document["state"]?.objectValue ?? [:]
            state["currentStatus"] = .string(target.rawValue)
            state["transitions"] = .array((state["transitions"]?.arrayValue ?? []) + [transition(target, timestamp)])
            guard var result = document.objectValue else { return document }
            result["state"] = .object(state)
            result["lastModified"] = .string(timestamp)
            return .object(result)
        }
    }

    /// `{"status": ..., "timeStamp": ...}`, one entry of `state.transitions`.
    static func transition(_ status: OrderStatus, _ timestamp: String) -> JSON {
        .object(["status": .string(status.rawValue), "timeStamp": .string(timestamp)])
    }

    /// Sets `lastModified` when the document changed.
    static func touched(_ document: JSON, at timestamp: String, comparedTo before: JSON) -> JSON {
        guard document != before, var object = document.objectValue else { return document }
        object["lastModified"] = .string(timestamp)
        return .object(object)
    }

    static func checkFields(_ object: [String: JSON], allowed: [String: FieldKind]) throws(ValidationError) {
        for (name, value) in object.sorted(by: { $0.key < $1.key }) {
            guard let kind = allowed[name] else {
                throw ValidationError(field: name, "unknown field '\(name)'")
            }
            guard value.isNull || kind.accepts(value) else {
                throw ValidationError(field: name, "must be \(kind.name)")
            }
            if case .string(let text) = value, text.count > 1024 {
                throw ValidationError(field: name, "must be at most 1024 characters")
            }
        }
    }
}
