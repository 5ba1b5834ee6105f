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

    public var sqlText: String? {
        let items = elements.map { element -> String in
            guard let element else { return "NULL" }
            var quoted = "\""
            for character in element.unicodeScalars {
                if character == "\"" || character == "\\" { quoted.unicodeScalars.append("\\") }
                quoted.unicodeScalars.append(character)
            }
            return quoted + "\""
        }
        return "{" + items.joined(separator: ",") + "}"
    }
}
