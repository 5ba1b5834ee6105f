-- History that stays bounded: `events` and `attempts` become tables partitioned by day, by ranges
-- of the UUIDv7 `event_id` (its first 48 bits are the unix time in milliseconds, so the ids of one
-- UTC day form one range). Old history goes by dropping whole day partitions, never by deleting
-- rows one by one, so removal costs the same whatever the size of the history.
--
-- Partition names are built only from dates: `events_p20261207` and `attempts_p20261207` hold the
-- events created on 2026-12-07 (UTC) and their attempts. `events_retained` and `attempts_retained`
-- are the default partitions: they hold the events still queued when their day was dropped (an
-- event is kept until it is done), and anything whose day has no partition.
--
-- The queue row of an event (`deliveries`) is deleted once its delivery is finished, so the queue
-- holds only what is still to do; the count of automatic attempts it carried moves to the event.
-- `deliveries` no longer has a foreign key to `events`: the statements create an event and its
-- queue row together, and housekeeping keeps the events of queued rows (it moves them into the
-- retained partition before dropping their day).

-- The first UUIDv7 of a UTC day: the bound between two day partitions.
CREATE FUNCTION history_day_bound(day date) RETURNS uuid
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT (substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-0000-0000-000000000000')::uuid
    FROM lpad(to_hex((extract(epoch FROM day::timestamp) * 1000)::bigint), 12, '0') AS h
$$;

-- The UTC day of a UUIDv7.
CREATE FUNCTION history_day(id uuid) RETURNS date
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT (timestamp '1970-01-01' + ('x' || substr(replace(id::text, '-', ''), 1, 12))::bit(48)::bigint
            * interval '1 millisecond')::date
$$;

ALTER TABLE deliveries DROP CONSTRAINT deliveries_merchant_event_id_fkey;

ALTER TABLE events RENAME TO events_0003;
ALTER TABLE events_0003 RENAME CONSTRAINT events_pkey TO events_0003_pkey;
ALTER TABLE attempts RENAME TO attempts_0003;
ALTER TABLE attempts_0003 RENAME CONSTRAINT attempts_pkey TO attempts_0003_pkey;
DROP INDEX events_by_order, events_by_scope, events_by_destination;
-- A database that applied 0005 (scope keys) before this file had its index on the old table.
DROP INDEX IF EXISTS events_by_scope_key;

-- The new tables take every column of the old ones (whatever migrations added to them), plus the
-- event's count of automatic attempts (a manual retry of a finished event continues from it).
CREATE TABLE events (
    LIKE events_0003 INCLUDING DEFAULTS INCLUDING CONSTRAINTS,
    automatic_attempts integer NOT NULL DEFAULT 0 CHECK (automatic_attempts >= 0),
    PRIMARY KEY (merchant, event_id)
) PARTITION BY RANGE (event_id);

CREATE TABLE attempts (
    LIKE attempts_0003 INCLUDING DEFAULTS INCLUDING CONSTRAINTS,
    PRIMARY KEY (merchant, event_id, attempt_id)
) PARTITION BY RANGE (event_id);

CREATE INDEX events_by_order ON events (merchant, order_id, event_id DESC);
CREATE INDEX events_by_scope ON events (merchant, scope, event_id DESC);
CREATE INDEX events_by_destination ON events (merchant, destination_id, event_id DESC);
-- Indexes of later migrations on the old tables (a database that applied them before this file)
-- move to the new ones.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'events'::regclass AND attname = 'scope_key') THEN
        CREATE INDEX events_by_scope_key ON events (merchant, scope_key, event_id DESC) WHERE scope_key IS NOT NULL;
    END IF;
    IF to_regclass('attempts_by_time') IS NOT NULL THEN
        DROP INDEX attempts_by_time;
        CREATE INDEX attempts_by_time ON attempts (merchant, attempted_at);
    END IF;
END
$$;

CREATE TABLE events_retained PARTITION OF events DEFAULT;
CREATE TABLE attempts_retained PARTITION OF attempts DEFAULT;

-- Figures for /metrics that cost the same at any history size. `event_counts`: finished events
-- per day of their id and status (the rows of a day go with its partition). `attempt_counts`:
-- attempts by outcome and by duration bucket since the database was created (Prometheus counters).
-- Only the sweep's batched write-back adds to them in the common path, so no change transaction
-- waits for a counter row.
CREATE TABLE event_counts (
    day    date NOT NULL,
    status text NOT NULL CHECK (status IN ('succeeded', 'failed')),
    n      bigint NOT NULL,
    PRIMARY KEY (day, status)
);

CREATE TABLE attempt_counts (
    figure text PRIMARY KEY,
    n      bigint NOT NULL
);

-- Creates the missing day partitions of `events` and `attempts` for the days first..last and
-- returns how many days it created. A day whose ids already have rows in the retained partition
-- (housekeeping did not run for longer than it creates ahead) is left to the retained partition.
CREATE FUNCTION history_create_partitions(first date, last date) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    day date;
    created integer := 0;
BEGIN
    FOR day IN SELECT d::date FROM generate_series(first, last, interval '1 day') AS d LOOP
        CONTINUE WHEN to_regclass('events_p' || to_char(day, 'YYYYMMDD')) IS NOT NULL;
        CONTINUE WHEN EXISTS (SELECT 1 FROM events_retained
                              WHERE event_id >= history_day_bound(day) AND event_id < history_day_bound(day + 1));
        CONTINUE WHEN EXISTS (SELECT 1 FROM attempts_retained
                              WHERE event_id >= history_day_bound(day) AND event_id < history_day_bound(day + 1));
        EXECUTE format('CREATE TABLE %I PARTITION OF events FOR VALUES FROM (%L) TO (%L)',
                       'events_p' || to_char(day, 'YYYYMMDD'), history_day_bound(day), history_day_bound(day + 1));
        EXECUTE format('CREATE TABLE %I PARTITION OF attempts FOR VALUES FROM (%L) TO (%L)',
                       'attempts_p' || to_char(day, 'YYYYMMDD'), history_day_bound(day), history_day_bound(day + 1));
        created := created + 1;
    END LOOP;
    RETURN created;
END
$$;

-- Drops the day partitions of the days before `keep_from` (so every id in them is older than the
-- retention) and returns (days dropped, events kept because still queued, retained events removed).
-- Before a day goes, the events that still have a queue row, and their attempts, move into the
-- retained partition; the retained events that are done and older than `keep_from` are deleted
-- (few: only events that outlived their day). Ids that are not UUIDv7 carry no time and are never
-- taken for old. The caller holds the housekeeping lock.
CREATE FUNCTION history_drop_partitions(keep_from date, OUT dropped integer, OUT kept integer, OUT removed integer)
LANGUAGE plpgsql AS $$
DECLARE
    day date;
    moved integer;
BEGIN
    dropped := 0;
    kept := 0;
    FOR day IN
        SELECT to_date(substr(c.relname, 9), 'YYYYMMDD')
        FROM pg_inherits AS i JOIN pg_class AS c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'events'::regclass AND c.relname ~ '^events_p[0-9]{8}$'
          AND to_date(substr(c.relname, 9), 'YYYYMMDD') < keep_from
        ORDER BY 1
    LOOP
        -- The lock order of every statement that touches both: events, then attempts.
        LOCK TABLE events, attempts IN ACCESS EXCLUSIVE MODE;
        CREATE TEMP TABLE IF NOT EXISTS history_queued (merchant text, event_id uuid) ON COMMIT DROP;
        TRUNCATE history_queued;
        INSERT INTO history_queued
        SELECT merchant, event_id FROM deliveries
        WHERE event_id >= history_day_bound(day) AND event_id < history_day_bound(day + 1);
        EXECUTE format('ALTER TABLE events DETACH PARTITION %I', 'events_p' || to_char(day, 'YYYYMMDD'));
        EXECUTE format('ALTER TABLE attempts DETACH PARTITION %I', 'attempts_p' || to_char(day, 'YYYYMMDD'));
        EXECUTE format('INSERT INTO events SELECT e.* FROM %I AS e JOIN history_queued AS q'
                       ' ON q.merchant = e.merchant AND q.event_id = e.event_id',
                       'events_p' || to_char(day, 'YYYYMMDD'));
        GET DIAGNOSTICS moved = ROW_COUNT;
        kept := kept + moved;
        EXECUTE format('INSERT INTO attempts SELECT a.* FROM %I AS a JOIN history_queued AS q'
                       ' ON q.merchant = a.merchant AND q.event_id = a.event_id',
                       'attempts_p' || to_char(day, 'YYYYMMDD'));
        EXECUTE format('DROP TABLE %I, %I', 'events_p' || to_char(day, 'YYYYMMDD'),
                       'attempts_p' || to_char(day, 'YYYYMMDD'));
        dropped := dropped + 1;
    END LOOP;
    WITH done AS (
        DELETE FROM events_retained AS e
        WHERE e.event_id < history_day_bound(keep_from) AND substr(e.event_id::text, 15, 1) = '7'
          AND NOT EXISTS (SELECT 1 FROM deliveries AS d WHERE d.merchant = e.merchant AND d.event_id = e.event_id)
        RETURNING e.merchant, e.event_id
    ),
    gone AS (
        DELETE FROM attempts_retained AS a USING done
        WHERE a.merchant = done.merchant AND a.event_id = done.event_id
    )
    SELECT count(*) INTO removed FROM done;
    DELETE FROM event_counts WHERE event_counts.day < keep_from;
END
$$;

-- The history of 0003, copied into day partitions.
SELECT history_create_partitions(min(history_day(event_id)), max(history_day(event_id))) FROM events_0003;
SELECT history_create_partitions((now() AT TIME ZONE 'UTC')::date - 1, (now() AT TIME ZONE 'UTC')::date + 7);

INSERT INTO events
SELECT e.*, coalesce(d.attempt, 0) FROM events_0003 AS e
LEFT JOIN deliveries AS d ON d.merchant = e.merchant AND d.event_id = e.event_id;

INSERT INTO attempts SELECT * FROM attempts_0003;

INSERT INTO event_counts (day, status, n)
SELECT history_day(event_id), status, count(*) FROM events WHERE status <> 'pending' GROUP BY 1, 2;

INSERT INTO attempt_counts (figure, n)
SELECT outcome, count(*) FROM (
    SELECT CASE WHEN status_code BETWEEN 200 AND 299 AND error IS NULL THEN 'success'
                WHEN status_code IS NOT NULL THEN 'http_error' ELSE 'transport_error' END AS outcome
    FROM attempts) AS a
GROUP BY 1;

INSERT INTO attempt_counts (figure, n)
SELECT 'le_' || coalesce(b.bound::text, 'inf'), count(*)
FROM attempts AS a
CROSS JOIN LATERAL (
    SELECT min(bound) AS bound FROM unnest(ARRAY[5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000]) AS bound
    WHERE a.duration_ms <= bound) AS b
GROUP BY 1;

INSERT INTO attempt_counts (figure, n) SELECT 'sum_ms', coalesce(sum(duration_ms), 0) FROM attempts;

-- Finished deliveries leave the queue.
DELETE FROM deliveries WHERE due_at IS NULL AND lease_token IS NULL AND NOT retry_requested;

DROP TABLE events_0003, attempts_0003;
