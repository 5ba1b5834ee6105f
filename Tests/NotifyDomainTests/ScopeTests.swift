import NotifyDomain
import NotifyFoundation
import Testing

@Suite("Scope")
struct ScopeTests {
    static let checkout = #"{"state":{"currentStatus":"checkout"},"payments":[],"shippings":[],"cart":{"total":10}}"#

    private func order(_ text: String) throws -> JSON {
        try JSON.parse(text)
    }

    @Test("the simple forms map onto pointers")
    func forms() throws {
        let state = Scope.state(["completed", "declined"])
        #expect(state.kind == .state)
        #expect(state.pointer.description == "/state/currentStatus")
        #expect(state.schema == (try JSONSchema(JSON.parse(#"{"enum":["completed","declined"]}"#))))
        #expect(Scope.payment.kind == .payment)
        #expect(Scope.payment.pointer.description == "/payments")
        #expect(Scope.payment.schema == nil)
        #expect(Scope.shipping.kind == .shipping)
        #expect(Scope.shipping.pointer.description == "/shippings")
        #expect(Scope.shipping.schema == nil)
        let pointer = Scope.pointer(try JSONPointer(parsing: "/cart/total"), schema: nil)
        #expect(pointer.kind == .pointer)
        #expect(pointer.pointer.tokens == ["cart", "total"])
    }

    @Test(
        "state scope fires only for a change to a listed status",
        arguments: [
            ("checkout", "processing", false),
            ("processing", "accepted", false),
            ("accepted", "completed", true),
            ("processing", "declined", true),
            ("completed", "completed", false),
        ]
    )
    func stateScope(from: String, to: String, fires: Bool) throws {
        let before = JSON.object(["state": .object(["currentStatus": .string(from)])])
        let after = JSON.object(["state": .object(["currentStatus": .string(to)])])
        let scope = Scope.state(["completed", "declined"])
        #expect(scope.fires(before: before, after: after) == fires)
        #expect(scope.eventKey(after: after) == "state.\(to)")
    }

    @Test(
        "payment and shipping scopes fire on any change under their array",
        arguments: [
            (#"{"payments":[]}"#, #"{"payments":[{"id":"p1","state":"pending"}]}"#, true),
            (#"{"payments":[{"id":"p1","state":"new"}]}"#, #"{"payments":[{"id":"p1","state":"completed"}]}"#, true),
            (#"{"payments":[{"id":"p1"}]}"#, #"{"payments":[{"id":"p1"}],"cart":{"total":5}}"#, false),
            (#"{}"#, #"{"payments":[]}"#, true),
            (#"{"payments":[{"id":"p1"}]}"#, #"{"payments":[{"id":"p1"}]}"#, false),
        ]
    )
    func paymentScope(before: String, after: String, fires: Bool) throws {
        #expect(Scope.payment.fires(before: try order(before), after: try order(after)) == fires)
        let shippingBefore = before.replacing("payments", with: "shippings")
        let shippingAfter = after.replacing("payments", with: "shippings")
        #expect(Scope.shipping.fires(before: try order(shippingBefore), after: try order(shippingAfter)) == fires)
        #expect(Scope.payment.eventKey(after: try order(after)) == "payment")
        #expect(Scope.shipping.eventKey(after: try order(shippingAfter)) == "shipping")
    }

    @Test(
        "pointer scope with a schema fires when the new value changed and is valid",
        arguments: [
            (#"{"cart":{"total":10}}"#, #"{"cart":{"total":150}}"#, true),
            (#"{"cart":{"total":10}}"#, #"{"cart":{"total":50}}"#, false),
            (#"{"cart":{"total":150}}"#, #"{"cart":{"total":150}}"#, false),
            (#"{"cart":{"total":150}}"#, #"{"cart":{"total":150},"reference":"x"}"#, false),
            (#"{}"#, #"{"cart":{"total":200}}"#, true),
            (#"{"cart":{"total":200}}"#, #"{}"#, false),
            (#"{"cart":{"total":10}}"#, #"{"cart":{"total":"lots"}}"#, false),
        ]
    )
    func pointerScopeWithSchema(before: String, after: String, fires: Bool) throws {
        let schema = try JSONSchema(JSON.parse(#"{"type":"number","minimum":100}"#))
        let scope = Scope.pointer(try JSONPointer(parsing: "/cart/total"), schema: schema)
        #expect(scope.fires(before: try order(before), after: try order(after)) == fires)
        #expect(scope.eventKey(after: try order(after)) == "/cart/total")
    }

    @Test(
        "pointer scope without a schema fires on any change, nested ones included",
        arguments: [
            (#"{"cart":{"items":[{"sku":"a","qty":1}]}}"#, #"{"cart":{"items":[{"sku":"a","qty":2}]}}"#, true),
            (#"{"cart":{"items":[]}}"#, #"{"cart":{"items":[]},"customer":{"name":"n"}}"#, false),
            (#"{}"#, #"{"cart":null}"#, true),
            (#"{"cart":{}}"#, #"{}"#, true),
            (#"{}"#, #"{}"#, false),
        ]
    )
    func pointerScopeWithoutSchema(before: String, after: String, fires: Bool) throws {
        let scope = Scope.pointer(try JSONPointer(parsing: "/cart"), schema: nil)
        #expect(scope.fires(before: try order(before), after: try order(after)) == fires)
    }

    @Test("a missing new value never satisfies a schema, even one that accepts everything")
    func missingNeverSatisfiesSchema() throws {
        let scope = Scope.pointer(try JSONPointer(parsing: "/reference"), schema: try JSONSchema(.bool(true)))
        #expect(scope.fires(before: try order(#"{"reference":"r"}"#), after: try order("{}")) == false)
        #expect(scope.fires(before: try order("{}"), after: try order(#"{"reference":"r"}"#)) == true)
    }

    @Test("an update that changes nothing fires no scope")
    func noChange() throws {
        let before = try order(Self.checkout)
        let after = before.mergePatched(with: try order(#"{"cart":{"total":10}}"#))
        for scope in [Scope.state(["checkout"]), .payment, .shipping, .pointer(.root, schema: nil)] {
            #expect(scope.fires(before: before, after: after) == false)
        }
    }

    @Test("scopes compare by kind, pointer and schema")
    func equality() throws {
        #expect(Scope.state(["completed"]) == Scope.state(["completed"]))
        #expect(Scope.state(["completed"]) != Scope.state(["declined"]))
        #expect(Scope.payment != Scope.pointer(try JSONPointer(parsing: "/payments"), schema: nil))
    }

    @Test(
        "a pointer-form event is found by the simple-form key of what its pointer watches",
        arguments: [
            ("/state/currentStatus", #"{"enum":["completed"]}"#, "/state/currentStatus", "state.completed"),
            ("/state/currentStatus", "null", "/state/currentStatus", "state.completed"),
            ("/payments", "null", "/payments", "payment"),
            ("/payments/0/state", #"{"const":"completed"}"#, "/payments/0/state", "payment"),
            ("/shippings", "null", "/shippings", "shipping"),
            ("/shippings/0", "null", "/shippings/0", "shipping"),
            ("/state", "null", "/state", nil),
            ("/state/transitions", "null", "/state/transitions", nil),
            ("/paymentsX", "null", "/paymentsX", nil),
            ("/payments~1x", "null", "/payments~1x", nil),
            ("/cart/total", "null", "/cart/total", nil),
            ("", "null", "", nil),
        ] as [(String, String, String, String?)]
    )
    func pointerQueryKey(pointer: String, schema: String, eventKey: String, queryKey: String?) throws {
        let parsed = try JSON.parse(schema)
        let scope = Scope.pointer(
            try JSONPointer(parsing: pointer), schema: parsed.isNull ? nil : try JSONSchema(parsed))
        let after = try order(
            #"{"state":{"currentStatus":"completed"},"payments":[{"id":"p","state":"completed"}],"shippings":[{}]}"#)
        #expect(scope.eventKey(after: after) == eventKey)
        #expect(scope.queryKey(after: after) == queryKey)
    }

    @Test("the simple forms are found by their own event key")
    func simpleQueryKey() throws {
        let after = try order(#"{"state":{"currentStatus":"declined"},"payments":[],"shippings":[]}"#)
        #expect(Scope.state(["completed", "declined"]).queryKey(after: after) == "state.declined")
        #expect(Scope.payment.queryKey(after: after) == "payment")
        #expect(Scope.shipping.queryKey(after: after) == "shipping")
        let status = Scope.pointer(try JSONPointer(parsing: "/state/currentStatus"), schema: nil)
        #expect(status.queryKey(after: try order(#"{"state":{}}"#)) == "state")
    }

    @Test(
        "a scope filter is a pointer when empty or starting with '/', else a key",
        arguments: [
            ("/state/currentStatus", ScopeQuery.pointer("/state/currentStatus")),
            ("", .pointer("")),
            ("/", .pointer("/")),
            ("state.completed", .key("state.completed")),
            ("payment", .key("payment")),
            ("shipping", .key("shipping")),
            ("state/currentStatus", .key("state/currentStatus")),
        ]
    )
    func scopeQuery(text: String, expected: ScopeQuery) {
        #expect(ScopeQuery(text) == expected)
    }
}
