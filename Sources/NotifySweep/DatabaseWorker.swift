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
/// `@unchecked Sendable`: the jobs, results and flags are read and written only under
/// `condition`; each lane's connection is used by that lane's thread alone; the rest is immutable.
final class DatabaseWorker: @unchecked Sendable {
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

    private let breaker: BreakerPolicy
    private let schedule: RetrySchedule
    /// Interrupts the sweep's wait on the network once a batch is written.
    private let wake: @Sendable () -> Void
    private let condition = NSCondition()
    private var job: Job?
    private var result: (batch: [FinishedAttempt], outcome: Result<Done, any Error>)?
    private var writing = false
    private var claim: Claim?
    private var claimed: Result<[ClaimedDelivery], any Error>?
    private var claiming = false
    private var stopping = false
    private var exitedLanes = 0
    private let claimsConnection: LaneConnection
    private let writeBacksConnection: LaneConnection

    /// The two threads of the worker, each with its connection.
    private enum Lane: CaseIterable {
        case claims
        case writeBacks
    }

    /// A lane's connection, opened on first use and again after a failure (a statement that failed
    /// may have left it in any state). Used by the lane's thread alone.
    private final class LaneConnection {
        private let conninfo: String
        private var connection: Connection?

        init(conninfo: String) { self.conninfo = conninfo }

        func run<T>(_ job: (Connection) throws -> T) -> Result<T, any Error> {
            let outcome = Result {
                let current = try connection ?? Connection(conninfo: conninfo)
                connection = current
                return try job(current)
            }
            if case .failure = outcome { connection = nil }
            return outcome
        }
    }

    init(config: SweepConfig, wake: @escaping @Sendable () -> Void) {
        claimsConnection = LaneConnection(conninfo: config.databaseURL)
        writeBacksConnection = LaneConnection(conninfo: config.databaseURL)
        breaker = config.breaker
        schedule = config.schedule
        self.wake = wake
        for lane in Lane.allCases {
            let thread = Thread { [self] in work(lane) }
            thread.start()
        }
    }

    /// Whether a batch is being written (or written and not yet taken).
    var isWriting: Bool {
        condition.lock()
        defer { condition.unlock() }
        return job != nil || writing || result != nil
    }

    /// Whether a claim is being made (or made and not yet taken).
    var isClaiming: Bool {
        condition.lock()
        defer { condition.unlock() }
        return claim != nil || claiming || claimed != nil
    }

    /// Hands a batch over; call only when not writing.
    func submit(_ job: Job) {
        condition.lock()
        self.job = job
        condition.broadcast()
        condition.unlock()
    }

    /// Hands a claim over; call only when not claiming.
    func submit(_ claim: Claim) {
        condition.lock()
        self.claim = claim
        condition.broadcast()
        condition.unlock()
    }

    /// The deliveries the last claim took, once; `nil` while it is still being made.
    func takeClaimed() -> Result<[ClaimedDelivery], any Error>? {
        condition.lock()
        defer { condition.unlock() }
        let taken = claimed
        claimed = nil
        return taken
    }

    /// The batch written last and what became of it, once; `nil` while it is still being written.
    func take() -> (batch: [FinishedAttempt], outcome: Result<Done, any Error>)? {
        condition.lock()
        defer { condition.unlock() }
        let taken = result
        result = nil
        return taken
    }

    /// Waits up to `timeoutMs` for the claim or the batch in the works.
    func wait(timeoutMs: Int32) {
        let deadline = Date().addingTimeInterval(Double(timeoutMs) / 1000)
        condition.lock()
        while job != nil || writing || claim != nil || claiming, result == nil, claimed == nil,
            condition.wait(until: deadline)
        {}
        condition.unlock()
    }

    /// Ends the threads once the claim and the batch in the works (if any) are done; returns when
    /// both have ended.
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while exitedLanes < Lane.allCases.count { condition.wait() }
        condition.unlock()
    }

    private func work(_ lane: Lane) {
        while true {
            condition.lock()
            switch lane {
            case .claims:
                while claim == nil && !stopping { condition.wait() }
                guard let next = claim else { return endLane() }
                claim = nil
                claiming = true
                condition.unlock()
                let outcome = claimsConnection.run { try take(next, on: $0) }
                finish {
                    claimed = outcome
                    claiming = false
                }
            case .writeBacks:
                while job == nil && !stopping { condition.wait() }
                guard let next = job else { return endLane() }
                job = nil
                writing = true
                condition.unlock()
                let outcome = writeBacksConnection.run { try write(next, on: $0) }
                finish {
                    result = (next.batch, outcome)
                    writing = false
                }
            }
        }
    }

    /// Counts a lane's thread out (called under the lock, which it releases).
    private func endLane() {
        exitedLanes += 1
        condition.broadcast()
        condition.unlock()
    }

    /// Posts what a job gave (under the lock) and wakes the sweep.
    private func finish(_ post: () -> Void) {
        condition.lock()
        post()
        condition.broadcast()
        condition.unlock()
        wake()
    }

    private func take(_ claim: Claim, on connection: Connection) throws -> [ClaimedDelivery] {
        try DeliveryStore(connection: connection).claim(
            now: claim.now, limit: claim.limit, leaseUntil: claim.leaseUntil, leaseToken: claim.leaseToken,
            room: claim.room)
    }

    /// Records a batch of attempts and the health they give their destinations, in one transaction
    /// that holds the destinations' rows locked (two round trips: see `DeliveryStore.writeBack`).
    private func write(_ job: Job, on connection: Connection) throws -> Done {
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
