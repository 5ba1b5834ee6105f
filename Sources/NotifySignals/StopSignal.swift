import CSignals

/// SIGTERM and SIGINT as a request to stop, shared by the notify-fcgi master, its workers and
/// notify-sweep. A signal handler may only set a flag, so each process asks `isRequested` where it
/// can stop cleanly (the master between reaps, a worker between requests, the sweep between
/// claims). The handler and its flag live in the `CSignals` C module: Swift can neither fill a
/// `struct sigaction` portably nor keep a handler from touching more than a `sig_atomic_t`.
public enum StopSignal {
    /// Catches SIGTERM and SIGINT from now on. `interruptingCalls` leaves out `SA_RESTART`, so a
    /// blocking `accept()` returns `EINTR` and an idle worker stops at once; without it,
    /// interrupted system calls resume (as `signal()` installs handlers).
    public static func catchStop(interruptingCalls: Bool) {
        notify_catch_stop(interruptingCalls ? 0 : 1)
    }

    /// Whether SIGTERM or SIGINT has arrived since `catchStop`.
    public static var isRequested: Bool { notify_stop_requested() != 0 }

    /// SIGTERM and SIGINT back to their default action (a forked worker must not run the
    /// master's handler before it installs its own).
    public static func restoreDefault() {
        notify_default_stop()
    }

    /// Runs `body` with SIGTERM blocked, so that what it does (a worker's request) finishes; a
    /// SIGTERM that arrived meanwhile is delivered when it returns.
    public static func deferred<Result>(_ body: () throws -> Result) rethrows -> Result {
        notify_block_stop(1)
        defer { notify_block_stop(0) }
        return try body()
    }

    /// SIGPIPE ignored: a peer that went away shows up as `EPIPE` from a write, not as a dead
    /// process.
    public static func ignoreBrokenPipe() {
        notify_ignore_broken_pipe()
    }
}
