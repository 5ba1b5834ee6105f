import Foundation
import NotifyFoundation

extension Date {
    /// This time in `Timestamp`'s RFC 3339 form (UTC, milliseconds), the text every time takes in
    /// the API, the payloads and the store's parameters: the one conversion of a clock reading,
    /// shared by the workers, the sweep and `notifyctl`.
    public var rfc3339: String { Timestamp.rfc3339(unixMillis: unixMillis) }

    /// Whole milliseconds since 1970-01-01 UTC, rounded down (towards the past, before 1970 too).
    public var unixMillis: Int64 { Int64((timeIntervalSince1970 * 1000).rounded(.down)) }
}
