import NotifyFoundation
import Testing

/// The linear-time `Pattern` engine against Swift's backtracking `Regex` on small random patterns
/// (where the backtracker cannot blow up): both must say the same for every string.
@Suite("Fuzz: schema patterns against Swift Regex")
struct PatternFuzzTests {
    @Test("agrees with Swift Regex on random small patterns over {a, b}")
    func agreesWithRegex() throws {
        var random = FuzzRandom(seed: 0x5041_5454_4552_4E)
        var matched = 0
        var unmatched = 0
        for _ in 0..<2_000 {
            let source = Self.randomPattern(&random, depth: 2)
            let pattern = try Pattern(source)
            let regex = try Regex(source).matchingSemantics(.unicodeScalar).wordBoundaryKind(.simple)
            for _ in 0..<8 {
                let text = String((0..<random.int(0...8)).map { _ in random.pick(["a", "b"]) }.joined())
                let matches = pattern.matches(text)
                #expect(matches == text.contains(regex), "\(source) on \(text.debugDescription)")
                if matches { matched += 1 } else { unmatched += 1 }
            }
        }
        // Both answers must be common: patterns that (nearly) always match, or never do, would
        // agree with any engine and test nothing.
        #expect(matched >= 1_600 && unmatched >= 1_600, "\(matched) matched, \(unmatched) did not")
    }

    /// A pattern of the syntax both engines read the same way, over the alphabet {a, b}.
    static func randomPattern(_ random: inout FuzzRandom, depth: Int) -> String {
        (0..<random.int(1...2)).map { _ in
            (0..<random.int(0...3)).map { _ in randomTerm(&random, depth: depth) }.joined()
        }.joined(separator: "|")
    }

    static func randomTerm(_ random: inout FuzzRandom, depth: Int) -> String {
        if random.int(0...9) == 0 { return random.pick(["^", "$", #"\b"#, #"\B"#]) }
        var atoms = ["a", "b", "a", "b", ".", "[ab]", "[^a]", "[a-b]", #"\w"#, #"\W"#]
        if depth > 0 {
            let inner = randomPattern(&random, depth: depth - 1)
            atoms += ["(\(inner))", "(?:\(inner))"]
        }
        let atom = random.pick(atoms)
        let lower = random.int(0...2)
        let quantifier = random.pick([
            "", "", "", "*", "+", "?", "{\(lower)}", "{\(lower),}", "{\(lower),\(lower + 1)}",
        ])
        return atom + quantifier + (quantifier.isEmpty || random.int(0...3) > 0 ? "" : "?")
    }
}
