import NotifyDomain

/// The SQL of the Notification API: filtered event pages with their attempts, manual retry, bulk recover.
enum EventStatements {
    /// RFC 3339 UTC with milliseconds, the API's one timestamp form.
    static func rfc3339(_ column: String) -> String {
        "to_char(\(column) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
    }

    /// The API's columns of an event, its latest attempts included. `attemptsWhere`: a condition
    /// on `attempts.event_id` with bound parameters only (see `attempts`).
    static func columns(attemptsWhere: String? = nil) -> String {
        """
        event_id, \(rfc3339("created_at")) AS created_at, merchant, channel, order_id, notification_id, reference,
        adapter_id, scope, status, attempt_count, \(rfc3339("next_attempt_at")) AS next_attempt_at,
        \(rfc3339("last_attempt_at")) AS last_attempt_at, last_status_code, last_response_body, error,
        request_method, request_url, request_headers, destination_id,
        \(attempts(where: attemptsWhere, window: latestAttemptsWindow)) AS attempts
        """
    }

    /// The latest `latestAttempts` attempts of the event as a JSON array, oldest first, in the same
    /// statement (and so the same snapshot) as the event: a listed event stays small however often
    /// it was retried, and `attemptCount` tells how many there are in all.
    static let latestAttemptsWindow = "ORDER BY attempted_at DESC, attempt_id DESC LIMIT \(latestAttempts)"

    /// How many attempts an event carries in a list.
    static let latestAttempts = 10

    /// One page of the event's attempts, oldest first: `LIMIT $3 OFFSET $4` (the event detail of $2).
    static let attemptsPageJSON = attempts(
        where: "attempts.event_id = $2::uuid",
        window: "ORDER BY attempted_at, attempt_id LIMIT $3::integer OFFSET $4::integer")

    /// The attempts of the event (`window`: their order and page) as a JSON array, oldest first.
    /// `condition`, on `attempts.event_id` with bound parameters only, lets PostgreSQL leave out
    /// the attempts' day partitions it excludes when the statement starts; the correlation with
    /// `events` alone is known only row by row, so every partition would be opened.
    private static func attempts(where condition: String?, window: String) -> String {
        let bound = condition.map { " AND \($0)" } ?? ""
        return """
            (SELECT coalesce(json_agg(json_build_object(
                        'id', a.attempt_id, 'timestamp', \(rfc3339("a.attempted_at")), 'statusCode', a.status_code,
                        'responseBody', a.response_body, 'durationMs', a.duration_ms, 'error', a.error,
                        'trigger', a.trigger) ORDER BY a.attempted_at, a.attempt_id), '[]')
             FROM (SELECT * FROM attempts
                   WHERE attempts.merchant = events.merchant AND attempts.event_id = events.event_id\(bound)
                   \(window)) AS a)
            """
    }

    /// The filterable columns with their casts, in parameter order after the merchant. A `scope`
    /// filter is either a pointer (column `scope`) or a key (column `scope_key`), never both.
    static let filterColumns: [(column: String, cast: String)] = [
        ("order_id", "::uuid"), ("scope", ""), ("status", ""), ("channel", ""), ("adapter_id", ""), ("reference", ""),
        ("scope_key", ""), ("destination_id", "::uuid"),
    ]
    static let scopeBits = 1 << 1 | 1 << 6

    /// One page of events as the API's JSON, with the check of the request's token in the same
    /// statement (one round trip for the whole read). The parameters after limit and offset (and
    /// after the order's range of event ids, see below) are the token's SHA-256, the client's failure
    /// bucket, the window and the quota of failures: `token_merchant`, `revoked` and `failures` say
    /// whose token it is and how many failed authentications the bucket has in the window, on every
    /// row; the events are read only when the token is merchant `$1`'s, live, and the failures are
    /// below the quota (else one row without an event).
    /// Each event row carries its JSON up to the value of `request.url` (`head`), the raw URL, and
    /// the rest (`tail`): the caller redacts the URL by the service's one URL rule and joins them.
    /// Only the page's events are rendered, above the limited scan (rendering in the scan would
    /// render every matching event, which the window count reads in full).
    ///
    /// One statement per combination of filters present (a bit per filter), so every combination
    /// gets a plan that uses its index: a single `$n IS NULL OR column = $n` statement would fall
    /// back to a generic plan that scans every event of the merchant. Only the fixed column names
    /// above go into the text; every value is a bound parameter.
    ///
    /// With an order filter, the two parameters after limit and offset are the lowest and highest
    /// event ids the order can have (`OrderEventBound`): PostgreSQL then opens only the day
    /// partitions in between, so reading one order's events costs the same with a year of history as
    /// with a day, and the days made ahead (and the retained partition) are not opened either: each
    /// partition a page opens costs its set-up on every read.
    static func page(filters mask: Int) -> Statement {
        pages[mask]
    }

    /// The page and count statements of the filter combinations in use, each built once per
    /// process: the text of a page statement is long, and building it on every read cost the
    /// worker more than joining the page's bytes.
    private static let pages = StatementFamily(count: 1 << filterColumns.count) {
        Statement("events_page_\($0)", pageSQL(filters: $0), safeToRepeat: true)
    }
    private static let counts = StatementFamily(count: 1 << filterColumns.count) {
        Statement("events_count_\($0)", countSQL(filters: $0), safeToRepeat: true)
    }

    private static func pageSQL(filters mask: Int) -> String {
        let (conditions, next) = whereClause(mask)
        let range = mask & orderBit != 0 ? (from: "$\(next + 2)::uuid", to: "$\(next + 3)::uuid") : nil
        let check = next + (range == nil ? 2 : 4)
        // One order's page also reads what it would be kept at (see `KeptPageStatements`).
        let keptAt = range == nil ? "" : ", " + KeptPageStatements.versionColumns(order: "$2")
        return """
            WITH auth AS (\(MerchantStatements.tokenCheck(from: check))),
            page AS (
                SELECT event_id, created_at, merchant, channel, order_id, notification_id, reference, adapter_id,
                       scope, status, attempt_count, next_attempt_at, last_attempt_at, last_status_code,
                       last_response_body, error, request_method, request_url, request_headers, destination_id,
                       count(*) OVER () AS total
                FROM events
                WHERE \(conditions)\(range.map { " AND event_id >= \($0.from) AND event_id <= \($0.to)" } ?? "")
                  AND (SELECT \(MerchantStatements.tokenAccepted(merchant: "$1", quota: "$\(check + 3)")) FROM auth)
                ORDER BY event_id DESC LIMIT $\(next)::integer OFFSET $\(next + 1)::integer
            )
            SELECT auth.token_merchant, auth.revoked, auth.failures,
                   \(renderedHead(attemptsWhere: range.map {
                       "attempts.event_id >= \($0.from) AND attempts.event_id <= \($0.to)"
                   })) AS head,
                   page.request_url, \(renderedTail) AS tail, page.total\(keptAt)
            FROM auth LEFT JOIN page ON true
            ORDER BY page.event_id DESC
            """
    }

    static func count(filters mask: Int) -> Statement {
        counts[mask]
    }

    private static func countSQL(filters mask: Int) -> String {
        let (conditions, next) = whereClause(mask)
        let range = mask & orderBit != 0 ? " AND event_id >= $\(next)::uuid AND event_id <= $\(next + 1)::uuid" : ""
        return "SELECT count(*) AS total FROM events WHERE \(conditions)\(range)"
    }

    /// The bit of the order filter (the first of `filterColumns`).
    static let orderBit = 1 << 0

    /// `merchant = $1 AND order_id = $2::uuid AND ...` for the filters in `mask`, and the next
    /// parameter number.
    private static func whereClause(_ mask: Int) -> (conditions: String, next: Int) {
        var conditions = ["merchant = $1"]
        var next = 2
        for (bit, filter) in filterColumns.enumerated() where mask & (1 << bit) != 0 {
            conditions.append("\(filter.column) = $\(next)\(filter.cast)")
            next += 1
        }
        return (conditions.joined(separator: " AND "), next)
    }

    static let one = Statement(
        "event_select",
        """
        SELECT \(columns(attemptsWhere: "attempts.event_id = $2::uuid")), \(attemptsPageJSON) AS attempts_page
        FROM events WHERE merchant = $1 AND event_id = $2::uuid
        """, safeToRepeat: true)
    /// Schedules one manual attempt now: at once when no sweep holds the delivery, else right after
    /// the attempt in flight (`retry_requested`). Events that never got a delivery row get one. An
    /// open breaker of the event's destination probes at once: a person asked, so the first of the
    /// manual attempts is the probe.
    static let retry = Statement(
        "event_retry",
        """
        WITH queued AS (\(queueManual("FROM events WHERE merchant = $1 AND event_id = $2::uuid", now: "$3"))),
        probe AS (\(probeNow(now: "$3"))),
        recorded AS (\(reopen(now: "$3"))),
        uncounted AS (\(uncount))
        SELECT event_id FROM recorded
        """)

    /// Bulk recover: one manual attempt, exactly as `retry`, for at most $12 events of merchant $1
    /// created in [$4, $5) (ids in [$2, $3): UUIDv7 order by time) with status $6 and the optional
    /// filters $7..$11; `matched` counts one more, so the caller knows whether more remain.
    static let recover = Statement(
        "events_recover",
        """
        WITH matched AS (
            SELECT merchant, event_id FROM events
            WHERE merchant = $1 AND event_id >= $2::uuid AND event_id < $3::uuid
              AND created_at >= $4::timestamptz AND created_at < $5::timestamptz AND status = $6
              AND ($7::uuid IS NULL OR order_id = $7::uuid) AND ($8::text IS NULL OR channel = $8)
              AND ($9::text IS NULL OR adapter_id = $9)
              AND ($10::text IS NULL OR CASE WHEN $10 LIKE '/%' THEN scope = $10 ELSE scope_key = $10 END)
              AND ($11::uuid IS NULL OR destination_id = $11::uuid)
            ORDER BY event_id LIMIT $12::integer + 1
        ),
        chosen AS (SELECT merchant, event_id FROM matched ORDER BY event_id LIMIT $12::integer),
        queued AS (\(queueManual(
            "FROM events WHERE merchant = $1 AND event_id IN (SELECT event_id FROM chosen)", now: "$13"))),
        probe AS (\(probeNow(now: "$13"))),
        recorded AS (\(reopen(now: "$13"))),
        uncounted AS (\(uncount))
        SELECT (SELECT count(*) FROM recorded) AS queued, (SELECT count(*) FROM matched) AS matched,
               (SELECT pg_notify('notify_deliveries', '') FROM recorded LIMIT 1) AS notified
        """)

    /// Makes the `queued` events pending again, due at `now`; returns each one's status before.
    private static func reopen(now: String) -> String {
        """
        UPDATE events AS e SET status = 'pending', next_attempt_at = \(now)::timestamptz
        FROM queued JOIN events AS old ON old.merchant = queued.merchant AND old.event_id = queued.event_id
        WHERE e.merchant = queued.merchant AND e.event_id = queued.event_id
        RETURNING e.event_id, old.status AS was
        """
    }

    /// Takes the reopened events out of the finished-event counters `/metrics` reads.
    private static let uncount = """
        INSERT INTO event_counts AS c (day, status, n)
        SELECT history_day(event_id), was, -count(*) FROM recorded WHERE was <> 'pending'
        GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (day, status) DO UPDATE SET n = c.n + EXCLUDED.n
        """

    /// Upserts a manual delivery due at `now` for the events the `source` clause selects (a new
    /// queue row continues the event's count of automatic attempts).
    private static func queueManual(_ source: String, now: String) -> String {
        """
        INSERT INTO deliveries (merchant, event_id, due_at, trigger, destination_id, attempt)
            SELECT merchant, event_id, \(now)::timestamptz, 'manual', destination_id, automatic_attempts \(source)
            ON CONFLICT (merchant, event_id) DO UPDATE
            SET due_at = CASE WHEN deliveries.lease_token IS NULL THEN EXCLUDED.due_at ELSE deliveries.due_at END,
                trigger = CASE WHEN deliveries.lease_token IS NULL THEN 'manual' ELSE deliveries.trigger END,
                retry_requested = deliveries.lease_token IS NOT NULL
            RETURNING merchant, event_id, destination_id
        """
    }

    /// Brings the next probe of the open destinations of `queued` forward to `now`.
    /// A destination whose row a sweep's write-back holds is left as it is: that write-back may be
    /// waiting for a delivery row this statement just locked.
    private static func probeNow(now: String) -> String {
        """
        UPDATE destinations AS t SET next_probe_at = \(now)::timestamptz
        FROM (SELECT p.destination_id FROM destinations AS p
              WHERE (p.merchant, p.destination_id) IN (SELECT merchant, destination_id FROM queued)
                AND p.status = 'open'
              FOR UPDATE SKIP LOCKED) AS q
        WHERE t.destination_id = q.destination_id
        """
    }

    static var all: [Statement] {
        (0..<(1 << filterColumns.count)).filter { $0 & scopeBits != scopeBits }
            .flatMap { [page(filters: $0), count(filters: $0)] } + [one, retry, recover]
    }
}
