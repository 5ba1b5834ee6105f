import NotifyFoundation

/// The range of ids an order's events can have, so a read of one order's events can skip the day
/// partitions of history before it and the days made ahead after it. The service names each order
/// with a UUIDv7 when it creates it, and the order's events come from its later changes, so none is
/// older than the order's id, and none newer than the time of the read. Each end has a day of margin
/// for clocks that differ between hosts: from the first id of the UTC day before the order's, to the
/// last id of the UTC day after the read's (or after the order's, if a clock put it later). An id
/// that is not a UUIDv7 bounds nothing.
public enum OrderEventBound {
    /// The smallest UUID: no lower bound.
    public static let none = "00000000-0000-0000-0000-000000000000"
    /// The largest UUID: no upper bound.
    public static let all = "ffffffff-ffff-ffff-ffff-ffffffffffff"

    private static let dayMillis: UInt64 = 86_400_000

    public static func lowestEventId(orderId: String) -> String {
        guard let millis = UUIDv7.unixMillis(of: orderId), millis >= dayMillis else { return none }
        return UUIDv7.first(unixMillis: (millis / dayMillis - 1) * dayMillis)
    }

    /// The highest id the order's events can have when read at `nowMillis` (inclusive).
    public static func highestEventId(orderId: String, nowMillis: UInt64) -> String {
        guard let millis = UUIDv7.unixMillis(of: orderId), millis >= dayMillis else { return all }
        let last = (max(millis, nowMillis) / dayMillis + 2) * dayMillis - 1
        guard last < 1 << 48 else { return all }
        let hex = String(last, radix: 16)
        let digits = String(repeating: "0", count: 12 - hex.count) + hex
        return "\(digits.prefix(8))-\(digits.suffix(4))-ffff-ffff-ffffffffffff"
    }
}
