import CCurl

/// The single owner of a libcurl multi handle (`CURLM *`, cleaned up in `deinit`). One per
/// deliverer, kept for the life of the sweep, because the multi handle holds the connection cache
/// and the DNS cache: transfers of later batches reuse the connections of earlier ones.
/// Only the delivery code uses it; its API speaks libcurl.
final class CurlMulti {
    /// `CURLM *` (`typedef void CURLM`, so Swift sees a raw pointer).
    private let handle: UnsafeMutableRawPointer

    /// - Parameter maxConnections: how many idle connections the cache keeps open for reuse.
    init(maxConnections: Int) {
        CurlGlobal.initialize()
        // curl_multi_init only fails when memory runs out, which the sweep cannot recover from.
        guard let handle = curl_multi_init() else { fatalError("curl_multi_init failed: out of memory") }
        self.handle = handle
        _ = notify_multi_setopt_long(handle, CURLMOPT_MAXCONNECTS, max(1, maxConnections))
    }

    deinit {
        // Every easy handle was removed before its transfer object went away (see `remove`), so the
        // multi handle owns nothing else here; this closes the cached connections.
        curl_multi_cleanup(handle)
    }

    /// Starts driving a transfer. The transfer must stay alive until `remove(_:)` is called with it.
    func add(_ transfer: CurlTransfer) -> CURLMcode {
        curl_multi_add_handle(handle, transfer.easy)
    }

    /// Stops driving a transfer; its connection goes back to the cache when it can be reused.
    func remove(_ transfer: CurlTransfer) {
        _ = curl_multi_remove_handle(handle, transfer.easy)
    }

    /// Does whatever I/O is ready now without blocking.
    func perform() -> CURLMcode {
        var running: Int32 = 0
        return curl_multi_perform(handle, &running)
    }

    /// Waits until a transfer's socket is ready, a libcurl timer is due, or `timeoutMs` passed.
    func poll(timeoutMs: Int32) -> CURLMcode {
        var ready: Int32 = 0
        return curl_multi_poll(handle, nil, 0, timeoutMs, &ready)
    }

    /// Makes a `poll` in progress (or the next one) return at once. The one call that another
    /// thread may make.
    func wakeup() {
        _ = curl_multi_wakeup(handle)
    }

    /// The transfers that finished since the last call, as (easy handle, result) pairs.
    func finished() -> [(easy: UnsafeMutableRawPointer, result: CURLcode)] {
        var done: [(easy: UnsafeMutableRawPointer, result: CURLcode)] = []
        var queued: Int32 = 0
        // Each CURLMsg belongs to the multi handle and is only valid until the next call on it
        // (removing the easy handle frees it): copy the fields out before anything else.
        while let message = curl_multi_info_read(handle, &queued) {
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
            done.append((easy: easy, result: notify_msg_result(message)))
        }
        return done
    }

    /// The text of a multi-handle error code. The string is static inside libcurl.
    static func describe(_ code: CURLMcode) -> String {
        guard let text = curl_multi_strerror(code) else { return "libcurl multi error \(code.rawValue)" }
        return String(cString: text)
    }
}

/// `curl_global_init` must run once, before any other libcurl call and before other threads use
/// libcurl; a Swift static is initialized exactly once, thread-safely, on first use.
enum CurlGlobal {
    private static let result: CURLcode = curl_global_init(Int(CURL_GLOBAL_ALL))

    /// Runs `curl_global_init` on the first call. `curl_global_cleanup` is never called: libcurl
    /// stays initialized for the life of the process, as the sweep uses it until it exits.
    static func initialize() {
        guard result == CURLE_OK else {
            fatalError("curl_global_init failed: \(String(cString: curl_easy_strerror(result)))")
        }
    }
}
