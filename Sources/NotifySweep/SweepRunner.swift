import Foundation
import Logging
import NotifySignals
import NotifyStore

/// The two ways the sweep runs: cron mode works until nothing is due or the budget is
/// spent; `--follow` keeps going, woken by `NOTIFY` from order changes or, at the latest, every
/// second to pick up retries that came due. Both reconnect by themselves after Postgres restarts.
struct SweepRunner {
    /// The longest `--follow` sleeps without looking at the queue (catches retries coming due).
    static let idlePoll = 1.0
    /// How long one turn of the loop waits on the network while deliveries are in flight.
    static let busyWaitMs: Int32 = 5

    let config: SweepConfig
    let sweeper: Sweeper
    let housekeeper: Housekeeper
    let logger: Logger

    static func installSignalHandlers() {
        StopSignal.catchStop(interruptingCalls: false)
        StopSignal.ignoreBrokenPipe()
    }

    /// Set by SIGTERM/SIGINT: the runner stops claiming, finishes what is in flight and stops.
    var stopRequested: Bool { StopSignal.isRequested }

    /// Cron mode: claims until nothing is due or the budget is spent, then finishes what is in
    /// flight. Returns the number of attempts made.
    func runOnce() throws -> Int {
        let deadline = Date().addingTimeInterval(config.budget)
        let connection = try Connection(conninfo: config.databaseURL)
        var attempts = 0
        while true {
            let done = sweeper.drained || stopRequested || Date() >= deadline
            if !sweeper.isWorking && done { break }
            if !stopRequested && Date() < deadline && sweeper.wantsMore { sweeper.claimAhead() }
            attempts += try sweeper.advance(connection, waitMs: Self.busyWaitMs)
        }
        if !stopRequested { housekeeper.runIfDue(connection, idle: true) }
        return attempts
    }

    /// `--follow` mode, until SIGTERM; then finishes what is in flight.
    func follow() {
        var connection: Connection?
        var lastClaim = Date.distantPast
        while !stopRequested || sweeper.isWorking {
            do {
                let current = try connection ?? listeningConnection()
                connection = current
                let busy = sweeper.isWorking
                housekeeper.runIfDue(current, idle: !busy)
                let idle = sweeper.lastClaimed == 0  // the last claim took nothing
                var woken = try current.waitForNotification(timeout: 0)
                if !busy && !woken {
                    let store = DeliveryStore(connection: current)
                    var wait = try store.secondsUntilNextDue(now: Date().rfc3339) ?? Self.idlePoll
                    // Due deliveries the last claim did not take wait for a paused, held or open
                    // destination: no reason to claim again before the idle poll or a NOTIFY.
                    if idle && wait <= 0 { wait = Self.idlePoll }
                    woken = try current.waitForNotification(timeout: min(max(wait, 0.02), Self.idlePoll))
                }
                let due = woken || sweeper.wantsMore || Date().timeIntervalSince(lastClaim) >= 0.25
                if !stopRequested && due && sweeper.room > 0 && !sweeper.isClaiming {
                    sweeper.claimAhead()
                    lastClaim = Date()
                }
                if sweeper.isWorking { try sweeper.advance(current, waitMs: Self.busyWaitMs) }
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
