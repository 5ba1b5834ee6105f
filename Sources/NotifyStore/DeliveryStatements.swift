/// The SQL of the sweep: claim a batch of due deliveries, write a batch of outcomes back.
enum DeliveryStatements {
    /// Takes up to $2 due deliveries that no other sweep holds, leases them with token $4 and moves
    /// their due time to the lease's expiry $3 (leased rows go to the tail of the due index).
    ///
    /// Fair by construction: it walks the destinations that have queued deliveries (a skip scan of
    /// `deliveries_by_destination`, one index probe per destination, however long its backlog) and
    /// takes at most a destination's room from each: $9, or the room $6 this sweep has left for the
    /// destinations $5 it already holds deliveries of. Destinations that are paused, disabled, held
    /// by a `Retry-After` or open are skipped; an open one whose probe time has come gives one
    /// delivery, the probe, and its next probe time moves to the lease's expiry so no other claim
    /// probes it meanwhile (unless a write-back holds the destination's row: the claim never waits
    /// for one, since the write-back may be waiting for rows this claim locked). The candidates are then interleaved by merchant (each merchant's first,
    /// then each one's second, ...) with at most $10 per merchant, or the room $8 left for the
    /// merchants $7, so no merchant fills the batch while others have due work. Deliveries whose URL
    /// never expanded have no destination and are taken too, to fail with their error. Rows are
    /// locked as each destination's are read (`SKIP LOCKED`), so sweeps claiming at the same time
    /// take different rows of one destination instead of contending for its first few.
    ///
    /// Only rows the merchant's room can take are read and locked: each destination gives at most
    /// its share of it (the merchant's room, or $2 when less, over the merchant's destinations with
    /// room, rounded up), not its whole room only to be cut by the merchant's limit afterwards
    /// (locking a row costs about what claiming it does). A delivery returns `more` when its
    /// destination gave its full share and the share was less than the destination's room: more of
    /// that destination may be due, and a next claim may take it.
    ///
    /// The chosen rows are updated through the row address (`ctid`) they were locked at, not found
    /// again through the primary key (the key is checked as well). A row that another transaction
    /// changed after this statement's snapshot is left as it is, for the next claim.
    ///
    /// A destination's due rows are asked for as a range of `deliveries_by_destination`'s
    /// (destination, due time) order, not as "this destination, due by $1, by due time": the
    /// statement runs as a prepared generic plan, and with few destinations the planner then read
    /// the queue in `deliveries_due` order, filtering out every other destination's rows (tens of
    /// thousands per destination and claim). Only `deliveries_by_destination` gives the range.
    static let claim = Statement(
        "deliveries_claim",
        """
        WITH RECURSIVE queued(destination_id) AS (
            (SELECT destination_id FROM deliveries
             WHERE due_at IS NOT NULL AND destination_id IS NOT NULL ORDER BY destination_id LIMIT 1)
            UNION ALL
            SELECT (SELECT d.destination_id FROM deliveries AS d
                    WHERE d.due_at IS NOT NULL AND d.destination_id > q.destination_id
                    ORDER BY d.destination_id LIMIT 1)
            FROM queued AS q WHERE q.destination_id IS NOT NULL
        ),
        held AS (SELECT * FROM unnest($5::uuid[], $6::integer[]) AS h(destination_id, room)),
        merchant_held AS (SELECT * FROM unnest($7::text[], $8::integer[]) AS h(merchant, room)),
        sendable AS (
            SELECT t.destination_id, t.merchant, t.status = 'open' AS probe,
                   CASE WHEN t.status = 'open' THEN least(1, coalesce(h.room, $9::integer))
                        ELSE coalesce(h.room, $9::integer) END AS room
            FROM queued AS q
            JOIN destinations AS t ON t.destination_id = q.destination_id
            LEFT JOIN held AS h ON h.destination_id = q.destination_id
            WHERE (t.status IN ('healthy', 'failing') OR (t.status = 'open' AND t.next_probe_at <= $1::timestamptz))
              AND (t.held_until IS NULL OR t.held_until <= $1::timestamptz)
        ),
        shared AS (
            SELECT s.destination_id, s.probe, s.room,
                   least(s.room, (least(coalesce(m.room, $10::integer), $2::integer) + count(*) OVER w - 1)
                                 / count(*) OVER w) AS share
            FROM sendable AS s LEFT JOIN merchant_held AS m ON m.merchant = s.merchant
            WHERE s.room > 0
            WINDOW w AS (PARTITION BY s.merchant)
        ),
        routed AS (
            SELECT c.row_id, c.merchant, c.event_id, c.due_at, s.probe, s.destination_id,
                   s.share < s.room AND count(*) OVER (PARTITION BY s.destination_id) >= s.share AS more
            FROM shared AS s CROSS JOIN LATERAL (
                SELECT d.ctid AS row_id, d.merchant, d.event_id, d.due_at FROM deliveries AS d
                WHERE (d.destination_id, d.due_at) >= (s.destination_id, '-infinity'::timestamptz)
                  AND (d.destination_id, d.due_at) <= (s.destination_id, $1::timestamptz) AND d.due_at IS NOT NULL
                ORDER BY d.destination_id, d.due_at LIMIT s.share
                FOR UPDATE SKIP LOCKED
            ) AS c
            WHERE s.share > 0
        ),
        unrouted AS (
            SELECT d.ctid AS row_id, d.merchant, d.event_id, d.due_at, false AS probe, NULL::uuid AS destination_id,
                   false AS more
            FROM deliveries AS d
            WHERE d.destination_id IS NULL AND d.due_at IS NOT NULL AND d.due_at <= $1::timestamptz
            ORDER BY d.due_at LIMIT $9::integer
            FOR UPDATE SKIP LOCKED
        ),
        ranked AS (
            SELECT c.*, row_number() OVER (PARTITION BY c.merchant ORDER BY c.rank, c.due_at) AS merchant_rank
            FROM (SELECT u.*, row_number() OVER (PARTITION BY u.destination_id ORDER BY u.due_at) AS rank
                  FROM (SELECT * FROM routed UNION ALL SELECT * FROM unrouted) AS u) AS c
        ),
        chosen AS (
            SELECT r.row_id, r.merchant, r.event_id, r.destination_id, r.probe, r.more FROM ranked AS r
            LEFT JOIN merchant_held AS m ON m.merchant = r.merchant
            WHERE r.merchant_rank <= coalesce(m.room, $10::integer)
            ORDER BY r.merchant_rank, r.due_at LIMIT $2::integer
        ),
        probing AS (
            UPDATE destinations AS t SET next_probe_at = $3::timestamptz
            FROM (SELECT p.destination_id FROM destinations AS p
                  WHERE p.destination_id IN (SELECT destination_id FROM chosen WHERE probe)
                  FOR UPDATE SKIP LOCKED) AS free
            WHERE t.destination_id = free.destination_id
        )
        UPDATE deliveries AS d
        SET due_at = $3::timestamptz, lease_token = $4::uuid, retry_requested = false
        FROM chosen LEFT JOIN destinations AS t ON t.destination_id = chosen.destination_id, events AS e,
             merchants AS m
        WHERE d.ctid = chosen.row_id AND d.merchant = chosen.merchant AND d.event_id = chosen.event_id
          AND e.merchant = d.merchant AND e.event_id = d.event_id
          AND m.merchant = d.merchant
        RETURNING d.merchant, d.event_id, d.destination_id, chosen.probe, chosen.more, d.attempt, d.trigger,
                  e.request_method, e.request_url, e.request_headers, e.payload, e.error,
                  coalesce(t.signing_secret, m.signing_secret) AS signing_secret,
                  CASE WHEN t.signing_secret IS NOT NULL
                       THEN CASE WHEN t.previous_secret_expires_at > $1::timestamptz THEN t.previous_signing_secret END
                       ELSE CASE WHEN m.previous_secret_expires_at > $1::timestamptz THEN m.previous_signing_secret END
                  END AS previous_signing_secret
        """)

    /// The health of the destinations a batch of outcomes concerns, locked until the write-back
    /// commits (in id order, so two sweeps never wait for each other in a cycle).
    static let lockDestinations = Statement(
        "destinations_lock",
        """
        SELECT destination_id, status, consecutive_failures, extract(epoch FROM last_success_at)::float8 AS last_success_at,
               extract(epoch FROM last_failure_at)::float8 AS last_failure_at, last_error,
               extract(epoch FROM failing_since)::float8 AS failing_since,
               extract(epoch FROM next_probe_at)::float8 AS next_probe_at, probe_wait_seconds,
               extract(epoch FROM held_until)::float8 AS held_until, extract(epoch FROM disabled_at)::float8 AS disabled_at
        FROM destinations WHERE destination_id = ANY($1::uuid[]) ORDER BY destination_id FOR UPDATE
        """, safeToRepeat: true)

    /// Records a batch of attempts, only for deliveries whose lease (`lease_token`) is still this sweep's: the
    /// attempt rows, the events' status, latest attempt and automatic attempts made, and the
    /// deliveries' next due time (now when a manual retry was asked for meanwhile); a finished
    /// delivery leaves the queue. Also the new health of their destinations ($14..$24, computed
    /// from the rows `lockDestinations` locked) and the counters `/metrics` reads: finished events
    /// per day and status, attempts per outcome and duration bucket (a few rows per batch, in key
    /// order so two sweeps never wait for each other in a cycle; the attempts are grouped by outcome
    /// and bucket first, so the counters take a few rows, not three per attempt). The bucket names are
    /// `le_<ms>` of `MetricsStore.latencyBuckets` (a store test checks that they agree); the SQL is
    /// plain text so that the benchmark can run the same statement. $25 and $26 are the lowest and
    /// highest event id of the batch: `events` is partitioned by day of event id, and with the
    /// bounds as parameters the executor opens only the days the batch has events of; without them
    /// it opens every day partition and its index, however few days the batch spans.
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
        health AS (
            UPDATE destinations AS t
            SET status = h.status, consecutive_failures = h.consecutive_failures, last_success_at = h.last_success_at,
                last_failure_at = h.last_failure_at, last_error = h.last_error, failing_since = h.failing_since,
                next_probe_at = h.next_probe_at, probe_wait_seconds = h.probe_wait_seconds,
                held_until = h.held_until, disabled_at = h.disabled_at
            FROM unnest($14::uuid[], $15::text[], $16::integer[], $17::timestamptz[], $18::timestamptz[], $19::text[],
                        $20::timestamptz[], $21::timestamptz[], $22::integer[], $23::timestamptz[],
                        $24::timestamptz[])
                AS h(destination_id, status, consecutive_failures, last_success_at, last_failure_at, last_error,
                     failing_since, next_probe_at, probe_wait_seconds, held_until, disabled_at)
            WHERE t.destination_id = h.destination_id
        ),
        finished AS (
            DELETE FROM deliveries AS d USING outcome AS o
            WHERE d.merchant = o.merchant AND d.event_id = o.event_id AND d.lease_token = o.lease_token
              AND o.next_due IS NULL AND NOT d.retry_requested
            RETURNING d.merchant, d.event_id, NULL::timestamptz AS due_at, o.attempt_id, o.attempted_at,
                      o.status_code, o.response_body, o.duration_ms, o.error, o.trigger, o.status,
                      o.automatic_attempts
        ),
        continued AS (
            UPDATE deliveries AS d
            SET due_at = CASE WHEN d.retry_requested THEN o.attempted_at ELSE o.next_due END,
                trigger = CASE WHEN d.retry_requested THEN 'manual' ELSE 'automatic' END,
                lease_token = NULL, retry_requested = false, attempt = o.automatic_attempts
            FROM outcome AS o
            WHERE d.merchant = o.merchant AND d.event_id = o.event_id AND d.lease_token = o.lease_token
              AND (o.next_due IS NOT NULL OR d.retry_requested)
            RETURNING d.merchant, d.event_id, d.due_at, o.attempt_id, o.attempted_at, o.status_code,
                      o.response_body, o.duration_ms, o.error, o.trigger, o.status, o.automatic_attempts
        ),
        owned AS (SELECT * FROM finished UNION ALL SELECT * FROM continued),
        recorded AS (
            UPDATE events AS e
            SET status = CASE WHEN owned.due_at IS NOT NULL AND owned.status <> 'succeeded' THEN 'pending'
                              ELSE owned.status END,
                attempt_count = e.attempt_count + 1, next_attempt_at = owned.due_at,
                last_attempt_at = owned.attempted_at, last_status_code = owned.status_code,
                last_response_body = owned.response_body, automatic_attempts = owned.automatic_attempts
            FROM owned
            WHERE e.merchant = owned.merchant AND e.event_id = owned.event_id
              AND e.event_id BETWEEN $25::uuid AND $26::uuid
            RETURNING e.event_id, e.status
        ),
        events_counted AS (
            INSERT INTO event_counts AS c (day, status, n)
            SELECT history_day(event_id), status, count(*) FROM recorded WHERE status <> 'pending'
            GROUP BY 1, 2 ORDER BY 1, 2
            ON CONFLICT (day, status) DO UPDATE SET n = c.n + EXCLUDED.n
        ),
        attempts_counted AS (
            INSERT INTO attempt_counts AS c (figure, n)
            SELECT f.figure, sum(f.n) FROM (
                SELECT CASE WHEN a.status_code BETWEEN 200 AND 299 AND a.error IS NULL THEN 'success'
                            WHEN a.status_code IS NOT NULL THEN 'http_error' ELSE 'transport_error' END AS outcome,
                       CASE WHEN a.duration_ms <= 5 THEN 'le_5' WHEN a.duration_ms <= 10 THEN 'le_10'
                            WHEN a.duration_ms <= 25 THEN 'le_25' WHEN a.duration_ms <= 50 THEN 'le_50'
                            WHEN a.duration_ms <= 100 THEN 'le_100' WHEN a.duration_ms <= 250 THEN 'le_250'
                            WHEN a.duration_ms <= 500 THEN 'le_500' WHEN a.duration_ms <= 1000 THEN 'le_1000'
                            WHEN a.duration_ms <= 2500 THEN 'le_2500' WHEN a.duration_ms <= 5000 THEN 'le_5000'
                            WHEN a.duration_ms <= 10000 THEN 'le_10000' WHEN a.duration_ms <= 30000 THEN 'le_30000'
                            ELSE 'le_inf' END AS bucket,
                       count(*) AS n, sum(a.duration_ms)::bigint AS ms
                FROM owned AS a GROUP BY 1, 2
            ) AS g CROSS JOIN LATERAL (VALUES (g.outcome, g.n), (g.bucket, g.n), ('sum_ms', g.ms)) AS f(figure, n)
            GROUP BY f.figure ORDER BY f.figure
            ON CONFLICT (figure) DO UPDATE SET n = c.n + EXCLUDED.n
        )
        INSERT INTO attempts (merchant, event_id, attempt_id, attempted_at, status_code, response_body, duration_ms,
                              error, trigger)
        SELECT merchant, event_id, attempt_id, attempted_at, status_code, response_body, duration_ms, error, trigger
        FROM owned
        """)

    /// Hands leased deliveries back unattempted (their destination stopped sending while they
    /// waited in this sweep for a free slot): due at $4 again, for whoever may send them then.
    static let release = Statement(
        "deliveries_release",
        """
        UPDATE deliveries AS d SET due_at = $4::timestamptz, lease_token = NULL
        FROM unnest($1::text[], $2::uuid[], $3::uuid[]) AS r(merchant, event_id, lease_token)
        WHERE d.merchant = r.merchant AND d.event_id = r.event_id AND d.lease_token = r.lease_token
        """, safeToRepeat: true)

    /// When the next delivery is due (for `--follow` to sleep until then).
    static let nextDue = Statement(
        "deliveries_next_due",
        """
        SELECT extract(epoch FROM min(due_at) - $1::timestamptz)::float8 AS wait_seconds
        FROM deliveries WHERE due_at IS NOT NULL
        """, safeToRepeat: true)

    /// Subscribes the connection to the `NOTIFY` of new due deliveries (lost with the connection).
    static let listen = Statement("deliveries_listen", "LISTEN notify_deliveries", safeToRepeat: true)

    static var all: [Statement] { [claim, lockDestinations, complete, release, nextDue, listen] }
}
