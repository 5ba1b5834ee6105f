import Foundation
import NotifyStore

/// The worker pool's settings, read once at start from the environment and the command line
/// (the command line wins). Bad values stop the process with a message instead of a guess.
struct FCGIConfig {
    var socketPath: String
    /// The group that may connect to the socket besides its owner (`NOTIFY_FCGI_SOCKET_GROUP`).
    var socketGroup: String?
    var workers: Int
    var databaseURL: String
    var logLevel: String?
    /// How long SIGTERM waits for requests in flight before workers are killed.
    var drainSeconds: Double = 30
    /// A worker busy with one request for longer is killed and replaced (`NOTIFY_REQUEST_TIMEOUT`;
    /// nginx has answered 504 after 30 s by then).
    var requestTimeout: Double = 35
    /// The API's quotas (`APILimits`).
    var limits = APILimits()

    static func fromEnvironment(_ environment: [String: String], workingDirectory: String) throws -> FCGIConfig {
        let workers: Int
        if let text = environment["NOTIFY_WORKERS"], !text.isEmpty {
            guard let value = Int(text), (1...256).contains(value) else {
                throw StartupError("NOTIFY_WORKERS must be a number from 1 to 256, not '\(text)'")
            }
            workers = value
        } else {
            workers = ProcessInfo.processInfo.activeProcessorCount
        }
        let socket = environment["NOTIFY_FCGI_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
        var config = FCGIConfig(
            socketPath: socket ?? "\(workingDirectory)/.state/fcgi.sock",
            workers: workers,
            databaseURL: DatabaseURL.fromEnvironment(environment, workingDirectory: workingDirectory),
            logLevel: environment["NOTIFY_LOG_LEVEL"])
        if let text = environment["NOTIFY_REQUEST_TIMEOUT"], !text.isEmpty {
            guard let value = Double(text), value >= 1, value <= 3600 else {
                throw StartupError("NOTIFY_REQUEST_TIMEOUT must be seconds from 1 to 3600, not '\(text)'")
            }
            config.requestTimeout = value
        }
        config.limits = try APILimits.fromEnvironment(environment)
        config.socketGroup = environment["NOTIFY_FCGI_SOCKET_GROUP"].flatMap { $0.isEmpty ? nil : $0 }
        return config
    }
}
