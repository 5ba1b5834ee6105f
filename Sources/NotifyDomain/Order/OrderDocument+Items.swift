import NotifyFoundation

/// Payments and shippings of an order: upserted by id, "deleted" by moving their
/// state to `removed`, so history and scopes on `/payments` or `/shippings` still see them.
extension OrderDocument {
    /// Which list of the order an item lives in.
    public enum ItemKind: String, Sendable {
        case payment = "payments"
        case shipping = "shippings"
    }

    /// Fields of a payment or shipping upsert body (besides `notifications`, handled by the caller).
    public static let itemFields: [String: FieldKind] = [
        "state": .string, "amount": .number, "currency": .string, "adapterId": .string, "name": .string,
        "type": .string, "reference": .string, "attributes": .object,
    ]

    /// The result of an upsert: the new document and whether the item is new.
    public struct ItemUpsert: Equatable, Sendable {
        public let document: JSON
        public let created: Bool
    }

    /// Creates or updates the item `id`: the given fields replace the stored ones, others are kept.
    /// - Parameter body: the request object without `notifications`.
    public static func upsertItem(
        _ document: JSON, kind: ItemKind, id: String, body: [String: JSON], timestamp: String
    ) throws(ValidationError) -> ItemUpsert {
        try checkFields(body, allowed: itemFields)
        guard id.count <= 128, !id.isEmpty else { throw ValidationError(field: "id", "must be 1 to 128 characters") }
        var items = document[kind.rawValue]?.arrayValue ?? []
        let index = items.firstIndex { $0["id"]?.stringValue == id }
        var item = index.flatMap { items[$0].objectValue } ?? ["id": .string(id)]
        for (name, value) in body { item[name] = value.isNull ? nil : value }
        if let index { items[index] = .object(item) } else { items.append(.object(item)) }
        guard var result = document.objectValue else { return ItemUpsert(document: document, created: false) }
        result[kind.rawValue] = .array(items)
        return ItemUpsert(
            document: touched(.object(result), at: timestamp, comparedTo: document), created: index == nil)
    }

    /// Sets the item's state to `removed`. Returns `nil` when the order has no such item.
    public static func removeItem(_ document: JSON, kind: ItemKind, id: String, timestamp: String) -> JSON? {
        var items = document[kind.rawValue]?.arrayValue ?? []
        guard let index = items.firstIndex(where: { $0["id"]?.stringValue == id }),
            var item = items[index].objectValue, var result = document.objectValue
        else { return nil }
        item["state"] = .string("removed")
        items[index] = .object(item)
        result[kind.rawValue] = .array(items)
        return touched(.object(result), at: timestamp, comparedTo: document)
    }
}
