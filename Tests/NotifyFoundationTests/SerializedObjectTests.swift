import NotifyFoundation
import Testing

@Suite("Serialized object")
struct SerializedObjectTests {
    static let order: [String: JSON] = [
        "id": .string("018bcfe5-6805-7713-8000-010000000005"),
        "state": .object(["currentStatus": .string("processing"), "transitions": .array([.number(1)])]),
        "cart": .object(["items": .array([.object(["sku": .string("a\"b"), "quantity": .number(2)])])]),
        "Z": .null,
        "é": .bool(true),
        "a\nb": .string("line"),
    ]

    @Test("its text is the serializer's text of the object", arguments: [[:], ["only": JSON.number(1)], order])
    func wholeText(object: [String: JSON]) {
        #expect(SerializedObject(object).bytes == JSON.object(object).serializedBytes)
    }

    @Test(
        "added members land where the serializer puts them: first, between, last, replacing",
        arguments: [
            [:],
            ["0first": JSON.null],
            ["b": .string("between a\\nb and cart")],
            ["zz": .array([.number(1.5)]), "ü": .object([:])],
            ["state": .string("replaced")],
            ["id": .null, "notifications": .array([]), "payment": .null, "Z": .number(3)],
        ]
    )
    func addedValues(added: [String: JSON]) {
        let merged = Self.order.merging(added) { _, new in new }
        #expect(SerializedObject(Self.order).bytes(adding: added) == JSON.object(merged).serializedBytes)
    }

    @Test("members added to an empty object")
    func addedToEmpty() {
        let added: [String: JSON] = ["b": .number(2), "a": .number(1)]
        #expect(SerializedObject([:]).bytes(adding: added) == Array(#"{"a":1,"b":2}"#.utf8))
    }

    @Test("a member added as text already serialized is copied as it is", arguments: ["aa", "cart", "zz", "0"])
    func addedText(key: String) throws {
        let inner = JSON.object(Self.order)
        let merged = Self.order.merging([key: inner]) { _, new in new }
        let text = SerializedObject(Self.order).bytes(adding: key, serialized: inner.serializedBytes)
        #expect(text == JSON.object(merged).serializedBytes)
        #expect(try JSON.parse(String(decoding: text, as: UTF8.self)) == JSON.object(merged))
    }

    @Test("contains names the object's own members only")
    func contains() {
        let text = SerializedObject(Self.order)
        #expect(text.contains("state"))
        #expect(text.contains("a\nb"))
        #expect(!text.contains("transitions"))
        #expect(!text.contains("notifications"))
    }

    @Test("only an object has an object text")
    func onlyObjects() {
        #expect(SerializedObject(JSON.array([.null])) == nil)
        #expect(SerializedObject(JSON.string("{}")) == nil)
        #expect(SerializedObject(JSON.object(["a": .null]))?.bytes == Array(#"{"a":null}"#.utf8))
    }
}
