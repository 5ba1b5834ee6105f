/// The SQL of the destinations API: list, read, pause and resume a merchant's destinations.
enum DestinationStatements {
    static let columns = """
        destination_id, origin, status, consecutive_failures,
        \(EventStatements.rfc3339("last_success_at")) AS last_success_at,
        \(EventStatements.rfc3339("last_failure_at")) AS last_failure_at, last_error,
        \(EventStatements.rfc3339("failing_since")) AS failing_since,
        \(EventStatements.rfc3339("next_probe_at")) AS next_probe_at,
        \(EventStatements.rfc3339("held_until")) AS held_until, \(EventStatements.rfc3339("disabled_at")) AS disabled_at,
        (SELECT count(*) FROM deliveries AS d
         WHERE d.destination_id = t.destination_id AND d.due_at IS NOT NULL) AS pending_events
        """

    /// A page of the merchant's destinations, newest failure first, then by origin; $2 filters by
    /// status when not NULL.
    static let page = Statement(
        "destinations_page",
        """
        SELECT \(columns), count(*) OVER () AS total FROM destinations AS t
        WHERE merchant = $1 AND ($2::text IS NULL OR status = $2)
        ORDER BY last_failure_at DESC NULLS LAST, origin LIMIT $3::integer OFFSET $4::integer
        """, safeToRepeat: true)
    static let count = Statement(
        "destinations_count",
        "SELECT count(*) AS total FROM destinations WHERE merchant = $1 AND ($2::text IS NULL OR status = $2)",
        safeToRepeat: true)
    static let one = Statement(
        "destination_select",
        "SELECT \(columns) FROM destinations AS t WHERE merchant = $1 AND destination_id = $2::uuid", safeToRepeat: true
    )
    /// Stops all attempts to the destination until it is resumed; its events stay pending.
    static let pause = Statement(
        "destination_pause",
        """
        UPDATE destinations AS t SET status = 'paused'
        WHERE merchant = $1 AND destination_id = $2::uuid RETURNING destination_id
        """, safeToRepeat: true)
    /// Makes the destination healthy again, forgetting its failures, and its waiting deliveries due
    /// at $3 (those due later come forward), with one `NOTIFY` for the sweeps.
    static let resume = Statement(
        "destination_resume",
        """
        WITH resumed AS (
            UPDATE destinations AS t
            SET status = 'healthy', consecutive_failures = 0, failing_since = NULL, next_probe_at = NULL,
                probe_wait_seconds = 0, held_until = NULL, disabled_at = NULL
            WHERE merchant = $1 AND destination_id = $2::uuid RETURNING merchant, destination_id
        ),
        due AS (
            UPDATE deliveries AS d SET due_at = $3::timestamptz
            FROM resumed AS r
            WHERE d.destination_id = r.destination_id AND d.merchant = r.merchant AND d.due_at IS NOT NULL
              AND d.due_at > $3::timestamptz AND d.lease_token IS NULL
        )
        SELECT r.destination_id, pg_notify('notify_deliveries', '') AS notified FROM resumed AS r
        """, safeToRepeat: true)

    /// Gives the destination a signing secret of its own ($3); the one it signed with until now (its
    /// own or the merchant's) stays valid until $4.
    static let rotateSecret = Statement(
        "destination_rotate_secret",
        """
        UPDATE destinations AS t
        SET previous_signing_secret = coalesce(t.signing_secret, m.signing_secret),
            previous_secret_expires_at = $4::timestamptz, signing_secret = $3
        FROM merchants AS m
        WHERE t.merchant = $1 AND t.destination_id = $2::uuid AND m.merchant = t.merchant
        RETURNING t.destination_id
        """)

    static var all: [Statement] { [page, count, one, pause, resume, rotateSecret] }
}
