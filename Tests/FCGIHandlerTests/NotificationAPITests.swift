import Foundation
import NotifyFoundation
import NotifyStore
import NotifyTestSupport
import Testing

@testable import FCGIHandler

/// The Notification API over one recorded event: events list/get/retry/recover, the destination it
/// goes to (list/get/pause/resume), the dashboard's stats, and channel configurations.
@Suite(.enabled(if: TestDatabase.isConfigured), .usesTheCluster)
struct NotificationAPITests {
    static let events = "/api/v0/checkout/notifications/events"
    static let destinations = "/api/v0/checkout/notifications/destinations"
    let api: APIHarness
    let orderId: String

    /// An order with one notification whose scope the move to `processing` fires: one pending event.
    init() throws {
        api = try APIHarness()
        orderId = try api.orderFiredOnProcessing(
            notification: #"{"url": "http://127.0.0.1:9/hook", "scope": {"state": ["processing"]}}"#)
    }

    @Test func eventsAreListedFilteredAndReadOneByOne() throws {
        let page = api.send("GET", Self.events, query: "orderId=" + orderId)
        #expect(page.status == 200)
        #expect(page.json?["pagination"]?["totalSize"]?.numberValue == 1)
        let event = try #require(page.json?["data"]?.arrayValue?.first)
        #expect(event["orderId"]?.stringValue == orderId)
        #expect(event["status"]?.stringValue == "pending")
        let id = try #require(event["id"]?.stringValue)
        let one = api.send("GET", Self.events + "/" + id)
        #expect(one.status == 200)
        #expect(one.json?["id"]?.stringValue == id)
        #expect(one.json?["attempts"]?.arrayValue == [])
        #expect(api.send("GET", Self.events, query: "status=succeeded").json?["data"]?.arrayValue == [])
        #expect(api.send("GET", "/api/v1/events", query: "order_id=" + orderId).json?["data"]?.arrayValue?.count == 1)
        #expect(api.send("GET", Self.events + "/" + id, as: APIHarness.otherMerchant).isProblem(404))
        #expect(api.send("GET", Self.events, as: APIHarness.otherMerchant).json?["data"]?.arrayValue == [])
    }

    @Test func retryAndRecoverQueueManualAttempts() throws {
        let id = try eventId()
        let retried = api.send("POST", Self.events + "/" + id + "/retry")
        #expect(retried.status == 202)
        #expect(retried.json?["id"]?.stringValue == id)
        #expect(api.send("POST", Self.events + "/0190f0e0-0000-7000-8000-000000000001/retry").isProblem(404))
        let later = Date().addingTimeInterval(60)
        let since = Timestamp.rfc3339(unixMillis: Int64(later.timeIntervalSince1970 - 3600) * 1000)
        let recovered = api.send(
            "POST", Self.events + "/retry", json: #"{"since": "\#(since)", "status": "pending"}"#, at: later)
        #expect(recovered.status == 202)
        #expect(recovered.json == .object(["queued": .number(1), "more": .bool(false)]))
        let missingSince = api.send("POST", Self.events + "/retry", json: "{}")
        #expect(missingSince.isProblem(400))
        #expect(missingSince.json?["field"]?.stringValue == "since")
    }

    @Test func theEventsDestinationIsListedPausedAndResumed() throws {
        let page = api.send("GET", Self.destinations)
        #expect(page.status == 200)
        let destination = try #require(page.json?["data"]?.arrayValue?.first)
        #expect(page.json?["pagination"]?["totalSize"]?.numberValue == 1)
        let id = try #require(destination["id"]?.stringValue)
        #expect(api.send("GET", Self.events + "/" + (try eventId())).json?["destinationId"]?.stringValue == id)
        #expect(api.send("GET", Self.destinations + "/" + id).json?["status"]?.stringValue == "healthy")
        let paused = api.send("POST", Self.destinations + "/" + id + "/pause")
        #expect(paused.status == 200)
        #expect(paused.json?["status"]?.stringValue == "paused")
        #expect(api.send("GET", Self.destinations, query: "status=paused").json?["data"]?.arrayValue?.count == 1)
        let resumed = api.send("POST", Self.destinations + "/" + id + "/resume")
        #expect(resumed.status == 200)
        #expect(resumed.json?["status"]?.stringValue == "healthy")
        #expect(api.send("GET", Self.destinations + "/" + id, as: APIHarness.otherMerchant).isProblem(404))
        #expect(api.send("POST", Self.destinations + "/" + id + "/pause", as: APIHarness.otherMerchant).isProblem(404))
    }

    @Test func statsShowTheDueBacklog() {
        let later = Date().addingTimeInterval(60)
        let stats = api.send("GET", "/api/v0/checkout/notifications/stats", at: later)
        #expect(stats.status == 200)
        #expect(stats.json?["now"]?.stringValue == Identifiers(now: later).timestamp)
        #expect(stats.json?["minutes"]?.arrayValue?.count == 60)
        #expect(stats.json?["dueBacklog"]?.numberValue == 1)
        let metrics = api.send("GET", "/metrics", as: nil)
        #expect(metrics.text.contains("notify_events{status=\"pending\"} 1"))
    }

    @Test func configurationsArePutReadAndDeletedForTheirOwnMerchantOnly() throws {
        let path = "/api/v1/configuration/merchants/\(APIHarness.merchant)/channels/web/configurations/c1"
        let body = #"{"order": {"notifications": [{"url": "http://127.0.0.1:9/c", "scope": {"payment": true}}]}}"#
        let created = api.send("PUT", path, json: body)
        #expect(created.status == 201)
        #expect(created.json?["id"]?.stringValue == "c1")
        #expect(created.json?["active"]?.boolValue == true)
        #expect(api.send("PUT", path, json: body).status == 200)
        #expect(api.send("GET", path).json == created.json)
        let newOrder = api.send("GET", OrderRoutesTests.orders + "/" + (try api.createOrder()) + "/notifications")
        #expect(newOrder.json?.arrayValue?.count == 1)
        #expect(api.send("GET", path, as: APIHarness.otherMerchant).isProblem(403))
        let bad = api.send("PUT", path, json: #"{"active": "yes"}"#)
        #expect(bad.isProblem(400))
        #expect(bad.json?["field"]?.stringValue == "active")
        #expect(api.send("DELETE", path).status == 204)
        #expect(api.send("GET", path).isProblem(404))
    }

    private func eventId() throws -> String {
        let page = api.send("GET", Self.events, query: "orderId=" + orderId)
        return try #require(page.json?["data"]?.arrayValue?.first?["id"]?.stringValue)
    }
}
