import NotifyDomain
import NotifyStore
import NotifyTestSupport
import Testing

@testable import FCGIHandler

/// What every request goes through before its handler: the router (404, 405 with `Allow`), the
/// authenticator (400 without `X-Merchant`, 401, 403) and the one problem+json rendering of errors.
@Suite(.enabled(if: TestDatabase.isConfigured), .usesTheCluster)
struct RoutingAndAuthTests {
    let api: APIHarness

    init() throws {
        api = try APIHarness()
    }

    @Test func unknownPathIsA404Problem() {
        let reply = api.send("GET", "/api/v0/nothing/here")
        #expect(reply.isProblem(404))
        #expect(reply.json?["detail"]?.stringValue == "no resource at /api/v0/nothing/here")
    }

    @Test func knownPathWithAnotherMethodIsA405WithAllow() {
        let reply = api.send("DELETE", "/api/v0/checkout/orders")
        #expect(reply.isProblem(405))
        #expect(reply.header("Allow") == "POST")
        let order = api.send("POST", "/api/v0/checkout/orders/0190f0e0-0000-7000-8000-000000000001")
        #expect(order.isProblem(405))
        #expect(order.header("Allow") == "GET, PATCH, DELETE")
    }

    @Test func missingMerchantIsA400NamingTheHeader() {
        let reply = api.send(
            "GET", "/api/v0/checkout/notifications/events", headers: ["Authorization": "Bearer " + APIHarness.token],
            as: nil)
        #expect(reply.isProblem(400))
        #expect(reply.json?["field"]?.stringValue == "X-Merchant")
    }

    @Test(arguments: [
        nil, "Basic abc", "Bearer not-a-token", "Bearer " + APIToken.make(randomBytes: Array(repeating: 9, count: 32)),
    ])
    func missingMalformedOrUnknownTokenIsA401(authorization: String?) {
        var headers = ["X-Merchant": APIHarness.merchant]
        if let authorization { headers["Authorization"] = authorization }
        let reply = api.send("GET", "/api/v0/checkout/notifications/events", headers: headers, as: nil)
        #expect(reply.isProblem(401))
        #expect(reply.header("WWW-Authenticate") == "Bearer")
    }

    @Test func revokedTokenIsA401() throws {
        #expect(
            try MerchantStore(connection: api.connection).revokeToken(tokenHash: APIToken.sha256Hex(APIHarness.token)))
        let reply = api.send("GET", "/api/v0/checkout/notifications/events")
        #expect(reply.isProblem(401))
        #expect(reply.json?["detail"]?.stringValue == "the bearer token has been revoked")
    }

    @Test func anotherMerchantsTokenIsA403() {
        let reply = api.send(
            "GET", "/api/v0/checkout/notifications/events",
            headers: ["X-Merchant": APIHarness.merchant, "Authorization": "Bearer " + APIHarness.otherToken], as: nil)
        #expect(reply.isProblem(403))
    }

    @Test func openRoutesNeedNoCredentials() {
        let health = api.send("GET", "/healthz", as: nil)
        #expect(health.status == 200)
        #expect(health.json == .object(["status": .string("ok"), "database": .string("ok")]))
        let metrics = api.send("GET", "/metrics", as: nil)
        #expect(metrics.status == 200)
        #expect(metrics.header("Content-Type") == "text/plain; version=0.0.4")
        #expect(metrics.text.contains("notify_events{status=\"pending\"} 0"))
        #expect(metrics.text.contains("# TYPE notify_due_backlog gauge"))
    }

    @Test func badBodiesAreProblemsNamingWhatIsWrong() {
        let malformed = api.send("POST", "/api/v0/checkout/orders", json: "{", headers: ["X-Channel": "web"])
        #expect(malformed.isProblem(400))
        let wrongType = api.send(
            "POST", "/api/v0/checkout/orders", json: "{}", headers: ["X-Channel": "web", "Content-Type": "text/plain"])
        #expect(wrongType.isProblem(415))
        let noChannel = api.send("POST", "/api/v0/checkout/orders", json: "{}")
        #expect(noChannel.isProblem(400))
        #expect(noChannel.json?["field"]?.stringValue == "X-Channel")
        let badStatus = api.send("GET", "/api/v0/checkout/notifications/events", query: "status=lost")
        #expect(badStatus.isProblem(400))
        #expect(badStatus.json?["field"]?.stringValue == "status")
        let badLimit = api.send("GET", "/api/v0/checkout/notifications/destinations", query: "limit=0")
        #expect(badLimit.isProblem(400))
        #expect(badLimit.json?["field"]?.stringValue == "limit")
    }
}
