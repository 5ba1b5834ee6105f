import Foundation
import NotifyDomain
import NotifyFoundation
import NotifyStore

/// One attempt that finished and waits to be written back.
struct FinishedAttempt: Sendable {
    let delivery: ClaimedDelivery
    let outcome: DeliveryOutcome
    let claimedAt: Date
    let finishedAt: Date

    /// Why the attempt failed, as its row records it.
    var error: String? {
        if let error = outcome.error { return error }
        guard !outcome.succeeded, let status = outcome.statusCode else { return nil }
        return status == 410 ? "the receiver answered HTTP 410 Gone" : "the receiver answered HTTP \(status)"
    }

    /// A 410 Gone ends the event at once, like a refused address: retrying cannot help.
    var permanent: Bool { outcome.permanent || outcome.statusCode == 410 }

    /// What the attempt tells about its destination.
    var result: AttemptResult {
        let status = outcome.statusCode
        return AttemptResult(
            kind: AttemptResult.kind(statusCode: status, succeeded: outcome.succeeded, permanent: outcome.permanent),
            finishedAt: finishedAt.timeIntervalSince1970, error: error,
            retryAfterSeconds: status == 429 || status == 503 ? outcome.retryAfterSeconds : nil)
    }
}

extension FinishedAttempt {
    /// The attempt row, its verdict adjusted to its destination's health. `jitter` (a fraction in
    /// [0, 1)) spreads the retry time; both it and `attemptId` come from the sweep's random source.
    func record(destination: DestinationHealth?, schedule: RetrySchedule, jitter: Double, attemptId: String)
        -> AttemptRecord
    {
        var verdict = AttemptVerdict(
            succeeded: outcome.succeeded, permanent: permanent, manual: delivery.manual,
            automaticAttemptsBefore: delivery.automaticAttempts, schedule: schedule, random: jitter)
        if let destination {
            verdict = verdict.adjusted(
                for: destination, probeFailed: delivery.probe && result.kind == .unreachable, permanent: permanent,
                automaticAttemptsBefore: delivery.automaticAttempts, now: finishedAt.timeIntervalSince1970)
        }
        return AttemptRecord(
            merchant: delivery.merchant, eventId: delivery.eventId, attemptId: attemptId,
            attemptedAt: claimedAt.rfc3339, statusCode: outcome.statusCode,
            responseBody: outcome.statusCode == nil ? nil : outcome.responseBody, durationMs: outcome.durationMs,
            error: error, manual: delivery.manual, verdict: verdict,
            nextDue: verdict.retryIn.map { finishedAt.addingTimeInterval($0).rfc3339 }, leaseToken: delivery.leaseToken)
    }
}

extension ClaimedDelivery {
    /// The key this sweep counts the delivery under: its destination, or "" when it has none.
    var destinationKey: String { destinationId ?? "" }
}
