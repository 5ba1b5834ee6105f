/// The SQL of the per-key quota counters.
enum RateLimitStatements {
    static let hit = Statement(
        "rate_limit_hit",
        """
        INSERT INTO rate_limits AS r (bucket, window_start, hits) VALUES ($1, $2::bigint, 1)
        ON CONFLICT (bucket) DO UPDATE
        SET hits = CASE WHEN r.window_start = EXCLUDED.window_start THEN r.hits + 1 ELSE 1 END,
            window_start = EXCLUDED.window_start
        RETURNING hits
        """)
    static let hits = Statement(
        "rate_limit_hits", "SELECT hits FROM rate_limits WHERE bucket = $1 AND window_start = $2::bigint",
        safeToRepeat: true)

    static var all: [Statement] { [hit, hits] }
}
