import NotifyDomain
import NotifyFoundation

/// The filters of an event query; `nil` means "any".
public struct EventFilter: Sendable {
    public var orderId: String?
    /// A pointer (`/state/currentStatus`) or a key (`state.completed`, `payment`): see ``ScopeQuery``.
    public var scope: String?
    public var status: String?
    public var channel: String?
    public var adapterId: String?
    public var reference: String?
    public var destinationId: String?

    public init() {}
}

/// Events and their attempts as the Notification API shows them: newest first,
/// secrets in request headers redacted, latest attempt summarised on the event. A page is one
/// statement (events, their attempts and the total), so an event's `attemptCount` always agrees
/// with its `attempts`.
public struct EventStore {
    private let connection: Connection

    public init(connection: Connection) {
        self.connection = connection
    }

    /// One page of events and the total number matching.
    public func page(merchant: String, filter: EventFilter, offset: Int, limit: Int) throws -> (
        events: [JSON], total: Int
    ) {
        var scopePointer: String?
        var scopeKey: String?
        switch filter.scope.map(ScopeQuery.init) {
        case .pointer(let pointer)?: scopePointer = pointer
        case .key(let key)?: scopeKey = key
        case nil: break
        }
        let values = [
            filter.orderId, scopePointer, filter.status, filter.channel, filter.adapterId, filter.reference, scopeKey,
            filter.destinationId,
        ]
        var mask = 0
        var parameters: [any SQLParameter] = [merchant]
        for (bit, value) in values.enumerated() {
            guard let value else { continue }
            mask |= 1 << bit
            parameters.append(value)
        }
        let bound: [any SQLParameter] = filter.orderId.map { [OrderEventBound.lowestEventId(orderId: $0)] } ?? []
        let rows = try connection.query(EventStatements.page(filters: mask), parameters + [limit, offset] + bound).all
        var total = try rows.first?.int("total") ?? 0
        if rows.isEmpty && offset > 0 {
            total =
                try connection.query(EventStatements.count(filters: mask), parameters + bound).first?.int("total") ?? 0
        }
        return (try rows.map(Self.event), total)
    }

    /// One event with a page of its attempts (oldest first), `nil` when the merchant has no such event.
    public func event(merchant: String, eventId: String, attemptsOffset: Int = 0, attemptsLimit: Int = 100) throws
        -> JSON?
    {
        guard UUIDFormat.isValid(eventId) else { return nil }
        guard
            let row = try connection.query(EventStatements.one, [merchant, eventId, attemptsLimit, attemptsOffset])
                .first
        else { return nil }
        guard case .object(var event) = try Self.event(row) else { return nil }
        event["attempts"] = try row.json("attempts_page")
        return .object(event)
    }

    /// Schedules a manual attempt. Returns `false` when the merchant has no such event.
    public func retry(merchant: String, eventId: String, now: String) throws -> Bool {
        guard UUIDFormat.isValid(eventId) else { return false }
        return try connection.transaction {
            let queued = try connection.query(EventStatements.retry, [merchant, eventId, now]).count == 1
            if queued { try connection.query(OrderStatements.notifySweep) }
            return queued
        }
    }

    /// Bulk recover: schedules one manual attempt for each event `request` selects, at most
    /// `RecoverRequest.maxEvents`. Returns how many were queued and whether more matched.
    public func recover(merchant: String, _ request: RecoverRequest, now: String) throws -> (queued: Int, more: Bool) {
        let row = try connection.query(
            EventStatements.recover,
            [
                merchant, UUIDv7.first(unixMillis: UInt64(request.sinceMillis)),
                UUIDv7.first(unixMillis: UInt64(request.untilMillis)),
                Timestamp.rfc3339(unixMillis: request.sinceMillis), Timestamp.rfc3339(unixMillis: request.untilMillis),
                request.status, request.orderId, request.channel, request.adapterId, request.scope,
                request.destinationId, RecoverRequest.maxEvents, now,
            ]
        ).first
        let queued = try row?.int("queued") ?? 0
        return (queued, try (row?.int("matched") ?? 0) > queued)
    }

    private static func event(_ row: Row) throws -> JSON {
        let headers = (try row.json("request_headers").objectValue ?? [:]).map {
            HTTPHeader(name: $0.key, value: $0.value.stringValue ?? "")
        }
        let redacted = HeaderRules.redacted(headers).map { ($0.name, JSON.string($0.value)) }
        return .object([
            "id": .string(try row.string("event_id")),
            "createdAt": .string(try row.string("created_at")),
            "merchant": .string(try row.string("merchant")),
            "channel": .string(try row.string("channel")),
            "orderId": .string(try row.string("order_id")),
            "notificationId": .string(try row.string("notification_id")),
            "reference": optional(try row.optionalString("reference")),
            "adapterId": optional(try row.optionalString("adapter_id")),
            "scope": .string(try row.string("scope")),
            "status": .string(try row.string("status")),
            "attemptCount": .number(Double(try row.int("attempt_count"))),
            "nextAttemptAt": optional(try row.optionalString("next_attempt_at")),
            "timestamp": optional(try row.optionalString("last_attempt_at")),
            "statusCode": try row.optionalInt("last_status_code").map { .number(Double($0)) } ?? .null,
            "responseBody": optional(try row.optionalString("last_response_body")),
            "error": optional(try row.optionalString("error")),
            "destinationId": optional(try row.optionalString("destination_id")),
            "attempts": try row.json("attempts"),
            "request": .object([
                "method": .string(try row.string("request_method")),
                "url": .string(HeaderRules.redactedURL(try row.string("request_url"))),
                "headers": .object(Dictionary(redacted) { first, _ in first }),
            ]),
        ])
    }

    private static func optional(_ text: String?) -> JSON {
        text.map(JSON.string) ?? .null
    }
}
