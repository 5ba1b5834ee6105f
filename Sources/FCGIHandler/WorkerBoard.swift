import Glibc

/// A small table in memory shared by the master and its workers (an anonymous shared mapping made
/// before forking): each worker writes when its current request started, so the master can kill a
/// worker stuck in one request (a pathological input, a wedged call) and start a fresh one. The
/// master owns the mapping; workers only write their own slot.
final class WorkerBoard {
    let slots: Int
    private let starts: UnsafeMutablePointer<Int64>

    init(slots: Int) throws {
        self.slots = slots
        let size = MemoryLayout<Int64>.stride * slots
        let memory = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0)
        guard let memory, memory != MAP_FAILED else { throw StartupError("cannot map the worker board") }
        starts = memory.bindMemory(to: Int64.self, capacity: slots)
        starts.initialize(repeating: 0, count: slots)
    }

    deinit {
        munmap(starts, MemoryLayout<Int64>.stride * slots)
    }

    /// Milliseconds on the monotonic clock, the same in every process.
    static func monotonicMillis() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }

    /// A worker marks the start (`true`) or the end (`false`) of a request in its slot.
    func mark(slot: Int, busy: Bool) {
        starts[slot] = busy ? max(1, Self.monotonicMillis()) : 0
    }

    /// How long the worker in `slot` has been in its current request, in seconds; 0 when idle.
    func busySeconds(slot: Int, now: Int64) -> Double {
        let started = starts[slot]
        return started == 0 ? 0 : Double(now - started) / 1000
    }

    func clear(slot: Int) {
        starts[slot] = 0
    }
}
