import NotifyFoundation

/// The Order JSON of the API: the stored document plus its notifications, secrets redacted. Every
/// field of the order's JSON is present; one never set (or removed by a merge patch) is `null`.
public enum OrderView {
    public static func json(document: JSON, notifications: [RegisteredNotification]) -> JSON {
        guard case .object(var object) = payloadJSON(document: document) else { return document }
        object["notifications"] = .array(notifications.map { $0.json(redacted: true) })
        return .object(object)
    }

    /// The order as a delivery body carries it: the Order JSON without `notifications`. A receiver
    /// learns which notification fired from the body's `notification`; it never sees the other
    /// adapters' callback URLs, and a payload does not grow with every notification on the order.
    public static func payloadJSON(document: JSON) -> JSON {
        guard var object = document.objectValue else { return document }
        for name in OrderDocument.editableFields.keys where object[name] == nil { object[name] = .null }
        return .object(object)
    }

    /// The text of ``payloadJSON(document:)`` from the document's text, without serializing it again.
    public static func payloadBytes(document: SerializedObject) -> [UInt8] {
        document.bytes(adding: unsetFields(document))
    }

    /// The text of ``json(document:notifications:)`` from the document's text, without serializing it again.
    public static func bytes(document: SerializedObject, notifications: [RegisteredNotification]) -> [UInt8] {
        var added = unsetFields(document)
        added["notifications"] = .array(notifications.map { $0.json(redacted: true) })
        return document.bytes(adding: added)
    }

    /// The editable fields the document does not have, as `null`.
    private static func unsetFields(_ document: SerializedObject) -> [String: JSON] {
        var unset: [String: JSON] = [:]
        for name in OrderDocument.editableFields.keys where !document.contains(name) { unset[name] = .null }
        return unset
    }
}
