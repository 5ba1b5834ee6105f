import NotifyFoundation

/// A notification as it sits on an order: the registered spec plus the id the API uses for it
/// and where it came from. The id is the pointer form's own `id` when the client gave one.
public struct RegisteredNotification: Equatable, Sendable {
    /// How the notification got onto the order.
    public enum Origin: String, Sendable {
        case api
        case configuration
        case payment
        case shipping
    }

    public let id: String
    public let origin: Origin
    public let spec: NotificationSpec

    public init(id: String, origin: Origin, spec: NotificationSpec) {
        self.id = id
        self.origin = origin
        self.spec = spec
    }

    /// The notification as shown in responses and payloads (`redacted: true`), with its `id`.
    public func json(redacted: Bool) -> JSON {
        guard case .object(var object) = spec.json(redacted: redacted) else { return spec.json(redacted: redacted) }
        object["id"] = .string(id)
        return .object(object)
    }
}
