-- Destinations: where deliveries go, one per merchant and origin of the expanded request URL
-- (scheme, lower-cased host, port written out). Each carries the health the sweep learns from
-- its attempts (breaker, back-pressure) and what an operator decided (pause, resume).
--
-- A destination's id is derived from (merchant, origin), so recording an event never has to read
-- the table: the change transaction inserts the row with ON CONFLICT DO NOTHING and moves on.
CREATE FUNCTION destination_id(merchant text, origin text) RETURNS uuid
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT (substr(h, 1, 12) || '3' || substr(h, 14, 3)
            || substr('89ab', (('x' || substr(h, 17, 1))::bit(4)::integer & 3) + 1, 1) || substr(h, 18))::uuid
    FROM md5(merchant || chr(10) || origin) AS h
$$;

-- The origin of a stored request URL (already validated when the event was recorded).
CREATE FUNCTION url_origin(url text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT lower(m[1]) || '://' || lower(m[2]) || ':'
           || coalesce(m[3], CASE lower(m[1]) WHEN 'https' THEN '443' ELSE '80' END)
    FROM regexp_match(url, '^([A-Za-z]+)://(\[[^]]+\]|[^/:?#]+)(?::([0-9]+))?') AS m
$$;

CREATE TABLE destinations (
    merchant             text NOT NULL REFERENCES merchants (merchant),
    destination_id       uuid NOT NULL,
    origin               text NOT NULL,
    status               text NOT NULL DEFAULT 'healthy'
                         CHECK (status IN ('healthy', 'failing', 'open', 'paused', 'disabled')),
    -- failed attempts in a row that count towards the breaker (connection, TLS, timeout, 5xx, 429)
    consecutive_failures integer NOT NULL DEFAULT 0 CHECK (consecutive_failures >= 0),
    last_success_at      timestamptz,
    last_failure_at      timestamptz,
    last_error           text,
    -- the first failure since the last success: the clock of automatic disabling
    failing_since        timestamptz,
    -- while open: when the next probe may go; probe_wait_seconds doubles after each failed probe
    next_probe_at        timestamptz,
    probe_wait_seconds   integer NOT NULL DEFAULT 0 CHECK (probe_wait_seconds >= 0),
    -- a receiver's Retry-After: no attempt before this time
    held_until           timestamptz,
    disabled_at          timestamptz,
    created_at           timestamptz NOT NULL,
    PRIMARY KEY (merchant, destination_id),
    UNIQUE (destination_id)
);

CREATE INDEX destinations_by_failure ON destinations (merchant, last_failure_at DESC NULLS LAST, origin);

ALTER TABLE events ADD COLUMN destination_id uuid;
ALTER TABLE deliveries ADD COLUMN destination_id uuid;

INSERT INTO destinations (merchant, destination_id, origin, created_at)
SELECT merchant, destination_id(merchant, origin), origin, min(created_at)
FROM (SELECT merchant, url_origin(request_url) AS origin, created_at FROM events WHERE request_url <> '') AS e
WHERE origin IS NOT NULL
GROUP BY merchant, origin;

UPDATE events SET destination_id = destination_id(merchant, url_origin(request_url))
WHERE request_url <> '' AND url_origin(request_url) IS NOT NULL;

UPDATE deliveries AS d SET destination_id = e.destination_id
FROM events AS e WHERE e.merchant = d.merchant AND e.event_id = d.event_id;

CREATE INDEX events_by_destination ON events (merchant, destination_id, event_id DESC);

-- The claim walks the destinations that have queued deliveries (a skip scan over this index) and
-- takes the due ones of each, so one destination's backlog costs other destinations nothing.
CREATE INDEX deliveries_by_destination ON deliveries (destination_id, due_at) WHERE due_at IS NOT NULL;
