import NotifyDomain
import Testing

@testable import NotifyStore

/// A claimed delivery's stored request headers: read back in name order, the same list for the same
/// text every time (it is parsed once), and an unreadable text is an error, not an empty list.
@Suite struct StoredHeadersTests {
    @Test func headersComeInNameOrderAndTheSameTextGivesTheSameList() throws {
        let text = #"{"X-Shop": "eu", "Authorization": "Bearer a", "X-Empty": ""}"#
        let expected = [
            HTTPHeader(name: "Authorization", value: "Bearer a"), HTTPHeader(name: "X-Empty", value: ""),
            HTTPHeader(name: "X-Shop", value: "eu"),
        ]
        #expect(try StoredHeaders.headers(text, statement: "test") == expected)
        #expect(try StoredHeaders.headers(text, statement: "test") == expected)
        #expect(try StoredHeaders.headers("{}", statement: "test").isEmpty)
    }

    @Test func anUnreadableTextIsAnError() {
        #expect(throws: StoreError.self) { try StoredHeaders.headers("{not json", statement: "test") }
    }
}
