/// The HTTP method a notification is delivered with (POST by default, PUT, PATCH or GET).
public enum DeliveryMethod: String, CaseIterable, Sendable {
    case post = "POST"
    case put = "PUT"
    case patch = "PATCH"
    case get = "GET"

    /// Whether a request with this method carries the JSON payload (GET sends no body).
    public var hasBody: Bool { self != .get }
}
