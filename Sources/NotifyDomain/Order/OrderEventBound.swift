import NotifyFoundation

/// The lowest id an order's events can have, so a read of one order's events can skip the day
/// partitions of history before it. The service names each order with a UUIDv7 when it creates it,
/// and the order's events come from its later changes, so none is older than the order's id. The
/// bound is the first id of the UTC day before the order's: a day of margin for clocks that differ
/// between hosts. An id that is not a UUIDv7 bounds nothing.
public enum OrderEventBound {
    /// The smallest UUID: no bound.
    public static let none = "00000000-0000-0000-0000-000000000000"

    private static let dayMillis: UInt64 = 86_400_000

    public static func lowestEventId(orderId: String) -> String {
        guard let millis = UUIDv7.unixMillis(of: orderId), millis >= dayMillis else { return none }
        return UUIDv7.first(unixMillis: (millis / dayMillis - 1) * dayMillis)
    }
}
