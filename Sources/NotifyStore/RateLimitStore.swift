/// Counters of the API's per-key quotas in fixed one-minute windows (failed authentications per
/// client address, manual retries per merchant), kept in PostgreSQL because the workers share no
/// memory. A window is named by its start in Unix seconds, computed by the caller from its clock.
public struct RateLimitStore {
    private let connection: Connection

    public init(connection: Connection) {
        self.connection = connection
    }

    /// Counts one hit of `bucket` in the window starting at `window` and returns the hits of that
    /// window so far, this one included.
    public func hit(bucket: String, window: Int) throws -> Int {
        guard let row = try connection.query(RateLimitStatements.hit, [bucket, window]).first else { return 0 }
        return try row.int("hits")
    }

    /// The hits of `bucket` in the window starting at `window` (0 when none).
    public func hits(bucket: String, window: Int) throws -> Int {
        try connection.query(RateLimitStatements.hits, [bucket, window]).first?.int("hits") ?? 0
    }
}
