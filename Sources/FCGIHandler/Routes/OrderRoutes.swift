import NotifyDomain
import NotifyFoundation
import NotifyStore

/// The order-service side of the API: create, read, merge-patch, move and delete orders.
enum OrderRoutes {
    static let base = "/api/v0/checkout/orders"

    static func register(in router: inout Router) {
        router.add("POST", base, create)
        router.add("GET", base + "/{orderId}") { context in
            .json(200, try load(context).json)
        }
        router.add("PATCH", base + "/{orderId}", access: .merchantInStatement) { context in
            let patch = try context.request.jsonBody()
            return try change(context) { order, timestamp in
                OrderChange(document: try OrderDocument.patch(order.document, with: patch, timestamp: timestamp))
            }
        }
        router.add("DELETE", base + "/{orderId}") { context in
            let store = OrderStore(connection: try context.database.connection())
            let orderId = context.parameter("orderId")
            guard try store.delete(merchant: context.merchant, orderId: orderId) else {
                throw APIError.notFound("no order '\(orderId)'")
            }
            var response = HTTPResponse.empty(204)
            response.logFields = [("order.id", orderId)]
            return response
        }
        router.add("PUT", base + "/{orderId}/state", access: .merchantInStatement) { context in
            let body = try context.request.jsonObjectBody()
            try refuseUnknownFields(body, allowed: ["currentStatus"])
            guard let status = body["currentStatus"]?.stringValue else {
                throw APIError.badRequest("currentStatus must be a string", field: "currentStatus")
            }
            return try change(context) { order, timestamp in
                let moved = try OrderDocument.transition(order.document, to: status, timestamp: timestamp)
                return OrderChange(document: moved ?? order.document)
            }
        }
    }

    private static func create(_ context: RequestContext) throws -> HTTPResponse {
        guard let channel = context.request.headers["x-channel"]?.trimmingASCIIWhitespace(), !channel.isEmpty else {
            throw APIError.badRequest("the X-Channel header is required", field: "X-Channel")
        }
        guard channel.count <= 128, channel.allSatisfy({ $0.isLetter || $0.isNumber || "-_.:".contains($0) }) else {
            throw APIError.badRequest(
                "X-Channel must be 1 to 128 letters, digits, '-', '_', '.' or ':'",
                field: "X-Channel")
        }
        let body = context.request.body.isEmpty ? [:] : try context.request.jsonObjectBody()
        let ids = context.ids
        let orderId = ids.makeId()
        let document = try OrderDocument.create(
            id: orderId, merchant: context.merchant, channel: channel, body: body, timestamp: ids.timestamp)
        let connection = try context.database.connection()
        let configured = try ConfigurationStore(connection: connection).active(
            merchant: context.merchant, channel: channel)
        var notifications: [RegisteredNotification] = []
        for configuration in configured {
            guard let list = configuration.document["order"]?["notifications"] else { continue }
            for spec in try NotificationSpec.parseList(list) {
                let taken = notifications.contains { $0.id == spec.id }
                let id = spec.id.flatMap { taken ? nil : $0 } ?? ids.makeId()
                notifications.append(RegisteredNotification(id: id, origin: .configuration, spec: spec))
            }
        }
        try context.limits.checkOrder(notifications: notifications.count, document: document)
        let record = OrderRecord(
            merchant: context.merchant, orderId: orderId, channel: channel, document: document,
            notifications: notifications)
        try OrderStore(connection: connection).create(record, origin: ids.timestamp)
        return .json(201, record.json, headers: [("Location", base + "/" + orderId)])
    }

    static func load(_ context: RequestContext) throws -> OrderRecord {
        let store = OrderStore(connection: try context.database.connection())
        guard let order = try store.load(merchant: context.merchant, orderId: context.parameter("orderId")) else {
            throw APIError.notFound("no order '\(context.parameter("orderId"))'")
        }
        return order
    }

    /// Runs one change of the order in the outbox transaction and answers with the order after it.
    /// A change past the order's quotas (notifications, stored size) is refused before it is written.
    /// On a `merchantInStatement` route the token is checked in the change's first round trip.
    static func change(
        _ context: RequestContext, _ apply: (OrderRecord, String) throws -> OrderChange
    ) throws -> HTTPResponse {
        let store = OrderStore(connection: try context.database.connection())
        let orderId = context.parameter("orderId")
        var changeContext = Identifiers.live
        changeContext.matchSteps = context.limits.schemaMatchSteps
        var written: SerializedObject?  // the document the last run of the change stored
        let checked = try store.change(
            merchant: context.merchant, orderId: orderId, context: changeContext, checking: context.credentials
        ) { order, timestamp in
            var change = try apply(order, timestamp)
            let removed = change.unregister == nil ? 0 : 1
            change.serializedDocument = try context.limits.checkOrder(
                notifications: order.notifications.count - removed + change.register.count,
                document: change.document)
            written = change.serializedDocument
            return change
        }
        if let token = checked.token { try context.verifyToken(owner: token.owner, failures: token.failures) }
        guard let result = checked.outcome else { throw APIError.notFound("no order '\(orderId)'") }
        let body =
            written.map { OrderView.bytes(document: $0, notifications: result.order.notifications) }
            ?? result.order.json.serializedBytes
        var response = HTTPResponse.json(200, serialized: body)
        if !result.events.isEmpty {
            response.logFields = [("order.id", orderId), ("events", "\(result.events.count)")]
        }
        return response
    }

    static func refuseUnknownFields(_ object: [String: JSON], allowed: Set<String>) throws {
        if let unknown = object.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw APIError.badRequest("unknown field '\(unknown)'", field: unknown)
        }
    }
}
