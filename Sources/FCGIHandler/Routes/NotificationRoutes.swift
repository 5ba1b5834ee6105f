import NotifyDomain
import NotifyStore

/// Notifications registered on one order: POST one, GET the list, DELETE one. Served
/// under the v0 orders path and, the same, under `/api/v1/checkout/orders`, where Norce's adapters
/// register them.
enum NotificationRoutes {
    static let bases = [OrderRoutes.base, "/api/v1/checkout/orders"]

    static func register(in router: inout Router) {
        for base in bases {
            register(path: base + "/{orderId}/notifications", in: &router)
        }
    }

    private static func register(path: String, in router: inout Router) {
        router.add("GET", path) { context in
            .json(200, .array(try OrderRoutes.load(context).notifications.map { $0.json(redacted: true) }))
        }
        router.add("POST", path) { context in
            let spec = try NotificationSpec(json: .object(try context.request.jsonObjectBody()))
            try context.limits.checkTargets([spec])
            var registered: RegisteredNotification?
            _ = try OrderRoutes.change(context) { order, _ in
                let registrations = try registrations([spec], origin: .api, on: order, ids: context.ids)
                registered = registrations.first
                return OrderChange(document: order.document, register: registrations)
            }
            guard let registered else { throw APIError.internalError }
            return .json(
                201, registered.json(redacted: true),
                headers: [
                    (
                        "Location",
                        path
                            .replacingOccurrences(of: "{orderId}", with: context.parameter("orderId")) + "/"
                            + registered.id
                    )
                ])
        }
        router.add("DELETE", path + "/{notificationId}") { context in
            let notificationId = context.parameter("notificationId")
            _ = try OrderRoutes.change(context) { order, _ in
                guard order.notifications.contains(where: { $0.id == notificationId }) else {
                    throw APIError.notFound("no notification '\(notificationId)' on this order")
                }
                return OrderChange(document: order.document, unregister: notificationId)
            }
            return .empty(204)
        }
    }

    /// Gives each spec its id (the pointer form's own `id`, else a new one); an id already on the
    /// order is a 409.
    static func registrations(
        _ specs: [NotificationSpec], origin: RegisteredNotification.Origin, on order: OrderRecord, ids: Identifiers
    ) throws -> [RegisteredNotification] {
        var taken = Set(order.notifications.map(\.id))
        return try specs.map { spec in
            let id = spec.id ?? ids.makeId()
            guard taken.insert(id).inserted else {
                throw APIError.conflict("a notification with id '\(id)' is already registered on this order")
            }
            return RegisteredNotification(id: id, origin: origin, spec: spec)
        }
    }
}
