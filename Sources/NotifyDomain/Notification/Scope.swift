import NotifyFoundation

/// What part of an order a notification watches: the one model behind both accepted forms
/// (`{"state": [...]}`, `{"payment": true}`, `{"shipping": true}` and a pointer with a schema),
/// so matching a change and naming the event work the same way for all of them.
public struct Scope: Equatable, Sendable {
    /// Which form the scope came from; it decides the event scope key.
    public enum Kind: String, Sendable {
        case state, payment, shipping, pointer
    }

    public let kind: Kind
    /// The part of the order that is watched.
    public let pointer: JSONPointer
    /// What the new value must look like for the scope to fire; `nil` fires on any change.
    public let schema: JSONSchema?

    private static let statusPointer = JSONPointer(tokens: ["state", "currentStatus"])

    private init(kind: Kind, pointer: JSONPointer, schema: JSONSchema?) {
        self.kind = kind
        self.pointer = pointer
        self.schema = schema
    }

    /// Fires when the order's status changes to one of `statuses`: pointer `/state/currentStatus`
    /// with the schema `{"enum": statuses}`.
    public static func state(_ statuses: [String]) -> Scope {
        Scope(kind: .state, pointer: statusPointer, schema: JSONSchema(enumOf: statuses.map(JSON.string)))
    }

    /// Fires on any change under `/payments`.
    public static let payment = Scope(kind: .payment, pointer: JSONPointer(tokens: ["payments"]), schema: nil)

    /// Fires on any change under `/shippings`.
    public static let shipping = Scope(kind: .shipping, pointer: JSONPointer(tokens: ["shippings"]), schema: nil)

    /// Fires when the value at `pointer` changes and the new value is valid for `schema`.
    public static func pointer(_ pointer: JSONPointer, schema: JSONSchema?) -> Scope {
        Scope(kind: .pointer, pointer: pointer, schema: schema)
    }

    /// Whether a change of the order from `before` to `after` fires this scope: the value at the
    /// pointer (or anything under it) differs, missing and present counting as different, and the
    /// new value is valid for the schema (no schema: any change). A new value that is missing never
    /// satisfies a schema.
    public func fires(before: JSON, after: JSON, budget: MatchBudget = .unlimited) -> Bool {
        guard JSONPointer.changed(at: pointer, before: before, after: after) else { return false }
        guard let schema else { return true }
        guard let newValue = pointer.resolve(in: after) else { return false }
        return schema.validates(newValue, budget: budget)
    }

    /// The event's scope as shown on the event and in its delivery body: `state.<new status>` for a
    /// state scope, `payment`, `shipping`, or the pointer's string form.
    public func eventKey(after: JSON) -> String {
        switch kind {
        case .state: return statusKey(after: after)
        case .payment: return "payment"
        case .shipping: return "shipping"
        case .pointer: return pointer.description
        }
    }

    /// The simple-form key a query finds the event by (`scope=state.completed`, `scope=payment`),
    /// so an adapter that asks by key sees the events of pointer-form notifications too: the event
    /// key itself for the simple forms; for a pointer, `state.<new status>` when it is
    /// `/state/currentStatus`, `payment` when it is `/payments` or under it, `shipping` when it is
    /// `/shippings` or under it, and `nil` for any other pointer (found by the pointer alone).
    public func queryKey(after: JSON) -> String? {
        guard kind == .pointer else { return eventKey(after: after) }
        if pointer == Self.statusPointer { return statusKey(after: after) }
        switch pointer.tokens.first {
        case "payments": return "payment"
        case "shippings": return "shipping"
        default: return nil
        }
    }

    private func statusKey(after: JSON) -> String {
        switch Self.statusPointer.resolve(in: after) {
        case .string(let status): return "state." + status
        case .some(let value): return "state." + value.serialized()
        case .none: return "state"
        }
    }
}
