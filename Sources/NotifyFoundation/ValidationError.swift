/// Why a piece of client input was refused. `field` names where the problem is (a JSON path such
/// as `notifications[0].url`, a header or a query parameter) so the API can answer with a precise 400.
public struct ValidationError: Error, Equatable, Sendable, CustomStringConvertible {
    public let field: String
    public let message: String

    public init(field: String, _ message: String) {
        self.field = field
        self.message = message
    }

    /// The same error, with `prefix` put in front of the field (`url` under `notifications[2]`).
    public func nested(under prefix: String) -> ValidationError {
        let joined = field.isEmpty ? prefix : (field.hasPrefix("[") ? prefix + field : prefix + "." + field)
        return ValidationError(field: joined, message)
    }

    public var description: String { field.isEmpty ? message : "\(field): \(message)" }
}
