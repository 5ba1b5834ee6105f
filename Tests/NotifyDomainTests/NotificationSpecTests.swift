import NotifyFoundation
import Testing

@testable import NotifyDomain

@Suite("Notification forms")
struct NotificationSpecTests {
    static func parse(_ text: String) throws -> NotificationSpec {
        try NotificationSpec(json: try JSON.parse(text))
    }

    static let allStatuses = "checkout, processing, accepted, completed, declined, removed"

    @Test func simpleFormWithAllScopeKeys() throws {
        let spec = try Self.parse(
            #"""
            {"url": "https://hooks.example/orders/{order.id}", "method": "put",
             "headers": {"X-Trace": "abc", "Authorization": "Bearer s3cr3t"},
             "scope": {"state": ["completed", "declined"], "payment": true, "shipping": false}}
            """#)
        #expect(spec.form == .simple)
        #expect(spec.method == .put)
        #expect(spec.url.source == "https://hooks.example/orders/{order.id}")
        #expect(
            spec.headers == [
                HTTPHeader(name: "Authorization", value: "Bearer s3cr3t"), HTTPHeader(name: "X-Trace", value: "abc"),
            ])
        #expect(spec.scopes == [.state(["completed", "declined"]), .payment])
        #expect(spec.id == nil && spec.adapterId == nil)
    }

    @Test func simpleFormDefaults() throws {
        let spec = try Self.parse(#"{"url": "https://h/x", "scope": {"shipping": true}}"#)
        #expect(spec.method == .post)
        #expect(spec.headers.isEmpty)
        #expect(spec.scopes == [.shipping])
    }

    @Test func pointerForm() throws {
        let spec = try Self.parse(
            #"""
            {"id": "n-1", "adapterId": "adyen", "reference": "r", "description": "d",
             "scope": "/payments/0/state", "schema": {"enum": ["captured"]},
             "invoke": "{configuration.adapter.internalUrl}/cb/{order_id}", "version": "2"}
            """#)
        #expect(spec.form == .pointer)
        #expect(spec.id == "n-1")
        #expect(spec.adapterId == "adyen")
        #expect(spec.reference == "r")
        #expect(spec.description == "d")
        #expect(spec.version == .string("2"))
        #expect(spec.method == .post)
        #expect(spec.scopes.count == 1)
        #expect(spec.scopes.first?.kind == .pointer)
        #expect(spec.scopes.first?.pointer.description == "/payments/0/state")
        #expect(spec.scopes.first?.schema?.source == .object(["enum": .array([.string("captured")])]))
    }

    @Test func pointerFormWithoutSchemaAndWithMethodAndHeaders() throws {
        let spec = try Self.parse(
            #"{"scope": "/cart", "invoke": "https://h/{order.id}", "method": "GET", "headers": {"X-A": "1"}, "#
                + #""version": 3}"#)
        #expect(spec.scopes == [.pointer(JSONPointer(tokens: ["cart"]), schema: nil)])
        #expect(spec.method == .get)
        #expect(spec.headers == [HTTPHeader(name: "X-A", value: "1")])
        #expect(spec.version == .number(3))
    }

    @Test(arguments: [
        (#"[]"#, "", "a notification must be a JSON object"),
        (#"{"url": "https://h/"}"#, "scope", "is required"),
        (
            #"{"url": "https://h/", "scope": 1}"#, "scope",
            "must be an object (simple form) or a JSON pointer string (pointer form)"
        ),
        (#"{"url": "https://h/", "scope": {"payment": true}, "foo": 1}"#, "foo", "unknown field 'foo'"),
        (
            #"{"url": "https://h/", "scope": {"payment": true}, "invoke": "https://h/"}"#, "invoke",
            "unknown field 'invoke'"
        ),
        (
            #"{"url": "https://h/", "scope": {"payment": true, "refund": true}}"#, "scope.refund",
            "unknown field 'refund'"
        ),
        (
            #"{"url": "https://h/", "scope": {}}"#, "scope",
            "must watch something: a non-empty 'state' list, 'payment': true or 'shipping': true"
        ),
        (
            #"{"url": "https://h/", "scope": {"state": [], "payment": false}}"#, "scope",
            "must watch something: a non-empty 'state' list, 'payment': true or 'shipping': true"
        ),
        (
            #"{"url": "https://h/", "scope": {"state": "completed"}}"#, "scope.state",
            "must be an array of order statuses"
        ),
        (
            #"{"url": "https://h/", "scope": {"state": ["completed", "shipped"]}}"#, "scope.state[1]",
            "unknown order status 'shipped', expected one of " + allStatuses
        ),
        (#"{"url": "https://h/", "scope": {"state": [1]}}"#, "scope.state[0]", "must be a string"),
        (
            #"{"url": "https://h/", "scope": {"state": ["removed", "removed"]}}"#, "scope.state[1]",
            "duplicate status 'removed'"
        ),
        (#"{"url": "https://h/", "scope": {"payment": "yes"}}"#, "scope.payment", "must be a boolean"),
        (#"{"scope": {"payment": true}}"#, "url", "is required"),
        (#"{"url": 5, "scope": {"payment": true}}"#, "url", "must be a string"),
        (#"{"url": "ftp://h/", "scope": {"payment": true}}"#, "url", "URL scheme must be http or https, not 'ftp'"),
        (
            #"{"url": "https://h/{nope}", "scope": {"payment": true}}"#, "url",
            "unknown placeholder '{nope}'; use {order.<path>}, {order_id} or {configuration.<path>}"
        ),
        (
            #"{"url": "https://h/", "method": "DELETE", "scope": {"payment": true}}"#, "method",
            "must be POST, PUT, PATCH or GET, not 'DELETE'"
        ),
        (#"{"url": "https://h/", "method": 1, "scope": {"payment": true}}"#, "method", "must be a string"),
        (
            #"{"url": "https://h/", "headers": [], "scope": {"payment": true}}"#, "headers",
            "must be an object of header names to string values"
        ),
        (
            #"{"url": "https://h/", "headers": {"X-Foo": 1}, "scope": {"payment": true}}"#, "headers.X-Foo",
            "header value must be a string"
        ),
        (
            #"{"url": "https://h/", "headers": {"Host": "evil"}, "scope": {"payment": true}}"#, "headers.Host",
            "header 'Host' is set by the service and cannot be given"
        ),
        (
            #"{"url": "https://h/", "headers": {"X-A": "a\r\nb"}, "scope": {"payment": true}}"#, "headers.X-A",
            "header value must not contain CR"
        ),
    ])
    func simpleFormErrors(text: String, field: String, message: String) {
        #expect(throws: ValidationError(field: field, message)) { try Self.parse(text) }
    }

    @Test(arguments: [
        (#"{"scope": "/a", "invoke": "https://h/", "url": "https://h/"}"#, "url", "unknown field 'url'"),
        (#"{"scope": "a", "invoke": "https://h/"}"#, "scope", "a JSON pointer must be empty or start with '/'"),
        (
            #"{"scope": "/a", "invoke": "https://h/", "schema": {"format": "email", "if": {}}}"#, "schema.if",
            "unsupported keyword 'if'"
        ),
        (#"{"scope": "/a"}"#, "invoke", "is required"),
        (#"{"scope": "/a", "invoke": "https://h/{order.id"}"#, "invoke", "unbalanced '{' in URL template"),
        (
            #"{"scope": "/a", "invoke": "https://h/{configuration.x}"}"#, "invoke",
            "{configuration.<path>} placeholders need an 'adapterId' naming the configuration"
        ),
        (#"{"scope": "/a", "invoke": "https://h/", "id": 7}"#, "id", "must be a string"),
        (
            #"{"scope": "/a", "invoke": "https://h/", "id": "a/b"}"#, "id",
            "must be 1-128 characters of letters, digits, '-', '_', '.', ':', '~'"
        ),
        (#"{"scope": "/a", "invoke": "https://h/", "adapterId": ""}"#, "adapterId", "must not be empty"),
        (#"{"scope": "/a", "invoke": "https://h/", "reference": true}"#, "reference", "must be a string"),
        (
            #"{"scope": "/a", "invoke": "https://h/", "version": [1]}"#, "version",
            "must be a string of at most 128 bytes or a number"
        ),
    ])
    func pointerFormErrors(text: String, field: String, message: String) {
        #expect(throws: ValidationError(field: field, message)) { try Self.parse(text) }
    }

    @Test func listErrorsNameTheIndex() throws {
        let list = try JSON.parse(
            #"[{"url": "https://h/", "scope": {"payment": true}}, {"url": "https://h/", "scope": {"state": ["x"]}}]"#)
        let message = "unknown order status 'x', expected one of " + Self.allStatuses
        #expect(throws: ValidationError(field: "notifications[1].scope.state[0]", message)) {
            try NotificationSpec.parseList(list)
        }
        #expect(throws: ValidationError(field: "notifications", "must be an array")) {
            try NotificationSpec.parseList(.object([:]))
        }
    }

    @Test(arguments: [
        #"{"headers":{"X-A":"1"},"method":"PATCH","scope":{"payment":true,"state":["accepted"]},"#
            + #""url":"https://h/{order.id}"}"#,
        #"{"adapterId":"a","description":"d","headers":{},"id":"n1","invoke":"https://h/{configuration.p}","#
            + #""method":"POST","reference":"r","schema":{"minimum":1},"scope":"/cart/total","version":1}"#,
        #"{"headers":{},"invoke":"https://h/","method":"GET","scope":"/state"}"#,
    ])
    func rendersAsRegisteredAndRoundTrips(text: String) throws {
        let spec = try Self.parse(text)
        #expect(spec.json(redacted: false).serialized() == text)
        #expect(try NotificationSpec(json: spec.json(redacted: false)) == spec)
    }

    @Test func redactedRenderingHidesSecrets() throws {
        let spec = try Self.parse(
            #"{"url": "https://h/", "headers": {"X-Api-Key": "k", "X-Trace": "t"}, "scope": {"payment": true}}"#)
        #expect(
            spec.json(redacted: true)["headers"] == .object(["X-Api-Key": .string("***"), "X-Trace": .string("t")]))
        #expect(spec.json(redacted: false)["headers"] == .object(["X-Api-Key": .string("k"), "X-Trace": .string("t")]))
    }

    static let before: JSON = .object([
        "state": .object(["currentStatus": .string("accepted")]),
        "payments": .array([]),
        "shippings": .array([]),
    ])

    @Test func matchingScopes() throws {
        let spec = try Self.parse(
            #"{"url": "https://h/", "scope": {"state": ["completed"], "payment": true, "shipping": true}}"#)
        let completedAndPaid: JSON = .object([
            "state": .object(["currentStatus": .string("completed")]),
            "payments": .array([.object(["id": .string("p1")])]),
            "shippings": .array([]),
        ])
        #expect(spec.matchingScopes(before: Self.before, after: completedAndPaid) == [.state(["completed"]), .payment])
        let declined: JSON = .object([
            "state": .object(["currentStatus": .string("declined")]),
            "payments": .array([]),
            "shippings": .array([]),
        ])
        #expect(spec.matchingScopes(before: Self.before, after: declined).isEmpty)
        #expect(!spec.fires(before: Self.before, after: declined))
        #expect(!spec.fires(before: Self.before, after: Self.before))
    }

    @Test func pointerScopeMatchesWithSchema() throws {
        let spec = try Self.parse(
            #"{"scope": "/state/currentStatus", "schema": {"const": "completed"}, "invoke": "https://h/"}"#)
        let completed: JSON = .object(["state": .object(["currentStatus": .string("completed")])])
        #expect(spec.fires(before: Self.before, after: completed))
        #expect(
            spec.matchingScopes(before: Self.before, after: completed).map { $0.eventKey(after: completed) }
                == ["/state/currentStatus"])
    }

    @Test(arguments: [("POST", true), ("PUT", true), ("PATCH", true), ("GET", false)])
    func methodBodies(method: String, hasBody: Bool) throws {
        #expect(try #require(DeliveryMethod(rawValue: method)).hasBody == hasBody)
    }
}
