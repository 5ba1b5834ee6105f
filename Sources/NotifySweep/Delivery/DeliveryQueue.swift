/// Decides which requests of a batch are in flight: at most `maxConcurrent` in all and at most
/// `maxPerHost` to one host, the rest waiting in request order. Capping per host keeps a batch
/// that targets one receiver on a few reused connections instead of one connection per request,
/// and a request's timeout only starts when it leaves this queue, not while it waits for a free
/// connection. Pure state machine: the delivery loop asks it what to start and tells it what ended.
struct DeliveryQueue {
    let maxConcurrent: Int
    let maxPerHost: Int
    private let hosts: [String]
    private var waiting: [Int]
    private var activeByHost: [String: Int] = [:]
    private(set) var activeCount = 0

    /// - Parameters:
    ///   - hosts: the host key of each request (see `hostKey(of:)`), indexed like the batch.
    ///   - maxConcurrent: transfers in flight at once, at least 1.
    ///   - maxPerHost: transfers in flight to one host at once, at least 1.
    init(hosts: [String], maxConcurrent: Int, maxPerHost: Int) {
        self.hosts = hosts
        self.waiting = Array(hosts.indices)
        self.maxConcurrent = max(1, maxConcurrent)
        self.maxPerHost = max(1, maxPerHost)
    }

    /// `true` once every request was started and finished.
    var isDone: Bool { waiting.isEmpty && activeCount == 0 }

    /// The index of the next request to start, marked active; `nil` when none may start now.
    mutating func next() -> Int? {
        guard activeCount < maxConcurrent else { return nil }
        guard let position = waiting.firstIndex(where: { activeByHost[hosts[$0], default: 0] < maxPerHost }) else {
            return nil
        }
        let index = waiting.remove(at: position)
        activeByHost[hosts[index], default: 0] += 1
        activeCount += 1
        return index
    }

    /// Marks a request returned by `next()` as finished, freeing its slot.
    mutating func finish(_ index: Int) {
        let host = hosts[index]
        activeByHost[host, default: 1] -= 1
        if activeByHost[host] == 0 { activeByHost[host] = nil }
        activeCount -= 1
    }

    /// The scheme and authority of a URL, lowercased (`http://example.com:8080`): requests with
    /// the same key can share connections. Only used for scheduling, never for a security decision
    /// (the address policy checks the socket address itself).
    static func hostKey(of url: String) -> String {
        let lowered = url.lowercased()
        guard let separator = lowered.firstRange(of: "://") else { return lowered }
        let rest = lowered[separator.upperBound...]
        let authority = rest.prefix(while: { $0 != "/" && $0 != "?" && $0 != "#" })
        let hostPart = authority.split(separator: "@", omittingEmptySubsequences: false).last ?? authority
        return String(lowered[..<separator.upperBound]) + hostPart
    }
}
