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

/// The credentials a request presented, for a statement that checks them itself (see
/// ``EventStore/page(merchant:filter:offset:limit:credentials:nowMillis:)``): the token's SHA-256, the
/// client's failed-authentication bucket and window, and the quota of failures in a window.
public struct TokenCheck: Sendable {
    public let tokenHash: String
    public let failureBucket: String
    public let window: Int
    public let maxFailures: Int

    public init(tokenHash: String, failureBucket: String, window: Int, maxFailures: Int) {
        self.tokenHash = tokenHash
        self.failureBucket = failureBucket
        self.window = window
        self.maxFailures = maxFailures
    }

    /// The four parameters a statement checking the token takes, in their order.
    var parameters: [any SQLParameter] { [tokenHash, failureBucket, window, maxFailures] }

    /// Whose token a checking statement's row says it is (`token_merchant`, `revoked`, `failures`,
    /// see `MerchantStatements.tokenCheck`; `nil` when unknown) and how many failed authentications
    /// its client has.
    static func owner(in row: Row) throws -> (owner: MerchantStore.TokenOwner?, failures: Int) {
        let failures = try row.optionalInt("failures") ?? 0
        guard let owner = try row.optionalString("token_merchant") else { return (nil, failures) }
        return (MerchantStore.TokenOwner(merchant: owner, revoked: try row.bool("revoked")), failures)
    }

    /// `owner(in:)`, and whether the request may go on: the token is `merchant`'s, live, and the
    /// client under its quota.
    func verdict(_ row: Row, merchant: String) throws
        -> (owner: MerchantStore.TokenOwner?, failures: Int, accepted: Bool)
    {
        let (owner, failures) = try Self.owner(in: row)
        let accepted = owner.map { $0.merchant == merchant && !$0.revoked } ?? false
        return (owner, failures, accepted && failures < maxFailures)
    }
}

/// A page of events already rendered as JSON: `data` is the array's text (UTF-8), `size` the
/// events in it and `total` the events matching.
public struct RenderedPage: Sendable {
    public var data: [UInt8] = []
    public var size = 0
    public var total = 0
}

/// Events and their attempts as the Notification API shows them: newest first,
/// secrets in request headers redacted, latest attempt summarised on the event. A page is one
/// statement (events, their attempts and the total), so an event's `attemptCount` always agrees
/// with its `attempts`.
public struct EventStore {
    let connection: Connection

    public init(connection: Connection) {
        self.connection = connection
    }

    /// One page of events as the API's JSON (`data`: the array, keys sorted, no whitespace) and the
    /// total number matching, read in the same round trip as the check of the request's token
    /// (`credentials`): the events are read only when the token is `merchant`'s, live, and its
    /// client is under its failure quota. `owner` and `failures` are returned for the caller to
    /// answer a refused token as it answers one checked on its own; `page` is `nil` when refused.
    /// `nowMillis`, the time of the read, bounds the ids of an order's events (`OrderEventBound`).
    /// With `keep`, one order's page is served from the pages kept rendered while it is current, and
    /// kept once rendered (see `keptPage`).
    public func page(
        merchant: String, filter: EventFilter, offset: Int, limit: Int, credentials: TokenCheck, nowMillis: UInt64,
        keep: Bool = false
    ) throws -> (owner: MerchantStore.TokenOwner?, failures: Int, page: RenderedPage?) {
        if keep, let orderId = filter.orderId {
            return try keptPage(
                merchant: merchant, orderId: orderId, filter: filter, offset: offset, limit: limit,
                credentials: credentials, nowMillis: nowMillis)
        }
        return try render(
            merchant: merchant, filter: filter, offset: offset, limit: limit, credentials: credentials,
            nowMillis: nowMillis
        ).verdict
    }

    /// The page rendered by PostgreSQL, as `page` answers it, with (for one order's page) the order's
    /// version and the history's epoch read in the same snapshot.
    func render(
        merchant: String, filter: EventFilter, offset: Int, limit: Int, credentials: TokenCheck, nowMillis: UInt64
    ) throws -> (verdict: (owner: MerchantStore.TokenOwner?, failures: Int, page: RenderedPage?), kept: KeptAt?) {
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
        let bound: [any SQLParameter] =
            filter.orderId.map {
                [
                    OrderEventBound.lowestEventId(orderId: $0),
                    OrderEventBound.highestEventId(orderId: $0, nowMillis: nowMillis),
                ]
            } ?? []
        let rows = try connection.query(
            EventStatements.page(filters: mask), parameters + [limit, offset] + bound + credentials.parameters)
        guard let first = rows.first else {
            throw StoreError(kind: .failed, message: "no credentials row", statement: rows.statement)
        }
        let (owner, failures, accepted) = try credentials.verdict(first, merchant: merchant)
        guard accepted else { return ((owner, failures, nil), nil) }
        var page = RenderedPage()
        page.data.reserveCapacity(rows.count * 1024 + 2)
        page.data.append(UInt8(ascii: "["))
        for row in rows.all {
            guard let total = try row.optionalInt("total") else { continue }  // the row of an empty page
            if page.size > 0 { page.data.append(UInt8(ascii: ",")) }
            try row.appendBytes("head", to: &page.data)
            JSON.appendString(HeaderRules.redactedURL(try row.string("request_url")), to: &page.data)
            try row.appendBytes("tail", to: &page.data)
            page.size += 1
            page.total = total
        }
        page.data.append(UInt8(ascii: "]"))
        var kept: KeptAt?
        if filter.orderId != nil, let version = try first.optionalInt("kept_version") {
            kept = KeptAt(version: version, epoch: try first.int("kept_epoch"))
        }
        if page.size == 0 && offset > 0 {
            page.total =
                try connection.query(EventStatements.count(filters: mask), parameters + bound).first?.int("total") ?? 0
            kept = nil  // the total comes from another snapshot
        }
        return ((owner, failures, page), kept)
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
