import NotifyFoundation
import Testing

/// The strict JSON parser (every request body goes through it) against random bytes, mutated
/// documents and generated values: it never crashes, every refusal is a `JSONParseError` pointing
/// into the input, and what it accepts survives serialize → parse unchanged.
@Suite("Fuzz: JSON parser and serializer")
struct JSONFuzzTests {
    /// `nil` when the outcome of parsing `bytes` is consistent, else what is wrong.
    static func checkParse(_ bytes: [UInt8]) -> String? {
        do throws(JSONParseError) {
            let value = try JSON.parse(bytes)
            return checkRoundTrip(value, input: bytes.fuzzQuoted)
        } catch {
            guard (0...bytes.count).contains(error.offset) else {
                return "offset \(error.offset) outside 0...\(bytes.count) for \(bytes.fuzzQuoted)"
            }
            guard error.message.hasSuffix("at byte \(error.offset)"), error.message.count > 12 else {
                return "message \(error.message.fuzzQuoted) does not name the offset, for \(bytes.fuzzQuoted)"
            }
            return nil
        }
    }

    /// `nil` when `value` serializes to text that parses back to `value` and serializes the same.
    static func checkRoundTrip(_ value: JSON, input: String) -> String? {
        let text = value.serialized()
        do throws(JSONParseError) {
            let again = try JSON.parse(text)
            guard again == value else {
                return "parse(serialized(x)) != x: x=\(value.fuzzQuoted) from \(input), reparsed \(again.fuzzQuoted)"
            }
            guard again.serialized() == text else {
                return "serialization is not canonical: \(text.fuzzQuoted) then \(again.serialized().fuzzQuoted)"
            }
            return nil
        } catch {
            return "serialized text \(text.fuzzQuoted) of \(input) does not parse: \(error.message)"
        }
    }

    @Test func randomBytes() {
        Fuzz.check("JSON.parse(random bytes)") { random in
            Self.checkParse(Gen.bytes(&random, maxCount: random.chance(0.1) ? 512 : 48))
        }
    }

    @Test func mutatedDocuments() {
        Fuzz.check("JSON.parse(mutated valid JSON)") { random in
            let value = Gen.json(&random)
            let text = Array(Gen.jsonText(value, &random).utf8)
            return Self.checkParse(Gen.mutate(text, &random))
        }
    }

    @Test func generatedValuesRoundTrip() {
        Fuzz.check("JSON.parse(serialized(x)) == x") { random in
            let value = Gen.json(&random, depth: 5)
            if let failure = Self.checkRoundTrip(value, input: "generator") { return failure }
            // The same value written with other whitespace and escapes parses to the same value.
            let text = Gen.jsonText(value, &random)
            do throws(JSONParseError) {
                let parsed = try JSON.parse(text)
                return parsed == value
                    ? nil : "\(text.fuzzQuoted) parsed to \(parsed.fuzzQuoted), not \(value.fuzzQuoted)"
            } catch {
                return "valid text \(text.fuzzQuoted) refused: \(error)"
            }
        }
    }

    @Test func nestingAndNumberLimits() {
        for (depth, accepted) in [(1, true), (64, true), (65, false), (1000, false), (100_000, false)] {
            let arrays = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
            let objects = String(repeating: "{\"a\":", count: depth) + "1" + String(repeating: "}", count: depth)
            for text in [arrays, objects] {
                let parsed = try? JSON.parse(text)
                #expect((parsed != nil) == accepted, "depth \(depth): \(String(text.prefix(12)))…")
            }
        }
        // Unclosed nesting far deeper than the limit: refused at the limit, no stack overflow.
        #expect(throws: JSONParseError.self) { try JSON.parse(String(repeating: "[", count: 1_000_000)) }
        for text in ["1e309", "-1e309", "1" + String(repeating: "0", count: 400), "1e99999999999999999999"] {
            #expect(throws: JSONParseError.self, "\(text.prefix(20))") { try JSON.parse(text) }
        }
        for (text, value) in [("1e-99999", 0.0), ("-0", 0.0), ("123456789012345678901234", 1.2345678901234568e23)] {
            #expect((try? JSON.parse(text)) == .number(value), "\(text)")
        }
    }
}
