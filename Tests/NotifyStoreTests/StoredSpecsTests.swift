import Testing

@testable import NotifyStore

/// A registered notification's stored spec: an unreadable text is an error naming its column, not
/// a spec.
@Suite struct StoredSpecsTests {
    @Test func anUnreadableTextIsAnError() {
        let error = #expect(throws: StoreError.self) { try StoredSpecs.spec("{not json", statement: "test") }
        #expect(error?.message.contains("column 'spec'") == true)
    }
}
