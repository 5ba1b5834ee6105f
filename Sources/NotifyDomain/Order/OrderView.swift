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
        guard let object = document.objectValue else { return document }
        return .object(object.merging(unsetFields { object[$0] != nil }) { set, _ in set })
    }

    /// The text of ``payloadJSON(document:)`` from the document's text, without serializing it again.
    public static func payloadBytes(document: SerializedObject) -> [UInt8] {
        document.bytes(adding: unsetFields(of: document))
    }

    /// The text of ``json(document:notifications:)`` from the document's text, without serializing it again.
    public static func bytes(document: SerializedObject, notifications: [RegisteredNotification]) -> [UInt8] {
        var added = unsetFields(of: document)
        added["notifications"] = .array(notifications.map { $0.json(redacted: true) })
        return document.bytes(adding: added)
    }

    private static func unsetFields(of document: SerializedObject) -> [String: JSON] {
        unsetFields(where: document.contains)
    }

    /// The editable fields a document does not have (`isSet` is false for them), as `null`: the
    /// one rule both the JSON and the text of the Order JSON follow.
    private static func unsetFields(where isSet: (String) -> Bool) -> [String: JSON] {
        var unset: [String: JSON] = [:]
        for name in OrderDocument.editableFields.keys where !isSet(name) { unset[name] = .null }
        return unset
    }
}
