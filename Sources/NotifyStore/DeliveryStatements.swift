/// The SQL of the sweep: claim a batch of due deliveries, write a batch of outcomes back.
enum DeliveryStatements {
    /// Takes up to $2 due deliveries that no other sweep holds, leases them with token $4 and moves
    /// their due time to the lease's expiry $3 (DESIGN §6: leased rows go to the tail of the index).
    static let claim = Statement(
        "deliveries_claim",
        """
        WITH due AS (
            SELECT merchant, event_id FROM deliveries
            WHERE due_at IS NOT NULL AND due_at <= $1::timestamptz
            ORDER BY due_at
            LIMIT $2::integer
            FOR UPDATE SKIP LOCKED
        )
        UPDATE deliveries AS d
        SET due_at = $3::timestamptz, lease_token = $4::uuid, retry_requested = false
        FROM due, events AS e, merchants AS m
        WHERE d.merchant = due.merchant AND d.event_id = due.event_id
          AND e.merchant = d.merchant AND e.event_id = d.event_id
          AND m.merchant = d.merchant
        RETURNING d.merchant, d.event_id, d.attempt, d.trigger, e.request_method, e.request_url,
                  e.request_headers, e.payload, e.error, m.signing_secret
        """)

    /// Records a batch of attempts, only for deliveries whose lease (`lease_token`) is still this sweep's: the
    /// attempt rows, the events' status and latest attempt, and the deliveries' next due time
    /// (NULL when finished, now when a manual retry was asked for meanwhile).
    static let complete = Statement(
        "deliveries_complete",
        """
        WITH outcome AS (
            SELECT * FROM unnest($1::text[], $2::uuid[], $3::uuid[], $4::timestamptz[], $5::integer[], $6::text[],
                                 $7::integer[], $8::text[], $9::text[], $10::text[], $11::timestamptz[],
                                 $12::integer[], $13::uuid[])
                AS o(merchant, event_id, attempt_id, attempted_at, status_code, response_body, duration_ms, error,
                     trigger, status, next_due, automatic_attempts, lease_token)
        ),
        owned AS (
            UPDATE deliveries AS d
            SET due_at = CASE WHEN d.retry_requested THEN o.attempted_at ELSE o.next_due END,
                trigger = CASE WHEN d.retry_requested THEN 'manual' ELSE 'automatic' END,
                lease_token = NULL, retry_requested = false, attempt = o.automatic_attempts
            FROM outcome AS o
            WHERE d.merchant = o.merchant AND d.event_id = o.event_id AND d.lease_token = o.lease_token
            RETURNING d.merchant, d.event_id, d.due_at, o.attempt_id, o.attempted_at, o.status_code,
                      o.response_body, o.duration_ms, o.error, o.trigger, o.status
        ),
        recorded AS (
            UPDATE events AS e
            SET status = CASE WHEN owned.due_at IS NOT NULL AND owned.status <> 'succeeded' THEN 'pending'
                              ELSE owned.status END,
                attempt_count = e.attempt_count + 1, next_attempt_at = owned.due_at,
                last_attempt_at = owned.attempted_at, last_status_code = owned.status_code,
                last_response_body = owned.response_body
            FROM owned
            WHERE e.merchant = owned.merchant AND e.event_id = owned.event_id
            RETURNING e.event_id
        )
        INSERT INTO attempts (merchant, event_id, attempt_id, attempted_at, status_code, response_body, duration_ms,
                              error, trigger)
        SELECT merchant, event_id, attempt_id, attempted_at, status_code, response_body, duration_ms, error, trigger
        FROM owned
        """)

    /// When the next delivery is due (for `--follow` to sleep until then).
    static let nextDue = Statement(
        "deliveries_next_due",
        """
        SELECT extract(epoch FROM min(due_at) - $1::timestamptz)::float8 AS wait_seconds
        FROM deliveries WHERE due_at IS NOT NULL
        """)

    static let listen = "LISTEN notify_deliveries"

    static var all: [Statement] { [claim, complete, nextDue] }
}
