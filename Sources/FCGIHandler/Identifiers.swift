import Foundation
import NotifyFoundation
import NotifyStore

/// Timestamps and ids for one request, derived from the time the request arrived and the system's
/// random source: the only place the API reads randomness.
struct Identifiers {
    let now: Date

    /// RFC 3339 UTC with milliseconds, the form of every timestamp in the API.
    var timestamp: String { now.rfc3339 }

    /// A new UUIDv7: time-ordered, so "newest first" is an index scan.
    func makeId() -> String {
        var generator = SystemRandomNumberGenerator()
        return UUIDv7.make(unixMillis: UInt64(max(0, now.timeIntervalSince1970 * 1000)), using: &generator)
    }

    /// Stamps and ids read from the clock when the store asks (after it has locked the order).
    static var live: ChangeContext {
        ChangeContext(timestamp: { Identifiers(now: Date()).timestamp }, makeId: { Identifiers(now: Date()).makeId() })
    }

    /// The clock that event ids are made from (``live``), in milliseconds: what bounds the ids of
    /// the events a read can find.
    static var liveUnixMillis: UInt64 {
        UInt64(max(0, Date().unixMillis))
    }
}
