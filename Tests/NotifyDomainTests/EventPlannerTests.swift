import NotifyDomain
import NotifyFoundation
import Testing

/// Which events a change creates and what each carries: one per notification whose scope fires,
/// the frozen payload, the destination's origin, and an error (no URL) when the URL cannot be built.
struct EventPlannerTests {
    static let t0 = "2026-01-01T10:00:00.000Z"
    static let t1 = "2026-01-01T10:05:00.000Z"

    static func order(_ status: String, _ extra: [String: JSON] = [:]) throws -> JSON {
        let created = try OrderDocument.create(id: "o1", merchant: "m", channel: "web", body: extra, timestamp: t0)
        return try OrderDocument.transition(created, to: status, timestamp: t1) ?? created
    }

    static func notification(_ id: String, _ spec: JSON) throws -> RegisteredNotification {
        RegisteredNotification(id: id, origin: .api, spec: try NotificationSpec(json: spec))
    }

    static func plan(before: JSON, after: JSON, _ notifications: [RegisteredNotification]) throws -> [PlannedEvent] {
        var issued = 0
        return try EventPlanner.plan(
            before: before, after: after, order: OrderView.payloadJSON(document: after),
            notifications: notifications, configurations: [:], createdAt: t1,
            makeId: {
                issued += 1
                return "e\(issued)"
            })
    }

    @Test func onlyNotificationsWhoseScopeFiresGetAnEvent() throws {
        let before = try Self.order("checkout")
        let after = try Self.order("processing")
        let events = try Self.plan(
            before: before, after: after,
            [
                try Self.notification(
                    "on-processing",
                    .object([
                        "url": .string("https://hooks.example/p"),
                        "scope": .object(["state": .array([.string("processing")])]),
                    ])),
                try Self.notification(
                    "on-accepted",
                    .object([
                        "url": .string("https://hooks.example/a"),
                        "scope": .object(["state": .array([.string("accepted")])]),
                    ])),
                try Self.notification(
                    "on-payment",
                    .object(["url": .string("https://hooks.example/x"), "scope": .object(["payment": .bool(true)])])),
            ])
        #expect(events.map(\.notificationId) == ["on-processing"])
        let event = try #require(events.first)
        #expect(event.id == "e1")
        #expect(event.scope == "state.processing")
        #expect(event.scopeKey == "state.processing")
        #expect(event.method == .post)
        #expect(event.url == "https://hooks.example/p")
        #expect(event.origin == "https://hooks.example:443")
        #expect(event.error == nil)
        #expect(
            event.payload["event"]
                == .object(["id": .string("e1"), "scope": .string("state.processing"), "createdAt": .string(Self.t1)]))
        #expect(event.payload["order"]?["state"]?["currentStatus"] == .string("processing"))
        #expect(event.payload["notification"]?["id"] == .string("on-processing"))
    }

    @Test func noChangeInScopeMeansNoEvent() throws {
        let order = try Self.order("processing")
        let notification = try Self.notification(
            "n",
            .object([
                "url": .string("https://hooks.example/p"), "scope": .object(["state": .array([.string("processing")])]),
            ]))
        #expect(try Self.plan(before: order, after: order, [notification]).isEmpty)
    }

    @Test func aURLThatCannotBeBuiltGivesAnEventWithItsErrorAndNoOrigin() throws {
        let notification = try Self.notification(
            "n",
            .object([
                "url": .string("https://hooks.example/{order.reference}"),
                "scope": .object(["state": .array([.string("processing")])]),
            ]))
        let events = try Self.plan(
            before: try Self.order("checkout"), after: try Self.order("processing"), [notification])
        let event = try #require(events.first)
        #expect(event.error != nil)
        #expect(event.origin == nil)
        #expect(event.url == "")
    }

    @Test func eachEventGetsItsOwnId() throws {
        let spec = JSON.object([
            "url": .string("https://hooks.example/p"), "scope": .object(["state": .array([.string("processing")])]),
        ])
        let events = try Self.plan(
            before: try Self.order("checkout"), after: try Self.order("processing"),
            [try Self.notification("a", spec), try Self.notification("b", spec)])
        #expect(events.map(\.id) == ["e1", "e2"])
        #expect(events.map(\.notificationId) == ["a", "b"])
    }

    @Test func aChangePastTheBudgetIsRefusedNamingTheNotification() throws {
        let schema = try JSONSchema(.object(["type": .string("string"), "pattern": .string("(a|b)*c")]))
        let spec = NotificationSpec(
            form: .pointer, id: "slow", url: try URLTemplate(parsing: "https://h/x"),
            scopes: [.pointer(try JSONPointer(parsing: "/note"), schema: schema)])
        let notification = RegisteredNotification(id: "slow", origin: .api, spec: spec)
        let before: JSON = .object(["note": .string("")])
        func plan(_ note: String, steps: Int) throws(ValidationError) -> [PlannedEvent] {
            try EventPlanner.plan(
                before: before, after: .object(["note": .string(note)]), order: .object([:]),
                notifications: [notification], configurations: [:], createdAt: "2026-01-01T00:00:00.000Z",
                makeId: { "id" }, matchSteps: steps)
        }
        #expect(try plan("abc", steps: 10_000).count == 1)
        #expect(try plan("ab", steps: 10_000).isEmpty)
        do {
            _ = try plan(String(repeating: "ab", count: 5_000), steps: 10_000)
            Issue.record("the change should have been refused")
        } catch {
            #expect(error.field == "notifications")
            #expect(error.description.contains("'slow'"))
        }
    }
}
