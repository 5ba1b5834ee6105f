/// Decides which requests of a batch are in flight: at most `maxConcurrent` in all and at most
/// `maxPerHost` to one host, the rest waiting in request order. Capping per host keeps a batch
/// that targets one receiver on a few reused connections instead of one connection per request,
/// and a request's timeout only starts when it leaves this queue, not while it waits for a free
/// connection. Pure state machine: the delivery loop asks it what to start and tells it what ended.
struct DeliveryQueue {
    let maxConcurrent: Int
    let maxPerHost: Int
    private var waiting: [(ticket: Int, host: String)] = []
    private var activeHosts: [Int: String] = [:]
    private var activeByHost: [String: Int] = [:]

    /// - Parameters:
    ///   - maxConcurrent: transfers in flight at once, at least 1.
    ///   - maxPerHost: transfers in flight to one host at once, at least 1.
    init(maxConcurrent: Int, maxPerHost: Int) {
        self.maxConcurrent = max(1, maxConcurrent)
        self.maxPerHost = max(1, maxPerHost)
    }

    /// Requests in flight plus those waiting for a slot.
    var count: Int { waiting.count + activeHosts.count }

    var activeCount: Int { activeHosts.count }

    /// `true` when nothing is waiting or in flight.
    var isDone: Bool { count == 0 }

    /// Adds a request (identified by `ticket`, unique while queued) to wait for a slot.
    mutating func enqueue(ticket: Int, host: String) {
        waiting.append((ticket, host))
    }

    /// The ticket of the next request to start, marked active; `nil` when none may start now.
    mutating func next() -> Int? {
        guard activeHosts.count < maxConcurrent,
            let position = waiting.firstIndex(where: { activeByHost[$0.host, default: 0] < maxPerHost })
        else { return nil }
        let (ticket, host) = waiting.remove(at: position)
        activeByHost[host, default: 0] += 1
        activeHosts[ticket] = host
        return ticket
    }

    /// Marks a request returned by `next()` as finished, freeing its slot.
    mutating func finish(_ ticket: Int) {
        guard let host = activeHosts.removeValue(forKey: ticket) else { return }
        activeByHost[host, default: 1] -= 1
        if activeByHost[host] == 0 { activeByHost[host] = nil }
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
