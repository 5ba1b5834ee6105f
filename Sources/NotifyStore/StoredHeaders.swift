import NotifyDomain
import NotifyFoundation
import Synchronization

/// A claimed delivery's request headers read back without parsing them again: an event's headers
/// are stored as JSON text when the event is recorded and never change, and the deliveries of one
/// notification share the same text. Each process keeps the header lists it has read by that text
/// (at most `capacity`, then it starts over), so the sweep does not parse JSON per delivery.
enum StoredHeaders {
    static let capacity = 4096
    private static let known = Mutex<[String: [HTTPHeader]]>([:])

    /// The headers of a stored `request_headers` text (a JSON object of strings), in name order.
    static func headers(_ text: String, statement: String) throws -> [HTTPHeader] {
        if let headers = known.withLock({ $0[text] }) { return headers }
        let json: JSON
        do {
            json = try JSON.parse(text, maxDepth: JSON.storedDepth)
        } catch {
            throw StoreError(
                kind: .failed, message: "column 'request_headers' holds invalid JSON: \(error)", statement: statement)
        }
        let headers = (json.objectValue ?? [:]).sorted { $0.key < $1.key }.map {
            HTTPHeader(name: $0.key, value: $0.value.stringValue ?? "")
        }
        known.withLock { lists in
            if lists.count >= capacity { lists.removeAll(keepingCapacity: true) }
            lists[text] = headers
        }
        return headers
    }
}
