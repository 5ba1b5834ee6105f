import NotifyDomain
import NotifyFoundation
import NotifyStore

/// The Notification API: query events, read one with its attempts, retry one, recover many. Served
/// at `/api/v0/checkout/notifications/events` and at `/api/v1/events`, where query names may also
/// be snake_case.
enum EventRoutes {
    static let bases = ["/api/v0/checkout/notifications/events", "/api/v1/events"]
    static let statuses: Set<String> = ["pending", "succeeded", "failed"]

    static func register(in router: inout Router) {
        for base in bases {
            router.add("GET", base, access: .merchantInStatement, list)
            router.add("POST", base + "/retry", recover)
            router.add("GET", base + "/{eventId}") { context in
                .json(200, try load(context))
            }
            router.add("POST", base + "/{eventId}/retry") { context in
                let page = try attemptsPage(context)
                let connection = try context.database.connection()
                try countManualRetry(context, connection)
                let store = EventStore(connection: connection)
                let eventId = context.parameter("eventId")
                guard try store.retry(merchant: context.merchant, eventId: eventId, now: context.ids.timestamp) else {
                    throw APIError.notFound("no event '\(eventId)'")
                }
                return .json(202, try load(context, page: page))
            }
        }
    }

    private static func list(_ context: RequestContext) throws -> HTTPResponse {
        var filter = EventFilter()
        filter.orderId = context.queryValue("orderId", "order_id")
        if let orderId = filter.orderId, !UUIDFormat.isValid(orderId) {
            throw APIError.badRequest("orderId must be a UUID", field: "orderId")
        }
        filter.scope = context.queryValue("scope")
        filter.status = context.queryValue("status")
        if let status = filter.status, !statuses.contains(status) {
            throw APIError.badRequest("status must be one of pending, succeeded, failed", field: "status")
        }
        filter.channel = context.queryValue("channel")
        filter.adapterId = context.queryValue("adapterId", "adapter_id")
        filter.reference = context.queryValue("reference")
        filter.destinationId = context.queryValue("destinationId", "destination_id")
        if let destinationId = filter.destinationId, !UUIDFormat.isValid(destinationId) {
            throw APIError.badRequest("destinationId must be a UUID", field: "destinationId")
        }
        let paging = try Paging(context)
        guard let credentials = context.credentials else { throw APIError.internalError }
        let store = EventStore(connection: try context.database.connection())
        let (owner, failures, page) = try store.page(
            merchant: context.merchant, filter: filter, offset: paging.offset, limit: paging.limit,
            credentials: credentials, nowMillis: Identifiers.liveUnixMillis, keep: context.limits.keepEventPages)
        try context.verifyToken(owner: owner, failures: failures)
        guard let page else { throw APIError.internalError }
        return paging.response(page)
    }

    /// Bulk recover: one manual attempt for every matching event of a window (at most 14 days,
    /// at most 10,000 events a call; `more` says whether to call again).
    private static func recover(_ context: RequestContext) throws -> HTTPResponse {
        let nowMillis = context.now.unixMillis
        let request = try RecoverRequest(json: try context.request.jsonObjectBody(), nowMillis: nowMillis)
        let connection = try context.database.connection()
        try countManualRetry(context, connection)
        let store = EventStore(connection: connection)
        let result = try store.recover(merchant: context.merchant, request, now: context.ids.timestamp)
        return .json(202, .object(["queued": .number(Double(result.queued)), "more": .bool(result.more)]))
    }

    /// One event with a page of its attempts, oldest first (`attemptsOffset`, `attemptsLimit` 1–100,
    /// default 100): no answer grows without bound however often an event is retried.
    private static func load(_ context: RequestContext, page: (offset: Int, limit: Int)? = nil) throws -> JSON {
        let (attemptsOffset, attemptsLimit) = try page ?? attemptsPage(context)
        let store = EventStore(connection: try context.database.connection())
        let eventId = context.parameter("eventId")
        guard
            let event = try store.event(
                merchant: context.merchant, eventId: eventId, attemptsOffset: attemptsOffset,
                attemptsLimit: attemptsLimit)
        else {
            throw APIError.notFound("no event '\(eventId)'")
        }
        return event
    }

    /// Counts one manual retry request (one event, or one bulk recover) of the merchant in the
    /// current minute; past `NOTIFY_MANUAL_RETRY_LIMIT` it is a 429 with `Retry-After`.
    private static func countManualRetry(_ context: RequestContext, _ connection: Connection) throws {
        let window = APILimits.minuteWindow(context.now)
        let retries = try RateLimitStore(connection: connection).hit(
            bucket: "retry:" + context.merchant, window: window.start)
        guard retries <= context.limits.manualRetriesPerMinute else {
            throw APIError.tooManyRequests(
                "at most \(context.limits.manualRetriesPerMinute) manual retry requests per minute "
                    + "(NOTIFY_MANUAL_RETRY_LIMIT); try again in \(window.secondsLeft) s",
                retryAfter: window.secondsLeft)
        }
    }

    /// `attemptsOffset` (0–1,000,000, default 0) and `attemptsLimit` (1–100, default 100).
    private static func attemptsPage(_ context: RequestContext) throws -> (offset: Int, limit: Int) {
        let offset = try Paging.integer(
            context.queryValue("attemptsOffset", "attempts_offset"), name: "attemptsOffset", default: 0,
            range: 0...1_000_000)
        let limit = try Paging.integer(
            context.queryValue("attemptsLimit", "attempts_limit"), name: "attemptsLimit", default: 100, range: 1...100)
        return (offset, limit)
    }
}
