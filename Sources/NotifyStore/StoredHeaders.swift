import NotifyDomain
import NotifyFoundation

/// A claimed delivery's request headers read back without parsing them again: an event's headers
/// are stored as JSON text when the event is recorded and never change, and the deliveries of one
/// notification share the same text, so the sweep does not parse JSON per delivery.
enum StoredHeaders {
    private static let known = StoredTextCache<[HTTPHeader]>(column: "request_headers")

    /// The headers of a stored `request_headers` text (a JSON object of strings), in name order.
    static func headers(_ text: String, statement: String) throws -> [HTTPHeader] {
        try known.value(text, statement: statement) { (json: JSON) -> [HTTPHeader] in
            (json.objectValue ?? [:]).sorted { $0.key < $1.key }.map {
                HTTPHeader(name: $0.key, value: $0.value.stringValue ?? "")
            }
        }
    }
}
