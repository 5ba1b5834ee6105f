import Testing

@testable import NotifyDomain

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

    @Test func aChangePastTheBudgetIsRefusedNamingTheNotification() throws {
        let schema = try JSONSchema(.object(["type": .string("string"), "pattern": .string("(a|b)*c")]))
        let spec = NotificationSpec(
            form: .pointer, id: "slow", url: try URLTemplate(parsing: "https://h/x"),
            scopes: [.pointer(try JSONPointer(parsing: "/note"), schema: schema)])
        let notification = RegisteredNotification(id: "slow", origin: .api, spec: spec)
        let before: JSON = .object(["note": .string("")])
        func plan(_ note: String, steps: Int) throws(ValidationError) -> [PlannedEvent] {
            try EventPlanner.plan(
                before: before, after: .object(["note": .string(note)]), order: .object([:]),
                notifications: [notification], configurations: [:], createdAt: "2026-01-01T00:00:00.000Z",
                makeId: { "id" }, matchSteps: steps)
        }
        #expect(try plan("abc", steps: 10_000).count == 1)
        #expect(try plan("ab", steps: 10_000).isEmpty)
        do {
            _ = try plan(String(repeating: "ab", count: 5_000), steps: 10_000)
            Issue.record("the change should have been refused")
        } catch {
            #expect(error.field == "notifications")
            #expect(error.description.contains("'slow'"))
        }
    }
}
