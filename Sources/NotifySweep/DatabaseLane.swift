import Foundation
import NotifyStore

/// A thread with a database connection of its own that runs one job at a time and keeps what the
/// job gave until the sweep takes it. The lanes of a `DatabaseWorker` share its condition, so the
/// sweep can wait for whichever of them finishes first.
///
/// `@unchecked Sendable`: `next`, `running`, `output`, `stopping` and `exited` are read and written
/// only under `condition`; `connection` is used by the lane's thread alone; the rest is immutable.
final class DatabaseLane<Job, Output>: @unchecked Sendable {
    private let condition: NSCondition
    private let conninfo: String
    private let perform: @Sendable (Job, Connection) throws -> Output
    /// Called (without the lock) each time a job has finished.
    private let finished: @Sendable () -> Void
    private var next: Job?
    private var running = false
    private var output: (job: Job, outcome: Result<Output, any Error>)?
    private var stopping = false
    private var exited = false
    private var connection: Connection?

    init(
        condition: NSCondition, conninfo: String, finished: @escaping @Sendable () -> Void,
        perform: @escaping @Sendable (Job, Connection) throws -> Output
    ) {
        self.condition = condition
        self.conninfo = conninfo
        self.finished = finished
        self.perform = perform
        let thread = Thread { [self] in work() }
        thread.start()
    }

    /// Whether a job is waiting, running, or finished and not yet taken.
    var isBusy: Bool {
        condition.lock()
        defer { condition.unlock() }
        return isWorkingLocked || output != nil
    }

    /// Whether a job is waiting or running; the caller holds the condition's lock.
    var isWorkingLocked: Bool { next != nil || running }

    /// Whether a finished job waits to be taken; the caller holds the condition's lock.
    var hasOutputLocked: Bool { output != nil }

    /// Hands a job over; call only when not busy.
    func submit(_ job: Job) {
        condition.lock()
        next = job
        condition.broadcast()
        condition.unlock()
    }

    /// The job finished last and what it gave, once; `nil` while it is still running.
    func take() -> (job: Job, outcome: Result<Output, any Error>)? {
        condition.lock()
        defer { condition.unlock() }
        let taken = output
        output = nil
        return taken
    }

    /// Ends the thread once the job in the works (if any) is done; returns when it has ended.
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
            while next == nil && !stopping { condition.wait() }
            guard let job = next else {
                exited = true
                condition.broadcast()
                condition.unlock()
                return
            }
            next = nil
            running = true
            condition.unlock()
            let outcome = run(job)
            condition.lock()
            output = (job, outcome)
            running = false
            condition.broadcast()
            condition.unlock()
            finished()
        }
    }

    /// What the job gave on the lane's connection, opened on first use and again after a failure
    /// (a statement that failed may have left it in any state).
    private func run(_ job: Job) -> Result<Output, any Error> {
        let outcome = Result {
            let current = try connection ?? Connection(conninfo: conninfo)
            connection = current
            return try perform(job, current)
        }
        if case .failure = outcome { connection = nil }
        return outcome
    }
}
