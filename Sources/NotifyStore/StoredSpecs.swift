import NotifyDomain
import NotifyFoundation

/// Stored notification specs read back without checking them again: a spec was validated when it
/// was registered and is stored as its own JSON text, so the same text always gives the same spec,
/// and a change of an order does not parse and validate its notifications on every call.
enum StoredSpecs {
    private static let known = StoredTextCache<NotificationSpec>(column: "spec")

    /// The spec of a stored `spec` column's text.
    static func spec(_ text: String, statement: String) throws -> NotificationSpec {
        try known.value(text, statement: statement) { try NotificationSpec(json: $0) }
    }
}
