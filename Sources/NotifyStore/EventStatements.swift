/// The SQL of the Notification API (DESIGN §4.4): filtered event pages, attempts, manual retry.
enum EventStatements {
    /// RFC 3339 UTC with milliseconds, the API's one timestamp form.
    static func rfc3339(_ column: String) -> String {
        "to_char(\(column) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
    }

    static let columns = """
        event_id, \(rfc3339("created_at")) AS created_at, merchant, channel, order_id, notification_id, reference,
        adapter_id, scope, status, attempt_count, \(rfc3339("next_attempt_at")) AS next_attempt_at,
        \(rfc3339("last_attempt_at")) AS last_attempt_at, last_status_code, last_response_body, error,
        request_method, request_url, request_headers
        """

    /// Each filter is `$n IS NULL OR column = $n`, so one prepared statement serves every combination.
    static let filters = """
        merchant = $1
          AND ($2::uuid IS NULL OR order_id = $2::uuid)
          AND ($3::text IS NULL OR scope = $3)
          AND ($4::text IS NULL OR status = $4)
          AND ($5::text IS NULL OR channel = $5)
          AND ($6::text IS NULL OR adapter_id = $6)
          AND ($7::text IS NULL OR reference = $7)
        """

    static let page = Statement(
        "events_page",
        "SELECT \(columns) FROM events WHERE \(filters) ORDER BY event_id DESC LIMIT $8::integer OFFSET $9::integer")
    static let count = Statement("events_count", "SELECT count(*) AS total FROM events WHERE \(filters)")
    static let one = Statement(
        "event_select", "SELECT \(columns) FROM events WHERE merchant = $1 AND event_id = $2::uuid")
    static let attempts = Statement(
        "attempts_select",
        """
        SELECT event_id, attempt_id, \(rfc3339("attempted_at")) AS attempted_at, status_code, response_body,
               duration_ms, error, trigger
        FROM attempts WHERE merchant = $1 AND event_id = ANY($2::uuid[])
        ORDER BY attempted_at, attempt_id
        """)

    /// Schedules one manual attempt now: at once when no sweep holds the delivery, else right after
    /// the attempt in flight (`retry_requested`). Events that never got a delivery row get one.
    static let retry = Statement(
        "event_retry",
        """
        WITH queued AS (
            INSERT INTO deliveries (merchant, event_id, due_at, trigger)
            SELECT merchant, event_id, $3::timestamptz, 'manual' FROM events WHERE merchant = $1 AND event_id = $2::uuid
            ON CONFLICT (merchant, event_id) DO UPDATE
            SET due_at = CASE WHEN deliveries.lease_token IS NULL THEN EXCLUDED.due_at ELSE deliveries.due_at END,
                trigger = CASE WHEN deliveries.lease_token IS NULL THEN 'manual' ELSE deliveries.trigger END,
                retry_requested = deliveries.lease_token IS NOT NULL
            RETURNING merchant, event_id
        )
        UPDATE events AS e SET status = 'pending', next_attempt_at = $3::timestamptz
        FROM queued WHERE e.merchant = queued.merchant AND e.event_id = queued.event_id
        RETURNING e.event_id
        """)

    static var all: [Statement] { [page, count, one, attempts, retry] }
}
