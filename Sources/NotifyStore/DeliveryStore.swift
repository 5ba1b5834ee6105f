import NotifyDomain

/// A delivery the sweep has leased: everything needed to send the attempt, without another query.
public struct ClaimedDelivery: Sendable {
    public let merchant: String
    public let eventId: String
    public let automaticAttempts: Int
    public let manual: Bool
    public let method: DeliveryMethod
    public let url: String
    public let headers: [HTTPHeader]
    /// The frozen body as stored (JSON text): sent as it is, never parsed and serialized again.
    public let payload: [UInt8]
    public let signingSecret: String
    /// The lease this claim holds; the write-back of the attempt must present it.
    public let leaseToken: String
    /// Why this delivery cannot be sent at all (its stored request could not be read); such a
    /// delivery fails at once instead of holding up the batch it was claimed with.
    public let defect: String?
}

/// One finished attempt, as the sweep writes it back.
public struct AttemptRecord: Sendable {
    public let merchant: String
    public let eventId: String
    public let attemptId: String
    public let attemptedAt: String
    public let statusCode: Int?
    public let responseBody: String?
    public let durationMs: Int
    public let error: String?
    public let manual: Bool
    public let verdict: AttemptVerdict
    /// When the next automatic attempt is due (RFC 3339), `nil` when there is none.
    public let nextDue: String?
    public let leaseToken: String

    public init(
        merchant: String, eventId: String, attemptId: String, attemptedAt: String, statusCode: Int?,
        responseBody: String?, durationMs: Int, error: String?, manual: Bool, verdict: AttemptVerdict, nextDue: String?,
        leaseToken: String
    ) {
        self.merchant = merchant
        self.eventId = eventId
        self.attemptId = attemptId
        self.attemptedAt = attemptedAt
        self.statusCode = statusCode
        self.responseBody = responseBody
        self.durationMs = durationMs
        self.error = error
        self.manual = manual
        self.verdict = verdict
        self.nextDue = nextDue
        self.leaseToken = leaseToken
    }
}

/// The delivery queue as the sweep sees it (DESIGN §6): one statement claims a batch with
/// `FOR UPDATE SKIP LOCKED`, one writes a batch of outcomes back. No transaction stays open while
/// the HTTP requests run; the lease token makes a late write-back of an expired lease a no-op.
public struct DeliveryStore {
    private let connection: Connection

    public init(connection: Connection) {
        self.connection = connection
    }

    /// Leases up to `limit` deliveries due at `now` until `leaseUntil` (RFC 3339 timestamps).
    public func claim(now: String, limit: Int, leaseUntil: String, leaseToken: String) throws -> [ClaimedDelivery] {
        try connection.query(DeliveryStatements.claim, [now, limit, leaseUntil, leaseToken]).all.map { row in
            var headers: [HTTPHeader] = []
            let payload = Array(try row.string("payload").utf8)
            var defect: String?
            if let error = try row.optionalString("error") {
                defect = "the delivery URL could not be built: \(error)"
            }
            do {
                headers = (try row.json("request_headers").objectValue ?? [:]).sorted { $0.key < $1.key }.map {
                    HTTPHeader(name: $0.key, value: $0.value.stringValue ?? "")
                }
            } catch {
                defect = "the stored request cannot be read: \(error)"
            }
            return ClaimedDelivery(
                merchant: try row.string("merchant"), eventId: try row.string("event_id"),
                automaticAttempts: try row.int("attempt"), manual: try row.string("trigger") == "manual",
                method: DeliveryMethod(rawValue: try row.string("request_method")) ?? .post,
                url: try row.string("request_url"), headers: headers, payload: payload,
                signingSecret: try row.string("signing_secret"), leaseToken: leaseToken, defect: defect)
        }
    }

    /// Writes attempts back in one statement, for the rows still leased with each record's lease
    /// token. Returns how many were recorded (fewer when a lease expired meanwhile).
    @discardableResult
    public func complete(_ records: [AttemptRecord]) throws -> Int {
        guard !records.isEmpty else { return 0 }
        return try connection.query(
            DeliveryStatements.complete,
            [
                SQLArray(records.map(\.merchant)), SQLArray(records.map(\.eventId)),
                SQLArray(records.map(\.attemptId)), SQLArray(records.map(\.attemptedAt)),
                SQLArray(records.map { $0.statusCode.map(String.init) }), SQLArray(records.map(\.responseBody)),
                SQLArray(records.map(\.durationMs)), SQLArray(records.map(\.error)),
                SQLArray(records.map { $0.manual ? "manual" : "automatic" }),
                SQLArray(records.map(\.verdict.status.rawValue)), SQLArray(records.map(\.nextDue)),
                SQLArray(records.map(\.verdict.automaticAttempts)), SQLArray(records.map(\.leaseToken)),
            ]
        ).affected
    }

    /// Seconds from `now` until the next delivery is due (≤ 0: due now), `nil` when nothing is queued.
    public func secondsUntilNextDue(now: String) throws -> Double? {
        try connection.query(DeliveryStatements.nextDue, [now]).first?.optionalDouble("wait_seconds")
    }

    /// Subscribes this connection to the channel order changes notify (`--follow`).
    public func listen() throws {
        try connection.executeScript(DeliveryStatements.listen, name: "deliveries_listen")
    }
}
