import Foundation
import NotifyStore
import Testing

/// The one conversion of a `Date` into the API's and the store's timestamp text.
@Suite struct DateRFC3339Tests {
    @Test func roundsDownToTheMillisecond() {
        #expect(Date(timeIntervalSince1970: 1_764_123_300.944_9).rfc3339 == "2025-11-26T02:15:00.944Z")
        #expect(Date(timeIntervalSince1970: 0).rfc3339 == "1970-01-01T00:00:00.000Z")
        #expect(Date(timeIntervalSince1970: 1.999_9).unixMillis == 1_999)
    }

    /// Towards the past before 1970 too, so a time never reads later than it was.
    @Test func roundsTowardsThePastBefore1970() {
        #expect(Date(timeIntervalSince1970: -0.000_5).unixMillis == -1)
        #expect(Date(timeIntervalSince1970: -0.000_5).rfc3339 == "1969-12-31T23:59:59.999Z")
    }
}
