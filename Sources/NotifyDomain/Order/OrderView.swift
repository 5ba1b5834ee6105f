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
}
