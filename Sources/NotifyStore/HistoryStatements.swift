/// The SQL of history housekeeping: drop the day partitions past the retention, create the coming
/// ones, forget old quota windows. The partition DDL runs inside the functions of migration 0004,
/// which build every table name from a date they compute; the days come in here as bound values.
enum HistoryStatements {
    /// Only one housekeeping at a time, over all processes: the others skip their turn.
    static let lock = Statement(
        "history_lock", "SELECT pg_try_advisory_xact_lock($1::bigint) AS locked", safeToRepeat: true)
    /// A housekeeping that waits for a table lock gives up after this long (and tries again at its
    /// next turn) rather than making every request queue behind it.
    static let lockTimeout = Statement(
        "history_lock_timeout", "SELECT set_config('lock_timeout', $1, true) AS lock_timeout", safeToRepeat: true)
    /// Drops the days wholly older than $2 days before $1 (UTC days): keep from the day of `$1 - $2 days`.
    static let drop = Statement(
        "history_drop",
        """
        SELECT dropped, kept, removed
        FROM history_drop_partitions((($1::timestamptz AT TIME ZONE 'UTC') - $2::integer * interval '1 day')::date)
        """)
    /// Creates the day partitions from the day before $1 to $2 days after it (UTC days).
    static let create = Statement(
        "history_create",
        """
        SELECT history_create_partitions(($1::timestamptz AT TIME ZONE 'UTC')::date - 1,
                                         ($1::timestamptz AT TIME ZONE 'UTC')::date + $2::integer) AS created
        """)
    /// Forgets the quota windows that ended more than an hour before $1: the quotas read only the
    /// current minute's window, so older rows are dead weight, one per client address ever counted.
    static let expireQuotas = Statement(
        "history_expire_quotas",
        """
        WITH gone AS (
            DELETE FROM rate_limits WHERE window_start < extract(epoch FROM $1::timestamptz)::bigint - 3600
            RETURNING 1
        )
        SELECT count(*)::integer AS expired FROM gone
        """)
    /// The day partitions of events there are now, oldest first.
    static let partitions = Statement(
        "history_partitions",
        """
        SELECT c.relname AS name FROM pg_inherits AS i JOIN pg_class AS c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'events'::regclass ORDER BY c.relname
        """, safeToRepeat: true)

    static var all: [Statement] { [lock, lockTimeout, drop, create, expireQuotas, partitions] }
}
