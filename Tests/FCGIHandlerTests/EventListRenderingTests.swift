import Foundation
import NotifyDomain
import NotifyFoundation
import NotifyStore
import NotifyTestSupport
import Testing

@testable import FCGIHandler

/// The event list is rendered by PostgreSQL and checks the token in its own statement: its bytes
/// must be those the serializer writes for the same events (the event detail is still rendered as a
/// tree), and refused credentials must get the answers of a separate check, before any other.
@Suite(.enabled(if: TestDatabase.isConfigured), .usesTheCluster)
struct EventListRenderingTests {
    static let events = NotificationAPITests.events
    let api: APIHarness
    let orderId: String

    /// An order whose notification has secret and plain headers and a URL with secret query values,
    /// fired once, with attempts whose texts need every kind of escaping.
    init() throws {
        api = try APIHarness()
        orderId = try api.orderFiredOnProcessing(
            notification: #"""
                {"url": "http://127.0.0.1:9/hook?token=abc&x=1&a%75th=z&flag&empty_key=",
                 "method": "PUT",
                 "headers": {"Authorization": "Bearer s3cret", "X-Api-Key": "k", "X-Plain": "a \"quoted\" \\ value\twith tab é ✓",
                             "Zeta": "last", "a-lower": "first"},
                 "scope": {"state": ["processing"]}}
                """#)
        try api.connection.executeScript(
            #"""
            INSERT INTO attempts (merchant, event_id, attempt_id, attempted_at, status_code, response_body, duration_ms,
                                  error, trigger)
            SELECT merchant, event_id, gen_random_uuid(), created_at + n * interval '1 second',
                   CASE WHEN n % 2 = 0 THEN 500 END,
                   CASE WHEN n % 2 = 0 THEN E'line\nbreak "quote" back\\slash \u0001 ctrl \u007f é 😀' END,
                   n * 7, CASE WHEN n % 2 = 1 THEN 'refused: "no"' END, CASE WHEN n = 3 THEN 'manual' ELSE 'automatic' END
            FROM events, generate_series(1, 4) AS n WHERE order_id = '\#(orderId)';
            UPDATE events SET attempt_count = 4, last_attempt_at = created_at + interval '4 seconds',
                              last_status_code = 500, last_response_body = E'tail "body"\n', error = 'the receiver answered HTTP 500'
            WHERE order_id = '\#(orderId)';
            """#, name: "attempts fixture")
    }

    @Test func theListIsByteForByteWhatTheSerializerWritesForTheEvents() throws {
        let page = api.send("GET", Self.events, query: "orderId=" + orderId)
        #expect(page.status == 200)
        let event = try #require(page.json?["data"]?.arrayValue?.first)
        let id = try #require(event["id"]?.stringValue)
        let detail = try #require(api.send("GET", Self.events + "/" + id).json)
        let expected = JSON.object([
            "data": .array([detail]),
            "pagination": .object([
                "offset": .number(0), "limit": .number(10), "size": .number(1), "totalSize": .number(1),
            ]),
        ])
        #expect(page.text == expected.serialized())
        #expect(detail["attempts"]?.arrayValue?.count == 4)
        let request = try #require(detail["request"])
        #expect(request["url"]?.stringValue == "http://127.0.0.1:9/hook?token=***&x=1&a%75th=***&flag&empty_key=")
        #expect(request["headers"]?["Authorization"]?.stringValue == "***")
        #expect(request["headers"]?["X-Api-Key"]?.stringValue == "***")
        #expect(request["headers"]?["X-Plain"]?.stringValue == "a \"quoted\" \\ value\twith tab é ✓")
    }

    @Test func emptyPagesAndPagesPastTheEndKeepTheirTotal() {
        let none = api.send("GET", Self.events, query: "status=succeeded")
        #expect(none.text == #"{"data":[],"pagination":{"limit":10,"offset":0,"size":0,"totalSize":0}}"#)
        let past = api.send("GET", Self.events, query: "offset=5")
        #expect(past.text == #"{"data":[],"pagination":{"limit":10,"offset":5,"size":0,"totalSize":1}}"#)
    }

    @Test func refusedCredentialsAnswerBeforeBadInput() throws {
        let unknown = "Bearer " + APIToken.make(randomBytes: Array(repeating: 7, count: 32))
        let badInput = api.send(
            "GET", Self.events, query: "orderId=nope",
            headers: ["X-Merchant": APIHarness.merchant, "Authorization": unknown], as: nil)
        #expect(badInput.isProblem(401))
        #expect(badInput.json?["detail"]?.stringValue == "the bearer token is unknown")
        #expect(api.send("GET", Self.events, query: "orderId=nope").isProblem(400))
        let foreign = api.send(
            "GET", Self.events, query: "orderId=" + orderId,
            headers: ["X-Merchant": APIHarness.merchant, "Authorization": "Bearer " + APIHarness.otherToken], as: nil)
        #expect(foreign.isProblem(403))
        #expect(api.send("GET", Self.events, query: "orderId=" + orderId).status == 200)
        #expect(
            try MerchantStore(connection: api.connection).revokeToken(tokenHash: APIToken.sha256Hex(APIHarness.token)))
        let revoked = api.send("GET", Self.events, query: "orderId=" + orderId)
        #expect(revoked.isProblem(401))
        #expect(revoked.json?["detail"]?.stringValue == "the bearer token has been revoked")
    }
}
