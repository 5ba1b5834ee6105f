/// The SQL of orders, their notifications and the outbox rows a change writes.
enum OrderStatements {
    static let insertOrder = Statement(
        "order_insert",
        """
        INSERT INTO orders (merchant, order_id, channel, document, created_at, last_modified)
        VALUES ($1, $2::uuid, $3, $4::jsonb, $5::timestamptz, $5::timestamptz)
        """)
    static let selectOrder = Statement(
        "order_select", "SELECT channel, document FROM orders WHERE merchant = $1 AND order_id = $2::uuid",
        safeToRepeat: true)
    static let lockOrder = Statement(
        "order_lock",
        "SELECT channel, document FROM orders WHERE merchant = $1 AND order_id = $2::uuid FOR UPDATE",
        safeToRepeat: true)
    static let updateOrder = Statement(
        "order_update",
        """
        UPDATE orders SET document = $3::jsonb, last_modified = $4::timestamptz
        WHERE merchant = $1 AND order_id = $2::uuid
        """)
    /// `lockOrder` for a request whose token ($3, its SHA-256) is checked in the same round trip
    /// (`MerchantStatements.tokenOwnerAndFailures`): the row is locked only when the token is a live token of merchant $1, so a
    /// request with a token that will be refused never holds another merchant's order.
    static let lockOrderForToken = Statement(
        "order_lock_for_token",
        """
        SELECT channel, document FROM orders
        WHERE merchant = $1 AND order_id = $2::uuid
          AND EXISTS (SELECT 1 FROM api_tokens AS t WHERE t.token_hash = $3 AND t.merchant = $1 AND t.revoked_at IS NULL)
        FOR UPDATE
        """, safeToRepeat: true)
    static let selectNotifications = Statement(
        "notifications_select",
        """
        SELECT notification_id, origin, spec FROM order_notifications
        WHERE merchant = $1 AND order_id = $2::uuid ORDER BY position
        """, safeToRepeat: true)
    static let insertNotification = Statement(
        "notification_insert",
        """
        INSERT INTO order_notifications
            (merchant, order_id, notification_id, origin, adapter_id, reference, spec, created_at)
        VALUES ($1, $2::uuid, $3, $4, $5, $6, $7::jsonb, $8::timestamptz)
        """)
    static let deleteNotification = Statement(
        "notification_delete",
        "DELETE FROM order_notifications WHERE merchant = $1 AND order_id = $2::uuid AND notification_id = $3")
    /// Records the events of one change, a pending delivery for each one that can be sent, and
    /// one `NOTIFY` when any was queued: one statement per change, however many notifications fire.
    /// An event whose URL could not be built is stored `failed` with its `error` and no delivery.
    /// Each event's destination (merchant + origin) is created with its first event; its id is
    /// derived from both, so nothing has to be read back. Events failed from the start count
    /// towards the figures of `/metrics` (rare, so no change waits for that counter row).
    /// $5…$16 are arrays, one element per event.
    static let recordEvents = Statement(
        "events_record",
        recordSQL(
            events: """
                unnest($5::uuid[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[],
                            $11::text[], $12::jsonb[], $13::jsonb[], $14::text[], $15::text[], $16::text[])
                """))
    /// `recordEvents` for the usual change, which fires one notification: $5…$16 are that event's
    /// values, so nothing is written as an array literal and parsed back.
    static let recordEvent = Statement(
        "event_record",
        recordSQL(
            events: """
                (VALUES ($5::uuid, $6::text, $7::text, $8::text, $9::text, $10::text,
                             $11::text, $12::jsonb, $13::jsonb, $14::text, $15::text, $16::text))
                """))

    /// The statement of `recordEvents` and `recordEvent`, reading the events from `events`.
    private static func recordSQL(events: String) -> String {
        """
        WITH planned AS (
            SELECT p.*, destination_id($1, p.origin) AS destination_id
            FROM \(events)
                AS p(event_id, notification_id, adapter_id, reference, scope, request_method, request_url,
                     request_headers, payload, error, scope_key, origin)
        ),
        destinations_created AS (
            INSERT INTO destinations (merchant, destination_id, origin, created_at)
            SELECT DISTINCT $1, destination_id, origin, $4::timestamptz FROM planned WHERE origin IS NOT NULL
            ON CONFLICT DO NOTHING
        ),
        inserted AS (
            INSERT INTO events (merchant, event_id, order_id, channel, notification_id, adapter_id, reference, scope,
                                scope_key, status, created_at, request_method, request_url, request_headers, payload,
                                error, next_attempt_at, destination_id)
            SELECT $1, event_id, $2::uuid, $3, notification_id, adapter_id, reference, scope, scope_key,
                   CASE WHEN error IS NULL THEN 'pending' ELSE 'failed' END, $4::timestamptz, request_method,
                   request_url, request_headers, payload, error, CASE WHEN error IS NULL THEN $4::timestamptz END,
                   destination_id
            FROM planned
            RETURNING event_id, status, destination_id
        ),
        failed_counted AS (
            INSERT INTO event_counts AS c (day, status, n)
            SELECT history_day(event_id), 'failed', count(*) FROM inserted WHERE status = 'failed' GROUP BY 1
            ON CONFLICT (day, status) DO UPDATE SET n = c.n + EXCLUDED.n
        ),
        queued AS (
            INSERT INTO deliveries (merchant, event_id, due_at, destination_id)
            SELECT $1, event_id, $4::timestamptz, destination_id FROM inserted WHERE status = 'pending'
            RETURNING event_id
        )
        SELECT pg_notify('notify_deliveries', '') FROM (SELECT 1 FROM queued LIMIT 1) AS any_queued
        """
    }

    /// Deletes the order; its notifications go with it (foreign key, `ON DELETE CASCADE`). Its
    /// events, deliveries and attempts stay: they reference no order row.
    static let deleteOrder = Statement(
        "order_delete", "DELETE FROM orders WHERE merchant = $1 AND order_id = $2::uuid")
    static let notifySweep = Statement(
        "deliveries_notify", "SELECT pg_notify('notify_deliveries', '')", safeToRepeat: true)

    static var all: [Statement] {
        [
            insertOrder, selectOrder, lockOrder, lockOrderForToken, updateOrder, selectNotifications,
            insertNotification, deleteNotification, recordEvents, recordEvent, deleteOrder, notifySweep,
        ]
    }
}
