import Foundation
import NotifyDomain
import NotifyFoundation
import NotifyStore

/// Claims and writes finished attempts back beside the transfers, so the sweep keeps moving its
/// transfers while PostgreSQL works: the transfers no longer wait for the database, nor the
/// database for the transfers. Claims and write-backs each have a thread and a connection of their
/// own (two lanes), so a claim runs in one PostgreSQL backend while the last batch is written in
/// another, instead of one waiting for the other. One claim and one batch at a time; what finishes
/// meanwhile waits for the next batch, so batches grow with the load.
///
/// `Sendable`: its state is in the lanes (see `DatabaseLane`), whose shared condition it waits on.
final class DatabaseWorker: Sendable {
    /// A batch to write back, with the random draws of its records made by the sweep (its random
    /// source is not shared across threads).
    struct Job {
        let batch: [FinishedAttempt]
        let draws: [(jitter: Double, attemptId: String)]
    }

    /// A claim to make: `DeliveryStore.claim`'s arguments.
    struct Claim {
        let now: String
        let limit: Int
        let leaseUntil: String
        let leaseToken: String
        let room: DeliveryStore.ClaimRoom
    }

    /// What a write-back did: how many attempts it recorded (fewer when leases ran out) and the
    /// health of the batch's destinations after it.
    struct Done {
        let recorded: Int
        let health: [String: DestinationHealth]
    }

    private let condition = NSCondition()
    private let claims: DatabaseLane<Claim, [ClaimedDelivery]>
    private let writeBacks: DatabaseLane<Job, Done>

    init(config: SweepConfig, wake: @escaping @Sendable () -> Void) {
        claims = DatabaseLane(condition: condition, conninfo: config.databaseURL, finished: wake) { claim, connection in
            try DeliveryStore(connection: connection).claim(
                now: claim.now, limit: claim.limit, leaseUntil: claim.leaseUntil, leaseToken: claim.leaseToken,
                room: claim.room)
        }
        let (breaker, schedule) = (config.breaker, config.schedule)
        writeBacks = DatabaseLane(condition: condition, conninfo: config.databaseURL, finished: wake) {
            job, connection in
            try Self.write(job, on: connection, breaker: breaker, schedule: schedule)
        }
    }

    /// Whether a batch is being written (or written and not yet taken).
    var isWriting: Bool { writeBacks.isBusy }

    /// Whether a claim is being made (or made and not yet taken).
    var isClaiming: Bool { claims.isBusy }

    /// Hands a batch over; call only when not writing.
    func submit(_ job: Job) { writeBacks.submit(job) }

    /// Hands a claim over; call only when not claiming.
    func submit(_ claim: Claim) { claims.submit(claim) }

    /// The deliveries the last claim took, once; `nil` while it is still being made.
    func takeClaimed() -> Result<[ClaimedDelivery], any Error>? { claims.take()?.outcome }

    /// The batch written last and what became of it, once; `nil` while it is still being written.
    func take() -> (batch: [FinishedAttempt], outcome: Result<Done, any Error>)? {
        writeBacks.take().map { ($0.job.batch, $0.outcome) }
    }

    /// Waits up to `timeoutMs` for the claim or the batch in the works.
    func wait(timeoutMs: Int32) {
        let deadline = Date().addingTimeInterval(Double(timeoutMs) / 1000)
        condition.lock()
        while claims.isWorkingLocked || writeBacks.isWorkingLocked, !claims.hasOutputLocked,
            !writeBacks.hasOutputLocked, condition.wait(until: deadline)
        {}
        condition.unlock()
    }

    /// Ends both threads once the claim and the batch in the works (if any) are done; returns when
    /// both have ended.
    func stop() {
        claims.stop()
        writeBacks.stop()
    }

    /// Records a batch of attempts and the health they give their destinations, in one transaction
    /// that holds the destinations' rows locked (two round trips: see `DeliveryStore.writeBack`).
    private static func write(_ job: Job, on connection: Connection, breaker: BreakerPolicy, schedule: RetrySchedule)
        throws -> Done
    {
        let ids = Set(job.batch.compactMap(\.delivery.destinationId)).sorted()
        let (recorded, health) = try DeliveryStore(connection: connection).writeBack(destinations: ids) { locked in
            var health = locked
            for attempt in job.batch {
                guard let id = attempt.delivery.destinationId else { continue }
                health[id]?.record(attempt.result, probe: attempt.delivery.probe, policy: breaker)
            }
            let records = zip(job.batch, job.draws).map { attempt, draw in
                attempt.record(
                    destination: attempt.delivery.destinationId.flatMap { health[$0] }, schedule: schedule,
                    jitter: draw.jitter, attemptId: draw.attemptId)
            }
            return (records, health)
        }
        return Done(recorded: recorded, health: health)
    }
}
