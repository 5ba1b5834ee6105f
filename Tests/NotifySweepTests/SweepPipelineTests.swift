import Foundation
import Logging
import NotifyDomain
import NotifyFoundation
import NotifyStore
import NotifyTestSupport
import Testing

@testable import NotifySweep

/// The sweep's pipeline end to end without the process around it: claim from the test database,
/// deliver to a loopback receiver, write the outcome back. The clock and the random source are the
/// test's, so the lease, the signature's timestamp, the attempt and the next retry time are exact.
@Suite(.enabled(if: TestDatabase.isConfigured), .usesTheCluster)
struct SweepPipelineTests {
    /// 2026-01-01T10:00:00Z: the order change; the sweep's clock reads two seconds later.
    static let changedAt = "2026-01-01T10:00:00.000Z"
    static let now = Date(timeIntervalSince1970: 1_767_261_602)

    /// The same number every time: every lease token, attempt id and jitter fraction is the same
    /// on every run.
    struct ConstantRandom: RandomNumberGenerator {
        mutating func next() -> UInt64 { 1 << 52 }
    }

    let connection: Connection
    let fixture: QueueFixture
    let config: SweepConfig

    init() throws {
        let conninfo = try TestDatabase.migratedConninfo()
        connection = try Connection(conninfo: conninfo)
        fixture = try QueueFixture(connection: connection)
        config = SweepConfig(
            databaseURL: conninfo, policy: HTTPDelivererTests.loopbackOnly, timeout: 5, schedule: .default, budget: 10,
            logLevel: nil)
    }

    private func sweeper() -> Sweeper {
        let deliverer = HTTPDeliverer(
            policy: config.policy, timeout: config.timeout, maxConcurrent: 8, userAgent: SignedRequests.userAgent)
        return Sweeper(
            config: config, deliverer: deliverer, logger: Logger(label: "sweep-pipeline-tests"), clock: { Self.now },
            random: ConstantRandom())
    }

    /// A sweeper with the limits of `config` in its deliverer too, as `notify-sweep` builds it.
    private func sweeper(_ config: SweepConfig) -> Sweeper {
        let deliverer = HTTPDeliverer(
            policy: config.policy, timeout: config.timeout, maxConcurrent: config.concurrency,
            maxConnectionsPerHost: config.destinationConcurrency, maxPerMerchant: config.merchantConcurrency,
            userAgent: SignedRequests.userAgent)
        return Sweeper(
            config: config, deliverer: deliverer, logger: Logger(label: "sweep-pipeline-tests"), clock: { Self.now },
            random: ConstantRandom())
    }

    /// Advances until `expected` attempts are written back, or 10 s of wall time pass.
    private func finish(_ sweeper: Sweeper, expected: Int) throws -> Int {
        let deadline = Date().addingTimeInterval(10)
        var written = 0
        while written < expected && Date() < deadline {
            written += try sweeper.advance(connection, waitMs: 50)
        }
        return written
    }

    private func value(_ sql: String, _ eventId: String) throws -> String? {
        try connection.query(Statement(TestDatabase.statementName(for: sql), sql), [eventId]).first?.optionalString("v")
    }

    @Test func claimDeliverCompleteAgainstAReceiver() throws {
        let receiver = try TestReceiver { _ in .respond(status: 204, body: "") }
        defer { receiver.stop() }
        let eventId = try #require(try fixture.queue(urls: [receiver.baseURL + "/hook"], at: Self.changedAt).first)
        let sweeper = sweeper()
        #expect(try sweeper.claim(connection) == 1)
        #expect(
            try value("SELECT lease_token::text AS v FROM deliveries WHERE event_id = $1::uuid", eventId)
                == "00000000-0000-4000-8000-000000000000")
        #expect(try finish(sweeper, expected: 1) == 1)
        #expect(sweeper.busy == 0)

        let request = try #require(receiver.requests.first)
        #expect(receiver.requests.count == 1)
        #expect(request.method == "POST" && request.path == "/hook")
        #expect(request.header("webhook-id") == eventId)
        #expect(request.header("webhook-timestamp") == "1767261602")
        let signature = try WebhookSignature(secret: QueueFixture.signingSecret)
        #expect(
            signature.verify(
                id: eventId, timestamp: 1_767_261_602, body: request.body,
                signatureHeader: request.header("webhook-signature") ?? ""))

        #expect(try value("SELECT status AS v FROM events WHERE event_id = $1::uuid", eventId) == "succeeded")
        #expect(try value("SELECT due_at::text AS v FROM deliveries WHERE event_id = $1::uuid", eventId) == nil)
        #expect(
            try value(
                "SELECT to_char(attempted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS') || ' ' || status_code AS v "
                    + "FROM attempts WHERE event_id = $1::uuid", eventId) == "2026-01-01T10:00:02 204")
    }

    @Test func aFailedAttemptIsRetriedExactlyOnSchedule() throws {
        let receiver = try TestReceiver { _ in .respond(status: 500, body: "down") }
        defer { receiver.stop() }
        let eventId = try #require(try fixture.queue(urls: [receiver.baseURL + "/hook"], at: Self.changedAt).first)
        let sweeper = sweeper()
        #expect(try sweeper.claim(connection) == 1)
        #expect(try finish(sweeper, expected: 1) == 1)
        #expect(receiver.requests.count == 1)
        #expect(try value("SELECT status AS v FROM events WHERE event_id = $1::uuid", eventId) == "pending")
        // The schedule's second attempt, with the jitter the constant random source gives, after
        // the first one finished at the sweep's clock.
        var random = ConstantRandom()
        let delay = try #require(
            RetrySchedule.default.delay(beforeAttempt: 2, random: Double.random(in: 0..<1, using: &random)))
        let expected = Timestamp.rfc3339(unixMillis: Int64((Self.now.timeIntervalSince1970 + delay) * 1000))
        #expect(
            try value(
                "SELECT to_char(due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS v FROM deliveries "
                    + "WHERE event_id = $1::uuid", eventId) == expected)
        #expect(
            try value("SELECT error || ' / ' || response_body AS v FROM attempts WHERE event_id = $1::uuid", eventId)
                == "the receiver answered HTTP 500 / down")
        #expect(try sweeper.claim(connection) == 0, "nothing is due until the retry time")
    }

    /// One merchant with many destinations: the merchant's window (32 held) fills before any
    /// destination's (8 each), so the claim takes less than it may. Once half of the merchant's
    /// deliveries have finished the sweep claims again, while a slow receiver still holds some: it
    /// does not wait for everything to finish (a sawtooth of small claims and write-backs), nor for
    /// the finished ones to be written back.
    @Test func aMerchantWhoseWindowFilledClaimsAgainOnceHalfHasFinished() throws {
        var config = config
        config.concurrency = 16
        config.destinationConcurrency = 2
        // Written back once 20 have finished (the test's clock stands still, so never by age).
        config.batchSize = 40
        #expect(config.merchantWindow == 32 && config.destinationWindow == 8)
        let fast = try (0..<7).map { _ in try TestReceiver { _ in .respond(status: 204, body: "") } }
        // The slow receiver answers once the test lets it.
        let gate = DispatchGroup()
        gate.enter()
        let slow = try TestReceiver { _ in
            _ = gate.wait(timeout: .now() + 10)
            return .respond(status: 204, body: "")
        }
        let receivers = fast + [slow]
        defer { for receiver in receivers { receiver.stop() } }
        for round in 0..<8 {
            try fixture.queue(urls: receivers.map { $0.baseURL + "/hook/\(round)" }, at: Self.changedAt)
        }
        let sweeper = sweeper(config)
        #expect(try sweeper.claim(connection) == 32, "4 of each destination's 8: the merchant's window")
        #expect(!sweeper.wantsMore, "nothing has room before deliveries finish")
        var written = try finish(sweeper, expected: 20)
        #expect(written >= 20)
        let held = sweeper.unfinished
        #expect(held >= 4 && held <= 16, "the slow receiver's 4 are still held, and at most half the window")
        #expect(sweeper.wantsMore, "half of the merchant's window is free again")
        #expect(try sweeper.claim(connection) == 32 - held, "the merchant's room: its window less what is unfinished")
        gate.leave()
        let deadline = Date().addingTimeInterval(10)
        while written < 64 && Date() < deadline {
            if sweeper.wantsMore { try sweeper.claim(connection) }
            written += try sweeper.advance(connection, waitMs: 50)
        }
        #expect(written == 64 && sweeper.busy == 0)
        #expect(receivers.allSatisfy { $0.requests.count == 8 })
    }

    /// A claim shares a merchant's room over its destinations; when one of them gave its whole share
    /// and the merchant has room left, the sweep claims again at once rather than waiting for what it
    /// holds to finish.
    @Test func aDestinationCutToItsShareIsClaimedAgainAtOnce() throws {
        var config = config
        config.concurrency = 16
        config.destinationConcurrency = 2
        config.batchSize = 40
        let receivers = try (0..<8).map { _ in try TestReceiver { _ in .respond(status: 204, body: "") } }
        defer { for receiver in receivers { receiver.stop() } }
        try fixture.queue(urls: receivers.map { $0.baseURL + "/hook" }, at: Self.changedAt)
        for round in 0..<12 {
            try fixture.queue(urls: [receivers[0].baseURL + "/more/\(round)"], at: Self.changedAt)
        }
        let sweeper = sweeper(config)
        #expect(try sweeper.claim(connection) == 4 + 7, "the busy destination's share of 32 over 8, one of each other")
        #expect(sweeper.wantsMore, "the busy destination has more due and the merchant has room")
        var written = 0
        let deadline = Date().addingTimeInterval(10)
        while written < 20 && Date() < deadline {
            if sweeper.wantsMore { try sweeper.claim(connection) }
            written += try sweeper.advance(connection, waitMs: 50)
        }
        #expect(written == 20 && sweeper.busy == 0)
        #expect(receivers[0].requests.count == 13)
    }

    /// `claimAhead` makes the claim on the sweep's database thread; `advance` starts what it took,
    /// and the delivery is written back as with `claim`.
    @Test func aClaimAheadIsStartedByAdvance() throws {
        let receiver = try TestReceiver { _ in .respond(status: 204, body: "") }
        defer { receiver.stop() }
        let eventId = try #require(try fixture.queue(urls: [receiver.baseURL + "/hook"], at: Self.changedAt).first)
        let sweeper = sweeper()
        sweeper.claimAhead()
        #expect(sweeper.isClaiming && !sweeper.wantsMore, "one claim at a time")
        let deadline = Date().addingTimeInterval(10)
        var written = 0
        while written < 1 && Date() < deadline {
            written += try sweeper.advance(connection, waitMs: 50)
        }
        #expect(written == 1 && sweeper.busy == 0 && !sweeper.isClaiming && sweeper.lastClaimed == 1)
        #expect(receiver.requests.first?.header("webhook-id") == eventId)
        #expect(try value("SELECT status AS v FROM events WHERE event_id = $1::uuid", eventId) == "succeeded")
    }
}
