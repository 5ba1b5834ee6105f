extension JSON {
    /// The deepest nesting of arrays and objects `parse` accepts from clients.
    public static let maximumDepth = 64
    /// The depth allowed when reading back what the service stored itself: a client document of
    /// ``maximumDepth`` levels sits a few levels deeper inside an order or an event payload.
    public static let storedDepth = 256

    /// Parses one strict RFC 8259 JSON document.
    ///
    /// Beyond the RFC the parser refuses what would make a document ambiguous or abusive: duplicate
    /// object keys, nesting deeper than ``maximumDepth`` and numbers too large for a `Double`.
    /// - Parameters:
    ///   - bytes: the UTF-8 encoded document; whitespace around the value is allowed.
    ///   - maxDepth: the deepest nesting accepted (``storedDepth`` for the service's own documents).
    /// - Throws: ``JSONParseError`` naming the first problem and its byte offset.
    public static func parse(_ bytes: some Collection<UInt8>, maxDepth: Int = maximumDepth) throws(JSONParseError)
        -> JSON
    {
        var parser = JSONParser(bytes: Array(bytes), maxDepth: maxDepth)
        return try parser.parseDocument()
    }

    /// Parses one strict RFC 8259 JSON document from its text, with the same rules as the byte overload.
    public static func parse(_ text: String, maxDepth: Int = maximumDepth) throws(JSONParseError) -> JSON {
        try parse(Array(text.utf8), maxDepth: maxDepth)
    }
}

/// A recursive-descent parser over UTF-8 bytes: working on bytes, not `Character`s, keeps a 1 MiB
/// body well under the time budget of a request.
struct JSONParser {
    let bytes: [UInt8]
    let maxDepth: Int
    var index = 0

    init(bytes: [UInt8], maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    mutating func parseDocument() throws(JSONParseError) -> JSON {
        skipWhitespace()
        let value = try parseValue(depth: 0)
        skipWhitespace()
        if index < bytes.count {
            throw unexpected()
        }
        return value
    }

    private mutating func parseValue(depth: Int) throws(JSONParseError) -> JSON {
        guard index < bytes.count else { throw unexpected() }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): return try parseLiteral("true", .bool(true))
        case UInt8(ascii: "f"): return try parseLiteral("false", .bool(false))
        case UInt8(ascii: "n"): return try parseLiteral("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw unexpected()
        }
    }

    private mutating func parseObject(depth: Int) throws(JSONParseError) -> JSON {
        try checkDepth(depth)
        index += 1
        var members: [String: JSON] = [:]
        skipWhitespace()
        if consume(UInt8(ascii: "}")) { return .object(members) }
        while true {
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw unexpected() }
            let keyOffset = index
            let key = try parseString()
            skipWhitespace()
            guard consume(UInt8(ascii: ":")) else { throw unexpected() }
            skipWhitespace()
            let value = try parseValue(depth: depth)
            if members.updateValue(value, forKey: key) != nil {
                throw .at(keyOffset, "duplicate key '\(key)'")
            }
            skipWhitespace()
            if consume(UInt8(ascii: "}")) { return .object(members) }
            guard consume(UInt8(ascii: ",")) else { throw unexpected() }
            skipWhitespace()
        }
    }

    private mutating func parseArray(depth: Int) throws(JSONParseError) -> JSON {
        try checkDepth(depth)
        index += 1
        var elements: [JSON] = []
        skipWhitespace()
        if consume(UInt8(ascii: "]")) { return .array(elements) }
        while true {
            elements.append(try parseValue(depth: depth))
            skipWhitespace()
            if consume(UInt8(ascii: "]")) { return .array(elements) }
            guard consume(UInt8(ascii: ",")) else { throw unexpected() }
            skipWhitespace()
        }
    }

    private mutating func parseLiteral(_ word: String, _ value: JSON) throws(JSONParseError) -> JSON {
        for expected in word.utf8 {
            guard index < bytes.count, bytes[index] == expected else { throw unexpected() }
            index += 1
        }
        return value
    }

    private func checkDepth(_ depth: Int) throws(JSONParseError) {
        if depth > maxDepth {
            throw .at(index, "nesting deeper than \(maxDepth) levels")
        }
    }

    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    mutating func consume(_ byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    /// The error for the byte at `index`, or for the end of the input.
    func unexpected() -> JSONParseError {
        guard index < bytes.count else { return .at(index, "unexpected end of input") }
        let byte = bytes[index]
        if byte >= 0x20 && byte < 0x7F {
            return .at(index, "unexpected character '\(Character(Unicode.Scalar(byte)))'")
        }
        return .at(index, "unexpected byte 0x\(hex(byte))")
    }

    func hex(_ byte: UInt8) -> String {
        let digits = String(byte, radix: 16, uppercase: true)
        return byte < 0x10 ? "0" + digits : digits
    }
}
