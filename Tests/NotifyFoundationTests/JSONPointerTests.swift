import NotifyFoundation
import Testing

@Suite("JSON pointer")
struct JSONPointerTests {
    /// The example document of RFC 6901 section 5.
    static let rfcDocument = JSON.object([
        "foo": .array([.string("bar"), .string("baz")]),
        "": .number(0),
        "a/b": .number(1),
        "c%d": .number(2),
        "e^f": .number(3),
        "g|h": .number(4),
        "i\\j": .number(5),
        "k\"l": .number(6),
        " ": .number(7),
        "m~n": .number(8),
    ])

    @Test(
        "RFC 6901 section 5 examples",
        arguments: [
            ("", JSONPointerTests.rfcDocument),
            ("/foo", .array([.string("bar"), .string("baz")])),
            ("/foo/0", .string("bar")),
            ("/foo/1", .string("baz")),
            ("/", .number(0)),
            ("/a~1b", .number(1)),
            ("/c%d", .number(2)),
            ("/e^f", .number(3)),
            ("/g|h", .number(4)),
            ("/i\\j", .number(5)),
            ("/k\"l", .number(6)),
            ("/ ", .number(7)),
            ("/m~0n", .number(8)),
        ]
    )
    func rfcExamples(text: String, expected: JSON) throws {
        let pointer = try JSONPointer(parsing: text)
        #expect(pointer.resolve(in: Self.rfcDocument) == expected)
        #expect(pointer.description == text)
    }

    @Test(
        "tokens are split and unescaped",
        arguments: [
            ("", [String]()),
            ("/", [""]),
            ("//", ["", ""]),
            ("/a/b", ["a", "b"]),
            ("/a~1b/c~0d", ["a/b", "c~d"]),
            ("/~01", ["~1"]),
            ("/~10", ["/0"]),
            ("/é/😀", ["é", "😀"]),
        ]
    )
    func tokens(text: String, expected: [String]) throws {
        let pointer = try JSONPointer(parsing: text)
        #expect(pointer.tokens == expected)
        #expect(JSONPointer(tokens: expected) == pointer)
        #expect(try JSONPointer(parsing: pointer.description) == pointer)
    }

    @Test("invalid pointers are a 400 on field scope", arguments: ["foo", "a/b", "~1", "/~2", "/a~", "/~", "/a~b"])
    func invalid(text: String) {
        let error = #expect(throws: ValidationError.self) { try JSONPointer(parsing: text) }
        #expect(error?.field == "scope")
    }

    @Test(
        "pointers that resolve to nothing",
        arguments: [
            "/missing", "/foo/2", "/foo/-", "/foo/01", "/foo/+1", "/foo/-1", "/foo/ 1", "/foo/1e0",
            "/foo/99999999999999999999999", "/foo/0/x", "/ /x", "/a~1b/c",
        ]
    )
    func unresolved(text: String) throws {
        #expect(try JSONPointer(parsing: text).resolve(in: Self.rfcDocument) == nil)
    }

    @Test("an array index token works as an object key")
    func numericKey() throws {
        let document = JSON.object(["0": .string("zero"), "01": .string("padded")])
        #expect(try JSONPointer(parsing: "/0").resolve(in: document) == .string("zero"))
        #expect(try JSONPointer(parsing: "/01").resolve(in: document) == .string("padded"))
    }

    @Test(
        "changed: the value at the pointer or anything under it differs",
        arguments: [
            ("/a", #"{"a":1}"#, #"{"a":1}"#, false),
            ("/a", #"{"a":1}"#, #"{"a":2}"#, true),
            ("/a", #"{"a":1,"b":1}"#, #"{"a":1,"b":2}"#, false),
            ("/a", #"{"a":{"x":[1,2]}}"#, #"{"a":{"x":[1,3]}}"#, true),
            ("/a", #"{"a":{"x":1,"y":2}}"#, #"{"a":{"y":2,"x":1}}"#, false),
            ("/a", #"{}"#, #"{"a":null}"#, true),
            ("/a", #"{"a":null}"#, #"{}"#, true),
            ("/a", #"{}"#, #"{}"#, false),
            ("/a/0", #"{"a":[]}"#, #"{"a":[1]}"#, true),
            ("/a", #"{"a":1}"#, #"{"a":1.0}"#, false),
            ("", #"{"a":1}"#, #"{"a":2}"#, true),
        ]
    )
    func changed(text: String, before: String, after: String, expected: Bool) throws {
        let pointer = try JSONPointer(parsing: text)
        let changed = JSONPointer.changed(at: pointer, before: try JSON.parse(before), after: try JSON.parse(after))
        #expect(changed == expected)
    }
}
