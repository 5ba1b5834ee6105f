import NotifyDomain
import NotifyFoundation

/// An order as stored: its document and the notifications registered on it.
public struct OrderRecord: Equatable, Sendable {
    public let merchant: String
    public let orderId: String
    public let channel: String
    public var document: JSON
    public var notifications: [RegisteredNotification]

    public init(
        merchant: String, orderId: String, channel: String, document: JSON, notifications: [RegisteredNotification]
    ) {
        self.merchant = merchant
        self.orderId = orderId
        self.channel = channel
        self.document = document
        self.notifications = notifications
    }

    /// The Order JSON of the API (notifications redacted).
    public var json: JSON { OrderView.json(document: document, notifications: notifications) }
}

/// What one call wants done to a locked order: its new document, notifications to register and
/// one to remove. Notifications registered by a change do not fire for that same change.
public struct OrderChange: Sendable {
    public var document: JSON
    public var register: [RegisteredNotification] = []
    public var unregister: String?
    /// `document` already serialized (by the size check): stored, and spliced into the delivery
    /// bodies, as it is instead of serialized again.
    public var serializedDocument: SerializedObject?

    public init(document: JSON, register: [RegisteredNotification] = [], unregister: String? = nil) {
        self.document = document
        self.register = register
        self.unregister = unregister
    }
}

/// The clock and id source of one API call, passed in so the store never reads a clock itself.
/// The store reads the time once the order is locked, so a change that waited for another one is
/// stamped after it.
public struct ChangeContext {
    public let timestamp: () -> String
    public let makeId: () -> String
    /// The matching steps the change's schema patterns may spend (``MatchBudget``).
    public var matchSteps = MatchBudget.defaultSteps

    public init(timestamp: @escaping () -> String, makeId: @escaping () -> String) {
        self.timestamp = timestamp
        self.makeId = makeId
    }
}

/// Orders and the transactional outbox: an order change, the events it matches and
/// their pending deliveries are written in one transaction, with one `NOTIFY` for the sweep.
public struct OrderStore {
    private let connection: Connection

    public init(connection: Connection) {
        self.connection = connection
    }

    /// Stores a new order with the notifications that come with it (the channel's configured ones).
    public func create(_ record: OrderRecord, origin timestamp: String) throws {
        try connection.transaction {
            try connection.query(
                OrderStatements.insertOrder,
                [record.merchant, record.orderId, record.channel, record.document, timestamp])
            for notification in record.notifications {
                try insert(notification, merchant: record.merchant, orderId: record.orderId, timestamp: timestamp)
            }
        }
    }

    /// The order, or `nil` when this merchant has none with that id.
    public func load(merchant: String, orderId: String) throws -> OrderRecord? {
        guard UUIDFormat.isValid(orderId) else { return nil }
        guard let row = try connection.query(OrderStatements.selectOrder, [merchant, orderId]).first else {
            return nil
        }
        return try record(row, merchant: merchant, orderId: orderId)
    }

    /// Deletes the order and its notifications. Its events stay queryable, and the deliveries they
    /// still owe go on: each was recorded by a change that committed, so the receiver is still told.
    /// A change of the order in flight finishes first (the delete waits for its row lock).
    /// - Returns: `false` when this merchant has no such order.
    public func delete(merchant: String, orderId: String) throws -> Bool {
        guard UUIDFormat.isValid(orderId) else { return false }
        return try connection.query(OrderStatements.deleteOrder, [merchant, orderId]).affected == 1
    }

    /// Locks the order, applies `change`, and records one event (plus a pending delivery) per
    /// notification whose scope fires, all in one transaction. Concurrent changes to one order
    /// wait for each other; a change that throws writes nothing.
    /// - Returns: the order after the change and the events created, or `nil` when there is no such order.
    public func change(
        merchant: String, orderId: String, context: ChangeContext,
        _ change: (OrderRecord, _ timestamp: String) throws -> OrderChange
    ) throws -> (order: OrderRecord, events: [PlannedEvent])? {
        try self.change(merchant: merchant, orderId: orderId, context: context, checking: nil, change).outcome
    }

    /// The same, with the request's token (`credentials`) checked in the change's first round trip
    /// instead of one of its own: a token that is not `merchant`'s or is revoked, or a client past
    /// its quota of failed authentications, changes nothing (and locks nothing unless the token is
    /// the merchant's own). `token` says what the check found, for the caller to answer as a
    /// separate check would (`nil` when the order id is not a UUID: nothing was read).
    public func change(
        merchant: String, orderId: String, context: ChangeContext, checking credentials: TokenCheck?,
        _ change: (OrderRecord, _ timestamp: String) throws -> OrderChange
    ) throws -> (
        token: (owner: MerchantStore.TokenOwner?, failures: Int)?,
        outcome: (order: OrderRecord, events: [PlannedEvent])?
    ) {
        guard UUIDFormat.isValid(orderId) else { return (nil, nil) }
        // Two round trips: BEGIN, the token check, the lock and the notifications go together; the
        // update, the events and COMMIT go together.
        let lock =
            credentials.map {
                Connection.Step(OrderStatements.lockOrderForToken, [merchant, orderId, $0.tokenHash])
            } ?? Connection.Step(OrderStatements.lockOrder, [merchant, orderId])
        var read = [lock, Connection.Step(OrderStatements.selectNotifications, [merchant, orderId])]
        if let credentials {
            read.insert(
                Connection.Step(
                    MerchantStatements.tokenOwnerAndFailures,
                    [credentials.tokenHash, credentials.failureBucket, credentials.window]),
                at: 0)
        }
        var token: (owner: MerchantStore.TokenOwner?, failures: Int)?
        let outcome = try connection.transaction(pipelining: read) {
            rows -> (value: (order: OrderRecord, events: [PlannedEvent])?, last: [Connection.Step]) in
            var rows = rows
            if let credentials {
                guard let row = rows.removeFirst().first else {
                    throw StoreError(
                        kind: .failed, message: "no credentials row",
                        statement: MerchantStatements.tokenOwnerAndFailures.name)
                }
                let verdict = try credentials.verdict(row, merchant: merchant)
                token = (verdict.owner, verdict.failures)
                guard verdict.accepted else { return (nil, []) }
            }
            guard let row = rows[0].first else { return (nil, []) }
            let before = try record(row, notifications: rows[1], merchant: merchant, orderId: orderId)
            let timestamp = context.timestamp()
            let wanted = try change(before, timestamp)
            var after = before
            after.document = wanted.document
            if let removed = wanted.unregister {
                guard
                    try connection.query(OrderStatements.deleteNotification, [merchant, orderId, removed]).affected == 1
                else { throw StoreError(kind: .failed, message: "notification vanished under lock") }
                after.notifications.removeAll { $0.id == removed }
            }
            for notification in wanted.register {
                try insert(notification, merchant: merchant, orderId: orderId, timestamp: timestamp)
            }
            after.notifications += wanted.register
            guard after.document != before.document else { return ((after, []), []) }
            let events = try EventPlanner.plan(
                before: before.document, after: after.document, order: OrderView.payloadJSON(document: after.document),
                notifications: before.notifications.filter { $0.id != wanted.unregister },
                configurations: try configurations(for: before), createdAt: timestamp,
                makeId: context.makeId, matchSteps: context.matchSteps)
            let serialized = wanted.serializedDocument ?? SerializedObject(after.document)
            let document = serialized.map { String(decoding: $0.bytes, as: UTF8.self) } ?? after.document.serialized()
            var writes = [Connection.Step(OrderStatements.updateOrder, [merchant, orderId, document, timestamp])]
            if let recorded = record(events, order: after, serialized: serialized, timestamp: timestamp) {
                writes.append(recorded)
            }
            return ((after, events), writes)
        }.value
        return (token, outcome)
    }

    /// The statement that records `events` with their deliveries and NOTIFY; `nil` for no event.
    /// One event (the usual change) goes as plain values, more as arrays. `serialized` is the
    /// order's document as stored, when it is an object: the bodies' `order` is made from its text.
    private func record(_ events: [PlannedEvent], order: OrderRecord, serialized: SerializedObject?, timestamp: String)
        -> Connection.Step?
    {
        guard !events.isEmpty else { return nil }
        let payloadOrder = serialized.map(OrderView.payloadBytes(document:))
        let head: [any SQLParameter] = [order.merchant, order.orderId, order.channel, timestamp]
        if events.count == 1, let event = events.first {
            return Connection.Step(
                OrderStatements.recordEvent,
                head + [
                    event.id, event.notificationId, event.adapterId, event.reference, event.scope,
                    event.method.rawValue, event.url, Self.headersJSON(event),
                    Self.payloadText(event, order: payloadOrder), event.error, event.scopeKey, event.origin,
                ])
        }
        return Connection.Step(
            OrderStatements.recordEvents,
            head + [
                SQLArray(events.map(\.id)), SQLArray(events.map(\.notificationId)), SQLArray(events.map(\.adapterId)),
                SQLArray(events.map(\.reference)), SQLArray(events.map(\.scope)),
                SQLArray(events.map(\.method.rawValue)), SQLArray(events.map(\.url)),
                SQLArray(events.map(Self.headersJSON)),
                SQLArray(events.map { Self.payloadText($0, order: payloadOrder) }), SQLArray(events.map(\.error)),
                SQLArray(events.map(\.scopeKey)), SQLArray(events.map(\.origin)),
            ])
    }

    /// The event's body as stored: its planned payload, whose `order` (the order the events were
    /// planned with, `payloadOrder`'s value) is copied from the text already made for it.
    private static func payloadText(_ event: PlannedEvent, order: [UInt8]?) -> String {
        guard let order, case .object(var members) = event.payload, members.removeValue(forKey: "order") != nil
        else { return event.payload.serialized() }
        return String(decoding: SerializedObject(members).bytes(adding: "order", serialized: order), as: UTF8.self)
    }

    /// The event's request headers as stored: an object of name to value (the first of a name wins).
    private static func headersJSON(_ event: PlannedEvent) -> JSON {
        JSON.object(Dictionary(event.headers.map { ($0.name, JSON.string($0.value)) }) { first, _ in first })
    }

    /// Active configuration documents by id, read only when a notification's URL needs one.
    private func configurations(for order: OrderRecord) throws -> [String: JSON] {
        guard order.notifications.contains(where: { $0.spec.url.usesConfiguration }) else { return [:] }
        return try ConfigurationStore(connection: connection).active(merchant: order.merchant, channel: order.channel)
            .reduce(into: [:]) { $0[$1.id] = $1.document }
    }

    private func insert(_ notification: RegisteredNotification, merchant: String, orderId: String, timestamp: String)
        throws
    {
        try connection.query(
            OrderStatements.insertNotification,
            [
                merchant, orderId, notification.id, notification.origin.rawValue, notification.spec.adapterId,
                notification.spec.reference, notification.spec.json(redacted: false), timestamp,
            ])
    }

    private func record(_ row: Row, merchant: String, orderId: String) throws -> OrderRecord {
        try record(
            row, notifications: try connection.query(OrderStatements.selectNotifications, [merchant, orderId]),
            merchant: merchant, orderId: orderId)
    }

    private func record(_ row: Row, notifications: Rows, merchant: String, orderId: String) throws -> OrderRecord {
        let registered = try notifications.all.map { row -> RegisteredNotification in
            let origin = try row.string("origin")
            return RegisteredNotification(
                id: try row.string("notification_id"),
                origin: RegisteredNotification.Origin(rawValue: origin) ?? .api,
                spec: try StoredSpecs.spec(try row.string("spec"), statement: notifications.statement))
        }
        return OrderRecord(
            merchant: merchant, orderId: orderId, channel: try row.string("channel"),
            document: try row.json("document"),
            notifications: registered)
    }
}
