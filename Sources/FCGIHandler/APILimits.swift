import Foundation
import NotifyDomain
import NotifyFoundation

/// The quotas the workers enforce, so that one merchant, order, channel or client address cannot
/// take more than its share of the database, the sweep or a token guesser's chances. Read once at
/// start from the environment (every key is in the README); bad values stop the process.
struct APILimits: Sendable {
    /// `NOTIFY_REQUIRE_HTTPS=1`: notifications must deliver over `https`.
    var requireHTTPS = false
    /// Notifications registered on one order (`NOTIFY_MAX_NOTIFICATIONS_PER_ORDER`).
    var notificationsPerOrder = 1_000
    /// Configurations of one merchant's channel (`NOTIFY_MAX_CONFIGURATIONS_PER_CHANNEL`).
    var configurationsPerChannel = 100
    /// UTF-8 bytes of a stored order document after a create or a merge (`NOTIFY_MAX_ORDER_BYTES`).
    var orderBytes = 1_048_576
    /// Manual retries per merchant per minute (`NOTIFY_MANUAL_RETRY_LIMIT`).
    var manualRetriesPerMinute = 60
    /// Failed authentications per client address per minute (`NOTIFY_AUTH_FAILURE_LIMIT`); past
    /// it every request of the address is refused until the minute ends, right token or not.
    var authFailuresPerMinute = 20
    /// How long a rotated-out signing secret keeps signing next to the new one (`NOTIFY_SECRET_GRACE`,
    /// seconds).
    var secretGraceSeconds: Double = 86_400
    /// Schema pattern matching steps one order change may spend (`NOTIFY_SCHEMA_MATCH_STEPS`).
    var schemaMatchSteps = MatchBudget.defaultSteps
    /// One order's events pages are kept rendered and served again while current
    /// (`NOTIFY_KEEP_EVENT_PAGES`, 1 by default; 0 renders every read).
    var keepEventPages = true

    static func fromEnvironment(_ environment: [String: String]) throws -> APILimits {
        var limits = APILimits()
        if let text = environment["NOTIFY_REQUIRE_HTTPS"], !text.isEmpty {
            guard text == "0" || text == "1" else {
                throw StartupError("NOTIFY_REQUIRE_HTTPS must be 0 or 1, not '\(text)'")
            }
            limits.requireHTTPS = text == "1"
        }
        if let text = environment["NOTIFY_KEEP_EVENT_PAGES"], !text.isEmpty {
            guard text == "0" || text == "1" else {
                throw StartupError("NOTIFY_KEEP_EVENT_PAGES must be 0 or 1, not '\(text)'")
            }
            limits.keepEventPages = text == "1"
        }
        func number(_ name: String, _ range: ClosedRange<Int>, _ value: inout Int) throws {
            guard let text = environment[name], !text.isEmpty else { return }
            guard let parsed = Int(text), range.contains(parsed) else {
                throw StartupError(
                    "\(name) must be a number from \(range.lowerBound) to \(range.upperBound), not '\(text)'")
            }
            value = parsed
        }
        try number("NOTIFY_MAX_NOTIFICATIONS_PER_ORDER", 1...100_000, &limits.notificationsPerOrder)
        try number("NOTIFY_MAX_CONFIGURATIONS_PER_CHANNEL", 1...100_000, &limits.configurationsPerChannel)
        try number("NOTIFY_MAX_ORDER_BYTES", 1_024...1_073_741_824, &limits.orderBytes)
        try number("NOTIFY_MANUAL_RETRY_LIMIT", 1...1_000_000_000, &limits.manualRetriesPerMinute)
        try number("NOTIFY_AUTH_FAILURE_LIMIT", 1...1_000_000_000, &limits.authFailuresPerMinute)
        var grace = Int(limits.secretGraceSeconds)
        try number("NOTIFY_SECRET_GRACE", 0...31_536_000, &grace)
        limits.secretGraceSeconds = Double(grace)
        try number("NOTIFY_SCHEMA_MATCH_STEPS", 1_000...1_000_000_000_000, &limits.schemaMatchSteps)
        return limits
    }

    /// The one-minute window `now` falls in, as its start in Unix seconds, and the seconds left
    /// in it (what a 429 tells the client to wait).
    static func minuteWindow(_ now: Date) -> (start: Int, secondsLeft: Int) {
        let seconds = Int(now.timeIntervalSince1970.rounded(.down))
        let start = seconds - seconds % 60
        return (start, start + 60 - seconds)
    }
}

extension APILimits {
    /// With `requireHTTPS`, refuses a notification whose target is plain `http` (at registration:
    /// a notification stored before the setting keeps delivering).
    /// - Parameter listField: the list the specs came from (`notifications`), for the error's field.
    func checkTargets(_ specs: [NotificationSpec], listField: String? = nil) throws {
        guard requireHTTPS else { return }
        for (index, spec) in specs.enumerated() {
            let name = spec.form == .simple ? "url" : "invoke"
            try spec.url.validateAsURL(
                field: listField.map { "\($0)[\(index)].\(name)" } ?? name, requireHTTPS: true)
        }
    }

    /// Refuses a change that would leave the order with more notifications than
    /// `notificationsPerOrder` (409) or a document larger than `orderBytes` (413). Returns the
    /// document serialized, so that it is stored and sent without being serialized again.
    @discardableResult
    func checkOrder(notifications: Int, document: JSON) throws -> SerializedObject? {
        guard notifications <= notificationsPerOrder else {
            throw APIError.conflict(
                "an order may have at most \(notificationsPerOrder) notifications "
                    + "(NOTIFY_MAX_NOTIFICATIONS_PER_ORDER); this change would make it \(notifications)")
        }
        let serialized = SerializedObject(document)
        let size = serialized?.bytes.count ?? document.serializedBytes.count
        guard size <= orderBytes else {
            throw APIError.payloadTooLarge(
                "the order would be \(size) bytes after this change; at most \(orderBytes) are stored "
                    + "(NOTIFY_MAX_ORDER_BYTES)")
        }
        return serialized
    }
}
