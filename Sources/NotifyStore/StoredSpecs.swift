import NotifyDomain
import NotifyFoundation
import Synchronization

/// Stored notification specs read back without checking them again: a spec was validated when it
/// was registered and is stored as its own JSON text, so the same text always gives the same spec.
/// Each process keeps the specs it has read by that text (at most `capacity`, then it starts over),
/// so a change of an order does not parse and validate its notifications on every call.
enum StoredSpecs {
    static let capacity = 4096
    private static let known = Mutex<[String: NotificationSpec]>([:])

    /// The spec of a stored `spec` column's text.
    static func spec(_ text: String, statement: String) throws -> NotificationSpec {
        if let spec = known.withLock({ $0[text] }) { return spec }
        let json: JSON
        do {
            json = try JSON.parse(text, maxDepth: JSON.storedDepth)
        } catch {
            throw StoreError(kind: .failed, message: "column 'spec' holds invalid JSON: \(error)", statement: statement)
        }
        let spec = try NotificationSpec(json: json)
        known.withLock { specs in
            if specs.count >= capacity { specs.removeAll(keepingCapacity: true) }
            specs[text] = spec
        }
        return spec
    }
}
