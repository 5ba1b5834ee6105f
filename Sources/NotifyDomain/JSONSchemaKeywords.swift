/// Compilation of schema documents into ``SchemaNode``s: every keyword is checked here, once, so
/// that matching events never meets an unknown keyword or a value of the wrong type.
extension SchemaNode {
    /// Compiles `json`; `path` is the field name of `json` in errors (`schema.properties.amount`).
    init(compiling json: JSON, path: String) throws(ValidationError) {
        switch json {
        case .bool(let accepts):
            self = accepts ? .always : .never
        case .object(let keywords):
            var rules: [SchemaRule] = []
            for keyword in keywords.keys.sorted() {
                if let value = keywords[keyword] {
                    rules.append(try SchemaRule(keyword: keyword, value: value, path: path + "." + keyword))
                }
            }
            self = .rules(rules)
        default:
            throw ValidationError(field: path, "a schema must be an object or a boolean")
        }
    }
}

extension SchemaRule {
    /// Compiles one keyword; `path` is the keyword's own field name (`schema.minimum`).
    init(keyword: String, value: JSON, path: String) throws(ValidationError) {
        switch keyword {
        case "const": self = .const(value)
        case "enum":
            guard case .array(let options) = value else { throw ValidationError(field: path, "must be an array") }
            self = .enumeration(options)
        case "type": self = .types(try Self.types(value, path: path))
        case "not": self = .not(try SchemaNode(compiling: value, path: path))
        case "allOf": self = .allOf(try Self.schemaList(value, path: path))
        case "anyOf": self = .anyOf(try Self.schemaList(value, path: path))
        case "oneOf": self = .oneOf(try Self.schemaList(value, path: path))
        case "minimum": self = .minimum(try Self.number(value, path: path))
        case "maximum": self = .maximum(try Self.number(value, path: path))
        case "exclusiveMinimum": self = .exclusiveMinimum(try Self.number(value, path: path))
        case "exclusiveMaximum": self = .exclusiveMaximum(try Self.number(value, path: path))
        case "minLength": self = .minLength(try Self.count(value, path: path))
        case "maxLength": self = .maxLength(try Self.count(value, path: path))
        case "minItems": self = .minItems(try Self.count(value, path: path))
        case "maxItems": self = .maxItems(try Self.count(value, path: path))
        case "pattern": self = .pattern(try Self.pattern(value, path: path))
        case "properties": self = .properties(try Self.properties(value, path: path))
        case "required": self = .required(try Self.uniqueStrings(value, path: path))
        case "items": self = .items(try SchemaNode(compiling: value, path: path))
        default: throw ValidationError(field: path, "unsupported keyword '\(keyword)'")
        }
    }

    private static func number(_ value: JSON, path: String) throws(ValidationError) -> Double {
        guard case .number(let number) = value else { throw ValidationError(field: path, "must be a number") }
        return number
    }

    private static func count(_ value: JSON, path: String) throws(ValidationError) -> Int {
        guard case .number(let number) = value, number >= 0, number <= 9_007_199_254_740_991,
            let count = Int(exactly: number)
        else {
            throw ValidationError(field: path, "must be a non-negative integer")
        }
        return count
    }

    private static func schemaList(_ value: JSON, path: String) throws(ValidationError) -> [SchemaNode] {
        guard case .array(let elements) = value, !elements.isEmpty else {
            throw ValidationError(field: path, "must be a non-empty array of schemas")
        }
        var schemas: [SchemaNode] = []
        for (position, element) in elements.enumerated() {
            schemas.append(try SchemaNode(compiling: element, path: "\(path)[\(position)]"))
        }
        return schemas
    }

    private static func properties(_ value: JSON, path: String) throws(ValidationError) -> [String: SchemaNode] {
        guard case .object(let members) = value else {
            throw ValidationError(field: path, "must be an object of schemas")
        }
        var schemas: [String: SchemaNode] = [:]
        for name in members.keys.sorted() {
            if let member = members[name] {
                schemas[name] = try SchemaNode(compiling: member, path: path + "." + name)
            }
        }
        return schemas
    }

    private static func uniqueStrings(_ value: JSON, path: String) throws(ValidationError) -> [String] {
        guard case .array(let elements) = value else {
            throw ValidationError(field: path, "must be an array of strings")
        }
        var names: [String] = []
        for (position, element) in elements.enumerated() {
            guard case .string(let name) = element else {
                throw ValidationError(field: "\(path)[\(position)]", "must be a string")
            }
            guard !names.contains(name) else {
                throw ValidationError(field: "\(path)[\(position)]", "duplicate '\(name)'")
            }
            names.append(name)
        }
        return names
    }

    private static func types(_ value: JSON, path: String) throws(ValidationError) -> Set<SchemaType> {
        let known = SchemaType.allCases.map(\.rawValue).joined(separator: ", ")
        switch value {
        case .string(let name):
            guard let type = SchemaType(rawValue: name) else {
                throw ValidationError(field: path, "unknown type '\(name)', expected one of \(known)")
            }
            return [type]
        case .array(let elements) where !elements.isEmpty:
            var types: Set<SchemaType> = []
            for (position, element) in elements.enumerated() {
                guard case .string(let name) = element, let type = SchemaType(rawValue: name) else {
                    throw ValidationError(field: "\(path)[\(position)]", "must be one of \(known)")
                }
                guard types.insert(type).inserted else {
                    throw ValidationError(field: "\(path)[\(position)]", "duplicate type '\(name)'")
                }
            }
            return types
        default:
            throw ValidationError(field: path, "must be a type name or a non-empty array of type names")
        }
    }

    /// A `pattern`, compiled once to a linear-time matcher (``Pattern``): a merchant's pattern is
    /// matched inside the order-change transaction, where a backtracking engine could be kept busy
    /// for minutes by `^(a+)+$`.
    private static func pattern(_ value: JSON, path: String) throws(ValidationError) -> Pattern {
        guard case .string(let source) = value else { throw ValidationError(field: path, "must be a string") }
        do throws(ValidationError) {
            return try Pattern(source)
        } catch {
            throw ValidationError(field: path, error.message)
        }
    }
}
