import NotifyFoundation
import Testing

@testable import NotifyDomain

@Suite("Bulk recover requests, durations and RFC 3339 parsing")
struct RecoverRequestTests {
    let now: Int64 = 1_765_000_000_000

    @Test func defaultsAreFailedEventsUntilNow() throws {
        let request = try RecoverRequest(json: ["since": .string("2025-12-01T00:00:00Z")], nowMillis: now)
        #expect(request.sinceMillis == 1_764_547_200_000)
        #expect(request.untilMillis == now)
        #expect(request.status == "failed")
        #expect(request.orderId == nil && request.destinationId == nil)
    }

    @Test func filtersAreKept() throws {
        let request = try RecoverRequest(
            json: [
                "since": .string("2025-12-05T00:00:00+01:00"), "until": .string("2025-12-06T00:00:00.5Z"),
                "status": .string("pending"), "orderId": .string("0191E2A4-0000-7000-8000-000000000001"),
                "channel": .string("web"), "adapterId": .string("erp"), "scope": .string("state.completed"),
                "destinationId": .string("5b3c0a52-1111-3222-8333-444455556666"),
            ], nowMillis: now)
        #expect(request.sinceMillis == 1_764_889_200_000)
        #expect(request.untilMillis == 1_764_979_200_500)
        #expect(request.orderId == "0191e2a4-0000-7000-8000-000000000001")
        #expect(request.channel == "web" && request.adapterId == "erp" && request.scope == "state.completed")
    }

    @Test(
        arguments: [
            ([:], "since"),
            (["since": JSON.string("yesterday")], "since"),
            (["since": .number(1)], "since"),
            (["since": .string("2025-11-01T00:00:00Z")], "since"),
            (["since": .string("2025-12-05T00:00:00Z"), "until": .string("2025-12-04T00:00:00Z")], "until"),
            (["since": .string("2025-12-05T00:00:00Z"), "status": .string("lost")], "status"),
            (["since": .string("2025-12-05T00:00:00Z"), "orderId": .string("nope")], "orderId"),
            (["since": .string("2025-12-05T00:00:00Z"), "destinationId": .bool(true)], "destinationId"),
            (["since": .string("2025-12-05T00:00:00Z"), "channel": .string("")], "channel"),
            (["since": .string("2025-12-05T00:00:00Z"), "extra": .null], "extra"),
        ] as [([String: JSON], String)])
    func badRequestsNameTheirField(body: [String: JSON], field: String) {
        #expect(throws: ValidationError.self) { try RecoverRequest(json: body, nowMillis: now) }
        do {
            _ = try RecoverRequest(json: body, nowMillis: now)
        } catch {
            #expect(error.field == field)
        }
    }

    @Test func theWindowIsAtMostFourteenDays() throws {
        let body: [String: JSON] = [
            "since": .string("2025-11-01T00:00:00Z"), "until": .string("2025-11-15T00:00:00Z"),
        ]
        #expect(try RecoverRequest(json: body, nowMillis: now).untilMillis == 1_763_164_800_000)
        var longer = body
        longer["until"] = .string("2025-11-15T00:00:00.001Z")
        #expect(throws: ValidationError.self) { try RecoverRequest(json: longer, nowMillis: now) }
    }

    @Test(arguments: [
        ("1970-01-01T00:00:00Z", Int64(0)), ("2026-11-26T02:15:00.944Z", 1_795_659_300_944),
        ("2026-11-26t02:15:00z", 1_795_659_300_000), ("2026-11-26T03:15:00+01:00", 1_795_659_300_000),
        ("2026-11-26T02:15:00.123456Z", 1_795_659_300_123), ("2000-02-29T12:00:00-00:30", 951_827_400_000),
    ])
    func rfc3339Parses(text: String, millis: Int64) {
        #expect(Timestamp.unixMillis(rfc3339: text) == millis)
        #expect(Timestamp.unixMillis(rfc3339: Timestamp.rfc3339(unixMillis: millis)) == millis)
    }

    @Test(arguments: [
        "", "2026-11-26", "2026-11-26T02:15:00", "2026-13-01T00:00:00Z", "2026-11-26T24:00:00Z",
        "2026-11-26T02:15:00.Z", "2026-11-26T02:15:00+0100", "2026-11-26 02:15:00Z", "２０２６-11-26T02:15:00Z",
    ])
    func rfc3339Refuses(text: String) {
        #expect(Timestamp.unixMillis(rfc3339: text) == nil)
    }

    @Test(arguments: [
        ("30", 30.0), ("30s", 30), ("5m", 300), ("2h", 7200), ("5d", 432_000), (" 1.5 ", 1.5), ("0", 0),
    ])
    func durations(text: String, seconds: Double) {
        #expect(DurationText.seconds(text) == seconds)
    }

    @Test(arguments: ["", "d", "-1", "5w", "1e3", "five", "5 d"])
    func badDurations(text: String) {
        #expect(DurationText.seconds(text) == nil)
    }
}
