import ArgumentParser
import Foundation
import Logging
import NotifyLogging
import NotifyStore

/// `notify-sweep`: claims due deliveries and delivers them (DESIGN §2). Delivery itself is not
/// built yet (see the sweep issue): this checks the database and, with `--follow`, stays up until
/// SIGTERM so that the scripts can manage it as they will the real sweep.
struct NotifySweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notify-sweep", abstract: "Deliver due notifications (run by cron, or with --follow).")

    @Flag(help: "Keep running and deliver changes as they happen.") var follow = false

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        JSONLogHandler.bootstrap(levelName: environment["NOTIFY_LOG_LEVEL"])
        let logger = Logger(label: "notify-sweep")
        let url = DatabaseURL.fromEnvironment(environment, workingDirectory: FileManager.default.currentDirectoryPath)
        _ = try Connection(conninfo: url)
        guard follow else { return }
        logger.info("following")
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGTERM)
        sigaddset(&signals, SIGINT)
        sigprocmask(SIG_BLOCK, &signals, nil)
        var received: Int32 = 0
        sigwait(&signals, &received)
        logger.info("stopped")
    }
}
