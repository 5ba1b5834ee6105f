import Foundation
import Logging
import NotifyDomain
import NotifyStore

/// One sweep batch (DESIGN §2, §5): claim due deliveries, send them all at once, write the
/// outcomes back in one statement. No transaction is open while the HTTP requests run.
struct Sweeper {
    static let userAgent = "notify/0.1.0"

    let config: SweepConfig
    let deliverer: HTTPDeliverer
    let logger: Logger

    /// Runs one batch and returns how many deliveries it attempted (0: nothing was due).
    func runBatch(_ connection: Connection) throws -> Int {
        let store = DeliveryStore(connection: connection)
        let now = Date()
        let leaseToken = UUID().uuidString.lowercased()
        let claimed = try store.claim(
            now: now.rfc3339, limit: config.batchSize,
            leaseUntil: now.addingTimeInterval(config.effectiveLeaseSeconds).rfc3339, leaseToken: leaseToken)
        guard !claimed.isEmpty else { return 0 }
        let started = Date()
        let outcomes = deliverer.deliver(claimed.map { request(for: $0, at: started) })
        let finished = Date()
        let records = zip(claimed, outcomes).map {
            record(delivery: $0, outcome: $1, startedAt: started, now: finished)
        }
        let recorded = try store.complete(records, leaseToken: leaseToken)
        if recorded < records.count {
            logger.warning(
                "leases expired before write-back", metadata: ["lost": .stringConvertible(records.count - recorded)])
        }
        logger.debug(
            "batch delivered",
            metadata: [
                "deliveries": .stringConvertible(claimed.count),
                "succeeded": .stringConvertible(outcomes.filter(\.succeeded).count),
            ])
        return claimed.count
    }

    private func request(for delivery: ClaimedDelivery, at time: Date) -> DeliveryRequest {
        guard let signature = try? WebhookSignature(secret: delivery.signingSecret) else {
            return DeliveryRequest(
                id: delivery.eventId, method: delivery.method.rawValue, url: "", headers: [], body: [])
        }
        let message = WebhookMessage(
            eventId: delivery.eventId, method: delivery.method, headers: delivery.headers, payload: delivery.payload,
            signature: signature, timestamp: Int64(time.timeIntervalSince1970), userAgent: Self.userAgent)
        return DeliveryRequest(
            id: delivery.eventId, method: delivery.method.rawValue, url: delivery.url,
            headers: message.headers.map { (name: $0.name, value: $0.value) }, body: message.body)
    }

    private func record(delivery: ClaimedDelivery, outcome: DeliveryOutcome, startedAt: Date, now: Date)
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
                unixMillis: UInt64(startedAt.timeIntervalSince1970 * 1000), random: Self.randomBytes()),
            attemptedAt: startedAt.rfc3339, statusCode: outcome.statusCode,
            responseBody: outcome.statusCode == nil ? nil : outcome.responseBody, durationMs: outcome.durationMs,
            error: error, manual: delivery.manual, verdict: verdict,
            nextDue: verdict.retryIn.map { now.addingTimeInterval($0).rfc3339 })
    }

    private static func randomBytes() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<10).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }
}

extension Date {
    /// This time as an RFC 3339 timestamp (see `Timestamp`).
    var rfc3339: String { Timestamp.rfc3339(unixMillis: Int64((timeIntervalSince1970 * 1000).rounded(.down))) }
}
