import Foundation
import NotifyDomain
import NotifyFoundation
import NotifyStore

/// Writes finished attempts back on a thread and a database connection of its own, so the sweep
/// keeps moving its transfers (and claiming) while PostgreSQL records a batch: the transfers no
/// longer wait for the write-back, nor the write-back for the transfers. One batch at a time; what
/// finishes meanwhile waits for the next one, so batches grow with the load.
///
/// `@unchecked Sendable`: `job`, `result` and `stopping` are read and written only under
/// `condition`; `connection` is used by the worker thread alone; the rest is immutable.
final class WriteBackWorker: @unchecked Sendable {
    /// A batch to write back, with the random draws of its records made by the sweep (its random
    /// source is not shared across threads).
    struct Job {
        let batch: [FinishedAttempt]
        let draws: [(jitter: Double, attemptId: String)]
    }

    /// What a write-back did: how many attempts it recorded (fewer when leases ran out) and the
    /// health of the batch's destinations after it.
    struct Done {
        let recorded: Int
        let health: [String: DestinationHealth]
    }

    private let conninfo: String
    private let breaker: BreakerPolicy
    private let schedule: RetrySchedule
    /// Interrupts the sweep's wait on the network once a batch is written.
    private let wake: @Sendable () -> Void
    private let condition = NSCondition()
    private var job: Job?
    private var result: (batch: [FinishedAttempt], outcome: Result<Done, any Error>)?
    private var running = false
    private var stopping = false
    private var exited = false
    private var connection: Connection?

    init(config: SweepConfig, wake: @escaping @Sendable () -> Void) {
        conninfo = config.databaseURL
        breaker = config.breaker
        schedule = config.schedule
        self.wake = wake
        let thread = Thread { [self] in work() }
        thread.start()
    }

    /// Whether a batch is being written (or written and not yet taken).
    var isBusy: Bool {
        condition.lock()
        defer { condition.unlock() }
        return job != nil || running || result != nil
    }

    /// Hands a batch over; call only when not busy.
    func submit(_ job: Job) {
        condition.lock()
        self.job = job
        condition.broadcast()
        condition.unlock()
    }

    /// The batch written last and what became of it, once; `nil` while it is still being written.
    func take() -> (batch: [FinishedAttempt], outcome: Result<Done, any Error>)? {
        condition.lock()
        defer { condition.unlock() }
        let taken = result
        result = nil
        return taken
    }

    /// Waits up to `timeoutMs` for the batch being written.
    func wait(timeoutMs: Int32) {
        let deadline = Date().addingTimeInterval(Double(timeoutMs) / 1000)
        condition.lock()
        while (job != nil || running) && result == nil && condition.wait(until: deadline) {}
        condition.unlock()
    }

    /// Ends the thread once the batch being written (if any) is done; returns when it has ended.
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while !exited { condition.wait() }
        condition.unlock()
    }

    private func work() {
        while true {
            condition.lock()
            while job == nil && !stopping { condition.wait() }
            guard let next = job else {
                exited = true
                condition.broadcast()
                condition.unlock()
                return
            }
            job = nil
            running = true
            condition.unlock()
            let outcome = Result { try write(next) }
            if case .failure = outcome { connection = nil }
            condition.lock()
            running = false
            result = (next.batch, outcome)
            condition.broadcast()
            condition.unlock()
            wake()
        }
    }

    /// Records a batch of attempts and the health they give their destinations, in one transaction
    /// that holds the destinations' rows locked (two round trips: see `DeliveryStore.writeBack`).
    private func write(_ job: Job) throws -> Done {
        let current = try connection ?? Connection(conninfo: conninfo)
        connection = current
        let ids = Set(job.batch.compactMap(\.delivery.destinationId)).sorted()
        let (recorded, health) = try DeliveryStore(connection: current).writeBack(destinations: ids) { locked in
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
