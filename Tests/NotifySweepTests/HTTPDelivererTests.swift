import Foundation
import NotifyDomain
import NotifyFoundation
import Testing

@testable import NotifySweep

/// The delivery engine against real receivers on loopback: what arrives, what is recorded for
/// every kind of failure, the connect-time address policy and connection reuse.
@Suite("HTTPDeliverer against loopback receivers")
struct HTTPDelivererTests {
    /// Only 127.0.0.1 is permitted, as in the dev and test setups.
    /// (Falls back to the default policy, which refuses loopback, so a parse failure fails loudly.)
    static let loopbackOnly = (try? AddressPolicy.parse(allowList: "127.0.0.1/32")) ?? AddressPolicy()

    static func deliverer(timeout: Double = 5, policy: AddressPolicy = loopbackOnly) -> HTTPDeliverer {
        HTTPDeliverer(policy: policy, timeout: timeout, maxConcurrent: 64, userAgent: "notify-test/1")
    }

    static func deliverOne(_ request: DeliveryRequest, timeout: Double = 5, policy: AddressPolicy = loopbackOnly)
        throws -> DeliveryOutcome
    {
        let outcomes = deliverer(timeout: timeout, policy: policy).deliver([request])
        return try #require(outcomes.first)
    }

    @Test func postArrivesWithExactBodyAndHeaders() throws {
        let receiver = try TestReceiver { _ in .respond(status: 200, body: "thanks") }
        defer { receiver.stop() }
        let body = Array(#"{"event":{"id":"e1"},"order":{"total":"12.50 €"}}"#.utf8)
        let headers = [
            (name: "Content-Type", value: "application/json"), (name: "webhook-id", value: "evt_1"),
            (name: "X-Custom", value: "a b, c"), (name: "X-Empty", value: ""),
        ]
        let request = DeliveryRequest(
            id: "d1", method: "POST", url: receiver.baseURL + "/hooks/orders?x=1", headers: headers, body: body)

        let outcome = try Self.deliverOne(request)

        let expected = DeliveryOutcome(
            id: "d1", statusCode: 200, responseBody: "thanks", durationMs: outcome.durationMs)
        #expect(outcome == expected)
        #expect(outcome.succeeded)
        #expect(outcome.durationMs >= 0 && outcome.durationMs < 5000)
        let received = try #require(receiver.requests.first)
        #expect(receiver.requests.count == 1)
        #expect(received.method == "POST")
        #expect(received.path == "/hooks/orders?x=1")
        #expect(received.body == body)
        for header in headers {
            #expect(received.header(header.name) == header.value)
        }
        #expect(received.header("User-Agent") == "notify-test/1")
        #expect(received.header("Content-Length") == String(body.count))
        #expect(received.header("Expect") == nil)
    }

    @Test func putPatchAndGetUseTheirMethods() throws {
        let receiver = try TestReceiver { _ in .respond(status: 204, body: "") }
        defer { receiver.stop() }
        let requests = ["PUT", "PATCH", "GET"].map { method in
            DeliveryRequest(id: method, method: method, url: receiver.baseURL + "/m", body: Array("{}".utf8))
        }

        let outcomes = Self.deliverer().deliver(requests)

        #expect(outcomes.map(\.id) == ["PUT", "PATCH", "GET"])
        #expect(outcomes.allSatisfy { $0.succeeded && $0.statusCode == 204 })
        let byMethod = Dictionary(receiver.requests.map { ($0.method, $0) }, uniquingKeysWith: { first, _ in first })
        #expect(byMethod["PUT"]?.body == Array("{}".utf8))
        #expect(byMethod["PATCH"]?.body == Array("{}".utf8))
        #expect(byMethod["GET"]?.body == [])
        #expect(byMethod["GET"]?.header("Content-Length") == nil)
        // No invented form content type when the caller gave none.
        #expect(byMethod["PUT"]?.header("Content-Type") == nil)
    }

    @Test func serverErrorIsAFailureWithStatusAndBody() throws {
        let receiver = try TestReceiver { _ in .respond(status: 500, body: "database on fire") }
        defer { receiver.stop() }

        let outcome = try Self.deliverOne(DeliveryRequest(id: "d", method: "POST", url: receiver.baseURL + "/"))

        #expect(!outcome.succeeded)
        #expect(outcome.statusCode == 500)
        #expect(outcome.responseBody == "database on fire")
        #expect(outcome.error == nil)
        #expect(!outcome.permanent)
    }

    @Test func redirectIsAFailureAndNotFollowed() throws {
        let receiver = try TestReceiver { request in
            request.path == "/start" ? .redirect(to: "/elsewhere") : .respond(status: 200, body: "followed")
        }
        defer { receiver.stop() }

        let outcome = try Self.deliverOne(DeliveryRequest(id: "d", method: "POST", url: receiver.baseURL + "/start"))

        #expect(!outcome.succeeded)
        #expect(outcome.statusCode == 302)
        #expect(!outcome.permanent)
        #expect(receiver.requests.map(\.path) == ["/start"])
    }

    @Test func largeResponseIsCutAt64KiB() throws {
        let receiver = try TestReceiver { _ in .largeBody(bytes: 1024 * 1024) }
        defer { receiver.stop() }

        let outcome = try Self.deliverOne(DeliveryRequest(id: "d", method: "POST", url: receiver.baseURL + "/big"))

        #expect(!outcome.succeeded)
        #expect(outcome.statusCode == 200)
        #expect(outcome.responseBody.utf8.count == 65_536)
        #expect(outcome.responseBody.utf8.allSatisfy { $0 == UInt8(ascii: "x") })
        #expect(outcome.error == "response body exceeds 64 KiB; transfer cut")
        #expect(!outcome.permanent)
    }

    @Test func hangingReceiverIsCutAtTheTimeout() throws {
        let receiver = try TestReceiver { _ in .hang }
        defer { receiver.stop() }
        let started = ContinuousClock.now

        let outcome = try Self.deliverOne(
            DeliveryRequest(id: "d", method: "POST", url: receiver.baseURL + "/slow"), timeout: 1)

        let elapsed = ContinuousClock.now - started
        #expect(elapsed < .seconds(3))
        #expect(!outcome.succeeded)
        #expect(outcome.statusCode == nil)
        #expect(outcome.error?.hasPrefix("Timeout was reached") == true)
        #expect(outcome.durationMs >= 900 && outcome.durationMs < 3000)
        #expect(!outcome.permanent)
        #expect(receiver.requests.count == 1)
    }

    @Test func refusedConnectionIsARetryableError() throws {
        let port = try TestReceiver.closedPort()

        let outcome = try Self.deliverOne(DeliveryRequest(id: "d", method: "POST", url: "http://127.0.0.1:\(port)/"))

        #expect(!outcome.succeeded)
        #expect(outcome.statusCode == nil)
        #expect(outcome.error?.hasPrefix("Couldn't connect to server") == true)
        #expect(!outcome.permanent)
    }

    @Test func policyRefusesAtConnectTimeWithoutConnecting() throws {
        // The one use of 127.0.0.2: a receiver that must never see a connection.
        let receiver = try TestReceiver(host: "127.0.0.2") { _ in .respond(status: 200, body: "should not happen") }
        defer { receiver.stop() }
        let expected = Self.loopbackOnly.permits(try #require(IPAddress("127.0.0.2")))
        guard case .refused(let reason) = expected else {
            Issue.record("127.0.0.2 should be refused by the policy")
            return
        }

        let outcome = try Self.deliverOne(DeliveryRequest(id: "d", method: "POST", url: receiver.baseURL + "/"))

        #expect(
            outcome
                == DeliveryOutcome(
                    id: "d", durationMs: outcome.durationMs, error: "target address not allowed", permanent: true,
                    refusal: reason))
        #expect(reason.contains("127.0.0.2"))
        usleep(100_000)
        #expect(receiver.acceptedConnections == 0)
        #expect(receiver.requests.isEmpty)
    }

    @Test func defaultPolicyRefusesLoopbackResolvedFromAName() throws {
        let receiver = try TestReceiver { _ in .respond(status: 200, body: "should not happen") }
        defer { receiver.stop() }

        let outcome = try Self.deliverOne(
            DeliveryRequest(id: "d", method: "POST", url: "http://localhost:\(receiver.port)/"), policy: AddressPolicy()
        )

        #expect(outcome.permanent)
        #expect(outcome.statusCode == nil)
        #expect(outcome.error == "target address not allowed")
        #expect(outcome.refusal?.contains("loopback address") == true)
        usleep(100_000)
        #expect(receiver.acceptedConnections == 0)
    }

    @Test func nameResolvingToAnAllowedAddressIsDelivered() throws {
        let receiver = try TestReceiver { _ in .respond(status: 200, body: "ok") }
        defer { receiver.stop() }

        let outcome = try Self.deliverOne(
            DeliveryRequest(id: "d", method: "POST", url: "http://localhost:\(receiver.port)/"))

        #expect(outcome.succeeded)
        #expect(receiver.requests.count == 1)
    }

    @Test func malformedRequestsFailPermanentlyWithoutConnecting() throws {
        let receiver = try TestReceiver { _ in .respond(status: 200, body: "ok") }
        defer { receiver.stop() }
        let requests = [
            DeliveryRequest(id: "header", method: "POST", url: receiver.baseURL, headers: [("X-A", "1\r\nX-B: 2")]),
            DeliveryRequest(id: "method", method: "PO ST", url: receiver.baseURL),
            DeliveryRequest(id: "scheme", method: "POST", url: "ftp://127.0.0.1:\(receiver.port)/"),
        ]

        let outcomes = Self.deliverer().deliver(requests)

        #expect(outcomes.map(\.id) == ["header", "method", "scheme"])
        #expect(outcomes.allSatisfy { $0.permanent && !$0.succeeded && $0.error != nil })
        #expect(outcomes[0].error == "invalid request header 'X-A'")
        usleep(100_000)
        #expect(receiver.acceptedConnections == 0)
    }

    @Test func manyAtOnceReuseFewConnectionsAcrossCalls() throws {
        let receiver = try TestReceiver { request in
            .delay(seconds: 0.01, then: .respond(status: 200, body: "ok \(request.path)"))
        }
        defer { receiver.stop() }
        let deliverer = Self.deliverer()
        let batch = { (round: Int) in
            (0..<50).map { DeliveryRequest(id: "r\(round)-\($0)", method: "POST", url: receiver.baseURL + "/\($0)") }
        }

        let first = deliverer.deliver(batch(1))
        let afterFirst = receiver.acceptedConnections
        let second = deliverer.deliver(batch(2))

        #expect(first.map(\.id) == batch(1).map(\.id))
        #expect(second.map(\.id) == batch(2).map(\.id))
        #expect(first.allSatisfy(\.succeeded) && second.allSatisfy(\.succeeded))
        #expect(first.enumerated().allSatisfy { $1.responseBody == "ok /\($0)" })
        #expect(receiver.requests.count == 100)
        #expect(afterFirst <= 8)
        #expect(receiver.acceptedConnections == afterFirst)
    }
}
