import Testing

@testable import NotifyFoundation

@Suite("Schema matching budget")
struct MatchBudgetTests {
    @Test func patternsDrawFromOneBudgetAndStopPastIt() throws {
        let pattern = try Pattern("(a|b)*c")
        let text = String(repeating: "ab", count: 500)
        let unlimited = MatchBudget.unlimited
        #expect(!pattern.matches(text, budget: unlimited))
        #expect(!unlimited.isExhausted && unlimited.spent > 1_000)

        let small = MatchBudget(limit: unlimited.spent - 1)
        #expect(!pattern.matches(text, budget: small))
        #expect(small.isExhausted)
        // Once exhausted, even a cheap match answers false at once.
        #expect(!(try Pattern("a")).matches("a", budget: small))

        let enough = MatchBudget(limit: unlimited.spent * 2)
        #expect(!pattern.matches(text, budget: enough))
        #expect(pattern.matches(text + "c", budget: MatchBudget(limit: unlimited.spent * 2)))
        #expect(!enough.isExhausted)
    }

    @Test func anEarlyAnchoredFailureCostsLittle() throws {
        let budget = MatchBudget(limit: 1_000)
        #expect(!(try Pattern("^x")).matches(String(repeating: "a", count: 100_000), budget: budget))
        #expect(!budget.isExhausted)
    }
}
