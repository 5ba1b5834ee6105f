import ArgumentParser
import Foundation
import Logging
import NotifyLogging

/// `notify-fcgi`: the API's FastCGI worker pool behind nginx.
struct NotifyFCGI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notify-fcgi", abstract: "Serve the Notify API as pre-forked FastCGI workers.")

    @Option(help: "Unix socket to listen on (NOTIFY_FCGI_SOCKET).") var socket: String?
    @Option(help: "Number of worker processes (NOTIFY_WORKERS, default: number of cores).") var workers: Int?

    func run() throws {
        var config = try FCGIConfig.fromEnvironment(
            ProcessInfo.processInfo.environment, workingDirectory: FileManager.default.currentDirectoryPath)
        if let socket { config.socketPath = socket }
        if let workers { config.workers = max(1, workers) }
        JSONLogHandler.bootstrap(levelName: config.logLevel)
        try Master(config: config, logger: Logger(label: "notify-fcgi")).run()
    }
}

EagerBinding.restartIfLazy()
NotifyFCGI.main()
