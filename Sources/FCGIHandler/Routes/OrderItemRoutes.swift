import NotifyDomain
import NotifyStore

/// Payments and shippings of an order: upsert with optional notifications to register
/// in the same transaction, and DELETE that moves the item to state `removed`.
enum OrderItemRoutes {
    static func register(in router: inout Router) {
        for kind in [OrderDocument.ItemKind.payment, .shipping] {
            let path = OrderRoutes.base + "/{orderId}/\(kind.rawValue)/{itemId}"
            router.add("PUT", path) { try upsert(kind, $0) }
            router.add("DELETE", path) { context in
                let itemId = context.parameter("itemId")
                return try OrderRoutes.change(context) { order, timestamp in
                    guard
                        let document = OrderDocument.removeItem(
                            order.document, kind: kind, id: itemId, timestamp: timestamp)
                    else { throw APIError.notFound("no \(kind.singular) '\(itemId)' on this order") }
                    return OrderChange(document: document)
                }
            }
        }
    }

    private static func upsert(_ kind: OrderDocument.ItemKind, _ context: RequestContext) throws -> HTTPResponse {
        var body = try context.request.jsonObjectBody()
        let notificationsJSON = body.removeValue(forKey: "notifications")
        var specs: [NotificationSpec] = []
        if let notificationsJSON, !notificationsJSON.isNull {
            specs = try NotificationSpec.parseList(notificationsJSON)
            try context.limits.checkTargets(specs, listField: "notifications")
        }
        let itemId = context.parameter("itemId")
        let ids = context.ids
        var created = false
        let origin: RegisteredNotification.Origin = kind == .payment ? .payment : .shipping
        let response = try OrderRoutes.change(context) { order, timestamp in
            let upsert = try OrderDocument.upsertItem(
                order.document, kind: kind, id: itemId, body: body, timestamp: timestamp)
            created = upsert.created
            return OrderChange(
                document: upsert.document,
                register: try NotificationRoutes.registrations(specs, origin: origin, on: order, ids: ids))
        }
        return created ? HTTPResponse(status: 201, headers: response.headers, body: response.body) : response
    }
}

extension OrderDocument.ItemKind {
    var singular: String { self == .payment ? "payment" : "shipping" }
}
