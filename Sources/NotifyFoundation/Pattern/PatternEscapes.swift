/// What a `\` escape of a ``Pattern`` stands for.
enum PatternEscape: Equatable {
    /// One scalar value (`\n`, `\x41`, `\.`); it may end a class range. Surrogate values are kept:
    /// they never match, since a Swift string holds no lone surrogate.
    case scalar(UInt32)
    /// A class escape (`\d`, `\W`, ...).
    case set(ScalarSet)
    /// `\b` or `\B` outside a class.
    case assertion(PatternAssertion)
}

/// Escapes and character classes: the part of the syntax where ECMA-262, its Annex B and other
/// regular-expression dialects disagree, so whatever could be read two ways is refused.
extension PatternParser {
    /// The class whose `[` is at `start`, after that `[`.
    mutating func parseClass(openedAt start: Int) throws(ValidationError) -> ScalarSet {
        let negated = peek() == "^"
        if negated { position += 1 }
        var ranges: [ClosedRange<UInt32>] = []
        while true {
            guard let scalar = peek() else {
                throw error("unterminated character class '[' opened at position \(start)")
            }
            if scalar == "]" {
                position += 1
                break
            }
            let atomStart = position
            let first = try parseClassAtom()
            guard case .scalar(let lower) = first, peek() == "-", let after = peek(1), after != "]" else {
                ranges += Self.ranges(of: first)
                continue
            }
            position += 1
            let second = try parseClassAtom()
            guard case .scalar(let upper) = second else {
                // Annex B: a range cannot end with a class escape, so the `-` is a literal.
                ranges += [lower...lower, 0x2D...0x2D] + Self.ranges(of: second)
                continue
            }
            guard lower <= upper else {
                let text = String(String.UnicodeScalarView(scalars[atomStart..<position]))
                throw error("range out of order '\(text)' in character class at position \(atomStart)")
            }
            ranges.append(lower...upper)
        }
        let set = ScalarSet(ranges)
        return negated ? set.inverted : set
    }

    private static func ranges(of escape: PatternEscape) -> [ClosedRange<UInt32>] {
        switch escape {
        case .scalar(let value): return [value...value]
        case .set(let set): return set.ranges
        case .assertion: return []
        }
    }

    /// A literal or an escape inside a class.
    private mutating func parseClassAtom() throws(ValidationError) -> PatternEscape {
        let scalar = scalars[position]
        position += 1
        switch scalar {
        case "\\": return try parseEscape(inClass: true)
        case "[":
            throw unsupported(
                "'[' inside a character class", at: position - 1,
                hint: " (nested and POSIX classes are unsupported; write '\\[' for the character)")
        default: return .scalar(scalar.value)
        }
    }

    /// The escape whose `\` was just consumed.
    mutating func parseEscape(inClass: Bool) throws(ValidationError) -> PatternEscape {
        let start = position - 1
        guard let scalar = peek() else { throw error("'\\' at end of pattern") }
        position += 1
        switch scalar {
        case "d": return .set(.digits)
        case "D": return .set(ScalarSet.digits.inverted)
        case "w": return .set(.wordCharacters)
        case "W": return .set(ScalarSet.wordCharacters.inverted)
        case "s": return .set(.whiteSpace)
        case "S": return .set(ScalarSet.whiteSpace.inverted)
        case "b": return inClass ? .scalar(0x08) : .assertion(.wordBoundary)
        case "B":
            guard !inClass else { throw unsupported("'\\B' inside a character class", at: start) }
            return .assertion(.notWordBoundary)
        case "t": return .scalar(0x09)
        case "n": return .scalar(0x0A)
        case "v": return .scalar(0x0B)
        case "f": return .scalar(0x0C)
        case "r": return .scalar(0x0D)
        case "0":
            guard let next = peek(), Self.isDigit(next) else { return .scalar(0) }
            throw unsupported("octal escape '\\0\(next)'", at: start)
        case "1"..."9":
            throw unsupported("backreference '\\\(scalar)'", at: start, hint: " (groups capture nothing)")
        case "k": throw unsupported("named backreference '\\k'", at: start)
        case "p", "P": throw unsupported("Unicode property escape '\\\(scalar)'", at: start)
        case "c":
            guard let letter = peek(), ("a"..."z").contains(letter) || ("A"..."Z").contains(letter) else {
                throw error("invalid escape '\\c' at position \(start): expected a letter A-Z")
            }
            position += 1
            return .scalar(letter.value % 32)
        case "x":
            guard let value = hexadecimal(digits: 2) else {
                throw error("invalid escape '\\x' at position \(start): expected 2 hexadecimal digits")
            }
            return .scalar(value)
        case "u": return .scalar(try parseUnicodeEscape(start: start))
        default:
            guard !scalar.properties.isAlphabetic, !Self.isDigit(scalar), scalar != "_" else {
                throw unsupported("escape '\\\(scalar)'", at: start)
            }
            return .scalar(scalar.value)
        }
    }

    /// After `\u`: `{X…}`, or `XXXX`, joined with a following `\uXXXX` into one scalar when the two
    /// are a UTF-16 surrogate pair (how JSON and JavaScript spell characters beyond U+FFFF).
    private mutating func parseUnicodeEscape(start: Int) throws(ValidationError) -> UInt32 {
        if peek() == "{" {
            position += 1
            var value: UInt32 = 0
            var count = 0
            while let scalar = peek(), let digit = Self.hexValue(scalar) {
                value = min(value * 16 + digit, ScalarSet.maximum + 1)
                count += 1
                position += 1
            }
            guard count > 0, peek() == "}", value <= ScalarSet.maximum else {
                throw error(
                    "invalid escape '\\u{' at position \(start): expected hexadecimal digits up to 10FFFF and '}'")
            }
            position += 1
            return value
        }
        guard let high = hexadecimal(digits: 4) else {
            throw error("invalid escape '\\u' at position \(start): expected 4 hexadecimal digits or '{'")
        }
        guard (0xD800...0xDBFF).contains(high), peek() == "\\", peek(1) == "u" else { return high }
        let resume = position
        position += 2
        guard let low = hexadecimal(digits: 4), (0xDC00...0xDFFF).contains(low) else {
            position = resume
            return high
        }
        return 0x1_0000 + ((high - 0xD800) << 10) + (low - 0xDC00)
    }

    /// Exactly `digits` hexadecimal digits, consumed; nil (and nothing consumed) otherwise.
    private mutating func hexadecimal(digits: Int) -> UInt32? {
        var value: UInt32 = 0
        for offset in 0..<digits {
            guard let scalar = peek(offset), let digit = Self.hexValue(scalar) else { return nil }
            value = value * 16 + digit
        }
        position += digits
        return value
    }

    private static func hexValue(_ scalar: Unicode.Scalar) -> UInt32? {
        switch scalar {
        case "0"..."9": return scalar.value - 0x30
        case "a"..."f": return scalar.value - 0x61 + 10
        case "A"..."F": return scalar.value - 0x41 + 10
        default: return nil
        }
    }

    private static func isDigit(_ scalar: Unicode.Scalar) -> Bool {
        ("0"..."9").contains(scalar)
    }
}
