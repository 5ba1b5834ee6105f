import NotifyFoundation
import Testing

@Suite("Pattern: linear-time regular expressions for JSON Schema")
struct PatternTests {
    @Test(
        "literals, dot, escapes, groups, alternation and quantifiers",
        arguments: [
            ("abc", "xxabcxx", true),
            ("abc", "ab", false),
            ("", "", true),
            ("", "anything", true),
            ("é", "café", true),
            ("😀", "a😀b", true),
            ("a.c", "abc", true),
            ("a.c", "a\nc", false),
            ("a.c", "a\rc", false),
            ("a.c", "a\u{2028}c", false),
            ("^.$", "😀", true),
            ("^.$", "e\u{301}", false),
            (#"\d"#, "x7", true),
            (#"\d"#, "٣", false),
            (#"^\D+$"#, "ab-", true),
            (#"\D"#, "123", false),
            (#"^\w+$"#, "ab_9", true),
            (#"\w"#, "é-", false),
            (#"\W"#, "ab-", true),
            (#"\s"#, "a\tb", true),
            (#"\s"#, "a\u{00A0}b", true),
            (#"\s"#, "a\u{FEFF}b", true),
            (#"\s"#, "ab", false),
            (#"^\S+$"#, "a b", false),
            (#"a\.b"#, "a.b", true),
            (#"a\.b"#, "axb", false),
            (#"a\\b"#, #"a\b"#, true),
            (#"a\/b"#, "a/b", true),
            (#"a\-b"#, "a-b", true),
            (#"\*\+\?\(\)\[\]\{\}\|\^\$"#, "*+?()[]{}|^$", true),
            (#"a\tb"#, "a\tb", true),
            (#"\n\r\f\v"#, "\n\r\u{0C}\u{0B}", true),
            (#"\u0041\x42"#, "AB", true),
            (#"\u{1F600}"#, "😀", true),
            (#"\uD83D\uDE00"#, "😀", true),
            (#"\uD83D"#, "😀", false),
            (#"\cJ"#, "\n", true),
            (#"\0"#, "a\u{0}", true),
            ("a|b", "b", true),
            ("ab|cd", "xcdx", true),
            ("ab|cd", "ac", false),
            ("^(ab|c)*$", "abcab", true),
            ("^(ab|c)*$", "abca", false),
            ("^(?:ab)+$", "abab", true),
            ("^(?:ab)+$", "", false),
            ("^a*$", "", true),
            ("^a*$", "aaab", false),
            ("^a+$", "aaa", true),
            ("^a+$", "", false),
            ("^ab?c$", "ac", true),
            ("^ab?c$", "abbc", false),
            ("^a*?b+?c??$", "aabb", true),
            ("^(|a)b$", "b", true),
            ("^()*$", "", true),
            ("^(a*)*$", "aaa", true),
            ("^(a|)+b$", "aab", true),
            ("a{", "a{", true),
            ("^x{a}$", "x{a}", true),
            ("a}", "a}", true),
            ("]", "]", true),
            ("a{,", "a{,", true),
        ]
    )
    func construct(pattern: String, text: String, matches: Bool) throws {
        #expect(try Pattern(pattern).matches(text) == matches)
    }

    @Test(
        "anchors and word boundaries",
        arguments: [
            ("^ord-", "ord-1", true),
            ("^ord-", "xord-1", false),
            ("-1$", "ord-1", true),
            ("-1$", "ord-1\n", false),
            ("^$", "", true),
            ("^$", "\n", false),
            ("a^b", "a^b", false),
            ("^a|b$", "xxb", true),
            ("^a|b$", "xax", false),
            ("(^|,)b(,|$)", "a,b", true),
            ("(^|,)b(,|$)", "ab", false),
            (#"\bcat\b"#, "a cat!", true),
            (#"\bcat\b"#, "concat", false),
            (#"\Bcat"#, "concat", true),
            (#"\Bcat"#, "cat", false),
            (#"^\b$"#, "", false),
            (#"^\B$"#, "", true),
            (#"[\b]"#, "\u{8}", true),
        ]
    )
    func anchor(pattern: String, text: String, matches: Bool) throws {
        #expect(try Pattern(pattern).matches(text) == matches)
    }

    @Test(
        "character classes",
        arguments: [
            ("^[abc]+$", "cab", true),
            ("^[abc]+$", "cad", false),
            ("^[^a-z]+$", "ABC-1", true),
            ("^[^a-z]+$", "ABc", false),
            (#"^[\d_-]+$"#, "1_2-3", true),
            (#"^[\d_-]+$"#, "1a", false),
            ("^[-a]+$", "-a-", true),
            ("^[a-]+$", "-a-", true),
            (#"^[\w-.]+$"#, "a-b.c", true),
            (#"^[\w-.]+$"#, "a,b", false),
            ("^[a-cx-z]+$", "abzy", true),
            ("^[a-cx-z]+$", "abd", false),
            ("[é-ë]", "ê", true),
            (#"[\u0041-\u0043]"#, "B", true),
            (#"[\]\[]"#, "[", true),
            (#"[\^]"#, "^", true),
            ("[a^]", "^", true),
            (#"[^\s]"#, " \t", false),
            (#"[\S]"#, " x", true),
            (#"[\D]"#, "12", false),
            (#"[\W\d]"#, "7", true),
            ("[.]", "x", false),
            ("[.]", ".", true),
            ("[]", "abc", false),
            ("^[^]$", "\n", true),
            ("[😀-😂]", "😁", true),
            ("^[^😀]$", "😀", false),
        ]
    )
    func characterClass(pattern: String, text: String, matches: Bool) throws {
        #expect(try Pattern(pattern).matches(text) == matches)
    }

    @Test(
        "counted repetition",
        arguments: [
            ("^a{3}$", "aaa", true),
            ("^a{3}$", "aa", false),
            ("^a{3}$", "aaaa", false),
            ("^a{2,}$", "aa", true),
            ("^a{2,}$", "aaaaaaa", true),
            ("^a{2,}$", "a", false),
            ("^a{2,3}$", "aaa", true),
            ("^a{2,3}$", "aaaa", false),
            ("^a{0,2}$", "", true),
            ("^a{0}$", "", true),
            ("^a{0}$", "a", false),
            ("^(ab){2}$", "abab", true),
            ("^(a|bc){1,2}$", "bca", true),
            ("^(a|bc){1,2}$", "bcabc", false),
            ("^a{2,3}?$", "aa", true),
            (#"^\d{2,3}$"#, "1234", false),
            ("^a{1000}$", String(repeating: "a", count: 1000), true),
            ("^a{1000}$", String(repeating: "a", count: 999), false),
            ("^(a{10}){10,}$", String(repeating: "a", count: 150), true),
            ("^(a{10}){10,}$", String(repeating: "a", count: 95), false),
        ]
    )
    func countedRepetition(pattern: String, text: String, matches: Bool) throws {
        #expect(try Pattern(pattern).matches(text) == matches)
    }

    @Test(
        "unsupported and malformed patterns are refused with the construct and its position",
        arguments: [
            (#"(a)\1"#, #"unsupported in pattern: backreference '\1' at position 3 (groups capture nothing)"#),
            (#"(?<x>a)\k<x>"#, "unsupported in pattern: named group '(?<' at position 0 (use '(' or '(?:')"),
            (#"\k<x>"#, #"unsupported in pattern: named backreference '\k' at position 0"#),
            ("a(?=b)", "unsupported in pattern: lookahead '(?=' at position 1"),
            ("a(?!b)", "unsupported in pattern: lookahead '(?!' at position 1"),
            ("(?<=a)b", "unsupported in pattern: lookbehind '(?<=' at position 0"),
            ("(?<!a)b", "unsupported in pattern: lookbehind '(?<!' at position 0"),
            ("(?i)abc", "unsupported in pattern: flags or modifier group '(?i' at position 0"),
            (#"\p{L}"#, #"unsupported in pattern: Unicode property escape '\p' at position 0"#),
            (#"a\z"#, #"unsupported in pattern: escape '\z' at position 1"#),
            (#"\A"#, #"unsupported in pattern: escape '\A' at position 0"#),
            (#"\01"#, #"unsupported in pattern: octal escape '\01' at position 0"#),
            (
                "[[:alpha:]]",
                #"unsupported in pattern: '[' inside a character class at position 1 "#
                    + #"(nested and POSIX classes are unsupported; write '\[' for the character)"#
            ),
            (#"[\B]"#, #"unsupported in pattern: '\B' inside a character class at position 1"#),
            ("a{,3}", "unsupported in pattern: '{,n}' at position 1 (write '{0,n}')"),
            ("(", "missing ')' for the group opened at position 0"),
            ("(?", "missing ')' for the group opened at position 0"),
            ("a(b", "missing ')' for the group opened at position 1"),
            ("a)", "unmatched ')' at position 1"),
            ("[", "unterminated character class '[' opened at position 0"),
            ("[a-", "unterminated character class '[' opened at position 0"),
            ("[z-a]", "range out of order 'z-a' in character class at position 1"),
            ("a{2,1}", "repetition bounds out of order '{2,1}' at position 1"),
            (#"\"#, #"'\' at end of pattern"#),
            (#"\x4"#, #"invalid escape '\x' at position 0: expected 2 hexadecimal digits"#),
            (#"\u12"#, #"invalid escape '\u' at position 0: expected 4 hexadecimal digits or '{'"#),
            (
                #"\u{110000}"#,
                #"invalid escape '\u{' at position 0: expected hexadecimal digits up to 10FFFF and '}'"#
            ),
            (#"\c1"#, #"invalid escape '\c' at position 0: expected a letter A-Z"#),
            ("*a", "nothing to repeat: quantifier '*' at position 0"),
            ("a|+", "nothing to repeat: quantifier '+' at position 2"),
            ("(?:?)", "nothing to repeat: quantifier '?' at position 3"),
            ("{2}", "nothing to repeat: quantifier '{' at position 0"),
            ("^*", "nothing to repeat: quantifier at position 1 follows an assertion"),
            (#"\b+"#, "nothing to repeat: quantifier at position 2 follows an assertion"),
            (
                "a*+",
                "nothing to repeat: quantifier at position 2 follows another quantifier "
                    + "(possessive quantifiers are unsupported)"
            ),
            (
                "a{2}{3}",
                "nothing to repeat: quantifier at position 4 follows another quantifier "
                    + "(possessive quantifiers are unsupported)"
            ),
            ("a{1001}", "pattern too large: repetition '{1001}' at position 1 has a bound above 1000"),
            (
                "a{1,99999999999999999999}",
                "pattern too large: repetition '{1,99999999999999999999}' at position 1 has a bound above 1000"
            ),
            ("(a{100}){21}", "pattern too large: it compiles to more than 2000 states"),
            (
                String(repeating: "(", count: 101) + String(repeating: ")", count: 101),
                "pattern too large: groups nested more than 100 deep at position 100"
            ),
            (String(repeating: "a", count: 1025), "pattern too large: 1025 characters, at most 1024"),
        ]
    )
    func refused(pattern: String, message: String) {
        let error = #expect(throws: ValidationError.self) { try Pattern(pattern) }
        #expect(error == ValidationError(field: "pattern", message))
    }

    @Test("the largest accepted patterns compile")
    func limits() throws {
        _ = try Pattern(String(repeating: "a", count: 1024))
        _ = try Pattern("(a{99}){20}")
        _ = try Pattern(String(repeating: "(", count: 100) + String(repeating: ")", count: 100))
    }

    @Test("patterns are equal when their sources are")
    func equality() throws {
        #expect(try Pattern("^a+$") == Pattern("^a+$"))
        #expect(try Pattern("^a+$") != Pattern("^(?:a)+$"))
        #expect(try Pattern("^a+$").source == "^a+$")
    }

    @Test(
        "patterns that hang backtracking engines answer at once",
        arguments: [
            (pattern: "^(a+)+$", unit: "a", suffix: "!", matches: false),
            ("(a|a)*b", "a", "", false),
            ("(a*)*b", "a", "", false),
            ("(x+x+)+y", "x", "", false),
            ("^(a|aa)+$", "a", "!", false),
            ("^(a+)+$", "a", "", true),
            ("(.*a){20}", "a", "", true),
            ("^(\\w+\\s?)*$", "word ", "!", false),
        ],
        [30, 5_000]
    )
    func catastrophic(example: (pattern: String, unit: String, suffix: String, matches: Bool), count: Int) throws {
        let (pattern, unit, suffix, matches) = example
        let compiled = try Pattern(pattern)
        let text = String(repeating: unit, count: count) + suffix
        let clock = ContinuousClock()
        var result = !matches
        let elapsed = clock.measure { result = compiled.matches(text) }
        #expect(result == matches)
        #expect(elapsed < .seconds(1), "\(pattern) on \(count) × \(unit.debugDescription) took \(elapsed)")
    }

    @Test("a megabyte of text against a pattern of over a hundred states, unanchored")
    func largeInput() throws {
        let pattern = try Pattern(#"([a-z]+\.)+(ab|cd|ef|gh){3}[0-9]{2,5}(x|y|z)+[a-z]{0,30}$"#)
        let text = String(repeating: "abcdefghij.", count: 95_000) + "ababab123" + String(repeating: "x", count: 10_000)
        #expect(text.utf8.count > 1_048_576)
        #expect(pattern.matches(text))
        #expect(!pattern.matches(text + "!"))
    }
}
