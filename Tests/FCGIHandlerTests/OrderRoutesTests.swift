import NotifyFoundation
import NotifyStore
import NotifyTestSupport
import Testing

@testable import FCGIHandler

/// The order family: create, read, merge-patch, move, delete, and the notifications registered on
/// an order; another merchant's order is a 404 like an unknown one.
@Suite(.enabled(if: TestDatabase.isConfigured), .usesTheCluster)
struct OrderRoutesTests {
    static let orders = "/api/v0/checkout/orders"
    let api: APIHarness

    init() throws {
        api = try APIHarness()
    }

    @Test func createThenGetReturnsTheSameOrder() throws {
        let created = api.send("POST", Self.orders, json: #"{"reference": "r-1"}"#, headers: ["X-Channel": "web"])
        #expect(created.status == 201)
        let id = try #require(created.json?["id"]?.stringValue)
        #expect(UUIDFormat.isValid(id))
        #expect(created.header("Location") == Self.orders + "/" + id)
        #expect(created.json?["state"]?["currentStatus"]?.stringValue == "checkout")
        #expect(created.json?["created"]?.stringValue == "2026-01-01T10:00:00.000Z")
        let read = api.send("GET", Self.orders + "/" + id)
        #expect(read.status == 200)
        #expect(read.json == created.json)
        #expect(api.send("GET", Self.orders + "/" + id, as: APIHarness.otherMerchant).isProblem(404))
        #expect(api.send("GET", Self.orders + "/not-a-uuid").isProblem(404))
    }

    @Test func patchMergesAndRefusesUnknownFields() throws {
        let id = try api.createOrder()
        let patched = api.send("PATCH", Self.orders + "/" + id, json: #"{"reference": "r-2"}"#)
        #expect(patched.status == 200)
        #expect(patched.json?["reference"]?.stringValue == "r-2")
        #expect(api.send("GET", Self.orders + "/" + id).json?["reference"]?.stringValue == "r-2")
        let unknown = api.send("PATCH", Self.orders + "/" + id, json: #"{"noSuchField": 1}"#)
        #expect(unknown.isProblem(400))
        #expect(unknown.json?["field"]?.stringValue == "noSuchField")
    }

    @Test func stateMovesAlongAllowedTransitionsOnly() throws {
        let id = try api.createOrder()
        let moved = api.send("PUT", Self.orders + "/" + id + "/state", json: #"{"currentStatus": "processing"}"#)
        #expect(moved.status == 200)
        #expect(moved.json?["state"]?["currentStatus"]?.stringValue == "processing")
        #expect(moved.json?["state"]?["transitions"]?.arrayValue?.count == 2)
        let illegal = api.send("PUT", Self.orders + "/" + id + "/state", json: #"{"currentStatus": "completed"}"#)
        #expect(illegal.isProblem(409))
        let unknown = api.send("PUT", Self.orders + "/" + id + "/state", json: #"{"currentStatus": "lost"}"#)
        #expect(unknown.isProblem(400))
        #expect(unknown.json?["field"]?.stringValue == "currentStatus")
    }

    @Test func deleteRemovesTheOrderForItsMerchantOnly() throws {
        let id = try api.createOrder()
        #expect(api.send("DELETE", Self.orders + "/" + id, as: APIHarness.otherMerchant).isProblem(404))
        #expect(api.send("DELETE", Self.orders + "/" + id).status == 204)
        #expect(api.send("GET", Self.orders + "/" + id).isProblem(404))
        #expect(api.send("DELETE", Self.orders + "/" + id).isProblem(404))
    }

    @Test func notificationsAreRegisteredListedRedactedAndRemoved() throws {
        let id = try api.createOrder()
        let path = Self.orders + "/" + id + "/notifications"
        let registered = api.send(
            "POST", path,
            json: #"""
                {"url": "http://127.0.0.1:9/hook", "scope": {"state": ["processing"]},
                 "headers": {"Authorization": "Bearer receiver-secret"}}
                """#)
        #expect(registered.status == 201)
        let notificationId = try #require(registered.json?["id"]?.stringValue)
        #expect(registered.header("Location") == path + "/" + notificationId)
        #expect(!registered.text.contains("receiver-secret"))
        let listed = api.send("GET", path)
        #expect(listed.status == 200)
        #expect(listed.json?.arrayValue?.compactMap { $0["id"]?.stringValue } == [notificationId])
        #expect(!listed.text.contains("receiver-secret"))
        #expect(
            api.send("POST", path, json: #"{"url": "ftp://127.0.0.1/x", "scope": {"payment": true}}"#).isProblem(400))
        #expect(api.send("DELETE", path + "/" + notificationId).status == 204)
        #expect(api.send("DELETE", path + "/" + notificationId).isProblem(404))
        #expect(api.send("GET", path).json == .array([]))
    }

    @Test func aChangeTheScopeMatchesRecordsOneEventWithItsDelivery() throws {
        let id = try api.createOrder()
        let path = Self.orders + "/" + id
        let registered = api.send(
            "POST", path + "/notifications",
            json: #"{"url": "http://127.0.0.1:9/hook", "scope": {"state": ["processing"]}}"#)
        #expect(registered.status == 201)
        #expect(api.send("PATCH", path, json: #"{"reference": "not in scope"}"#).status == 200)
        #expect(try count("events") == 0)
        #expect(api.send("PUT", path + "/state", json: #"{"currentStatus": "processing"}"#).status == 200)
        #expect(try count("events") == 1)
        #expect(try count("deliveries") == 1)
    }

    private func count(_ table: String) throws -> Int {
        let statement = Statement("count_\(table)", "SELECT count(*) AS n FROM \(table)")
        return try api.connection.query(statement).first?.int("n") ?? -1
    }
}
