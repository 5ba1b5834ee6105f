import NotifyDomain
import NotifyFoundation
import Testing

/// The order document's pure operations: create with the editable fields only, a merge patch that
/// touches `lastModified` only when something changed, and moves along the state machine.
struct OrderDocumentTests {
    static let t0 = "2026-01-01T10:00:00.000Z"
    static let t1 = "2026-01-01T10:05:00.000Z"

    static func created(_ body: [String: JSON] = [:]) throws -> JSON {
        try OrderDocument.create(id: "o1", merchant: "m", channel: "web", body: body, timestamp: t0)
    }

    @Test func createStartsInCheckoutWithTheGivenFields() throws {
        let document = try Self.created(["reference": .string("r-1"), "cart": .object([:]), "culture": .null])
        #expect(document["id"] == .string("o1"))
        #expect(document["merchant"] == .string("m"))
        #expect(document["channel"] == .string("web"))
        #expect(document["reference"] == .string("r-1"))
        #expect(document["culture"] == nil)
        #expect(document["created"] == .string(Self.t0))
        #expect(document["lastModified"] == .string(Self.t0))
        #expect(document["state"]?["currentStatus"] == .string("checkout"))
        #expect(
            document["state"]?["transitions"]
                == .array([.object(["status": .string("checkout"), "timeStamp": .string(Self.t0)])]))
        #expect(document["payments"] == .array([]))
    }

    @Test func createRefusesServiceFieldsAndWrongKinds() throws {
        #expect(throws: ValidationError.self) { try Self.created(["state": .object([:])]) }
        #expect(throws: ValidationError.self) { try Self.created(["id": .string("mine")]) }
        #expect(throws: ValidationError.self) { try Self.created(["reference": .number(1)]) }
        #expect(throws: ValidationError.self) { try Self.created(["cart": .string("x")]) }
        #expect(throws: ValidationError.self) {
            try Self.created(["reference": .string(String(repeating: "x", count: 1025))])
        }
    }

    @Test func patchMergesEditableFieldsAndTouchesOnlyOnChange() throws {
        let document = try Self.created(["reference": .string("r-1"), "cart": .object(["a": .number(1)])])
        let patched = try OrderDocument.patch(
            document, with: .object(["cart": .object(["b": .number(2)]), "reference": .null]), timestamp: Self.t1)
        #expect(patched["cart"] == .object(["a": .number(1), "b": .number(2)]))
        #expect(patched["reference"] == nil)
        #expect(patched["lastModified"] == .string(Self.t1))
        #expect(patched["created"] == .string(Self.t0))
        let unchanged = try OrderDocument.patch(document, with: .object([:]), timestamp: Self.t1)
        #expect(unchanged == document)
        #expect(throws: ValidationError.self) {
            try OrderDocument.patch(document, with: .object(["state": .null]), timestamp: Self.t1)
        }
        #expect(throws: ValidationError.self) {
            try OrderDocument.patch(document, with: .array([]), timestamp: Self.t1)
        }
    }

    @Test func transitionAppendsToTheHistory() throws {
        let moved = try #require(try OrderDocument.transition(try Self.created(), to: "processing", timestamp: Self.t1))
        #expect(moved["state"]?["currentStatus"] == .string("processing"))
        #expect(moved["state"]?["transitions"]?.arrayValue?.count == 2)
        #expect(
            moved["state"]?["transitions"]?.arrayValue?.last
                == .object(["status": .string("processing"), "timeStamp": .string(Self.t1)]))
        #expect(moved["lastModified"] == .string(Self.t1))
    }

    @Test func transitionToTheSameStatusIsNoChange() throws {
        #expect(try OrderDocument.transition(try Self.created(), to: "checkout", timestamp: Self.t1) == nil)
    }

    @Test func forbiddenAndUnknownTransitionsThrow() throws {
        let illegal = #expect(throws: IllegalTransition.self) {
            try OrderDocument.transition(try Self.created(), to: "completed", timestamp: Self.t1)
        }
        #expect(illegal?.from == .checkout && illegal?.to == .completed)
        #expect(throws: ValidationError.self) {
            try OrderDocument.transition(try Self.created(), to: "shipped", timestamp: Self.t1)
        }
    }
}
