import Foundation
import NotifyDomain
import NotifyFoundation
import NotifyStore

/// A merchant's destinations (one per receiver origin): list them with their health, read one,
/// pause and resume one. Another merchant's destination is a 404, like any unknown id.
enum DestinationRoutes {
    static let base = "/api/v0/checkout/notifications/destinations"

    static func register(in router: inout Router) {
        router.add("GET", base) { context in
            let status = context.queryValue("status")
            if let status, Destination.Status(rawValue: status) == nil {
                throw APIError.badRequest(
                    "status must be one of \(Destination.Status.allCases.map(\.rawValue).joined(separator: ", "))",
                    field: "status")
            }
            let paging = try Paging(context)
            let page = try store(context).page(
                merchant: context.merchant, status: status, offset: paging.offset, limit: paging.limit)
            return .json(200, paging.page(page.destinations, total: page.total))
        }
        router.add("GET", base + "/{destinationId}") { context in
            .json(200, try load(context))
        }
        router.add("POST", base + "/{destinationId}/pause") { context in
            guard try store(context).pause(merchant: context.merchant, id: context.parameter("destinationId")) else {
                throw notFound(context)
            }
            return .json(200, try load(context))
        }
        // A signing secret of the destination's own, shown this once; the one it replaces (the
        // merchant's at first) keeps signing too until NOTIFY_SECRET_GRACE has passed.
        router.add("POST", base + "/{destinationId}/secret/rotate") { context in
            var generator = SystemRandomNumberGenerator()
            let secret = WebhookSignature.makeSecret(
                randomBytes: (0..<24).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
            let until = Identifiers(now: context.now.addingTimeInterval(context.limits.secretGraceSeconds)).timestamp
            let rotated = try store(context).rotateSecret(
                merchant: context.merchant, id: context.parameter("destinationId"), secret: secret,
                previousValidUntil: until)
            guard rotated else { throw notFound(context) }
            return .json(200, .object(["secret": .string(secret), "previousValidUntil": .string(until)]))
        }
        router.add("POST", base + "/{destinationId}/resume") { context in
            let resumed = try store(context).resume(
                merchant: context.merchant, id: context.parameter("destinationId"), now: context.ids.timestamp)
            guard resumed else { throw notFound(context) }
            return .json(200, try load(context))
        }
    }

    private static func store(_ context: RequestContext) throws -> DestinationStore {
        DestinationStore(connection: try context.database.connection())
    }

    private static func load(_ context: RequestContext) throws -> JSON {
        guard
            let destination = try store(context).destination(
                merchant: context.merchant, id: context.parameter("destinationId"))
        else { throw notFound(context) }
        return destination
    }

    private static func notFound(_ context: RequestContext) -> APIError {
        .notFound("no destination '\(context.parameter("destinationId"))'")
    }
}
