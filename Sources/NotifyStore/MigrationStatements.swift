/// The SQL of the migrator's bookkeeping (the migrations themselves are the `.sql` files).
enum MigrationStatements {
    static let lock = Statement("migration_lock", "SELECT pg_advisory_lock($1::bigint)", safeToRepeat: true)
    static let unlock = Statement("migration_unlock", "SELECT pg_advisory_unlock($1::bigint)", safeToRepeat: true)
    static let createTable = Statement(
        "migrations_create_table",
        """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version    integer PRIMARY KEY,
            name       text NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now()
        )
        """, safeToRepeat: true)
    static let applied = Statement(
        "migrations_applied", "SELECT version FROM schema_migrations ORDER BY version", safeToRepeat: true)
    static let record = Statement(
        "migration_record", "INSERT INTO schema_migrations (version, name) VALUES ($1::integer, $2)")

    static var all: [Statement] { [lock, unlock, createTable, applied, record] }
}
