/// The SQL of kept event pages (migration 0010): an order's events page as the API answered it,
/// served again by one index lookup while the order's version and the history's epoch are the ones
/// it was rendered at.
enum KeptPageStatements {
    /// The kept page of merchant $1's order $2 for query $3, with the check of the request's token
    /// in the same statement, as the page statement checks it ($4 the token's SHA-256, $5 the
    /// client's failure bucket, $6 the window, $7 the quota of failures). One row: whose token it is,
    /// and the page (`size` NULL when none is kept at the current version, or the token is refused).
    static let read = Statement(
        "event_page_kept",
        """
        WITH auth AS (\(MerchantStatements.tokenCheck(from: 4)))
        SELECT auth.token_merchant, auth.revoked, auth.failures, p.data, p.size, p.total
        FROM auth
        LEFT JOIN kept_event_pages AS p
            ON p.merchant = $1 AND p.order_id = $2::uuid AND p.query = $3
           AND \(MerchantStatements.tokenAccepted(merchant: "$1", quota: "$7"))
           AND p.version = (SELECT v.version FROM order_event_versions AS v
                            WHERE v.merchant = $1 AND v.order_id = $2::uuid)
           AND p.epoch = (SELECT e.epoch FROM event_page_epoch AS e)
        """, safeToRepeat: true)

    /// Keeps the page of merchant $1's order $2 for query $3, rendered at version $4 and epoch $5:
    /// $6 the events' JSON array, $7 how many, $8 the total matching.
    static let keep = Statement(
        "event_page_keep",
        """
        INSERT INTO kept_event_pages (merchant, order_id, query, version, epoch, data, size, total, kept_at)
        VALUES ($1, $2::uuid, $3, $4::bigint, $5::bigint, $6, $7::integer, $8::integer, now())
        ON CONFLICT (merchant, order_id, query) DO UPDATE
        SET version = EXCLUDED.version, epoch = EXCLUDED.epoch, data = EXCLUDED.data, size = EXCLUDED.size,
            total = EXCLUDED.total, kept_at = EXCLUDED.kept_at
        """, safeToRepeat: true)

    /// The order's version and the history's epoch, as columns of a page statement (and so read in
    /// its snapshot): `$1` the merchant, `order` the order id's parameter.
    static func versionColumns(order: String) -> String {
        """
        (SELECT v.version FROM order_event_versions AS v WHERE v.merchant = $1 AND v.order_id = \(order)::uuid)
            AS kept_version,
        (SELECT e.epoch FROM event_page_epoch AS e) AS kept_epoch
        """
    }

    /// Housekeeping's part: with $2 (events were dropped or moved) a new epoch and no kept page;
    /// without, the pages kept before $1 less an hour go (a page read again is kept again).
    static let forget = Statement(
        "event_pages_forget",
        """
        WITH epoch AS (UPDATE event_page_epoch SET epoch = epoch + 1 WHERE $2::boolean RETURNING epoch),
        gone AS (
            DELETE FROM kept_event_pages
            WHERE $2::boolean OR kept_at < $1::timestamptz - interval '1 hour'
               OR epoch <> (SELECT e.epoch FROM event_page_epoch AS e)
            RETURNING 1
        )
        SELECT count(*)::integer AS forgotten FROM gone
        """)

    static var all: [Statement] { [read, keep, forget] }
}
