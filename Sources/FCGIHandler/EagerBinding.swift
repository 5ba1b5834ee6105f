import Glibc

/// Has the dynamic linker bind every library's symbols when the master starts, not lazily on the
/// first call. Left lazy, each forked worker looks up, on its first requests, every library
/// function the master had not called yet, and those lookups page the symbol tables of all the
/// Swift and Foundation libraries into the worker: about 2.5 MiB of its resident set. Bound once
/// in the master, the resolved addresses are inherited by every worker. glibc reads
/// `LD_BIND_NOW` only when a program starts, so the master sets it and starts its own executable
/// again (same process, same arguments). An `LD_BIND_NOW` already in the environment, even empty,
/// is left as it is, so an operator can turn this off.
enum EagerBinding {
    static let variable = "LD_BIND_NOW"

    /// Returns only when the bindings are eager already, turned off, or the new start failed (the
    /// master then runs with lazy bindings, as before).
    static func restartIfLazy() {
        guard getenv(variable) == nil, let executable = executablePath() else { return }
        setenv(variable, "1", 1)
        execv(executable, CommandLine.unsafeArgv)
        unsetenv(variable)
    }

    /// The executable's own path. Started through `/proc/self/exe` instead, the process would be
    /// named `exe` (the kernel names it after the path it was started from), and `ps`, `pgrep` and
    /// the scripts' pidfile checks look for `notify-fcgi`. A replaced or deleted executable
    /// (`... (deleted)`) is not started again.
    private static func executablePath() -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard length > 0 else { return nil }
        let path = String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return access(path, X_OK) == 0 ? path : nil
    }
}
