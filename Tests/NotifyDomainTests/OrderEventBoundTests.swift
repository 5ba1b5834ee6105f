import NotifyDomain
import NotifyFoundation
import Testing

@Suite struct OrderEventBoundTests {
    /// 2026-12-07T10:00:00Z and the first millisecond of 2026-12-06 (UTC).
    static let morning: UInt64 = 1_796_637_600_000
    static let dayBefore: UInt64 = 1_796_515_200_000

    @Test func anOrderIsReadFromTheStartOfTheDayBeforeItsId() {
        let orderId = UUIDv7.make(unixMillis: Self.morning, random: Array(1...10))
        let bound = OrderEventBound.lowestEventId(orderId: orderId)
        #expect(bound == UUIDv7.first(unixMillis: Self.dayBefore))
        #expect(UUIDv7.unixMillis(of: bound) == Self.dayBefore)
    }

    /// Every event of the order (made at or after the order's millisecond, or up to a day before it
    /// by another host's clock) sorts at or after the bound.
    @Test func eventsOfTheOrderSortAfterTheBound() {
        let orderId = UUIDv7.make(unixMillis: Self.morning, random: Array(1...10))
        let bound = OrderEventBound.lowestEventId(orderId: orderId)
        for offset in [-86_400_000, -1, 0, 1, 3_600_000, 400 * 86_400_000] {
            let event = UUIDv7.make(
                unixMillis: UInt64(Int64(Self.morning) + Int64(offset)), random: [UInt8](repeating: 0, count: 10))
            #expect(event >= bound, "event \(offset) ms from the order sorts before the bound")
        }
    }

    @Test func anIdThatIsNotAUUIDv7BoundsNothing() {
        for orderId in ["6f1c2e8a-3b4d-4c5e-9f60-718293a4b5c6", "00000000-0000-7000-8000-000000000000", "not-an-id"] {
            #expect(OrderEventBound.lowestEventId(orderId: orderId) == OrderEventBound.none)
        }
    }
}

@Suite struct OrderEventUpperBoundTests {
    /// 2026-12-07T10:00:00Z, and the last millisecond of 2026-12-08 (UTC).
    static let morning: UInt64 = 1_796_637_600_000
    static let endOfTomorrow: UInt64 = 1_796_774_399_999

    @Test func anOrderIsReadUpToTheEndOfTheDayAfterTheRead() {
        let orderId = UUIDv7.make(unixMillis: Self.morning - 3 * 86_400_000, random: Array(1...10))
        let bound = OrderEventBound.highestEventId(orderId: orderId, nowMillis: Self.morning)
        #expect(bound.hasSuffix("-ffff-ffff-ffffffffffff"))
        #expect(bound.filter { $0 != "-" }.prefix(12) == "0" + String(Self.endOfTomorrow, radix: 16))
        for offset in [-86_400_000, -1, 0, 1, 86_400_000, 136_799_999] {
            let event = UUIDv7.make(
                unixMillis: UInt64(Int64(Self.morning) + Int64(offset)), random: [UInt8](repeating: 0xff, count: 10))
            #expect(event <= bound, "an event \(offset) ms from the read sorts after the bound")
        }
        let dayAfter = UUIDv7.first(unixMillis: Self.endOfTomorrow + 1)
        #expect(dayAfter > bound)
    }

    /// An order whose id is later than the read (another host's clock) is read up to the day after it.
    @Test func anOrderAheadOfTheClockIsReadPastIt() {
        let orderId = UUIDv7.make(unixMillis: Self.morning + 3 * 86_400_000, random: Array(1...10))
        let bound = OrderEventBound.highestEventId(orderId: orderId, nowMillis: Self.morning)
        #expect(bound > OrderEventBound.lowestEventId(orderId: orderId))
        #expect(UUIDv7.make(unixMillis: Self.morning + 3 * 86_400_000, random: Array(1...10)) <= bound)
    }

    @Test func anIdThatIsNotAUUIDv7BoundsNothing() {
        for orderId in ["6f1c2e8a-3b4d-4c5e-9f60-718293a4b5c6", "00000000-0000-7000-8000-000000000000", "not-an-id"] {
            #expect(OrderEventBound.highestEventId(orderId: orderId, nowMillis: Self.morning) == OrderEventBound.all)
        }
    }
}
