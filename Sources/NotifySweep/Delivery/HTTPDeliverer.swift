import CCurl
import NotifyDomain

/// Makes the HTTP calls of a sweep: many at once through one libcurl multi handle, reusing
/// connections across batches. Enforces what every attempt must respect: a
/// per-attempt timeout, no redirects, http/https only, no proxy from the environment, a 64 KiB
/// response cap, and the target address policy checked on the socket address at connect time.
/// One per sweep process; not thread-safe (one caller of `submit`, `poll` and `deliver`).
final class HTTPDeliverer {
    /// The most response body bytes kept; more cuts the transfer.
    static let responseLimit = 64 * 1024

    private let multi: CurlMulti
    private let settings: CurlTransfer.Settings
    private var queue: DeliveryQueue
    private var waiting: [Int: DeliveryRequest] = [:]
    /// The transfers attached to the multi handle; each stays alive here until removed from it.
    private var active: [UnsafeMutableRawPointer: CurlTransfer] = [:]
    private var finished: [DeliveryOutcome] = []
    private var nextTicket = 0

    /// - Parameters:
    ///   - policy: decides which addresses a delivery may connect to.
    ///   - timeout: seconds an attempt may take in all (connect, send, response); default 15.
    ///   - maxConcurrent: transfers in flight at once; also the number of idle connections kept.
    ///   - maxConnectionsPerHost: transfers in flight to one destination at once; the others
    ///     wait (their timeout not yet running) and then reuse those connections.
    ///   - maxPerMerchant: transfers in flight for one merchant at once.
    ///   - userAgent: the `User-Agent` sent unless a request gives its own.
    init(
        policy: AddressPolicy, timeout: Double = 15, maxConcurrent: Int = 64, maxConnectionsPerHost: Int = 8,
        maxPerMerchant: Int? = nil, userAgent: String
    ) {
        let timeoutMs = max(1, Int((timeout * 1000).rounded()))
        self.settings = CurlTransfer.Settings(
            policy: policy, timeoutMs: timeoutMs, connectTimeoutMs: min(timeoutMs, 10_000), userAgent: userAgent,
            responseLimit: HTTPDeliverer.responseLimit)
        self.queue = DeliveryQueue(
            maxConcurrent: maxConcurrent, maxPerDestination: maxConnectionsPerHost, maxPerMerchant: maxPerMerchant)
        self.multi = CurlMulti(maxConnections: max(1, maxConcurrent))
    }

    /// Submits `requests` and polls until nothing is in flight: the blocking form, for tests and
    /// one-off callers (the sweep uses `submit` and `poll`, so it can claim and write back while
    /// transfers run). The limits of `submit` apply (in all, per destination, per merchant).
    /// Call it with nothing else in flight: outcomes of requests submitted before are dropped.
    /// - Returns: one outcome per request, in the order of `requests`.
    func deliver(_ requests: [DeliveryRequest]) -> [DeliveryOutcome] {
        submit(requests)
        var byId: [String: DeliveryOutcome] = [:]
        while inFlight > 0 {
            for outcome in poll(timeoutMs: 1000) { byId[outcome.id] = outcome }
        }
        return requests.map {
            byId[$0.id] ?? DeliveryOutcome(id: $0.id, error: "internal error: delivery was not attempted")
        }
    }

    /// Interrupts a `poll` from another thread (see `Waker`).
    var waker: Waker { Waker(multi: multi) }

    /// Ends the wait of `poll` early, from any thread: a sweep's write-back thread uses it to have
    /// its finished batch taken in at once. `@unchecked Sendable`: `curl_multi_wakeup` is the one
    /// libcurl multi call that is safe from another thread, and the only one it makes.
    struct Waker: @unchecked Sendable {
        let multi: CurlMulti

        func wake() { multi.wakeup() }
    }

    /// Requests submitted and not yet returned by `poll`.
    var inFlight: Int { queue.count }

    /// Queues requests; they start as slots free up (see `DeliveryQueue`). Ids must be unique
    /// among the requests in flight.
    func submit(_ requests: [DeliveryRequest]) {
        for request in requests {
            nextTicket += 1
            waiting[nextTicket] = request
            let destination = request.destination.isEmpty ? DeliveryQueue.hostKey(of: request.url) : request.destination
            queue.enqueue(ticket: nextTicket, destination: destination, merchant: request.merchant)
        }
    }

    /// Takes back the requests to `destination` that have not started yet and returns their ids.
    func withdraw(destination: String) -> [String] {
        queue.withdraw(destination: destination).compactMap { waiting.removeValue(forKey: $0)?.id }
    }

    /// Starts what may start, moves the transfers along, and returns the outcomes of those that
    /// finished. Waits up to `timeoutMs` for network activity when nothing has finished yet, so a
    /// caller can loop on it and still do other work (claim more, write outcomes back) while slow
    /// receivers hang: one slow receiver never holds up the others.
    func poll(timeoutMs: Int32) -> [DeliveryOutcome] {
        startWaiting()
        if !active.isEmpty {
            var code = multi.perform()
            collectFinished()
            if code == CURLM_OK, finished.isEmpty, !active.isEmpty {
                code = multi.poll(timeoutMs: timeoutMs)
                if code == CURLM_OK { code = multi.perform() }
                collectFinished()
            }
            if code != CURLM_OK { failActive("libcurl multi error: \(CurlMulti.describe(code))") }
            startWaiting()
        }
        defer { finished.removeAll() }
        return finished
    }

    private func startWaiting() {
        while let ticket = queue.next(), let request = waiting.removeValue(forKey: ticket) {
            switch start(ticket: ticket, request: request) {
            case .started(let transfer):
                active[transfer.easy] = transfer
            case .failed(let outcome):
                finished.append(outcome)
                queue.finish(ticket)
            }
        }
    }

    private func collectFinished() {
        for (easy, result) in multi.finished() {
            guard let transfer = active.removeValue(forKey: easy) else { continue }
            multi.remove(transfer)
            finished.append(transfer.outcome(result: result))
            queue.finish(transfer.index)
        }
    }

    /// The multi handle itself failed (out of memory): fail what is in flight rather than spin.
    private func failActive(_ message: String) {
        for transfer in active.values {
            multi.remove(transfer)
            finished.append(DeliveryOutcome(id: transfer.id, error: message))
            queue.finish(transfer.index)
        }
        active.removeAll()
    }

    /// A request's transfer in flight, or the outcome of a request that could not start.
    private enum Start {
        case started(CurlTransfer)
        case failed(DeliveryOutcome)
    }

    /// Creates, configures and adds the transfer of one request, or says why it cannot start.
    private func start(ticket: Int, request: DeliveryRequest) -> Start {
        guard let transfer = CurlTransfer(index: ticket, request: request, settings: settings) else {
            return .failed(DeliveryOutcome(id: request.id, error: "out of memory creating a transfer"))
        }
        do {
            try transfer.configure(request, settings: settings)
        } catch {
            return .failed(DeliveryOutcome(id: request.id, error: error.message, permanent: error.permanent))
        }
        let code = multi.add(transfer)
        guard code == CURLM_OK else {
            return .failed(DeliveryOutcome(id: request.id, error: "libcurl multi error: \(CurlMulti.describe(code))"))
        }
        return .started(transfer)
    }
}
