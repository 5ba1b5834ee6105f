import Foundation
import NotifyStore
import NotifyTestSupport
import Testing

extension StoreTests {
    /// Housekeeping forgets the quota windows nobody reads any more, so `rate_limits` holds the last
    /// hour's keys instead of one row per client address ever counted.
    @Suite struct QuotaExpiryTests {
        @Test func housekeepingForgetsQuotaWindowsOlderThanAnHour() throws {
            let connection = try TestDatabase.migrated()
            let now = Date()
            let minute = Int(now.timeIntervalSince1970) / 60 * 60
            let quotas = RateLimitStore(connection: connection)
            for (bucket, window) in [("auth:old", minute - 7200), ("auth:edge", minute - 3540), ("auth:now", minute)] {
                _ = try quotas.hit(bucket: bucket, window: window)
            }
            let report = try HistoryStore(connection: connection).housekeeping(
                now: now.ISO8601Format(), retention: HistoryRetention(retentionDays: 2, aheadDays: 3))
            #expect(report.ran)
            #expect(report.expiredQuotas == 1)
            #expect(try quotas.hits(bucket: "auth:old", window: minute - 7200) == 0)
            #expect(try quotas.hits(bucket: "auth:edge", window: minute - 3540) == 1)
            #expect(try quotas.hits(bucket: "auth:now", window: minute) == 1)
        }
    }
}
