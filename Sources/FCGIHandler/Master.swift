import CFastCGI
import Foundation
import Logging

/// Set by SIGTERM/SIGINT in the master.
nonisolated(unsafe) private var masterStopRequested: sig_atomic_t = 0

/// The pre-forking master (DESIGN §2): opens the socket, forks the workers, forks a replacement as
/// soon as one dies, and on SIGTERM passes the signal on, waits for requests in flight to finish,
/// removes the socket and exits.
struct Master {
    let config: FCGIConfig
    let logger: Logger

    func run() throws -> Never {
        let socket = try FastCGISocket(path: config.socketPath, backlog: 1024)
        notify_install_signal(SIGTERM) { _ in masterStopRequested = 1 }
        notify_install_signal(SIGINT) { _ in masterStopRequested = 1 }
        logger.info("starting", metadata: ["workers": "\(config.workers)", "socket": "\(config.socketPath)"])
        var workers: [pid_t: Date] = [:]
        for _ in 0..<config.workers { workers[try spawn(socket)] = Date() }
        while masterStopRequested == 0 {
            var status: Int32 = 0
            let pid = waitpid(-1, &status, 0)
            guard pid > 0, let started = workers.removeValue(forKey: pid) else { continue }
            logger.warning(
                "worker exited; starting a new one", metadata: ["worker.pid": "\(pid)", "status": "\(status)"])
            if Date().timeIntervalSince(started) < 1 { usleep(200_000) }
            if masterStopRequested == 0 { workers[try spawn(socket)] = Date() }
        }
        drain(Array(workers.keys))
        unlink(config.socketPath)
        logger.info("stopped")
        exit(0)
    }

    private func spawn(_ socket: FastCGISocket) throws -> pid_t {
        fflush(stdout)
        fflush(stderr)
        let pid = fork()
        if pid < 0 { throw StartupError("fork failed: errno \(errno)") }
        if pid == 0 {
            notify_default_signal(SIGTERM)
            notify_default_signal(SIGINT)
            Worker(socket: socket, config: config, logger: logger).run()
        }
        return pid
    }

    /// Sends SIGTERM to every worker and waits for them; kills what is left after the drain time.
    private func drain(_ pids: [pid_t]) {
        logger.info("stopping", metadata: ["workers": "\(pids.count)"])
        for pid in pids { kill(pid, SIGTERM) }
        var remaining = Set(pids)
        let deadline = Date().addingTimeInterval(config.drainSeconds)
        while !remaining.isEmpty && Date() < deadline {
            var status: Int32 = 0
            let pid = waitpid(-1, &status, WNOHANG)
            if pid > 0 { remaining.remove(pid) } else if pid < 0 { break } else { usleep(20_000) }
        }
        for pid in remaining { kill(pid, SIGKILL) }
    }
}
