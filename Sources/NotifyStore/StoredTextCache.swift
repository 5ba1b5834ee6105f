import NotifyFoundation
import Synchronization

/// Values read back from stored JSON texts that never change once written (an event's request
/// headers, a registered notification's spec): the same text always gives the same value, so each
/// process keeps the values it has read by their text (at most `capacity`, then it starts over) and
/// does not parse and check the same text again.
final class StoredTextCache<Value: Sendable>: Sendable {
    let capacity: Int
    /// The column the texts come from, named in the error of an unreadable text.
    private let column: String
    private let known = Mutex<[String: Value]>([:])

    init(column: String, capacity: Int = 4096) {
        self.column = column
        self.capacity = capacity
    }

    /// The value of `text`: the one read before, or `make` of its JSON.
    func value(_ text: String, statement: String, _ make: (JSON) throws -> Value) throws -> Value {
        if let value = known.withLock({ $0[text] }) { return value }
        let json: JSON
        do {
            json = try JSON.parse(text, maxDepth: JSON.storedDepth)
        } catch {
            throw StoreError(
                kind: .failed, message: "column '\(column)' holds invalid JSON: \(error)", statement: statement)
        }
        let value = try make(json)
        known.withLock { values in
            if values.count >= capacity { values.removeAll(keepingCapacity: true) }
            values[text] = value
        }
        return value
    }
}
