import ArgumentParser
import Foundation
import Logging
import NotifyLogging

/// `notify-sweep`: claims due deliveries and delivers them. Run by cron every minute,
/// or with `--follow` as a long-running process.
struct NotifySweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notify-sweep", abstract: "Deliver due notifications (run by cron, or with --follow).")

    @Flag(help: "Keep running; deliver changes as they happen (LISTEN/NOTIFY).") var follow = false
    @Option(help: "Deliveries claimed per batch.") var batchSize: Int?
    @Option(help: "Deliveries in flight at once.") var concurrency: Int?
    @Option(help: "Seconds cron mode may run (NOTIFY_SWEEP_BUDGET, default 55).") var budget: Double?
    @Option(help: "Seconds one attempt may take (NOTIFY_DELIVERY_TIMEOUT, default 15).") var timeout: Double?
    @Option(help: "Seconds a claimed delivery stays leased (default: 10 × timeout + 30).") var lease: Double?

    func run() throws {
        var config = try SweepConfig.fromEnvironment(
            ProcessInfo.processInfo.environment, workingDirectory: FileManager.default.currentDirectoryPath)
        if let batchSize { config.batchSize = max(1, min(batchSize, 10_000)) }
        if let concurrency { config.concurrency = max(1, min(concurrency, 1024)) }
        if let budget { config.budget = max(1, budget) }
        if let timeout { config.timeout = max(0.1, timeout) }
        if let lease { config.leaseSeconds = max(1, lease) }
        JSONLogHandler.bootstrap(levelName: config.logLevel)
        let logger = Logger(label: "notify-sweep")
        let deliverer = HTTPDeliverer(
            policy: config.policy, timeout: config.timeout, maxConcurrent: config.concurrency,
            maxConnectionsPerHost: config.destinationConcurrency, maxPerMerchant: config.merchantConcurrency,
            userAgent: SignedRequests.userAgent)
        let sweeper = Sweeper(
            config: config, deliverer: deliverer, logger: logger, clock: Date.init,
            random: BufferedRandom())
        let runner = SweepRunner(
            config: config, sweeper: sweeper, housekeeper: Housekeeper(retention: config.retention, logger: logger),
            logger: logger)
        SweepRunner.installSignalHandlers()
        if follow {
            logger.info("following")
            runner.follow()
            logger.info("stopped")
        } else {
            let delivered = try runner.runOnce()
            logger.info(
                "sweep finished",
                metadata: [
                    "deliveries": .stringConvertible(delivered), "claims": .stringConvertible(sweeper.claims),
                    "writeBacks": .stringConvertible(sweeper.writeBacks),
                ])
        }
    }
}
