-- scripts/bench: helpers for generating rows, in their own schema `bench` of the bench's throwaway
-- database (the application's schema is untouched).

CREATE SCHEMA IF NOT EXISTS bench;

-- A UUIDv7 (RFC 9562) for the millisecond `ms`, with `n` in place of the random bits: distinct n
-- give distinct ids, and ids sort by ms like the application's own (Sources/NotifyFoundation/Text/UUIDv7.swift).
CREATE OR REPLACE FUNCTION bench.uuid7(ms bigint, n bigint) RETURNS uuid
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT encode(int8send((ms << 16) | 28672 | (((n & 65535) * 40503) & 4095))
                  || int8send(-9223372036854775808 | (n & 4611686018427387903)), 'hex')::uuid
$$;

-- The id of the n-th copy of the template order (figures 2 and 4; the pgbench baseline picks orders with it).
CREATE OR REPLACE FUNCTION bench.order_id(n bigint) RETURNS uuid
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT bench.uuid7(1700000000000 + n, 1099511627776 + n)
$$;

-- Figure 1's one-lookup line: the API's answer to the figure's read kept rendered per order, read by
-- bench/c/static_fcgi in lookup mode with bench/lookup_page.sql.
CREATE TABLE IF NOT EXISTS bench.rendered_pages (
    merchant text NOT NULL,
    order_id uuid NOT NULL,
    body text NOT NULL,
    PRIMARY KEY (merchant, order_id)
);
