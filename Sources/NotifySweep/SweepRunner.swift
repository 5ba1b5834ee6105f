import Foundation
import Logging
import NotifyStore

/// Set by SIGTERM/SIGINT; the runner finishes the batch in flight and stops.
nonisolated(unsafe) private var sweepStopRequested: sig_atomic_t = 0

/// The two ways the sweep runs (DESIGN §2): cron mode works until nothing is due or the budget is
/// spent; `--follow` keeps going, woken by `NOTIFY` from order changes or, at the latest, every
/// second to pick up retries that came due. Both reconnect by themselves after Postgres restarts.
struct SweepRunner {
    /// The longest `--follow` sleeps without looking at the queue (catches retries coming due).
    static let idlePoll = 1.0

    let config: SweepConfig
    let sweeper: Sweeper
    let logger: Logger

    static func installSignalHandlers() {
        signal(SIGTERM) { _ in sweepStopRequested = 1 }
        signal(SIGINT) { _ in sweepStopRequested = 1 }
        signal(SIGPIPE, SIG_IGN)
    }

    var stopRequested: Bool { sweepStopRequested != 0 }

    /// Cron mode. Returns the number of deliveries attempted.
    func runOnce() throws -> Int {
        let deadline = Date().addingTimeInterval(config.budget)
        let connection = try Connection(conninfo: config.databaseURL)
        var total = 0
        while !stopRequested && Date() < deadline {
            let count = try sweeper.runBatch(connection)
            total += count
            if count == 0 { break }
        }
        return total
    }

    /// `--follow` mode, until SIGTERM.
    func follow() {
        var connection: Connection?
        while !stopRequested {
            do {
                let current = try connection ?? listeningConnection()
                connection = current
                while !stopRequested, try sweeper.runBatch(current) > 0 {}
                let store = DeliveryStore(connection: current)
                let wait = try store.secondsUntilNextDue(now: Date().rfc3339) ?? Self.idlePoll
                _ = try current.waitForNotification(timeout: min(max(wait, 0.05), Self.idlePoll))
            } catch {
                logger.error("sweep failed; reconnecting", metadata: ["error": "\(error)"])
                connection = nil
                usleep(500_000)
            }
        }
    }

    private func listeningConnection() throws -> Connection {
        let connection = try Connection(conninfo: config.databaseURL)
        try DeliveryStore(connection: connection).listen()
        logger.info("listening for order changes")
        return connection
    }
}
