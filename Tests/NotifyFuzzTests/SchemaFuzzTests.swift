import NotifyFoundation
import Testing

/// JSON pointers and the JSON Schema subset (a notification's scope) against generated input:
/// compiling refuses exactly what registration refuses (any unsupported keyword, wrong keyword
/// types) with a `ValidationError` naming the schema path, validation agrees with the keyword
/// semantics, and pointers survive parse → description → parse.
@Suite("Fuzz: JSON pointer and JSON Schema subset")
struct SchemaFuzzTests {
    // MARK: - JSON pointer

    @Test func pointerParseRoundTrip() {
        Fuzz.check("JSONPointer(parsing:) accepts RFC 6901 pointers and round-trips them") { random in
            let text = random.chance(0.8) ? "/" + Gen.string(&random) : Gen.string(&random)
            // RFC 6901, on the bytes: empty, or '/' first and every '~' followed by '0' or '1'.
            let bytes = Array(text.utf8)
            let badTilde = bytes.indices.contains { index in
                bytes[index] == UInt8(ascii: "~") && (index + 1 == bytes.count || !"01".utf8.contains(bytes[index + 1]))
            }
            let valid = bytes.isEmpty || (bytes.first == UInt8(ascii: "/") && !badTilde)
            let pointer: JSONPointer
            do throws(ValidationError) {
                pointer = try JSONPointer(parsing: text)
            } catch {
                guard error.field == "scope", !error.message.isEmpty else { return "untyped refusal \(error)" }
                return valid ? "valid pointer \(text.fuzzQuoted) refused: \(error.message)" : nil
            }
            guard valid else { return "invalid pointer \(text.fuzzQuoted) accepted" }
            do throws(ValidationError) {
                let again = try JSONPointer(parsing: pointer.description)
                return again == pointer
                    ? nil
                    : "\(text.fuzzQuoted) -> tokens \(pointer.tokens.map(\.fuzzQuoted)) -> "
                        + "\(pointer.description.fuzzQuoted) -> tokens \(again.tokens.map(\.fuzzQuoted))"
            } catch {
                return "\(text.fuzzQuoted) -> tokens \(pointer.tokens.map(\.fuzzQuoted)) -> description "
                    + "\(pointer.description.fuzzQuoted), which is refused: \(error.message)"
            }
        }
    }

    @Test func pointerTokensRoundTrip() {
        Fuzz.check("JSONPointer(tokens:).description parses back to the same tokens") { random in
            let tokens = (0..<random.int(0...4)).map { _ in Gen.string(&random, maxPieces: 4) }
            let pointer = JSONPointer(tokens: tokens)
            do throws(ValidationError) {
                let again = try JSONPointer(parsing: pointer.description)
                return again.tokens == tokens
                    ? nil
                    : "tokens \(tokens.map(\.fuzzQuoted)) -> \(pointer.description.fuzzQuoted) -> "
                        + "tokens \(again.tokens.map(\.fuzzQuoted))"
            } catch {
                return "tokens \(tokens.map(\.fuzzQuoted)) -> \(pointer.description.fuzzQuoted) is refused: \(error)"
            }
        }
    }

    @Test func pointerResolve() {
        Fuzz.check("JSONPointer.resolve finds what the path leads to") { random in
            let document = Gen.json(&random, depth: 5)
            let (tokens, value) = Gen.path(in: document, &random)
            let pointer = JSONPointer(tokens: tokens)
            guard pointer.resolve(in: document) == value else {
                return
                    "\(pointer.description.fuzzQuoted) in \(document.fuzzQuoted) does not resolve to \(value.fuzzQuoted)"
            }
            guard !JSONPointer.changed(at: pointer, before: document, after: document) else {
                return "changed(at:) is true for the same document at \(pointer.description.fuzzQuoted)"
            }
            // Any pointer on any document: an answer, never a crash.
            let other = JSONPointer(tokens: (0..<random.int(0...3)).map { _ in Gen.string(&random, maxPieces: 2) })
            _ = other.resolve(in: document)
            return nil
        }
    }

    // MARK: - JSON Schema

    static let keywords = [
        "const", "enum", "type", "not", "allOf", "anyOf", "oneOf", "minimum", "maximum", "exclusiveMinimum",
        "exclusiveMaximum", "minLength", "maxLength", "pattern", "properties", "required", "items", "minItems",
        "maxItems",
    ]
    static let unsupported = [
        "$ref", "additionalProperties", "if", "then", "Minimum", "contains", "uniqueItems", "$defs", "Format", "",
    ]
    /// Annotations, accepted and ignored when their value has the meta-schema's type.
    static let annotations = [
        "$schema", "$id", "$comment", "title", "description", "examples", "default", "deprecated", "readOnly",
        "writeOnly", "format",
    ]
    static let typeNames = ["null", "boolean", "object", "array", "number", "integer", "string"]
    static let validPatterns = ["^a", "[0-9]+", "^(ab|c)*$", "\\d{2,3}", "é", "^$", ".*", "x|y", "[^/]+", "\\."]
    static let invalidPatterns = ["(", "[", "a{2,1}", "\\", "(?<", "*a", "a)", "[z-a]"]

    /// Whether compiling `schema` must succeed (`true`), fail (`false`) or may do either (`nil`: a
    /// random regular expression), by the rules of the supported subset and JSON Schema 2020-12.
    static func expectedValid(_ schema: JSON) -> Bool? {
        switch schema {
        case .bool: return true
        case .object(let members):
            var result: Bool? = true
            for (keyword, value) in members {
                guard let valid = expectedValid(keyword: keyword, value: value) else {
                    result = result == false ? false : nil
                    continue
                }
                if !valid { return false }
            }
            return result
        default: return false
        }
    }

    static func expectedValid(keyword: String, value: JSON) -> Bool? {
        func isCount(_ value: JSON) -> Bool {
            guard case .number(let number) = value else { return false }
            return number >= 0 && number.rounded(.towardZero) == number && number <= 9_007_199_254_740_991
        }
        func all(_ values: [JSON]) -> Bool? {
            var result: Bool? = true
            for value in values {
                guard let valid = expectedValid(value) else {
                    result = nil
                    continue
                }
                if !valid { return false }
            }
            return result
        }
        switch keyword {
        case "const": return true
        case "enum": return value.arrayValue != nil
        case "type":
            if let name = value.stringValue { return typeNames.contains(name) }
            guard let names = value.arrayValue, !names.isEmpty else { return false }
            let strings = names.compactMap(\.stringValue)
            return strings.count == names.count && Set(strings).count == strings.count
                && strings.allSatisfy(typeNames.contains)
        case "not", "items": return expectedValid(value)
        case "allOf", "anyOf", "oneOf":
            guard let list = value.arrayValue, !list.isEmpty else { return false }
            return all(list)
        case "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum": return value.numberValue != nil
        case "minLength", "maxLength", "minItems", "maxItems": return isCount(value)
        case "pattern":
            guard let text = value.stringValue else { return false }
            if validPatterns.contains(text) { return true }
            if invalidPatterns.contains(text) { return false }
            return nil
        case "properties":
            guard let members = value.objectValue else { return false }
            return all(Array(members.values))
        case "required":
            guard let names = value.arrayValue else { return false }
            let strings = names.compactMap(\.stringValue)
            return strings.count == names.count && Set(strings).count == strings.count
        case "$schema", "$id", "$comment", "title", "description", "format": return value.stringValue != nil
        case "examples": return value.arrayValue != nil
        case "deprecated", "readOnly", "writeOnly": return value.boolValue != nil
        case "default": return true
        default: return false
        }
    }

    /// A schema, mostly well-formed, sometimes with a wrong value or an unsupported keyword.
    static func schema(_ random: inout FuzzRandom, depth: Int = 3) -> JSON {
        if random.chance(0.08) { return .bool(random.chance(0.5)) }
        if random.chance(0.02) { return Gen.json(&random, depth: 1) }
        var members: [String: JSON] = [:]
        for _ in 0..<random.int(0...3) {
            let keyword =
                random.chance(0.04)
                ? random.pick(unsupported) : random.chance(0.1) ? random.pick(annotations) : random.pick(keywords)
            members[keyword] = random.chance(0.08) ? Gen.json(&random, depth: 2) : value(for: keyword, &random, depth)
        }
        return .object(members)
    }

    static func value(for keyword: String, _ random: inout FuzzRandom, _ depth: Int) -> JSON {
        let sub = { (random: inout FuzzRandom) -> JSON in
            depth > 0 ? schema(&random, depth: depth - 1) : .bool(random.chance(0.5))
        }
        switch keyword {
        case "const": return Gen.json(&random, depth: 2)
        case "enum": return .array((0..<random.int(0...3)).map { _ in Gen.json(&random, depth: 1) })
        case "type":
            if random.chance(0.5) { return .string(random.pick(typeNames)) }
            return .array((0..<random.int(1...3)).map { _ in .string(random.pick(typeNames)) })
        case "not", "items": return sub(&random)
        case "allOf", "anyOf", "oneOf": return .array((0..<random.int(1...3)).map { _ in sub(&random) })
        case "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum": return .number(Gen.number(&random))
        case "minLength", "maxLength", "minItems", "maxItems":
            return .number(random.chance(0.9) ? Double(random.int(0...5)) : random.pick([-1, 1.5, 1e30]))
        case "pattern":
            switch random.int(0...2) {
            case 0: return .string(random.pick(validPatterns))
            case 1: return .string(random.pick(invalidPatterns))
            default:
                let regexPieces = [
                    "a", "b", ".", "*", "+", "?", "(", ")", "[", "]", "^", "$", "|", "\\", "{2}", "-", "é",
                ]
                return .string(Gen.string(&random, maxPieces: 6, from: regexPieces))
            }
        case "properties":
            var members: [String: JSON] = [:]
            for _ in 0..<random.int(0...2) { members[random.pick(["a", "b", "id", "é"])] = sub(&random) }
            return .object(members)
        case "required":
            return .array((0..<random.int(0...2)).map { _ in .string(random.pick(["a", "b", "id", "é"])) })
        case "$schema", "$id", "$comment", "title", "description", "format":
            return random.chance(0.8) ? .string(Gen.string(&random, maxPieces: 3)) : Gen.json(&random, depth: 1)
        case "deprecated", "readOnly", "writeOnly":
            return random.chance(0.8) ? .bool(random.chance(0.5)) : Gen.json(&random, depth: 1)
        default: return Gen.json(&random, depth: 1)
        }
    }

    /// Values that schemas are tried on: short strings so that a pattern cannot take long.
    static func instance(_ random: inout FuzzRandom) -> JSON {
        switch random.int(0...3) {
        case 0: return .string(Gen.string(&random, maxPieces: 5, from: ["a", "b", "1", "é", ".", "/", "ab", "c"]))
        case 1: return .object(["a": Gen.json(&random, depth: 1), "id": .number(Double(random.int(0...3)))])
        default: return Gen.json(&random, depth: 2)
        }
    }

    @Test func schemaCompilation() {
        Fuzz.check("JSONSchema(_:) refuses exactly the unsupported", share: 0.5) { random in
            let source = Self.schema(&random)
            let expected = Self.expectedValid(source)
            do throws(ValidationError) {
                let schema = try JSONSchema(source)
                if expected == false { return "schema \(source.fuzzQuoted) must be refused but was accepted" }
                for _ in 0..<3 { _ = schema.validates(Self.instance(&random)) }
                return nil
            } catch {
                guard error.field == "schema" || error.field.hasScalarPrefix("schema."), !error.message.isEmpty else {
                    return "refusal of \(source.fuzzQuoted) does not name a schema field: \(error)"
                }
                return expected == true ? "valid schema \(source.fuzzQuoted) refused: \(error)" : nil
            }
        }
    }

    @Test func schemaSemantics() {
        Fuzz.check("JSONSchema.validates follows the keywords", share: 0.5) { random in
            var subject = Self.schema(&random, depth: 1)
            while Self.expectedValid(subject) != true { subject = Self.schema(&random, depth: 1) }
            var other = Self.schema(&random, depth: 1)
            while Self.expectedValid(other) != true { other = Self.schema(&random, depth: 1) }
            guard let a = try? JSONSchema(subject), let b = try? JSONSchema(other) else {
                return "valid schemas refused: \(subject.fuzzQuoted), \(other.fuzzQuoted)"
            }
            let value = Self.instance(&random)
            let options = (0..<random.int(0...2)).map { _ in Self.instance(&random) } + [value]
            let checks: [(String, [String: JSON], Bool)] = [
                ("not", ["not": subject], !a.validates(value)),
                ("allOf", ["allOf": .array([subject, other])], a.validates(value) && b.validates(value)),
                ("anyOf", ["anyOf": .array([subject, other])], a.validates(value) || b.validates(value)),
                ("oneOf", ["oneOf": .array([subject, other])], a.validates(value) != b.validates(value)),
                ("const", ["const": value], true),
                ("enum", ["enum": .array(options)], true),
                ("enum without it", ["enum": .array(options.filter { $0 != value })], false),
                ("true", [:], true),
            ]
            for (name, keywords, expected) in checks {
                guard let schema = try? JSONSchema(.object(keywords)) else { return "\(name) schema refused" }
                if schema.validates(value) != expected {
                    return "\(name): \(JSON.object(keywords).fuzzQuoted) on \(value.fuzzQuoted) gave \(!expected)"
                }
            }
            if case .object(var annotated) = subject {
                annotated["$schema"] = .string("https://json-schema.org/draft/2020-12/schema")
                annotated["title"] = .string("t")
                annotated["format"] = .string("email")
                annotated["default"] = value
                annotated["examples"] = .array([value])
                guard let schema = try? JSONSchema(.object(annotated)) else {
                    return "annotated \(JSON.object(annotated).fuzzQuoted) refused"
                }
                if schema.validates(value) != a.validates(value) {
                    return "annotations changed \(subject.fuzzQuoted) on \(value.fuzzQuoted)"
                }
            }
            if case .number(let number) = value, let schema = try? JSONSchema(.object(["type": .string("integer")])) {
                let integral = number.rounded(.towardZero) == number
                if schema.validates(value) != integral { return "type integer on \(number) gave \(!integral)" }
            }
            return nil
        }
    }
}
