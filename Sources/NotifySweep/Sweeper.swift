import Foundation
import Logging
import NotifyDomain
import NotifyStore

/// The sweep's pipeline (DESIGN §2, §5): keeps up to `concurrency` deliveries in flight, claims
/// more whenever there is room, and writes outcomes back as soon as they finish, so one slow or
/// hanging receiver never holds up the others. No transaction is open while requests run; each
/// claimed delivery carries its lease token to the write-back.
final class Sweeper {
    static let userAgent = "notify/0.1.0"

    let config: SweepConfig
    let deliverer: HTTPDeliverer
    let logger: Logger
    /// The system's random source, for attempt ids.
    private var random = SystemRandomNumberGenerator()
    /// Deliveries in flight by request id, with the time they were claimed.
    private var inFlight: [String: (delivery: ClaimedDelivery, claimedAt: Date)] = [:]
    /// Finished attempts not yet written back, and when the oldest of them finished.
    private var unwritten: [AttemptRecord] = []
    private var oldestUnwritten = Date.distantFuture
    /// Attempts written back in one statement at most this long after they finished (DESIGN §6:
    /// outcomes go back per batch; a statement per finished delivery costs the database 2.5 times more).
    static let writeBackDelay = 0.01

    init(config: SweepConfig, deliverer: HTTPDeliverer, logger: Logger) {
        self.config = config
        self.deliverer = deliverer
        self.logger = logger
    }

    /// Deliveries claimed and not yet written back.
    var busy: Int { inFlight.count + unwritten.count }

    /// Room for more deliveries now.
    var room: Int { max(0, min(config.batchSize, config.concurrency - inFlight.count)) }

    /// Whether a claim is worth its statement now: when nothing is in flight, or when at least half
    /// a batch of slots is free (claims, like write-backs, go to the database in batches).
    var wantsMore: Bool {
        room > 0 && (inFlight.isEmpty || room >= max(1, min(config.batchSize, config.concurrency) / 2))
    }

    /// Claims up to `room` due deliveries and starts them. Returns how many were claimed.
    @discardableResult
    func claim(_ connection: Connection) throws -> Int {
        let limit = room
        guard limit > 0 else { return 0 }
        let now = Date()
        let leaseToken = UUID().uuidString.lowercased()
        let claimed = try DeliveryStore(connection: connection).claim(
            now: now.rfc3339, limit: limit, leaseUntil: now.addingTimeInterval(config.effectiveLeaseSeconds).rfc3339,
            leaseToken: leaseToken)
        var requests: [DeliveryRequest] = []
        var defective: [AttemptRecord] = []
        for delivery in claimed {
            if let defect = delivery.defect {
                let outcome = DeliveryOutcome(id: delivery.eventId, error: defect, permanent: true)
                defective.append(record(delivery: delivery, outcome: outcome, claimedAt: now, now: now))
                continue
            }
            let id = leaseToken + "/" + delivery.eventId
            inFlight[id] = (delivery, now)
            requests.append(request(for: delivery, id: id, at: now))
        }
        deliverer.submit(requests)
        if !defective.isEmpty {
            logger.error("undeliverable events", metadata: ["events": .stringConvertible(defective.count)])
            try DeliveryStore(connection: connection).complete(defective)
        }
        return claimed.count
    }

    /// Moves the transfers along for up to `waitMs` and writes back what finished: in one statement
    /// once half a batch has finished, nothing is left in flight, or `writeBackDelay` has passed.
    /// Returns how many attempts were written back.
    @discardableResult
    func advance(_ connection: Connection, waitMs: Int32) throws -> Int {
        let outcomes = deliverer.poll(timeoutMs: waitMs)
        let now = Date()
        for outcome in outcomes {
            guard let entry = inFlight.removeValue(forKey: outcome.id) else { continue }
            if let refusal = outcome.refusal {
                logger.warning(
                    "target address not allowed",
                    metadata: ["event.id": "\(entry.delivery.eventId)", "reason": "\(refusal)"])
            }
            if unwritten.isEmpty { oldestUnwritten = now }
            unwritten.append(record(delivery: entry.delivery, outcome: outcome, claimedAt: entry.claimedAt, now: now))
        }
        guard !unwritten.isEmpty,
            inFlight.isEmpty || unwritten.count >= max(1, config.batchSize / 2)
                || now.timeIntervalSince(oldestUnwritten) >= Self.writeBackDelay
        else { return 0 }
        let records = unwritten
        unwritten.removeAll(keepingCapacity: true)
        let recorded = try DeliveryStore(connection: connection).complete(records)
        if recorded < records.count {
            logger.warning(
                "leases expired before write-back", metadata: ["lost": .stringConvertible(records.count - recorded)])
        }
        return records.count
    }

    private func request(for delivery: ClaimedDelivery, id: String, at time: Date) -> DeliveryRequest {
        guard let signature = try? WebhookSignature(secret: delivery.signingSecret) else {
            return DeliveryRequest(id: id, method: delivery.method.rawValue, url: "", headers: [], body: [])
        }
        let message = WebhookMessage(
            eventId: delivery.eventId, method: delivery.method, headers: delivery.headers, payload: delivery.payload,
            signature: signature, timestamp: Int64(time.timeIntervalSince1970), userAgent: Self.userAgent)
        return DeliveryRequest(
            id: id, method: delivery.method.rawValue, url: delivery.url,
            headers: message.headers.map { (name: $0.name, value: $0.value) }, body: message.body)
    }

    private func record(delivery: ClaimedDelivery, outcome: DeliveryOutcome, claimedAt: Date, now: Date)
        -> AttemptRecord
    {
        let verdict = AttemptVerdict(
            succeeded: outcome.succeeded, permanent: outcome.permanent, manual: delivery.manual,
            automaticAttemptsBefore: delivery.automaticAttempts, schedule: config.schedule,
            random: Double.random(in: 0..<1))
        var error = outcome.error
        if error == nil, !outcome.succeeded, let status = outcome.statusCode {
            error = "the receiver answered HTTP \(status)"
        }
        return AttemptRecord(
            merchant: delivery.merchant, eventId: delivery.eventId,
            attemptId: UUIDv7.make(
                unixMillis: UInt64(claimedAt.timeIntervalSince1970 * 1000), using: &random),
            attemptedAt: claimedAt.rfc3339, statusCode: outcome.statusCode,
            responseBody: outcome.statusCode == nil ? nil : outcome.responseBody, durationMs: outcome.durationMs,
            error: error, manual: delivery.manual, verdict: verdict,
            nextDue: verdict.retryIn.map { now.addingTimeInterval($0).rfc3339 }, leaseToken: delivery.leaseToken)
    }
}

extension Date {
    /// This time as an RFC 3339 timestamp (see `Timestamp`).
    var rfc3339: String { Timestamp.rfc3339(unixMillis: Int64((timeIntervalSince1970 * 1000).rounded(.down))) }
}
