import Foundation
import Logging
import NotifySignals

/// The pre-forking master: opens the socket, forks the workers, forks a replacement as
/// soon as one dies, kills a worker stuck in one request longer than the request timeout, and on
/// SIGTERM passes the signal on, waits for requests in flight to finish, removes the socket and exits.
struct Master {
    let config: FCGIConfig
    let logger: Logger

    func run() throws -> Never {
        let socket = try FastCGISocket(
            path: config.socketPath, backlog: FastCGISocket.backlog, group: config.socketGroup)
        StopSignal.catchStop(interruptingCalls: true)
        logger.info(
            "starting",
            metadata: [
                "workers": "\(config.workers)", "socket": "\(config.socketPath)",
                "backlog": "\(FastCGISocket.effectiveBacklog(FastCGISocket.backlog))",
            ])
        let board = try WorkerBoard(slots: config.workers)
        var workers: [pid_t: (slot: Int, started: Date)] = [:]
        for slot in 0..<config.workers { workers[try spawn(socket, board: board, slot: slot)] = (slot, Date()) }
        while !StopSignal.isRequested {
            var status: Int32 = 0
            let pid = waitpid(-1, &status, WNOHANG)
            guard pid > 0, let worker = workers.removeValue(forKey: pid) else {
                killStuck(workers, board: board)
                usleep(50_000)
                continue
            }
            logger.warning(
                "worker exited; starting a new one", metadata: ["worker.pid": "\(pid)", "status": "\(status)"])
            board.clear(slot: worker.slot)
            if Date().timeIntervalSince(worker.started) < 1 { usleep(200_000) }
            if !StopSignal.isRequested {
                workers[try spawn(socket, board: board, slot: worker.slot)] = (worker.slot, Date())
            }
        }
        drain(Array(workers.keys))
        unlink(config.socketPath)
        logger.info("stopped")
        exit(0)
    }

    /// SIGKILLs workers whose current request has run past the request timeout; they are replaced
    /// when reaped. Their database session ends with them, so an open transaction rolls back.
    private func killStuck(_ workers: [pid_t: (slot: Int, started: Date)], board: WorkerBoard) {
        let now = WorkerBoard.monotonicMillis()
        for (pid, worker) in workers {
            let busy = board.busySeconds(slot: worker.slot, now: now)
            guard busy > config.requestTimeout else { continue }
            logger.error(
                "worker stuck in one request; killing it",
                metadata: ["worker.pid": "\(pid)", "busy.seconds": .stringConvertible(Int(busy))])
            board.clear(slot: worker.slot)
            kill(pid, SIGKILL)
        }
    }

    private func spawn(_ socket: FastCGISocket, board: WorkerBoard, slot: Int) throws -> pid_t {
        // Every stdio buffer flushed, so the child does not write the parent's pending output again.
        fflush(nil)
        let pid = fork()
        if pid < 0 { throw StartupError("fork failed: errno \(errno)") }
        if pid == 0 {
            StopSignal.restoreDefault()
            Worker(socket: socket, config: config, logger: logger, board: board, slot: slot).run()
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
