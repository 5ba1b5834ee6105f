import Foundation
import Logging
import NotifyDomain
import NotifyFoundation
import NotifyStore
import NotifyTestSupport

@testable import FCGIHandler

/// The application as a worker runs it, without nginx or FastCGI: requests are built from the
/// CGI parameters nginx would pass and handed to `Application.respond`, which talks to a fresh
/// migrated database of its own. Two merchants with a token each.
struct APIHarness {
    static let merchant = "merchant-a"
    static let otherMerchant = "merchant-b"
    static let token = APIToken.make(randomBytes: Array(repeating: 1, count: 32))
    static let otherToken = APIToken.make(randomBytes: Array(repeating: 2, count: 32))
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

    let application: Application
    /// A connection of the test's own, for fixtures and for checking what a request wrote.
    let connection: Connection
    /// The time requests arrive at unless a request says otherwise. Order changes stamp their events
    /// with the real clock (the store reads it once the order is locked), so a request that should
    /// see those events as due is sent at a later time.
    static let now = Date(timeIntervalSince1970: 1_767_261_600)

    init() throws {
        let conninfo = try TestDatabase.migratedConninfo()
        connection = try Connection(conninfo: conninfo)
        let merchants = MerchantStore(connection: connection)
        _ = try merchants.create(
            merchant: Self.merchant, tokenHash: APIToken.sha256Hex(Self.token), signingSecret: Self.secret)
        _ = try merchants.create(
            merchant: Self.otherMerchant, tokenHash: APIToken.sha256Hex(Self.otherToken), signingSecret: Self.secret)
        application = Application(database: Database(conninfo: conninfo), logger: Logger(label: "fcgi-handler-tests"))
    }

    /// Sends one request as `merchant` (with its own token) unless `headers` say otherwise.
    func send(
        _ method: String, _ path: String, query: String = "", json body: String? = nil,
        headers: [String: String] = [:], as merchant: String? = Self.merchant, at time: Date = Self.now
    ) -> Reply {
        var parameters = [
            "REQUEST_METHOD": method, "REQUEST_URI": query.isEmpty ? path : path + "?" + query,
            "QUERY_STRING": query, "REMOTE_ADDR": "127.0.0.1", "REQUEST_ID": "req-test",
        ]
        if let merchant {
            parameters["HTTP_X_MERCHANT"] = merchant
            let token = merchant == Self.otherMerchant ? Self.otherToken : Self.token
            parameters["HTTP_AUTHORIZATION"] = "Bearer " + token
        }
        if body != nil { parameters["CONTENT_TYPE"] = "application/json" }
        for (name, value) in headers {
            let key = name.uppercased().replacingOccurrences(of: "-", with: "_")
            if key == "CONTENT_TYPE" {
                parameters[key] = value
            } else {
                parameters["HTTP_" + key] = value
            }
        }
        let request = HTTPRequest(parameters: parameters, body: Array((body ?? "").utf8))
        let (response, _) = application.respond(to: request, now: time)
        return Reply(response: response)
    }

    /// Creates an order on channel `web` and returns its id.
    func createOrder(_ body: String = #"{"reference": "harness"}"#) throws -> String {
        let reply = send("POST", "/api/v0/checkout/orders", json: body, headers: ["X-Channel": "web"])
        guard reply.status == 201, let id = reply.json?["id"]?.stringValue else {
            throw HarnessError("creating an order answered \(reply.status): \(reply.text)")
        }
        return id
    }

    /// Creates an order, registers `notification` (JSON) on it and moves it to `processing`, so a
    /// notification scoped to that state fires once. Returns the order's id.
    func orderFiredOnProcessing(notification: String) throws -> String {
        let orderId = try createOrder()
        let path = "/api/v0/checkout/orders/" + orderId
        let registered = send("POST", path + "/notifications", json: notification)
        let moved = send("PUT", path + "/state", json: #"{"currentStatus": "processing"}"#)
        guard registered.status == 201, moved.status == 200 else {
            throw HarnessError("fixture: \(registered.text) / \(moved.text)")
        }
        return orderId
    }

    struct HarnessError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}

/// One response as the client would see it.
struct Reply {
    let response: HTTPResponse

    var status: Int { response.status }
    var text: String { String(decoding: response.body, as: UTF8.self) }
    var json: JSON? { try? JSON.parse(response.body) }

    /// The value of the first header named `name` (case-insensitive).
    func header(_ name: String) -> String? {
        response.headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    /// Whether this is an RFC 9457 problem with `status`: the content type, and the members
    /// `type`, `title`, `status` (matching) and `detail`, with the request id echoed.
    func isProblem(_ status: Int) -> Bool {
        guard self.status == status, header("Content-Type") == "application/problem+json", let json else {
            return false
        }
        return json["status"]?.numberValue == Double(status) && json["type"]?.stringValue?.hasPrefix("https://") == true
            && json["title"]?.stringValue?.isEmpty == false && json["detail"]?.stringValue?.isEmpty == false
            && json["requestId"]?.stringValue == "req-test"
    }
}
