/// The SQL of channel configurations.
enum ConfigurationStatements {
    static let upsert = Statement(
        "configuration_upsert",
        """
        INSERT INTO channel_configurations (merchant, channel, configuration_id, active, document, updated_at)
        SELECT $1, $2, $3, $4::boolean, $5::jsonb, $6::timestamptz
        WHERE EXISTS (
                SELECT 1 FROM channel_configurations WHERE merchant = $1 AND channel = $2 AND configuration_id = $3)
            OR (SELECT count(*) FROM channel_configurations WHERE merchant = $1 AND channel = $2) < $7::int
        ON CONFLICT (merchant, channel, configuration_id)
        DO UPDATE SET active = EXCLUDED.active, document = EXCLUDED.document, updated_at = EXCLUDED.updated_at
        RETURNING (xmax = 0) AS created
        """)
    static let select = Statement(
        "configuration_select",
        """
        SELECT document FROM channel_configurations
        WHERE merchant = $1 AND channel = $2 AND configuration_id = $3
        """, safeToRepeat: true)
    static let delete = Statement(
        "configuration_delete",
        "DELETE FROM channel_configurations WHERE merchant = $1 AND channel = $2 AND configuration_id = $3")
    static let selectActive = Statement(
        "configurations_active",
        """
        SELECT configuration_id, document FROM channel_configurations
        WHERE merchant = $1 AND channel = $2 AND active ORDER BY configuration_id
        """, safeToRepeat: true)

    static var all: [Statement] { [upsert, select, delete, selectActive] }
}
