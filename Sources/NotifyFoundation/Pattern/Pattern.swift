/// A regular expression from a JSON Schema `pattern`, matched in time linear in the text.
///
/// Why not Swift `Regex`: it backtracks, so a merchant's `^(a+)+$` against thirty `a`s and a `!`
/// keeps an API worker busy for minutes inside the order-change transaction. A `Pattern` compiles
/// to a Thompson NFA and is simulated with a set of states (a Pike VM without captures): matching
/// costs O(text length × program size), never more, whatever the pattern; nothing recurses on the
/// text, so no input can exhaust the stack.
///
/// Syntax: the part of ECMA-262 that JSON Schema patterns use in practice.
/// - literals, `.` (any scalar but the line terminators `\n`, `\r`, U+2028 and U+2029);
/// - escapes `\d \D \w \W \s \S` (ASCII digits and word characters, ECMA-262 white space), `\t \n
///   \r \f \v \0 \cX \xXX \uXXXX \u{X…}` (a `\uXXXX` surrogate pair is one scalar) and any escaped
///   non-alphanumeric character (`\. \\ \/ \- \*` …);
/// - classes `[abc] [^a-z] [\d_-]` with ranges; `[]` matches nothing and `[^]` any scalar; as in
///   ECMA-262 Annex B, a `-` next to a class escape (`[\w-.]`) is a literal;
/// - anchors `^ $` (start and end of the text: there are no flags, so no multiline mode) and word
///   boundaries `\b \B` (ASCII word characters);
/// - groups `( )` and `(?: )` (nothing is captured), alternation `|`;
/// - quantifiers `* + ? {n} {n,} {n,m}` and their lazy forms (`*?` …: laziness changes which
///   match is found, never whether one is); a `{` or `}` that is not part of a quantifier is a
///   literal, as in Annex B.
///
/// Refused, with a message naming the construct and its position (in Unicode scalars from 0):
/// backreferences (`\1`, `\k<name>`), lookahead and lookbehind, named groups, flags and inline
/// modifiers (`(?i)`), Unicode property escapes (`\p{L}`), unknown letter escapes (`\z`, `\A`),
/// octal escapes, nested or POSIX classes (`[[:alpha:]]`: escape a literal `[` in a class as `\[`),
/// `{,n}`, possessive quantifiers; and patterns too large to promise the time bound: more than
/// 1,024 scalars, a repetition bound above 1,000, more than 2,000 compiled states (instructions),
/// or groups nested more than 100 deep.
///
/// Matching is on Unicode scalars, where ECMA-262 uses UTF-16 code units: `.` matches one emoji,
/// not half of it, and the combining accent of `e\u{301}` is a scalar of its own.
public struct Pattern: Equatable, Sendable {
    /// The longest pattern accepted, in Unicode scalars.
    static let maximumLength = 1_024
    /// The largest bound of a counted repetition (`{n}`, `{n,}`, `{n,m}`).
    static let maximumRepetition = 1_000
    /// The most instructions a compiled pattern may have: the factor of the text length in the
    /// time a match takes (at this size, a 1 MiB string with every state active takes a few
    /// seconds in the worst case, well inside the request timeout).
    static let maximumProgramSize = 2_000
    /// How deep groups may nest; the parser and compiler recurse on the pattern (never the text).
    static let maximumNesting = 100

    /// The pattern as written; two patterns are equal when their sources are.
    public let source: String
    let program: PatternProgram

    /// Parses and compiles `source`.
    /// - Throws: ``ValidationError`` with field `pattern` and a message naming the unsupported or
    ///   malformed construct and its position, or saying the pattern is too large.
    public init(_ source: String) throws(ValidationError) {
        let length = source.unicodeScalars.count
        guard length <= Self.maximumLength else {
            throw ValidationError(
                field: "pattern", "pattern too large: \(length) characters, at most \(Self.maximumLength)")
        }
        self.source = source
        self.program = try PatternProgram(compiling: try PatternParser.parse(source))
    }

    /// Whether the pattern matches anywhere in `text`, like ECMA-262 `RegExp.prototype.test`
    /// (JSON Schema patterns are not implicitly anchored: write `^…$` to match the whole text).
    public func matches(_ text: String) -> Bool {
        program.matches(text)
    }

    /// `matches(_:)` drawing its steps from `budget`: once the budget is exhausted this and every
    /// later match of the budget answer `false`.
    public func matches(_ text: String, budget: MatchBudget) -> Bool {
        guard !budget.isExhausted else { return false }
        let (matched, steps) = program.matches(text, budget: budget.remaining)
        budget.charge(steps)
        return matched && !budget.isExhausted
    }

    public static func == (lhs: Pattern, rhs: Pattern) -> Bool {
        lhs.source == rhs.source
    }
}
