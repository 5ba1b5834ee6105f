import NotifyFoundation

/// A bulk recover: "send every event of this window that matches these filters once more", as an
/// operator asks after a receiver's outage. The window is bounded (at most `maxWindowDays`) and so is
/// one call's work (`maxEvents`, the caller asks again for the rest).
public struct RecoverRequest: Equatable, Sendable {
    public static let maxWindowDays = 14
    public static let maxEvents = 10_000
    static let fields: Set<String> = [
        "since", "until", "status", "orderId", "channel", "adapterId", "scope", "destinationId",
    ]

    /// The window of event creation times, unix milliseconds, `since` included, `until` excluded.
    public let sinceMillis: Int64
    public let untilMillis: Int64
    public let status: String
    public let orderId: String?
    public let channel: String?
    public let adapterId: String?
    public let scope: String?
    public let destinationId: String?

    /// Validates a request body.
    /// - Parameter nowMillis: the current time; `until` defaults to it.
    /// - Throws: `ValidationError` naming the field: unknown fields, wrong types, bad timestamps,
    ///   `until` before `since`, a window over 14 days, an unknown status, ids that are not UUIDs.
    public init(json body: [String: JSON], nowMillis: Int64) throws(ValidationError) {
        if let unknown = body.keys.sorted().first(where: { !Self.fields.contains($0) }) {
            throw ValidationError(field: unknown, "unknown field '\(unknown)'")
        }
        guard let sinceText = try Self.string(body, "since") else {
            throw ValidationError(field: "since", "since is required (an RFC 3339 date-time)")
        }
        sinceMillis = try Self.time(sinceText, field: "since")
        untilMillis =
            try Self.string(body, "until").map { text throws(ValidationError) in
                try Self.time(text, field: "until")
            } ?? nowMillis
        guard untilMillis > sinceMillis else {
            throw ValidationError(field: "until", "until must be later than since")
        }
        guard untilMillis - sinceMillis <= Int64(Self.maxWindowDays) * 86_400_000 else {
            throw ValidationError(
                field: "since", "the window from since to until is at most \(Self.maxWindowDays) days")
        }
        status = try Self.string(body, "status") ?? "failed"
        guard ["failed", "pending", "succeeded"].contains(status) else {
            throw ValidationError(field: "status", "status must be one of failed, pending, succeeded")
        }
        orderId = try Self.uuid(body, "orderId")
        channel = try Self.string(body, "channel")
        adapterId = try Self.string(body, "adapterId")
        scope = try Self.string(body, "scope")
        destinationId = try Self.uuid(body, "destinationId")
    }

    private static func string(_ body: [String: JSON], _ field: String) throws(ValidationError) -> String? {
        guard let value = body[field], value != .null else { return nil }
        guard let text = value.stringValue, !text.isEmpty, text.count <= 1024 else {
            throw ValidationError(field: field, "\(field) must be a non-empty string of at most 1024 characters")
        }
        return text
    }

    private static func uuid(_ body: [String: JSON], _ field: String) throws(ValidationError) -> String? {
        guard let text = try string(body, field) else { return nil }
        guard UUIDFormat.isValid(text) else { throw ValidationError(field: field, "\(field) must be a UUID") }
        return text.lowercased()
    }

    private static func time(_ text: String, field: String) throws(ValidationError) -> Int64 {
        guard let millis = Timestamp.unixMillis(rfc3339: text), millis >= 0 else {
            throw ValidationError(field: field, "\(field) must be an RFC 3339 date-time such as 2026-12-01T00:00:00Z")
        }
        return millis
    }
}
