/// An RFC 6901 JSON Pointer (`/payments/0/state`): the scope of a notification names the part of
/// the order it watches with one, and change detection compares the values it resolves to.
public struct JSONPointer: Hashable, Sendable, CustomStringConvertible {
    /// The unescaped reference tokens; empty for the whole document.
    public let tokens: [String]

    /// The pointer to the whole document.
    public static let root = JSONPointer(tokens: [])

    /// A pointer made of already unescaped tokens.
    public init(tokens: [String]) {
        self.tokens = tokens
    }

    /// Parses the string form of a pointer: `""` for the whole document, otherwise `/`-separated
    /// tokens where `~0` stands for `~` and `~1` for `/`.
    /// - Throws: ``ValidationError`` on field `scope` for a pointer without a leading `/` or with
    ///   any other `~` escape.
    public init(parsing text: String) throws(ValidationError) {
        guard !text.isEmpty else {
            self.tokens = []
            return
        }
        guard text.utf8.first == UInt8(ascii: "/") else {
            throw ValidationError(field: "scope", "a JSON pointer must be empty or start with '/'")
        }
        var tokens: [String] = []
        for rawToken in text.utf8.dropFirst().split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false) {
            tokens.append(try Self.unescape(Array(rawToken)))
        }
        self.tokens = tokens
    }

    private static func unescape(_ raw: [UInt8]) throws(ValidationError) -> String {
        guard raw.contains(UInt8(ascii: "~")) else { return String(decoding: raw, as: UTF8.self) }
        var bytes: [UInt8] = []
        var index = 0
        while index < raw.count {
            guard raw[index] == UInt8(ascii: "~") else {
                bytes.append(raw[index])
                index += 1
                continue
            }
            let next = index + 1 < raw.count ? raw[index + 1] : nil
            switch next {
            case UInt8(ascii: "0"): bytes.append(UInt8(ascii: "~"))
            case UInt8(ascii: "1"): bytes.append(UInt8(ascii: "/"))
            default: throw ValidationError(field: "scope", "'~' in a JSON pointer must be followed by '0' or '1'")
            }
            index += 2
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The string form, with `~` and `/` in tokens escaped again.
    public var description: String {
        tokens.map { "/" + escape($0) }.joined()
    }

    private func escape(_ token: String) -> String {
        guard token.unicodeScalars.contains(where: { $0 == "~" || $0 == "/" }) else { return token }
        var escaped = ""
        for scalar in token.unicodeScalars {
            switch scalar {
            case "~": escaped += "~0"
            case "/": escaped += "~1"
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }

    /// The value this pointer refers to in `document`, or `nil` when there is none (a missing key,
    /// an index out of range or not written in decimal without leading zeros, `-`, a scalar).
    public func resolve(in document: JSON) -> JSON? {
        var current = document
        for token in tokens {
            switch current {
            case .object(let members):
                guard let member = members[token] else { return nil }
                current = member
            case .array(let elements):
                guard let position = Self.arrayIndex(token), position < elements.count else { return nil }
                current = elements[position]
            default:
                return nil
            }
        }
        return current
    }

    /// The index an RFC 6901 array token stands for: `0` or decimal digits without a leading zero.
    private static func arrayIndex(_ token: String) -> Int? {
        let digits = token.utf8
        guard let first = digits.first, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else { return nil }
        guard first != UInt8(ascii: "0") || digits.count == 1 else { return nil }
        guard digits.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else { return nil }
        return Int(token)
    }

    /// Whether the value at `pointer`, including anything under it, differs between `before` and
    /// `after`. A value that is missing on one side and present on the other counts as changed.
    public static func changed(at pointer: JSONPointer, before: JSON, after: JSON) -> Bool {
        pointer.resolve(in: before) != pointer.resolve(in: after)
    }
}
