-- An event is written once and updated when its attempts finish (status, counts, latest attempt).
-- None of those columns is indexed, so PostgreSQL can keep the new version on the same page (a HOT
-- update: no new entry in any of the five indexes of `events`) when the page has room for it. With
-- full pages, the events of one page (consecutive ids) are delivered and written back together,
-- in one transaction that cannot reuse the space of its own old versions: all but the first
-- update went to another page and into every index. Day partitions of events now fill pages only
-- half, so every event of a page can be updated in one transaction; attempts are never updated.
CREATE OR REPLACE FUNCTION history_create_partitions(first date, last date) RETURNS integer
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
        EXECUTE format('CREATE TABLE %I PARTITION OF events FOR VALUES FROM (%L) TO (%L) WITH (fillfactor = 50)',
                       'events_p' || to_char(day, 'YYYYMMDD'), history_day_bound(day), history_day_bound(day + 1));
        EXECUTE format('CREATE TABLE %I PARTITION OF attempts FOR VALUES FROM (%L) TO (%L)',
                       'attempts_p' || to_char(day, 'YYYYMMDD'), history_day_bound(day), history_day_bound(day + 1));
        created := created + 1;
    END LOOP;
    RETURN created;
END
$$;

-- The partitions there are: pages written from now on keep the room (existing rows stay put).
DO $$
DECLARE
    part regclass;
BEGIN
    FOR part IN SELECT inhrelid::regclass FROM pg_inherits WHERE inhparent = 'events'::regclass LOOP
        EXECUTE format('ALTER TABLE %s SET (fillfactor = 50)', part);
    END LOOP;
END
$$;
