/// The syntax tree of a ``Pattern``: what the parser builds and ``PatternProgram`` compiles.
/// Groups leave no node of their own because nothing is captured.
indirect enum PatternNode: Equatable, Sendable {
    case empty
    /// One scalar from the set: a literal, `.`, a class or a class escape.
    case scalars(ScalarSet)
    case assertion(PatternAssertion)
    case sequence([PatternNode])
    case alternation([PatternNode])
    /// `max == nil` for no upper bound (`*`, `+`, `{n,}`).
    case repetition(PatternNode, min: Int, max: Int?)
}

/// The zero-width assertions: they hold or not between two scalars, and consume none.
enum PatternAssertion: Equatable, Sendable {
    /// `^`: the start of the text (no multiline mode).
    case start
    /// `$`: the end of the text, not before a final line feed (no multiline mode).
    case end
    /// `\b`: one side is an ASCII word character and the other is not.
    case wordBoundary
    /// `\B`: both sides are word characters, or neither is.
    case notWordBoundary
}

/// A recursive-descent parser of the ECMA-262 subset that ``Pattern`` documents. It recurses once
/// per group, at most ``Pattern/maximumNesting`` deep; every refusal names its construct and its
/// position in Unicode scalars from 0.
struct PatternParser {
    let scalars: [Unicode.Scalar]
    var position = 0
    private var depth = 0

    private init(_ source: String) {
        self.scalars = Array(source.unicodeScalars)
    }

    /// The syntax tree of `source`.
    static func parse(_ source: String) throws(ValidationError) -> PatternNode {
        var parser = PatternParser(source)
        let node = try parser.parseAlternation()
        if parser.position < parser.scalars.count {
            throw parser.error("unmatched ')' at position \(parser.position)")
        }
        return node
    }

    /// The scalar `offset` places ahead, if any.
    func peek(_ offset: Int = 0) -> Unicode.Scalar? {
        position + offset < scalars.count ? scalars[position + offset] : nil
    }

    func error(_ message: String) -> ValidationError {
        ValidationError(field: "pattern", message)
    }

    func unsupported(_ construct: String, at start: Int, hint: String = "") -> ValidationError {
        error("unsupported in pattern: \(construct) at position \(start)\(hint)")
    }

    /// Branches separated by `|`, up to the end of the pattern or of the current group.
    private mutating func parseAlternation() throws(ValidationError) -> PatternNode {
        var branches = [try parseSequence()]
        while peek() == "|" {
            position += 1
            branches.append(try parseSequence())
        }
        return branches.count == 1 ? branches[0] : .alternation(branches)
    }

    /// Terms, each an assertion or an atom with an optional quantifier.
    private mutating func parseSequence() throws(ValidationError) -> PatternNode {
        var items: [PatternNode] = []
        while let scalar = peek(), scalar != "|", scalar != ")" {
            let (atom, quantifiable) = try parseAtom()
            let quantifierStart = position
            guard let bounds = try parseQuantifier() else {
                items.append(atom)
                continue
            }
            guard quantifiable else {
                throw error("nothing to repeat: quantifier at position \(quantifierStart) follows an assertion")
            }
            let extraStart = position
            if try parseQuantifier() != nil {
                throw error(
                    "nothing to repeat: quantifier at position \(extraStart) follows another quantifier "
                        + "(possessive quantifiers are unsupported)")
            }
            items.append(.repetition(atom, min: bounds.min, max: bounds.max))
        }
        switch items.count {
        case 0: return .empty
        case 1: return items[0]
        default: return .sequence(items)
        }
    }

    /// One atom and whether a quantifier may follow it (not after an assertion).
    private mutating func parseAtom() throws(ValidationError) -> (PatternNode, Bool) {
        let start = position
        let scalar = scalars[position]
        position += 1
        switch scalar {
        case "(": return (try parseGroup(openedAt: start), true)
        case "[": return (.scalars(try parseClass(openedAt: start)), true)
        case ".": return (.scalars(ScalarSet.lineTerminators.inverted), true)
        case "^": return (.assertion(.start), false)
        case "$": return (.assertion(.end), false)
        case "\\":
            switch try parseEscape(inClass: false) {
            case .scalar(let value): return (.scalars(ScalarSet(value)), true)
            case .set(let set): return (.scalars(set), true)
            case .assertion(let assertion): return (.assertion(assertion), false)
            }
        case "*", "+", "?":
            throw error("nothing to repeat: quantifier '\(scalar)' at position \(start)")
        case "{":
            position = start
            if try parseBraces() != nil {
                throw error("nothing to repeat: quantifier '{' at position \(start)")
            }
            position = start + 1
            return (.scalars(ScalarSet(scalar.value)), true)
        default:
            return (.scalars(ScalarSet(scalar.value)), true)
        }
    }

    /// The group whose `(` is at `start`, after that `(`.
    private mutating func parseGroup(openedAt start: Int) throws(ValidationError) -> PatternNode {
        if peek() == "?" {
            switch (peek(1), peek(2)) {
            case (":", _): position += 2
            case ("=", _), ("!", _): throw unsupported("lookahead '(?\(peek(1)!)'", at: start)
            case ("<", "="), ("<", "!"): throw unsupported("lookbehind '(?<\(peek(2)!)'", at: start)
            case ("<", _): throw unsupported("named group '(?<'", at: start, hint: " (use '(' or '(?:')")
            case (let other?, _): throw unsupported("flags or modifier group '(?\(other)'", at: start)
            case (nil, _): throw error("missing ')' for the group opened at position \(start)")
            }
        }
        depth += 1
        guard depth <= Pattern.maximumNesting else {
            throw error(
                "pattern too large: groups nested more than \(Pattern.maximumNesting) deep at position \(start)")
        }
        let inner = try parseAlternation()
        guard peek() == ")" else { throw error("missing ')' for the group opened at position \(start)") }
        position += 1
        depth -= 1
        return inner
    }

    /// A quantifier and its lazy `?`, or nil (and nothing consumed) when none follows.
    private mutating func parseQuantifier() throws(ValidationError) -> (min: Int, max: Int?)? {
        let bounds: (min: Int, max: Int?)
        switch peek() {
        case "*": bounds = (0, nil)
        case "+": bounds = (1, nil)
        case "?": bounds = (0, 1)
        case "{":
            guard let braces = try parseBraces() else { return nil }
            bounds = braces
        default: return nil
        }
        position += 1
        if peek() == "?" { position += 1 }
        return bounds
    }

    /// `{n}`, `{n,}` or `{n,m}` at the current position, which is left on the closing `}`; nil
    /// and the position unchanged when the `{` is a literal.
    private mutating func parseBraces() throws(ValidationError) -> (min: Int, max: Int?)? {
        let start = position
        var cursor = position + 1
        func number() -> Int? {
            var value: Int?
            while cursor < scalars.count, (0x30...0x39).contains(scalars[cursor].value) {
                let digit = Int(scalars[cursor].value - 0x30)
                value = min((value ?? 0) * 10 + digit, Pattern.maximumRepetition + 1)
                cursor += 1
            }
            return value
        }
        let lower = number()
        var upper = lower
        if cursor < scalars.count, scalars[cursor] == "," {
            cursor += 1
            upper = number()
        }
        guard cursor < scalars.count, scalars[cursor] == "}" else { return nil }
        guard let lower else {
            if upper != nil { throw unsupported("'{,n}'", at: start, hint: " (write '{0,n}')") }
            return nil
        }
        let text = String(String.UnicodeScalarView(scalars[start...cursor]))
        for bound in [lower, upper] where (bound ?? 0) > Pattern.maximumRepetition {
            throw error(
                "pattern too large: repetition '\(text)' at position \(start) has a bound above "
                    + "\(Pattern.maximumRepetition)")
        }
        if let upper, upper < lower {
            throw error("repetition bounds out of order '\(text)' at position \(start)")
        }
        position = cursor
        return (lower, upper)
    }
}
