/// The SQL of orders, their notifications and the outbox rows a change writes.
enum OrderStatements {
    static let insertOrder = Statement(
        "order_insert",
        """
        INSERT INTO orders (merchant, order_id, channel, document, created_at, last_modified)
        VALUES ($1, $2::uuid, $3, $4::jsonb, $5::timestamptz, $5::timestamptz)
        """)
    static let selectOrder = Statement(
        "order_select", "SELECT channel, document FROM orders WHERE merchant = $1 AND order_id = $2::uuid")
    static let lockOrder = Statement(
        "order_lock",
        "SELECT channel, document FROM orders WHERE merchant = $1 AND order_id = $2::uuid FOR UPDATE")
    static let updateOrder = Statement(
        "order_update",
        """
        UPDATE orders SET document = $3::jsonb, last_modified = $4::timestamptz
        WHERE merchant = $1 AND order_id = $2::uuid
        """)
    static let selectNotifications = Statement(
        "notifications_select",
        """
        SELECT notification_id, origin, spec FROM order_notifications
        WHERE merchant = $1 AND order_id = $2::uuid ORDER BY position
        """)
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
    static let insertEvent = Statement(
        "event_insert",
        """
        INSERT INTO events (merchant, event_id, order_id, channel, notification_id, adapter_id, reference, scope,
                            status, created_at, request_method, request_url, request_headers, payload, error,
                            next_attempt_at)
        VALUES ($1, $2::uuid, $3::uuid, $4, $5, $6, $7, $8, $9, $10::timestamptz, $11, $12, $13::jsonb, $14::jsonb,
                $15, CASE WHEN $9 = 'pending' THEN $10::timestamptz END)
        """)
    static let insertDelivery = Statement(
        "delivery_insert",
        "INSERT INTO deliveries (merchant, event_id, due_at) VALUES ($1, $2::uuid, $3::timestamptz)")
    static let notifySweep = Statement("deliveries_notify", "SELECT pg_notify('notify_deliveries', '')")

    static var all: [Statement] {
        [
            insertOrder, selectOrder, lockOrder, updateOrder, selectNotifications, insertNotification,
            deleteNotification, insertEvent, insertDelivery, notifySweep,
        ]
    }
}

/// The SQL of channel configurations (DESIGN §4.3).
enum ConfigurationStatements {
    static let upsert = Statement(
        "configuration_upsert",
        """
        INSERT INTO channel_configurations (merchant, channel, configuration_id, active, document, updated_at)
        VALUES ($1, $2, $3, $4::boolean, $5::jsonb, $6::timestamptz)
        ON CONFLICT (merchant, channel, configuration_id)
        DO UPDATE SET active = EXCLUDED.active, document = EXCLUDED.document, updated_at = EXCLUDED.updated_at
        RETURNING (xmax = 0) AS created
        """)
    static let select = Statement(
        "configuration_select",
        """
        SELECT document FROM channel_configurations
        WHERE merchant = $1 AND channel = $2 AND configuration_id = $3
        """)
    static let delete = Statement(
        "configuration_delete",
        "DELETE FROM channel_configurations WHERE merchant = $1 AND channel = $2 AND configuration_id = $3")
    static let selectActive = Statement(
        "configurations_active",
        """
        SELECT configuration_id, document FROM channel_configurations
        WHERE merchant = $1 AND channel = $2 AND active ORDER BY configuration_id
        """)

    static var all: [Statement] { [upsert, select, delete, selectActive] }
}
