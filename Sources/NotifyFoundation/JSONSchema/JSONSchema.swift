/// The JSON Schema subset a pointer-form notification uses to say which new values it wants
/// (`{"enum": ["completed"]}`, `{"properties": {"amount": {"minimum": 100}}}`).
///
/// The schema is compiled once, when the notification is registered: any keyword outside the
/// supported set, or a keyword value of the wrong type, is refused then with the path of the
/// offending keyword, never silently ignored while events are matched. Supported keywords:
/// `const`, `enum`, `type`, `not`, `allOf`, `anyOf`, `oneOf`, `minimum`, `maximum`,
/// `exclusiveMinimum`, `exclusiveMaximum` (numbers, draft 2020-12), `minLength`, `maxLength`
/// (counted in characters), `pattern` (unanchored search, linear time: see ``Pattern``), `properties`,
/// `required`, `items` (one schema for every element), `minItems`, `maxItems`, and the boolean
/// schemas `true` and `false`. The annotations `$schema`, `$id`, `$comment`, `title`,
/// `description`, `examples`, `default`, `deprecated`, `readOnly`, `writeOnly` and `format` are
/// accepted and ignored (``SchemaAnnotation``).
public struct JSONSchema: Equatable, Sendable {
    /// The schema document as registered; two schemas are equal when their sources are.
    public let source: JSON
    private let root: SchemaNode

    /// Compiles `json` as a schema.
    /// - Throws: ``ValidationError`` whose field is the path of the problem, starting at `schema`
    ///   (`schema.properties.amount.minimum`).
    public init(_ json: JSON) throws(ValidationError) {
        self.source = json
        self.root = try SchemaNode(compiling: json, path: "schema")
    }

    /// The schema `{"enum": values}`, which needs no checking.
    public init(enumOf values: [JSON]) {
        self.source = .object(["enum": .array(values)])
        self.root = .rules([.enumeration(values)])
    }

    /// Whether `value` is valid against this schema.
    public func validates(_ value: JSON) -> Bool {
        root.validates(value, budget: .unlimited)
    }

    /// Whether `value` is valid, its patterns drawing from `budget` (see ``MatchBudget``); the
    /// answer means nothing once the budget is exhausted.
    public func validates(_ value: JSON, budget: MatchBudget) -> Bool {
        root.validates(value, budget: budget)
    }

    public static func == (lhs: JSONSchema, rhs: JSONSchema) -> Bool {
        lhs.source == rhs.source
    }
}

/// A compiled schema: a boolean schema, or the rules of all its keywords, which must all hold.
indirect enum SchemaNode: Sendable {
    case always
    case never
    case rules([SchemaRule])

    func validates(_ value: JSON, budget: MatchBudget) -> Bool {
        switch self {
        case .always: return true
        case .never: return false
        case .rules(let rules): return rules.allSatisfy { $0.accepts(value, budget: budget) }
        }
    }
}

/// One compiled keyword. Keywords about a kind of value (`minimum`, `minLength`, `items`, ...)
/// accept values of every other kind, as JSON Schema specifies.
enum SchemaRule: Sendable {
    case const(JSON)
    case enumeration([JSON])
    case types(Set<SchemaType>)
    case not(SchemaNode)
    case allOf([SchemaNode])
    case anyOf([SchemaNode])
    case oneOf([SchemaNode])
    case minimum(Double)
    case maximum(Double)
    case exclusiveMinimum(Double)
    case exclusiveMaximum(Double)
    case minLength(Int)
    case maxLength(Int)
    case pattern(Pattern)
    case properties([String: SchemaNode])
    case required([String])
    case items(SchemaNode)
    case minItems(Int)
    case maxItems(Int)

    func accepts(_ value: JSON, budget: MatchBudget) -> Bool {
        let validates = { (schema: SchemaNode, value: JSON) in schema.validates(value, budget: budget) }
        switch (self, value) {
        case (.const(let expected), _): return value == expected
        case (.enumeration(let options), _): return options.contains(value)
        case (.types(let types), _): return types.contains { $0.matches(value) }
        case (.not(let schema), _): return !validates(schema, value)
        case (.allOf(let schemas), _): return schemas.allSatisfy { validates($0, value) }
        case (.anyOf(let schemas), _): return schemas.contains { validates($0, value) }
        case (.oneOf(let schemas), _): return schemas.lazy.filter { validates($0, value) }.prefix(2).count == 1
        case (.minimum(let limit), .number(let number)): return number >= limit
        case (.maximum(let limit), .number(let number)): return number <= limit
        case (.exclusiveMinimum(let limit), .number(let number)): return number > limit
        case (.exclusiveMaximum(let limit), .number(let number)): return number < limit
        case (.minLength(let limit), .string(let text)): return text.count >= limit
        case (.maxLength(let limit), .string(let text)): return text.count <= limit
        case (.pattern(let pattern), .string(let text)): return pattern.matches(text, budget: budget)
        case (.properties(let schemas), .object(let members)):
            return schemas.allSatisfy { key, schema in members[key].map { validates(schema, $0) } ?? true }
        case (.required(let names), .object(let members)): return names.allSatisfy { members[$0] != nil }
        case (.items(let schema), .array(let elements)): return elements.allSatisfy { validates(schema, $0) }
        case (.minItems(let limit), .array(let elements)): return elements.count >= limit
        case (.maxItems(let limit), .array(let elements)): return elements.count <= limit
        default: return true
        }
    }
}

/// The values of the `type` keyword.
enum SchemaType: String, Sendable, CaseIterable {
    case null, boolean, object, array, number, integer, string

    func matches(_ value: JSON) -> Bool {
        switch (self, value) {
        case (.null, .null), (.boolean, .bool), (.object, .object), (.array, .array), (.number, .number),
            (.string, .string):
            return true
        case (.integer, _): return value.isInteger
        default: return false
        }
    }
}
