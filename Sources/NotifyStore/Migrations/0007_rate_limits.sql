-- Fixed one-minute windows for the API's per-key quotas (failed authentications per client
-- address, manual retries per merchant): one row per key, reset when a new window starts, so the
-- table holds one row per key ever counted. Unlogged: after a crash the counts start again at
-- zero, which only forgives a minute of attempts.
CREATE UNLOGGED TABLE rate_limits (
    bucket       text PRIMARY KEY CHECK (length(bucket) <= 200),
    window_start bigint NOT NULL,
    hits         integer NOT NULL CHECK (hits > 0)
);
