import Testing

@testable import NotifyDomain

@Suite("Destination health: breaker, back-pressure, disable")
struct DestinationHealthTests {
    let policy = BreakerPolicy(failureThreshold: 5, disableAfter: 3600)

    func failure(at time: Double, retryAfter: Double? = nil) -> AttemptResult {
        AttemptResult(kind: .unreachable, finishedAt: time, error: "timeout", retryAfterSeconds: retryAfter)
    }

    @Test func fiveUnreachableAttemptsInARowOpenTheBreaker() {
        var health = DestinationHealth()
        for time in 1...4 {
            health.record(failure(at: Double(time)), probe: false, policy: policy)
            #expect(health.status == .failing)
        }
        health.record(failure(at: 5), probe: false, policy: policy)
        #expect(health.status == .open)
        #expect(health.consecutiveFailures == 5)
        #expect(health.nextProbeAt == 10)
        #expect(health.failingSince == 1)
        #expect(health.lastError == "timeout")
    }

    @Test func anAnswerOtherThan5xxOr429BreaksTheChain() {
        var health = DestinationHealth()
        for time in 1...4 { health.record(failure(at: Double(time)), probe: false, policy: policy) }
        health.record(AttemptResult(kind: .refused, finishedAt: 5, error: "HTTP 404"), probe: false, policy: policy)
        #expect(health.consecutiveFailures == 0)
        #expect(health.status == .failing)
        for time in 6...9 { health.record(failure(at: Double(time)), probe: false, policy: policy) }
        #expect(health.status == .failing, "four in a row since the 404")
        #expect(health.failingSince == 1, "no success yet: still failing since the first failure")
    }

    @Test func failedProbesDoubleTheWaitUpToTenMinutes() {
        var health = DestinationHealth()
        for time in 1...5 { health.record(failure(at: Double(time)), probe: false, policy: policy) }
        var waits: [Double] = []
        var time = 5.0
        for _ in 0..<10 {
            time = health.nextProbeAt ?? time
            health.record(failure(at: time), probe: true, policy: BreakerPolicy(failureThreshold: 5, disableAfter: 1e9))
            waits.append(health.probeWaitSeconds)
        }
        #expect(waits == [10, 20, 40, 80, 160, 320, 600, 600, 600, 600])
        #expect(health.status == .open)
    }

    @Test func aStragglerFailureWhileOpenDoesNotMoveTheProbe() {
        var health = DestinationHealth()
        for time in 1...5 { health.record(failure(at: Double(time)), probe: false, policy: policy) }
        health.record(failure(at: 6), probe: false, policy: policy)
        #expect(health.nextProbeAt == 10)
        #expect(health.consecutiveFailures == 6)
    }

    @Test func aSuccessfulProbeClosesTheBreaker() {
        var health = DestinationHealth()
        for time in 1...5 { health.record(failure(at: Double(time)), probe: false, policy: policy) }
        health.record(AttemptResult(kind: .success, finishedAt: 10), probe: true, policy: policy)
        #expect(
            health == DestinationHealth(status: .healthy, lastSuccessAt: 10, lastFailureAt: 5, lastError: "timeout"))
    }

    @Test func aProbeTheReceiverAnsweredWith4xxClosesTheBreakerButKeepsFailing() {
        var health = DestinationHealth()
        for time in 1...5 { health.record(failure(at: Double(time)), probe: false, policy: policy) }
        health.record(AttemptResult(kind: .refused, finishedAt: 10, error: "HTTP 400"), probe: true, policy: policy)
        #expect(health.status == .failing)
        #expect(health.nextProbeAt == nil)
    }

    @Test func retryAfterHoldsAtMostAnHour() {
        var health = DestinationHealth()
        health.record(failure(at: 100, retryAfter: 3), probe: false, policy: policy)
        #expect(health.heldUntil == 103)
        health.record(failure(at: 101, retryAfter: 99999), probe: false, policy: policy)
        #expect(health.heldUntil == 3701)
        health.record(failure(at: 102, retryAfter: 1), probe: false, policy: policy)
        #expect(health.heldUntil == 3701, "a shorter hold never shortens a longer one")
    }

    @Test func failingWithoutASuccessPastTheLimitDisables() {
        var health = DestinationHealth()
        let strict = BreakerPolicy(failureThreshold: 100, disableAfter: 10)
        health.record(failure(at: 0), probe: false, policy: strict)
        health.record(failure(at: 9), probe: false, policy: strict)
        #expect(health.status == .failing)
        health.record(failure(at: 10), probe: false, policy: strict)
        #expect(health.status == .disabled)
        #expect(health.disabledAt == 10)
        health.record(AttemptResult(kind: .success, finishedAt: 11), probe: false, policy: strict)
        #expect(health.status == .disabled, "only a person's resume ends disabled")
    }

    @Test func pausedStaysPausedWhateverArrives() {
        var health = DestinationHealth(status: .paused)
        for time in 1...6 { health.record(failure(at: Double(time)), probe: false, policy: policy) }
        #expect(health.status == .paused)
        health.record(AttemptResult(kind: .success, finishedAt: 7), probe: false, policy: policy)
        #expect(health.status == .paused)
        #expect(health.consecutiveFailures == 0)
    }

    @Test(
        arguments: [
            (200, true, false, AttemptResult.Kind.success), (nil, false, false, .unreachable),
            (nil, false, true, .refused), (500, false, false, .unreachable), (503, false, false, .unreachable),
            (429, false, false, .unreachable), (404, false, false, .refused), (410, false, false, .refused),
            (301, false, false, .refused),
        ] as [(Int?, Bool, Bool, AttemptResult.Kind)])
    func attemptsAreClassified(status: Int?, succeeded: Bool, permanent: Bool, kind: AttemptResult.Kind) {
        #expect(AttemptResult.kind(statusCode: status, succeeded: succeeded, permanent: permanent) == kind)
    }

    @Test func verdictsFollowTheDestination() {
        let failedForGood = AttemptVerdict(status: .failed, retryIn: nil, automaticAttempts: 8)
        let disabled = DestinationHealth(status: .disabled)
        #expect(
            failedForGood.adjusted(
                for: disabled, probeFailed: false, permanent: false, automaticAttemptsBefore: 7, now: 0)
                == AttemptVerdict(status: .pending, retryIn: 0, automaticAttempts: 8))
        #expect(
            failedForGood.adjusted(
                for: disabled, probeFailed: false, permanent: true, automaticAttemptsBefore: 7, now: 0)
                == failedForGood, "a 410 or a refused address fails even on a disabled destination")
        let open = DestinationHealth(status: .open, nextProbeAt: 30)
        let spent = AttemptVerdict(status: .pending, retryIn: 5, automaticAttempts: 3)
        #expect(
            spent.adjusted(for: open, probeFailed: true, permanent: false, automaticAttemptsBefore: 2, now: 20)
                == AttemptVerdict(status: .pending, retryIn: 10, automaticAttempts: 2))
        let held = DestinationHealth(status: .failing, heldUntil: 100)
        #expect(
            spent.adjusted(for: held, probeFailed: false, permanent: false, automaticAttemptsBefore: 2, now: 40)
                == AttemptVerdict(status: .pending, retryIn: 60, automaticAttempts: 3))
    }

    @Test(arguments: [
        ("https://ERP.example.com/hooks?a=1", "https://erp.example.com:443"),
        ("http://example.com/", "http://example.com:80"),
        ("http://127.0.0.1:8080/x", "http://127.0.0.1:8080"),
        ("https://[::1]:9443/", "https://[::1]:9443"),
    ])
    func originsWriteThePortOut(url: String, origin: String) throws {
        #expect(Destination.origin(of: try TargetURL(parsing: url)) == origin)
    }
}
