import NotifyFoundation

/// A merchant's destinations as the API shows and changes them. The sweep keeps their health
/// (`DeliveryStore`); people pause and resume them here.
public struct DestinationStore {
    private let connection: Connection

    public init(connection: Connection) {
        self.connection = connection
    }

    /// One page of destinations (optionally of one status) and the total number matching.
    public func page(merchant: String, status: String?, offset: Int, limit: Int) throws -> (
        destinations: [JSON], total: Int
    ) {
        let rows = try connection.query(DestinationStatements.page, [merchant, status, limit, offset]).all
        var total = try rows.first?.int("total") ?? 0
        if rows.isEmpty && offset > 0 {
            total = try connection.query(DestinationStatements.count, [merchant, status]).first?.int("total") ?? 0
        }
        return (try rows.map(Self.destination), total)
    }

    /// The destination, or `nil` when this merchant has none with that id.
    public func destination(merchant: String, id: String) throws -> JSON? {
        guard UUIDFormat.isValid(id) else { return nil }
        return try connection.query(DestinationStatements.one, [merchant, id]).first.map(Self.destination)
    }

    /// Pauses the destination. Returns `false` when this merchant has none with that id.
    public func pause(merchant: String, id: String) throws -> Bool {
        guard UUIDFormat.isValid(id) else { return false }
        return try connection.query(DestinationStatements.pause, [merchant, id]).count == 1
    }

    /// Resumes the destination: its waiting deliveries are due at `now`. Returns `false` when this
    /// merchant has none with that id.
    public func resume(merchant: String, id: String, now: String) throws -> Bool {
        guard UUIDFormat.isValid(id) else { return false }
        return try connection.query(DestinationStatements.resume, [merchant, id, now]).count == 1
    }

    /// Gives the destination the signing secret `secret`; the previous one stays valid until
    /// `previousValidUntil` (RFC 3339). Returns `false` when this merchant has no such destination.
    public func rotateSecret(merchant: String, id: String, secret: String, previousValidUntil: String) throws -> Bool {
        guard UUIDFormat.isValid(id) else { return false }
        return try connection.query(DestinationStatements.rotateSecret, [merchant, id, secret, previousValidUntil])
            .count == 1
    }

    private static func destination(_ row: Row) throws -> JSON {
        let time: (String) throws -> JSON = { try row.optionalString($0).map(JSON.string) ?? .null }
        return .object([
            "id": .string(try row.string("destination_id")),
            "origin": .string(try row.string("origin")),
            "status": .string(try row.string("status")),
            "consecutiveFailures": .number(Double(try row.int("consecutive_failures"))),
            "lastSuccessAt": try time("last_success_at"),
            "lastFailureAt": try time("last_failure_at"),
            "lastError": try row.optionalString("last_error").map(JSON.string) ?? .null,
            "failingSince": try time("failing_since"),
            "nextProbeAt": try time("next_probe_at"),
            "heldUntil": try time("held_until"),
            "disabledAt": try time("disabled_at"),
            "pendingEvents": .number(Double(try row.int("pending_events"))),
        ])
    }
}
