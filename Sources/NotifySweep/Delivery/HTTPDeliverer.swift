import CCurl
import NotifyDomain

/// Makes the HTTP calls of a sweep: many at once through one libcurl multi handle, reusing
/// connections across batches (DESIGN §5, §6). Enforces what every attempt must respect: a
/// per-attempt timeout, no redirects, http/https only, no proxy from the environment, a 64 KiB
/// response cap, and the target address policy checked on the socket address at connect time.
/// One per sweep process; not thread-safe (one `deliver` call at a time).
final class HTTPDeliverer {
    /// The most response body bytes kept; more cuts the transfer.
    static let responseLimit = 64 * 1024

    private let multi: CurlMulti
    private let settings: CurlTransfer.Settings
    private let maxConcurrent: Int
    private let maxConnectionsPerHost: Int

    /// - Parameters:
    ///   - policy: decides which addresses a delivery may connect to.
    ///   - timeout: seconds an attempt may take in all (connect, send, response); default 15.
    ///   - maxConcurrent: transfers in flight at once; also the number of idle connections kept.
    ///   - maxConnectionsPerHost: transfers in flight to one scheme+host+port at once; the others
    ///     wait (their timeout not yet running) and then reuse those connections.
    ///   - userAgent: the `User-Agent` sent unless a request gives its own.
    init(
        policy: AddressPolicy, timeout: Double = 15, maxConcurrent: Int = 64, maxConnectionsPerHost: Int = 8,
        userAgent: String
    ) {
        let timeoutMs = max(1, Int((timeout * 1000).rounded()))
        self.settings = CurlTransfer.Settings(
            policy: policy, timeoutMs: timeoutMs, connectTimeoutMs: min(timeoutMs, 10_000), userAgent: userAgent,
            responseLimit: HTTPDeliverer.responseLimit)
        self.maxConcurrent = max(1, maxConcurrent)
        self.maxConnectionsPerHost = max(1, maxConnectionsPerHost)
        self.multi = CurlMulti(maxConnections: self.maxConcurrent)
    }

    /// Delivers every request, up to `maxConcurrent` at once, and returns when all are done.
    /// - Returns: one outcome per request, in the order of `requests`.
    func deliver(_ requests: [DeliveryRequest]) -> [DeliveryOutcome] {
        var outcomes = [DeliveryOutcome?](repeating: nil, count: requests.count)
        var queue = DeliveryQueue(
            hosts: requests.map { DeliveryQueue.hostKey(of: $0.url) }, maxConcurrent: maxConcurrent,
            maxPerHost: maxConnectionsPerHost)
        // The transfers attached to the multi handle; each stays alive here until removed from it.
        var active: [UnsafeMutableRawPointer: CurlTransfer] = [:]

        while !queue.isDone {
            while let index = queue.next() {
                switch start(index: index, request: requests[index]) {
                case .started(let transfer):
                    active[transfer.easy] = transfer
                case .failed(let outcome):
                    outcomes[index] = outcome
                    queue.finish(index)
                }
            }
            guard !active.isEmpty else { continue }

            var code = multi.perform()
            var finishedAny = false
            for (easy, result) in multi.finished() {
                guard let transfer = active.removeValue(forKey: easy) else { continue }
                multi.remove(transfer)
                outcomes[transfer.index] = transfer.outcome(result: result)
                queue.finish(transfer.index)
                finishedAny = true
            }
            if code == CURLM_OK, !finishedAny, !active.isEmpty {
                code = multi.poll(timeoutMs: 1000)
            }
            if code != CURLM_OK {
                // The multi handle itself failed (out of memory): fail what is in flight rather than spin.
                let message = "libcurl multi error: \(CurlMulti.describe(code))"
                for transfer in active.values {
                    multi.remove(transfer)
                    outcomes[transfer.index] = DeliveryOutcome(id: transfer.id, error: message)
                    queue.finish(transfer.index)
                }
                active.removeAll()
            }
        }
        return outcomes.enumerated().map { index, outcome in
            outcome ?? DeliveryOutcome(id: requests[index].id, error: "internal error: delivery was not attempted")
        }
    }

    /// A request's transfer in flight, or the outcome of a request that could not start.
    private enum Start {
        case started(CurlTransfer)
        case failed(DeliveryOutcome)
    }

    /// Creates, configures and adds the transfer of one request, or says why it cannot start.
    private func start(index: Int, request: DeliveryRequest) -> Start {
        guard let transfer = CurlTransfer(index: index, request: request, settings: settings) else {
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
