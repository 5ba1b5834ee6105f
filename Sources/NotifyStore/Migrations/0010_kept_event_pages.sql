-- An order's events page, as the API answered it, is kept rendered and served again by one index
-- lookup while nothing it shows has changed. What it shows comes from the order's rows of
-- `events` and their attempts; an attempt is only ever written in the statement that updates its
-- event. So a trigger on `events` gives the order a new version in the same transaction as any
-- change of its events, whichever code path (or person with psql) makes it, and a kept page is
-- served only while its version is the order's current one. Dropping or moving day partitions
-- fires no trigger: housekeeping bumps the epoch instead, which every kept page also names.

-- Versions come from a sequence, never reused: a page kept with a version that was current once
-- can never match again, even when an order's version row is deleted and made anew.
CREATE SEQUENCE order_event_version_numbers;

CREATE TABLE order_event_versions (
    merchant text NOT NULL,
    order_id uuid NOT NULL,
    version bigint NOT NULL,
    PRIMARY KEY (merchant, order_id)
) WITH (fillfactor = 70);

-- One row: the history's epoch, bumped by housekeeping when it drops or moves events.
CREATE TABLE event_page_epoch (
    one boolean PRIMARY KEY DEFAULT true CHECK (one),
    epoch bigint NOT NULL
);
INSERT INTO event_page_epoch (epoch) VALUES (1);

-- Unlogged: a cache, emptied by a crash, never worth a WAL record.
CREATE UNLOGGED TABLE kept_event_pages (
    merchant text NOT NULL,
    order_id uuid NOT NULL,
    query text NOT NULL,
    version bigint NOT NULL,
    epoch bigint NOT NULL,
    data text NOT NULL,
    size integer NOT NULL,
    total integer NOT NULL,
    kept_at timestamptz NOT NULL,
    PRIMARY KEY (merchant, order_id, query)
);

-- One new version per order the statement changed, taken in (merchant, order) order so that two
-- transactions bumping the same orders lock their rows in the same order.
CREATE FUNCTION order_events_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO order_event_versions AS v (merchant, order_id, version)
    SELECT c.merchant, c.order_id, nextval('order_event_version_numbers')
    FROM (SELECT DISTINCT merchant, order_id FROM changed_events) AS c
    ORDER BY c.merchant, c.order_id
    ON CONFLICT (merchant, order_id) DO UPDATE SET version = EXCLUDED.version;
    RETURN NULL;
END
$$;

-- A trigger with a transition table takes one kind of change each.
CREATE TRIGGER events_inserted AFTER INSERT ON events
    REFERENCING NEW TABLE AS changed_events FOR EACH STATEMENT EXECUTE FUNCTION order_events_changed();
CREATE TRIGGER events_updated AFTER UPDATE ON events
    REFERENCING NEW TABLE AS changed_events FOR EACH STATEMENT EXECUTE FUNCTION order_events_changed();
CREATE TRIGGER events_deleted AFTER DELETE ON events
    REFERENCING OLD TABLE AS changed_events FOR EACH STATEMENT EXECUTE FUNCTION order_events_changed();

-- The orders that already have events get their first version now.
INSERT INTO order_event_versions (merchant, order_id, version)
SELECT merchant, order_id, nextval('order_event_version_numbers')
FROM (SELECT DISTINCT merchant, order_id FROM events) AS e;
