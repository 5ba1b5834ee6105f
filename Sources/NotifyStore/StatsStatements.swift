/// The SQL of the dashboard's per-merchant figures.
enum StatsStatements {
    /// Every minute of the window (empty ones as zeros), counted from the attempts of that window only.
    static let attemptsPerMinute = Statement(
        "stats_attempts_per_minute",
        """
        WITH bounds AS (
            SELECT date_trunc('minute', $2::timestamptz AT TIME ZONE 'UTC') AS last_minute
        ), counts AS (
            SELECT date_trunc('minute', a.attempted_at AT TIME ZONE 'UTC') AS minute,
                   count(*) FILTER (WHERE a.status_code BETWEEN 200 AND 299 AND a.error IS NULL) AS succeeded,
                   count(*) FILTER (WHERE a.status_code IS NOT NULL
                                    AND NOT (a.status_code BETWEEN 200 AND 299 AND a.error IS NULL)) AS http_errors,
                   count(*) FILTER (WHERE a.status_code IS NULL) AS transport_errors
            FROM attempts AS a, bounds
            WHERE a.merchant = $1
              AND a.attempted_at >= (bounds.last_minute - ($3::integer - 1) * interval '1 minute') AT TIME ZONE 'UTC'
              AND a.attempted_at < (bounds.last_minute + interval '1 minute') AT TIME ZONE 'UTC'
            GROUP BY 1
        )
        SELECT to_char(m.minute, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS minute,
               coalesce(c.succeeded, 0) AS succeeded, coalesce(c.http_errors, 0) AS http_errors,
               coalesce(c.transport_errors, 0) AS transport_errors
        FROM bounds,
             generate_series(bounds.last_minute - ($3::integer - 1) * interval '1 minute', bounds.last_minute,
                             interval '1 minute') AS m(minute)
        LEFT JOIN counts AS c ON c.minute = m.minute
        ORDER BY m.minute
        """, safeToRepeat: true)
    /// The merchant's deliveries due now and not yet attempted (the same rule as `/metrics`).
    static let dueBacklog = Statement(
        "stats_due_backlog",
        """
        SELECT count(*) AS due, \(EventStatements.rfc3339("min(due_at)")) AS oldest_due_at
        FROM deliveries WHERE merchant = $1 AND due_at IS NOT NULL AND due_at <= $2::timestamptz
        """, safeToRepeat: true)

    static var all: [Statement] { [attemptsPerMinute, dueBacklog] }
}
