import NotifyFoundation

/// A Swift value sent to Postgres as a bound parameter in text format. Values are never spliced
/// into SQL text; this protocol is the only way a value reaches a statement.
public protocol SQLParameter {
    /// The text form Postgres parses for the parameter's type, or `nil` for SQL NULL.
    var sqlText: String? { get }
}

extension String: SQLParameter {
    public var sqlText: String? { self }
}

extension Int: SQLParameter {
    public var sqlText: String? { String(self) }
}

extension Int64: SQLParameter {
    public var sqlText: String? { String(self) }
}

extension Double: SQLParameter {
    public var sqlText: String? { String(self) }
}

extension Bool: SQLParameter {
    public var sqlText: String? { self ? "t" : "f" }
}

extension JSON: SQLParameter {
    public var sqlText: String? { serialized() }
}

extension Optional: SQLParameter where Wrapped: SQLParameter {
    public var sqlText: String? { self?.sqlText }
}

/// A Postgres array literal (`{"a","b",NULL}`) for `unnest($1::text[])`-style batch statements.
public struct SQLArray: SQLParameter {
    public let elements: [String?]

    public init(_ elements: [String?]) {
        self.elements = elements
    }

    public init(_ elements: [some SQLParameter]) {
        self.elements = elements.map(\.sqlText)
    }

    /// The array literal, every element double-quoted with `"` and `\` escaped, written as bytes in
    /// one buffer: the sweep's write-back sends two dozen arrays of a hundred elements per batch.
    public var sqlText: String? {
        var bytes: [UInt8] = [UInt8(ascii: "{")]
        bytes.reserveCapacity(elements.reduce(2) { $0 + ($1?.utf8.count ?? 4) + 3 })
        for (index, element) in elements.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            guard let element else {
                bytes.append(contentsOf: "NULL".utf8)
                continue
            }
            bytes.append(UInt8(ascii: "\""))
            for byte in element.utf8 {
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { bytes.append(UInt8(ascii: "\\")) }
                bytes.append(byte)
            }
            bytes.append(UInt8(ascii: "\""))
        }
        bytes.append(UInt8(ascii: "}"))
        return String(decoding: bytes, as: UTF8.self)
    }
}
