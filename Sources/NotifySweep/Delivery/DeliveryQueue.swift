/// Decides which requests of a sweep are in flight: at most `maxConcurrent` in all, at most
/// `maxPerDestination` to one destination and at most `maxPerMerchant` for one merchant, the rest
/// waiting in request order. Capping per destination keeps one receiver on a few reused
/// connections and stops a receiver that never answers from taking more than its share; capping
/// per merchant keeps one merchant's many dead receivers from taking every slot. A request's
/// timeout only starts when it leaves this queue. Pure state machine: the delivery loop asks it
/// what to start and tells it what ended.
struct DeliveryQueue {
    let maxConcurrent: Int
    let maxPerDestination: Int
    let maxPerMerchant: Int
    private var waiting: [(ticket: Int, destination: String, merchant: String)] = []
    private var active: [Int: (destination: String, merchant: String)] = [:]
    private var activeByDestination: [String: Int] = [:]
    private var activeByMerchant: [String: Int] = [:]

    /// - Parameters:
    ///   - maxConcurrent: transfers in flight at once, at least 1.
    ///   - maxPerDestination: transfers in flight to one destination at once, at least 1.
    ///   - maxPerMerchant: transfers in flight for one merchant at once (default: no cap beyond `maxConcurrent`).
    init(maxConcurrent: Int, maxPerDestination: Int, maxPerMerchant: Int? = nil) {
        self.maxConcurrent = max(1, maxConcurrent)
        self.maxPerDestination = max(1, maxPerDestination)
        self.maxPerMerchant = max(1, maxPerMerchant ?? maxConcurrent)
    }

    /// Requests in flight plus those waiting for a slot.
    var count: Int { waiting.count + active.count }

    var activeCount: Int { active.count }

    /// `true` when nothing is waiting or in flight.
    var isDone: Bool { count == 0 }

    /// Adds a request (identified by `ticket`, unique while queued) to wait for a slot.
    mutating func enqueue(ticket: Int, destination: String, merchant: String = "") {
        waiting.append((ticket, destination, merchant))
    }

    /// The ticket of the next request to start, marked active; `nil` when none may start now.
    mutating func next() -> Int? {
        guard active.count < maxConcurrent,
            let position = waiting.firstIndex(where: {
                activeByDestination[$0.destination, default: 0] < maxPerDestination
                    && activeByMerchant[$0.merchant, default: 0] < maxPerMerchant
            })
        else { return nil }
        let (ticket, destination, merchant) = waiting.remove(at: position)
        activeByDestination[destination, default: 0] += 1
        activeByMerchant[merchant, default: 0] += 1
        active[ticket] = (destination, merchant)
        return ticket
    }

    /// Marks a request returned by `next()` as finished, freeing its slot.
    mutating func finish(_ ticket: Int) {
        guard let (destination, merchant) = active.removeValue(forKey: ticket) else { return }
        activeByDestination[destination, default: 1] -= 1
        if activeByDestination[destination] == 0 { activeByDestination[destination] = nil }
        activeByMerchant[merchant, default: 1] -= 1
        if activeByMerchant[merchant] == 0 { activeByMerchant[merchant] = nil }
    }

    /// Removes and returns the tickets still waiting for `destination` (it stopped sending).
    mutating func withdraw(destination: String) -> [Int] {
        let withdrawn = waiting.filter { $0.destination == destination }.map(\.ticket)
        waiting.removeAll { $0.destination == destination }
        return withdrawn
    }

    /// The scheme and authority of a URL, lowercased (`http://example.com:8080`): the scheduling key
    /// of a request that names no destination. Only used for scheduling, never for a security
    /// decision (the address policy checks the socket address itself).
    static func hostKey(of url: String) -> String {
        let lowered = url.lowercased()
        guard let separator = lowered.firstRange(of: "://") else { return lowered }
        let rest = lowered[separator.upperBound...]
        let authority = rest.prefix(while: { $0 != "/" && $0 != "?" && $0 != "#" })
        let hostPart = authority.split(separator: "@", omittingEmptySubsequences: false).last ?? authority
        return String(lowered[..<separator.upperBound]) + hostPart
    }
}
