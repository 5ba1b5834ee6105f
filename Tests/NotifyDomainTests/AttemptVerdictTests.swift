import NotifyDomain
import Testing

/// What an attempt's outcome does to its event: success ends it, a failure waits for the next
/// attempt of the schedule (with jitter), the last automatic failure or a permanent one fails it,
/// and manual attempts do not use up the schedule.
struct AttemptVerdictTests {
    static let schedule = RetrySchedule.default

    static func verdict(
        succeeded: Bool = false, permanent: Bool = false, manual: Bool = false, before: Int, random: Double = 0.5
    )
        -> AttemptVerdict
    {
        AttemptVerdict(
            succeeded: succeeded, permanent: permanent, manual: manual, automaticAttemptsBefore: before,
            schedule: schedule, random: random)
    }

    @Test func successEndsTheEvent() {
        #expect(
            Self.verdict(succeeded: true, before: 0)
                == AttemptVerdict(status: .succeeded, retryIn: nil, automaticAttempts: 1))
        #expect(
            Self.verdict(succeeded: true, manual: true, before: 8)
                == AttemptVerdict(status: .succeeded, retryIn: nil, automaticAttempts: 8))
    }

    @Test func aFailureWaitsForTheNextAttemptOfTheSchedule() {
        #expect(Self.verdict(before: 0) == AttemptVerdict(status: .pending, retryIn: 5, automaticAttempts: 1))
        #expect(Self.verdict(before: 1) == AttemptVerdict(status: .pending, retryIn: 300, automaticAttempts: 2))
        #expect(Self.verdict(before: 6) == AttemptVerdict(status: .pending, retryIn: 36000, automaticAttempts: 7))
    }

    @Test func jitterMovesARetryByAtMostItsFraction() throws {
        let early = try #require(Self.verdict(before: 1, random: 0).retryIn)
        let late = try #require(Self.verdict(before: 1, random: 0.999_999).retryIn)
        #expect(early >= 300 * (1 - RetrySchedule.jitter) && early < 300)
        #expect(late > 300 && late <= 300 * (1 + RetrySchedule.jitter))
    }

    @Test func theLastAutomaticFailureFailsTheEvent() {
        #expect(Self.verdict(before: 7) == AttemptVerdict(status: .failed, retryIn: nil, automaticAttempts: 8))
    }

    @Test func aPermanentFailureFailsAtOnce() {
        #expect(
            Self.verdict(permanent: true, before: 0)
                == AttemptVerdict(status: .failed, retryIn: nil, automaticAttempts: 1))
    }

    @Test func aManualFailureDoesNotSpendTheSchedule() {
        #expect(
            Self.verdict(manual: true, before: 8) == AttemptVerdict(status: .failed, retryIn: nil, automaticAttempts: 8)
        )
        #expect(
            Self.verdict(manual: true, before: 2)
                == AttemptVerdict(status: .pending, retryIn: 300, automaticAttempts: 2))
    }
}
