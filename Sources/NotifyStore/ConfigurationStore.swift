import NotifyFoundation

/// Channel configuration documents. The active ones' `order.notifications` are
/// copied onto every new order of the channel.
public struct ConfigurationStore {
    /// A stored configuration: its id and the document as the merchant sent it.
    public struct Configuration: Equatable, Sendable {
        public let id: String
        public let document: JSON
    }

    private let connection: Connection

    public init(connection: Connection) {
        self.connection = connection
    }

    /// Creates or replaces a configuration. Returns `true` when it is new, `nil` when it is new
    /// but the channel already has `limit` configurations (counted in the same statement).
    public func put(
        merchant: String, channel: String, id: String, active: Bool, document: JSON, timestamp: String, limit: Int
    ) throws -> Bool? {
        let row = try connection.query(
            ConfigurationStatements.upsert, [merchant, channel, id, active, document, timestamp, limit]
        ).first
        guard let row else { return nil }
        return try row.bool("created")
    }

    public func get(merchant: String, channel: String, id: String) throws -> JSON? {
        try connection.query(ConfigurationStatements.select, [merchant, channel, id]).first?.json("document")
    }

    /// Deletes a configuration. Returns `false` when there was none.
    public func delete(merchant: String, channel: String, id: String) throws -> Bool {
        try connection.query(ConfigurationStatements.delete, [merchant, channel, id]).affected == 1
    }

    /// The channel's active configurations, by id.
    public func active(merchant: String, channel: String) throws -> [Configuration] {
        try connection.query(ConfigurationStatements.selectActive, [merchant, channel]).all.map {
            Configuration(id: try $0.string("configuration_id"), document: try $0.json("document"))
        }
    }
}
