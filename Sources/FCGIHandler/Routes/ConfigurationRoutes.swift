import NotifyDomain
import NotifyStore

/// Channel configuration documents. The path names the merchant, which must be the
/// token's (403 otherwise); `order.notifications` are validated here so that every new order of
/// the channel can take them as they are.
enum ConfigurationRoutes {
    static let path = "/api/v1/configuration/merchants/{merchant}/channels/{channel}/configurations/{configurationId}"

    static func register(in router: inout Router) {
        router.add("PUT", path) { context in
            let (channel, id) = try target(context)
            let body = try context.request.jsonObjectBody()
            if let given = body["id"], given.stringValue != id {
                throw APIError.badRequest("id must equal the configuration id of the path", field: "id")
            }
            var active = true
            if let flag = body["active"], !flag.isNull {
                guard let value = flag.boolValue else {
                    throw APIError.badRequest("must be a boolean", field: "active")
                }
                active = value
            }
            if let order = body["order"], !order.isNull {
                guard let orderObject = order.objectValue else {
                    throw APIError.badRequest("must be an object", field: "order")
                }
                if let list = orderObject["notifications"], !list.isNull {
                    let specs = try NotificationSpec.parseList(list, field: "order.notifications")
                    try context.limits.checkTargets(specs, listField: "order.notifications")
                }
            }
            var document = body
            document["id"] = .string(id)
            document["active"] = .bool(active)
            let stored = try ConfigurationStore(connection: try context.database.connection()).put(
                merchant: context.merchant, channel: channel, id: id, active: active, document: .object(document),
                timestamp: context.ids.timestamp, limit: context.limits.configurationsPerChannel)
            guard let created = stored else {
                throw APIError.conflict(
                    "channel '\(channel)' already has \(context.limits.configurationsPerChannel) configurations "
                        + "(NOTIFY_MAX_CONFIGURATIONS_PER_CHANNEL); delete one first")
            }
            return .json(created ? 201 : 200, HeaderRules.redactedConfiguration(.object(document)))
        }
        router.add("GET", path) { context in
            let (channel, id) = try target(context)
            let store = ConfigurationStore(connection: try context.database.connection())
            guard let document = try store.get(merchant: context.merchant, channel: channel, id: id) else {
                throw APIError.notFound("no configuration '\(id)' in channel '\(channel)'")
            }
            return .json(200, HeaderRules.redactedConfiguration(document))
        }
        router.add("DELETE", path) { context in
            let (channel, id) = try target(context)
            let store = ConfigurationStore(connection: try context.database.connection())
            guard try store.delete(merchant: context.merchant, channel: channel, id: id) else {
                throw APIError.notFound("no configuration '\(id)' in channel '\(channel)'")
            }
            return .empty(204)
        }
    }

    /// The channel and configuration id of the path, once the path's merchant is the caller.
    private static func target(_ context: RequestContext) throws -> (channel: String, id: String) {
        guard context.parameter("merchant") == context.merchant else {
            throw APIError.forbidden("the token does not belong to merchant '\(context.parameter("merchant"))'")
        }
        let id = context.parameter("configurationId")
        guard id.count <= 128 else {
            throw APIError.badRequest("configuration id is too long", field: "configurationId")
        }
        return (context.parameter("channel"), id)
    }
}
