import Synchronization
import Testing

@testable import NotifyStore

/// A family builds a statement the first time it is asked for, once, and only that one: a worker
/// that reads one filter combination holds one page statement, not all of them.
@Suite struct StatementFamilyTests {
    @Test func eachStatementIsBuiltOnceAndOnlyWhenAskedFor() {
        let built = Mutex<[Int]>([])
        let family = StatementFamily(count: 8) { number in
            built.withLock { $0.append(number) }
            return Statement("family_\(number)", "SELECT \(number)")
        }
        #expect(built.withLock { $0 }.isEmpty)
        #expect(family[5] == Statement("family_5", "SELECT 5"))
        #expect(family[5] == Statement("family_5", "SELECT 5"))
        #expect(family[0].name == "family_0")
        #expect(built.withLock { $0 } == [5, 0])
    }

    @Test func theEventPagesAreTheCatalogsStatements() {
        let catalog = Dictionary(StatementCatalog.all.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for mask in [0, 1, 3, 1 << 7] {
            #expect(catalog["events_page_\(mask)"] == EventStatements.page(filters: mask))
            #expect(catalog["events_count_\(mask)"] == EventStatements.count(filters: mask))
        }
    }
}
