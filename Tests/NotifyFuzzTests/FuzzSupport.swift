import Foundation
import NotifyFoundation
import Testing

/// A seeded SplitMix64 generator: the same seed gives the same cases on every machine, so a failure
/// is reproduced by running again with the seed it printed.
struct FuzzRandom: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }

    mutating func int(_ range: ClosedRange<Int>) -> Int {
        Int.random(in: range, using: &self)
    }

    mutating func chance(_ probability: Double) -> Bool {
        Double.random(in: 0..<1, using: &self) < probability
    }

    mutating func pick<T>(_ items: [T]) -> T {
        items[int(0...(items.count - 1))]
    }
}

/// The fuzz runner: every property runs `Fuzz.iterations` seeded cases (env `NOTIFY_FUZZ_ITERATIONS`,
/// default 2,000 per property, about 20,000 in all), stops early after `NOTIFY_FUZZ_SECONDS` (default
/// 20) of wall time per property, and reports the failing cases with their seed and input.
///
/// Run longer by hand, e.g.:
/// `NOTIFY_FUZZ_ITERATIONS=200000 NOTIFY_FUZZ_SECONDS=600 swift test --filter NotifyFuzzTests`;
/// another seed: `NOTIFY_FUZZ_SEED=12345`.
enum Fuzz {
    static let iterations: Int = environmentNumber("NOTIFY_FUZZ_ITERATIONS").map { max(1, Int($0)) } ?? 2_000
    static let seconds: Double = environmentNumber("NOTIFY_FUZZ_SECONDS") ?? 20
    static let seed: UInt64 = environmentNumber("NOTIFY_FUZZ_SEED").map { UInt64(max(0, $0)) } ?? 0x4E4F_5449_4659

    /// The most failing cases described in one report.
    static let reportedFailures = 5

    private static func environmentNumber(_ name: String) -> Double? {
        ProcessInfo.processInfo.environment[name].flatMap { Double($0) }
    }

    /// Runs `body` on `share × iterations` cases, each with its own generator seeded from the seed,
    /// the property name and the case number. `body` returns `nil` when the case holds, else a
    /// description of what went wrong (with the input). Records one issue listing the failures.
    /// - Returns: the number of cases run.
    @discardableResult
    static func check(
        _ property: String, share: Double = 1, sourceLocation: SourceLocation = #_sourceLocation,
        _ body: (inout FuzzRandom) -> String?
    ) -> Int {
        let count = max(1, Int(Double(iterations) * share))
        let started = Date()
        var failures: [String] = []
        var failed = 0
        var ran = 0
        let salt = property.utf8.reduce(UInt64(1_469_598_103_934_665_603)) { ($0 ^ UInt64($1)) &* 1_099_511_628_211 }
        for index in 0..<count {
            if index % 64 == 0, Date().timeIntervalSince(started) > seconds { break }
            var random = FuzzRandom(seed: (seed ^ salt) &+ UInt64(index) &* 0x2545_F491_4F6C_DD1D)
            ran += 1
            if let failure = body(&random) {
                failed += 1
                if failures.count < reportedFailures { failures.append("case \(index): \(failure)") }
            }
        }
        if failed > 0 {
            Issue.record(
                Comment(
                    rawValue:
                        "\(property): \(failed) of \(ran) cases failed (NOTIFY_FUZZ_SEED=\(seed)); first:\n  "
                        + failures.joined(separator: "\n  ")),
                sourceLocation: sourceLocation)
        }
        return ran
    }
}

/// Generators of inputs: bytes, strings with the characters parsers trip on, JSON values, and
/// mutations of valid text.
enum Gen {
    /// Pieces strings are built from: ASCII, JSON and URL syntax, escapes, combining marks, emoji,
    /// controls, BOM, line separators, right-to-left text, percent escapes.
    static let pieces: [String] = [
        "a", "Z", "0", "9", "-", "_", ".", "~", "/", ":", "?", "#", "@", "%", "%2F", "%zz", "%4", "{", "}", "[", "]",
        "\"", "\\", " ", "\t", "\r", "\n", "\0", "\u{7F}", "\u{1}", "é", "e\u{301}", "\u{301}", "~\u{301}",
        "/\u{301}", "}\u{301}", "😀", "👩‍👩‍👧", "日本", "\u{FEFF}", "\u{2028}", "\u{200D}", "\u{202E}", "ß", "ǅ",
        "~0", "~1", "~2", "~", "~0\u{301}", "~1\u{301}", "x", "order", "id", "0", "01", "-1", "..", "\u{10FFFF}",
        "\u{FFFD}",
    ]

    static func string(_ random: inout FuzzRandom, maxPieces: Int = 8, from alphabet: [String] = pieces) -> String {
        var text = ""
        for _ in 0..<random.int(0...maxPieces) { text += random.pick(alphabet) }
        return text
    }

    static func bytes(_ random: inout FuzzRandom, maxCount: Int = 64) -> [UInt8] {
        let syntax = Array("{}[]\",:-+.eE0123456789 \\/untrfalse".utf8)
        return (0..<random.int(0...maxCount)).map { _ in
            random.chance(0.6) ? random.pick(syntax) : UInt8.random(in: 0...255, using: &random)
        }
    }

    /// A finite number, biased to the edges: integers around 2^53, huge and tiny exponents, -0.
    static func number(_ random: inout FuzzRandom) -> Double {
        switch random.int(0...7) {
        case 0: return Double(random.int(-1000...1000))
        case 1: return Double(random.int(Int(Int32.min)...Int(Int32.max)))
        case 2: return 9_007_199_254_740_992 + Double(random.int(-3...3))
        case 3: return Double.random(in: -1e6...1e6, using: &random)
        case 4: return random.pick([0.1, -0.0, 5e-324, 1e-7, 1e21, 1.7976931348623157e308, -2.2250738585072014e-308])
        case 5:
            return Double(
                sign: random.chance(0.5) ? .minus : .plus, exponent: random.int(-1000...1000), significand: 1.5)
        case 6: return Double(Int64.random(in: Int64.min...Int64.max, using: &random))
        default: return Double(random.int(0...9)) / 4
        }
    }

    /// A JSON value at most `depth` levels deep.
    static func json(_ random: inout FuzzRandom, depth: Int = 4) -> JSON {
        let kind = random.int(0...(depth > 0 ? 6 : 3))
        switch kind {
        case 0: return .null
        case 1: return .bool(random.chance(0.5))
        case 2: return .number(number(&random))
        case 3: return .string(string(&random))
        case 4: return .array((0..<random.int(0...4)).map { _ in json(&random, depth: depth - 1) })
        default:
            var members: [String: JSON] = [:]
            for _ in 0..<random.int(0...4) { members[string(&random, maxPieces: 3)] = json(&random, depth: depth - 1) }
            return .object(members)
        }
    }

    /// Valid JSON text with whitespace and escapes a serializer would not write.
    static func jsonText(_ value: JSON, _ random: inout FuzzRandom) -> String {
        let space = { (random: inout FuzzRandom) -> String in random.pick(["", "", " ", "\n", "\t ", "\r\n"]) }
        switch value {
        case .array(let items):
            let inner = items.map { space(&random) + jsonText($0, &random) + space(&random) }
            return "[" + inner.joined(separator: ",") + space(&random) + "]"
        case .object(let members):
            let inner = members.map { key, member in
                space(&random) + escaped(key, &random) + space(&random) + ":" + space(&random)
                    + jsonText(member, &random)
            }
            return "{" + inner.joined(separator: ",") + space(&random) + "}"
        case .string(let text): return escaped(text, &random)
        default: return value.serialized()
        }
    }

    /// A JSON string literal of `text`, escaping some characters that need no escape (`\u00e9`, `\/`,
    /// surrogate pairs) to exercise the escape decoder.
    static func escaped(_ text: String, _ random: inout FuzzRandom) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "/" where random.chance(0.5): result += "\\/"
            case _ where scalar.value < 0x20 || random.chance(0.2):
                for unit in String(scalar).utf16 { result += "\\u" + hex4(unit, upper: random.chance(0.5)) }
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }

    static func hex4(_ unit: UInt16, upper: Bool) -> String {
        let digits = String(unit, radix: 16, uppercase: upper)
        return String(repeating: "0", count: 4 - digits.count) + digits
    }

    /// 1 to 4 byte-level mutations of `input`: flips, inserts, deletions, duplicated slices and
    /// tokens that parsers handle specially.
    static func mutate(_ input: [UInt8], _ random: inout FuzzRandom) -> [UInt8] {
        var bytes = input
        let tokens: [[UInt8]] =
            [
                "\\u", "\\ud800", "\\udc00\\ud800", "\"", "{", "}", "[", "]", ",", ":", "1e999", "-", "0.", "00",
                "\u{0}", "\\", "\u{FEFF}", "nul", "tru", "1.5e", "[[[[[[[[",
            ].map { Array($0.utf8) } + [
                [0xFF], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82],
            ]
        for _ in 0..<random.int(1...4) {
            let position = bytes.isEmpty ? 0 : random.int(0...bytes.count)
            switch random.int(0...4) {
            case 0 where !bytes.isEmpty:
                bytes[min(position, bytes.count - 1)] ^= UInt8(1 << random.int(0...7))
            case 1:
                bytes.insert(UInt8.random(in: 0...255, using: &random), at: position)
            case 2 where !bytes.isEmpty:
                bytes.remove(at: min(position, bytes.count - 1))
            case 3 where !bytes.isEmpty:
                let end = min(bytes.count, position + random.int(1...16))
                bytes.insert(contentsOf: Array(bytes[min(position, end)..<end]), at: position)
            default:
                bytes.insert(contentsOf: random.pick(tokens), at: position)
            }
        }
        return bytes
    }

    /// A random path through `value`: the tokens and the value they lead to.
    static func path(in value: JSON, _ random: inout FuzzRandom) -> ([String], JSON) {
        var tokens: [String] = []
        var current = value
        while random.chance(0.7) {
            switch current {
            case .object(let members) where !members.isEmpty:
                let key = random.pick(members.keys.sorted())
                tokens.append(key)
                current = members[key] ?? .null
            case .array(let items) where !items.isEmpty:
                let index = random.int(0...(items.count - 1))
                tokens.append(String(index))
                current = items[index]
            default:
                return (tokens, current)
            }
        }
        return (tokens, current)
    }
}

/// Short descriptions of inputs for failure reports.
extension String {
    /// `hasPrefix` by Unicode scalars: `String.hasPrefix` compares grapheme clusters, so
    /// `"schema.\u{301}x"` does not start with `"schema."` (the dot and the mark are one cluster).
    func hasScalarPrefix(_ prefix: String) -> Bool {
        unicodeScalars.starts(with: prefix.unicodeScalars)
    }

    var fuzzQuoted: String {
        let limited = count > 300 ? String(prefix(300)) + "…" : self
        return "\"" + limited.unicodeScalars.map { $0.escaped(asASCII: true) }.joined() + "\""
    }
}

extension Array where Element == UInt8 {
    var fuzzQuoted: String {
        let limited = count > 200 ? Array(prefix(200)) : self
        return "[" + limited.map { String($0, radix: 16) }.joined(separator: " ") + (count > 200 ? " …]" : "]")
    }
}

extension JSON {
    var fuzzQuoted: String { serialized().fuzzQuoted }
}
