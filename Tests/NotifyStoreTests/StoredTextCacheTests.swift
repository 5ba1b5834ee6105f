import NotifyFoundation
import Synchronization
import Testing

@testable import NotifyStore

/// A text is read once while the cache holds it; a full cache starts over instead of growing.
@Suite struct StoredTextCacheTests {
    @Test func aTextIsReadOnceUntilTheCacheIsFullThenAgain() throws {
        let cache = StoredTextCache<String>(column: "test", capacity: 2)
        let reads = Mutex(0)
        let read: (JSON) throws -> String = { json in
            reads.withLock { $0 += 1 }
            return json.stringValue ?? ""
        }
        #expect(try cache.value(#""a""#, statement: "test", read) == "a")
        #expect(try cache.value(#""a""#, statement: "test", read) == "a")
        #expect(reads.withLock { $0 } == 1)
        #expect(try cache.value(#""b""#, statement: "test", read) == "b")
        #expect(try cache.value(#""c""#, statement: "test", read) == "c", "the third text empties the full cache")
        #expect(try cache.value(#""a""#, statement: "test", read) == "a")
        #expect(reads.withLock { $0 } == 4, "a, b, c, and a again after the cache started over")
    }
}
