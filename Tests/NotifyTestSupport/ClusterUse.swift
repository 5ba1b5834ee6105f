import Testing

/// How a test uses the throwaway PostgreSQL cluster. The test targets run in one process and in
/// parallel, and one store test restarts the cluster: a test that does so takes the cluster for
/// itself (`.restartsTheCluster`), waiting for the suites that use it (`.usesTheCluster`), so no
/// query is cut off by someone else's restart.
public struct ClusterUse: SuiteTrait, TestTrait, TestScoping {
    let exclusive: Bool

    public func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        await ClusterLock.shared.acquire(exclusive: exclusive)
        do {
            try await function()
        } catch {
            await ClusterLock.shared.release(exclusive: exclusive)
            throw error
        }
        await ClusterLock.shared.release(exclusive: exclusive)
    }
}

extension Trait where Self == ClusterUse {
    /// The test or suite queries the cluster and must not overlap a restart.
    public static var usesTheCluster: Self { ClusterUse(exclusive: false) }
    /// The test restarts the cluster and must run while nobody else uses it.
    public static var restartsTheCluster: Self { ClusterUse(exclusive: true) }
}

/// A readers-writer lock for tests: many users at once, or one restarter alone. Readers are let
/// in whenever no restart runs, so a suite-wide hold and its tests' own holds never wait on each other.
actor ClusterLock {
    static let shared = ClusterLock()
    private var readers = 0
    private var writing = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func acquire(exclusive: Bool) async {
        while writing || (exclusive && readers > 0) {
            await withCheckedContinuation { waiting.append($0) }
        }
        if exclusive { writing = true } else { readers += 1 }
    }

    func release(exclusive: Bool) {
        if exclusive { writing = false } else { readers -= 1 }
        let woken = waiting
        waiting.removeAll()
        for continuation in woken { continuation.resume() }
    }
}
