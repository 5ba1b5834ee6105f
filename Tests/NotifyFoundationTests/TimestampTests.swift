import NotifyFoundation
import Testing

@Suite struct TimestampTests {
    @Test(arguments: [
        (Int64(0), "1970-01-01T00:00:00.000Z"),
        (Int64(1_614_265_330_000), "2021-02-25T15:02:10.000Z"),
        (Int64(951_782_400_123), "2000-02-29T00:00:00.123Z"),
        (Int64(1_798_761_599_999), "2026-12-31T23:59:59.999Z"),
        (Int64(-1), "1969-12-31T23:59:59.999Z"),
    ])
    func formatsUTCWithMilliseconds(millis: Int64, expected: String) {
        #expect(Timestamp.rfc3339(unixMillis: millis) == expected)
    }
}
