import Foundation
import NotifyDomain
import NotifyStore

/// Timestamps and ids for one request, derived from the time the request arrived and the system's
/// random source: the only place the API reads randomness.
struct Identifiers {
    let now: Date

    /// RFC 3339 UTC with milliseconds, the form of every timestamp in the API.
    var timestamp: String { Self.format(now) }

    /// A new UUIDv7: time-ordered, so "newest first" is an index scan.
    func makeId() -> String {
        var generator = SystemRandomNumberGenerator()
        let random = (0..<10).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return UUIDv7.make(unixMillis: UInt64(max(0, now.timeIntervalSince1970 * 1000)), random: random)
    }

    var changeContext: ChangeContext {
        ChangeContext(timestamp: timestamp, makeId: makeId)
    }

    static func format(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        let millis = Int((date.timeIntervalSince1970 - Double(seconds)) * 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", parts.tm_year + 1900, parts.tm_mon + 1,
            parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec, millis)
    }
}
