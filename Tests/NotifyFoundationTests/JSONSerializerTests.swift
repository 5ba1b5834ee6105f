import NotifyFoundation
import Testing

@Suite("JSON serializer")
struct JSONSerializerTests {
    @Test(
        "numbers: integers below 2^53 without a fraction, others shortest round-trip",
        arguments: [
            (100.0, "100"),
            (0.0, "0"),
            (-0.0, "0"),
            (-42.0, "-42"),
            (0.5, "0.5"),
            (0.1, "0.1"),
            (-1234.5678, "-1234.5678"),
            (9_007_199_254_740_991.0, "9007199254740991"),
            (-9_007_199_254_740_991.0, "-9007199254740991"),
            (9_007_199_254_740_992.0, "9007199254740992.0"),
            (1e16, "1e+16"),
            (1e21, "1e+21"),
            (1.5e-7, "1.5e-07"),
            (Double.leastNonzeroMagnitude, "5e-324"),
            (Double.infinity, "null"),
            (Double.nan, "null"),
        ]
    )
    func numbers(value: Double, expected: String) {
        #expect(JSON.number(value).serialized() == expected)
    }

    @Test(
        "strings are escaped",
        arguments: [
            ("plain", #""plain""#),
            ("a\"b\\c", #""a\"b\\c""#),
            ("\n\r\t\u{8}\u{C}", #""\n\r\t\b\f""#),
            ("\u{0}\u{1}\u{1F}", #""\u0000\u0001\u001f""#),
            ("/ é 😀 \u{7F}", "\"/ é 😀 \u{7F}\""),
            ("", #""""#),
            ("\"", #""\"""#),
            ("\"\"x\\\\", #""\"\"x\\\\""#),
            ("\nmiddle\u{1}é\t", #""\nmiddle\u0001é\t""#),
        ]
    )
    func strings(value: String, expected: String) {
        #expect(JSON.string(value).serialized() == expected)
    }

    @Test(
        "compact, with object keys sorted",
        arguments: [
            (JSON.null, "null"),
            (.bool(true), "true"),
            (.bool(false), "false"),
            (.array([]), "[]"),
            (.object([:]), "{}"),
            (
                .object(["b": .number(1), "a": .number(2), "A": .number(3), "aa": .null]),
                #"{"A":3,"a":2,"aa":null,"b":1}"#
            ),
            (.object(["é": .null, "z": .null]), #"{"z":null,"é":null}"#),
            (.object(["a\"": .number(1), "a": .number(2), "": .number(3)]), #"{"":3,"a":2,"a\"":1}"#),
            (
                .object(["list": .array([.number(1), .string("x"), .object(["k": .bool(false)])])]),
                #"{"list":[1,"x",{"k":false}]}"#
            ),
        ]
    )
    func values(value: JSON, expected: String) {
        #expect(value.serialized() == expected)
        #expect(value.serializedBytes == Array(expected.utf8))
    }

    @Test(
        "parse then serialize gives the canonical text back",
        arguments: [
            (#" { "b" : [ 1.0 , 2.50, -0 ] , "a" : { } } "#, #"{"a":{},"b":[1,2.5,0]}"#),
            (#"{"amount":1e2,"ratio":1E-3}"#, #"{"amount":100,"ratio":0.001}"#),
            (#""\u00e9\ud83d\ude00\/""#, "\"é😀/\""),
            (#""\u001f\u007f""#, "\"\\u001f\u{7F}\""),
            (#"[9007199254740993, 123456789.125]"#, "[9007199254740992.0,123456789.125]"),
        ]
    )
    func roundTrip(text: String, canonical: String) throws {
        let value = try JSON.parse(text)
        #expect(value.serialized() == canonical)
        #expect(try JSON.parse(value.serialized()) == value)
    }

    @Test("every value survives serialize then parse")
    func serializeThenParse() throws {
        let value = JSON.object([
            "state": .object(["currentStatus": .string("completed"), "n": .number(-3.25e-5)]),
            "text": .string("tab\tquote\"nul\u{0}emoji😀"),
            "items": .array([.null, .bool(true), .number(12_345_678_901_234), .array([])]),
        ])
        #expect(try JSON.parse(value.serializedBytes) == value)
    }

    @Test(
        "isInteger",
        arguments: [
            (JSON.number(3), true),
            (.number(-3), true),
            (.number(0), true),
            (.number(1e300), true),
            (.number(3.5), false),
            (.number(.infinity), false),
            (.number(.nan), false),
            (.string("3"), false),
            (.null, false),
        ]
    )
    func isInteger(value: JSON, expected: Bool) {
        #expect(value.isInteger == expected)
    }
}
