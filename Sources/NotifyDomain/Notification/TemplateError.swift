/// Why a URL template could not be expanded for an event; recorded as the event's failure.
public struct TemplateError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The placeholder as written, e.g. `{order.customer.email}`.
    public let placeholder: String
    public let reason: String

    public init(placeholder: String, reason: String) {
        self.placeholder = placeholder
        self.reason = reason
    }

    public var description: String { "URL template placeholder \(placeholder): \(reason)" }
}
