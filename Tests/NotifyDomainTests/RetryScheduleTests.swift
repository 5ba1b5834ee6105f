import NotifyFoundation
import Testing

@testable import NotifyDomain

@Suite("Retry schedule")
struct RetryScheduleTests {
    @Test func defaultScheduleIsTheDesignOne() {
        #expect(RetrySchedule.default.delays == [0, 5, 300, 1800, 7200, 18000, 36000, 36000])
        #expect(RetrySchedule.default.maxAttempts == 8)
    }

    @Test(arguments: [
        (1, 0.0, 0.0), (1, 0.99, 0.0),
        (2, 0.5, 5.0), (2, 0.0, 4.0), (2, 1.0, 6.0),
        (3, 0.5, 300.0), (3, 0.0, 240.0), (3, 0.75, 330.0),
        (8, 0.5, 36000.0), (8, 0.25, 32400.0),
    ])
    func delaysWithJitter(attempt: Int, random: Double, expected: Double) throws {
        let delay = try #require(RetrySchedule.default.delay(beforeAttempt: attempt, random: random))
        #expect(abs(delay - expected) < 1e-9)
    }

    @Test(arguments: [0, -1, 9, 100])
    func noDelayOutsideTheSchedule(attempt: Int) {
        #expect(RetrySchedule.default.delay(beforeAttempt: attempt, random: 0.5) == nil)
    }

    @Test func jitterStaysWithinTwentyPercent() throws {
        for step in 0..<100 {
            let random = Double(step) / 100
            let delay = try #require(RetrySchedule.default.delay(beforeAttempt: 4, random: random))
            #expect(delay >= 1440 && delay <= 2160)
        }
    }

    @Test func outOfRangeRandomIsClamped() {
        #expect(RetrySchedule.default.delay(beforeAttempt: 2, random: 7) == 6)
        #expect(RetrySchedule.default.delay(beforeAttempt: 2, random: -3) == 4)
        #expect(RetrySchedule.default.delay(beforeAttempt: 2, random: .nan) == 5)
    }

    @Test func nextAttemptAt() {
        #expect(RetrySchedule.default.nextAttemptAt(now: 1000, attemptsMade: 0, random: 0.3) == 1000)
        #expect(RetrySchedule.default.nextAttemptAt(now: 1000, attemptsMade: 2, random: 0.5) == 1300)
        #expect(RetrySchedule.default.nextAttemptAt(now: 1000, attemptsMade: 8, random: 0.5) == nil)
    }

    @Test(arguments: [
        ("0,5,300", [0.0, 5, 300]),
        (" 0 , 5 , 300 ", [0.0, 5, 300]),
        ("0,5s,5m,2h", [0.0, 5, 300, 7200]),
        ("1.5", [1.5]),
    ])
    func parses(text: String, delays: [Double]) throws {
        #expect(try RetrySchedule(parsing: text).delays == delays)
    }

    @Test(arguments: [
        ("", "'' is not a delay in seconds (e.g. 0,5,300 or 0,5s,5m,2h)"),
        ("0,,5", "'' is not a delay in seconds (e.g. 0,5,300 or 0,5s,5m,2h)"),
        ("0,-5", "'-5' is not a delay in seconds (e.g. 0,5,300 or 0,5s,5m,2h)"),
        ("0,5x", "'5x' is not a delay in seconds (e.g. 0,5,300 or 0,5s,5m,2h)"),
        ("0,1.2.3", "'1.2.3' is not a delay in seconds (e.g. 0,5,300 or 0,5s,5m,2h)"),
        ("0,3000000", "retry delay 3000000.0 must be between 0 and 2592000 seconds"),
    ])
    func refusesBadSchedules(text: String, message: String) {
        #expect(throws: ValidationError(field: "NOTIFY_RETRY_SCHEDULE", message)) { try RetrySchedule(parsing: text) }
    }

    @Test func refusesTooManyAndEmpty() {
        #expect(throws: ValidationError(field: "NOTIFY_RETRY_SCHEDULE", "retry schedule must not be empty")) {
            try RetrySchedule(delays: [])
        }
        #expect(throws: ValidationError(field: "NOTIFY_RETRY_SCHEDULE", "retry schedule has more than 100 attempts")) {
            try RetrySchedule(delays: Array(repeating: 1, count: 101))
        }
    }
}
