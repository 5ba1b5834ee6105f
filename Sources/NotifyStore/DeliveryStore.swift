import NotifyDomain
import NotifyFoundation

/// A delivery the sweep has leased: everything needed to send the attempt, without another query.
public struct ClaimedDelivery: Sendable {
    public let merchant: String
    public let eventId: String
    /// The event's destination; `nil` only for an event whose URL never expanded.
    public let destinationId: String?
    /// Sent as the one probe of a destination whose breaker is open.
    public let probe: Bool
    /// The claim took as many of this destination as the merchant's room allowed it, less than the
    /// destination's own room: more of it may be due now.
    public let more: Bool
    public let automaticAttempts: Int
    public let manual: Bool
    public let method: DeliveryMethod
    public let url: String
    public let headers: [HTTPHeader]
    /// The frozen body as stored (JSON text): sent as it is, never parsed and serialized again.
    public let payload: [UInt8]
    /// The destination's own secret, else the merchant's.
    public let signingSecret: String
    /// The secret a rotation replaced, while its grace period lasts: the attempt is signed with both.
    public let previousSigningSecret: String?
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

/// The delivery queue as the sweep sees it: one statement claims a batch with
/// `FOR UPDATE SKIP LOCKED`, fairly across destinations and merchants; one transaction writes a
/// batch of outcomes back with the health of their destinations. No transaction stays open while
/// the HTTP requests run; the lease token makes a late write-back of an expired lease a no-op.
public struct DeliveryStore {
    private let connection: Connection

    public init(connection: Connection) {
        self.connection = connection
    }

    /// How much more one sweep may claim: per destination and per merchant it already holds
    /// deliveries of, and for the others.
    public struct ClaimRoom: Sendable {
        public var destinations: [String: Int]
        public var merchants: [String: Int]
        public var perDestination: Int
        public var perMerchant: Int

        public init(destinations: [String: Int], merchants: [String: Int], perDestination: Int, perMerchant: Int) {
            self.destinations = destinations
            self.merchants = merchants
            self.perDestination = perDestination
            self.perMerchant = perMerchant
        }
    }

    /// Leases up to `limit` deliveries due at `now` until `leaseUntil` (RFC 3339 timestamps), at
    /// most `room` allows per destination and merchant.
    public func claim(now: String, limit: Int, leaseUntil: String, leaseToken: String, room: ClaimRoom) throws
        -> [ClaimedDelivery]
    {
        let destinations = room.destinations.sorted { $0.key < $1.key }
        let merchants = room.merchants.sorted { $0.key < $1.key }
        let parameters: [any SQLParameter] = [
            now, limit, leaseUntil, leaseToken, SQLArray(destinations.map(\.key)), SQLArray(destinations.map(\.value)),
            SQLArray(merchants.map(\.key)), SQLArray(merchants.map(\.value)), room.perDestination, room.perMerchant,
        ]
        return try connection.query(DeliveryStatements.claim, parameters).all.map { row in
            var headers: [HTTPHeader] = []
            let payload = Array(try row.string("payload").utf8)
            var defect: String?
            if let error = try row.optionalString("error") {
                defect = "the delivery URL could not be built: \(error)"
            }
            do {
                headers = try StoredHeaders.headers(
                    try row.string("request_headers"), statement: DeliveryStatements.claim.name)
            } catch {
                defect = "the stored request cannot be read: \(error)"
            }
            return ClaimedDelivery(
                merchant: try row.string("merchant"), eventId: try row.string("event_id"),
                destinationId: try row.optionalString("destination_id"), probe: try row.bool("probe"),
                more: try row.bool("more"),
                automaticAttempts: try row.int("attempt"), manual: try row.string("trigger") == "manual",
                method: DeliveryMethod(rawValue: try row.string("request_method")) ?? .post,
                url: try row.string("request_url"), headers: headers, payload: payload,
                signingSecret: try row.string("signing_secret"),
                previousSigningSecret: try row.optionalString("previous_signing_secret"), leaseToken: leaseToken,
                defect: defect)
        }
    }

    /// Writes a batch of attempts back in one transaction of two round trips (libpq pipeline mode):
    /// `BEGIN` travels with the lock of the destinations `ids`; `decide` turns their health into the
    /// attempt records and the destinations' new health, which travel with `COMMIT`. Returns how
    /// many attempts were recorded (fewer when a lease expired meanwhile) and the health written.
    public func writeBack(
        destinations ids: [String],
        _ decide: ([String: DestinationHealth]) throws -> (
            records: [AttemptRecord], health: [String: DestinationHealth]
        )
    ) throws -> (recorded: Int, health: [String: DestinationHealth]) {
        let lock = Connection.Step(DeliveryStatements.lockDestinations, [SQLArray(ids)])
        let (health, written) = try connection.transaction(pipelining: [lock]) {
            rows -> (value: [String: DestinationHealth], last: [Connection.Step]) in
            let (records, health) = try decide(try Self.health(rows[0]))
            return (
                health,
                records.isEmpty
                    ? [] : [Connection.Step(DeliveryStatements.complete, Self.completion(records, health: health))]
            )
        }
        return (written.first?.affected ?? 0, health)
    }

    private static func health(_ rows: Rows) throws -> [String: DestinationHealth] {
        var health: [String: DestinationHealth] = [:]
        for row in rows.all {
            health[try row.string("destination_id")] = DestinationHealth(
                status: Destination.Status(rawValue: try row.string("status")) ?? .healthy,
                consecutiveFailures: try row.int("consecutive_failures"),
                lastSuccessAt: try row.optionalDouble("last_success_at"),
                lastFailureAt: try row.optionalDouble("last_failure_at"),
                lastError: try row.optionalString("last_error"),
                failingSince: try row.optionalDouble("failing_since"),
                nextProbeAt: try row.optionalDouble("next_probe_at"),
                probeWaitSeconds: Double(try row.int("probe_wait_seconds")),
                heldUntil: try row.optionalDouble("held_until"),
                disabledAt: try row.optionalDouble("disabled_at"))
        }
        return health
    }

    /// Writes attempts back in one statement, for the rows still leased with each record's lease
    /// token, with the new `health` of their destinations (locked in the same transaction, as
    /// `writeBack` does). Returns how many were recorded (fewer when a lease expired meanwhile).
    @discardableResult
    public func complete(_ records: [AttemptRecord], health: [String: DestinationHealth] = [:]) throws -> Int {
        guard !records.isEmpty else { return 0 }
        return try connection.query(DeliveryStatements.complete, Self.completion(records, health: health)).affected
    }

    /// The parameters of the complete statement for `records` and `health`.
    private static func completion(_ records: [AttemptRecord], health: [String: DestinationHealth])
        -> [any SQLParameter]
    {
        let destinations = health.sorted { $0.key < $1.key }
        let time: (Double?) -> String? = { $0.map { Timestamp.rfc3339(unixMillis: Int64(($0 * 1000).rounded())) } }
        // Event ids are lowercase canonical UUID text (as PostgreSQL writes them), which orders as the UUIDs do.
        let eventIds = records.map(\.eventId)
        return [
            SQLArray(records.map(\.merchant)), SQLArray(eventIds),
            SQLArray(records.map(\.attemptId)), SQLArray(records.map(\.attemptedAt)),
            SQLArray(records.map { $0.statusCode.map(String.init) }), SQLArray(records.map(\.responseBody)),
            SQLArray(records.map(\.durationMs)), SQLArray(records.map(\.error)),
            SQLArray(records.map { $0.manual ? "manual" : "automatic" }),
            SQLArray(records.map(\.verdict.status.rawValue)), SQLArray(records.map(\.nextDue)),
            SQLArray(records.map(\.verdict.automaticAttempts)), SQLArray(records.map(\.leaseToken)),
            SQLArray(destinations.map(\.key)), SQLArray(destinations.map(\.value.status.rawValue)),
            SQLArray(destinations.map(\.value.consecutiveFailures)),
            SQLArray(destinations.map { time($0.value.lastSuccessAt) }),
            SQLArray(destinations.map { time($0.value.lastFailureAt) }),
            SQLArray(destinations.map(\.value.lastError)),
            SQLArray(destinations.map { time($0.value.failingSince) }),
            SQLArray(destinations.map { time($0.value.nextProbeAt) }),
            SQLArray(destinations.map { Int($0.value.probeWaitSeconds) }),
            SQLArray(destinations.map { time($0.value.heldUntil) }),
            SQLArray(destinations.map { time($0.value.disabledAt) }),
            eventIds.min() ?? "", eventIds.max() ?? "",
        ]
    }

    /// Hands leased deliveries back unattempted, due at `now` (RFC 3339).
    public func release(_ deliveries: [ClaimedDelivery], now: String) throws {
        guard !deliveries.isEmpty else { return }
        try connection.query(
            DeliveryStatements.release,
            [
                SQLArray(deliveries.map(\.merchant)), SQLArray(deliveries.map(\.eventId)),
                SQLArray(deliveries.map(\.leaseToken)), now,
            ])
    }

    /// Seconds from `now` until the next delivery is due (≤ 0: due now), `nil` when nothing is queued.
    public func secondsUntilNextDue(now: String) throws -> Double? {
        try connection.query(DeliveryStatements.nextDue, [now]).first?.optionalDouble("wait_seconds")
    }

    /// Subscribes this connection to the channel order changes notify (`--follow`), also after
    /// the connection re-opens.
    public func listen() throws {
        try connection.listen(DeliveryStatements.listen)
    }
}
