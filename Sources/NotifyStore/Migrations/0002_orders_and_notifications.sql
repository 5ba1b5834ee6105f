-- Orders and what is registered on them. An order's document is its JSON without the
-- notifications, which live in their own table so one can be added or removed on its own.
CREATE TABLE channel_configurations (
    merchant         text NOT NULL REFERENCES merchants (merchant),
    channel          text NOT NULL,
    configuration_id text NOT NULL,
    active           boolean NOT NULL,
    document         jsonb NOT NULL CHECK (jsonb_typeof(document) = 'object'),
    updated_at       timestamptz NOT NULL,
    PRIMARY KEY (merchant, channel, configuration_id)
);

CREATE TABLE orders (
    merchant      text NOT NULL REFERENCES merchants (merchant),
    order_id      uuid NOT NULL,
    channel       text NOT NULL,
    document      jsonb NOT NULL CHECK (jsonb_typeof(document) = 'object'),
    created_at    timestamptz NOT NULL,
    last_modified timestamptz NOT NULL,
    PRIMARY KEY (merchant, order_id)
);

CREATE TABLE order_notifications (
    merchant        text NOT NULL,
    order_id        uuid NOT NULL,
    notification_id text NOT NULL,
    position        bigint GENERATED ALWAYS AS IDENTITY,
    origin          text NOT NULL CHECK (origin IN ('api', 'configuration', 'payment', 'shipping')),
    adapter_id      text,
    reference       text,
    spec            jsonb NOT NULL CHECK (jsonb_typeof(spec) = 'object'),
    created_at      timestamptz NOT NULL,
    PRIMARY KEY (merchant, order_id, notification_id),
    FOREIGN KEY (merchant, order_id) REFERENCES orders (merchant, order_id) ON DELETE CASCADE
);

-- History: one event per matched notification and change; its request (method, URL, headers)
-- and body are frozen when it is created. Append-mostly; can later be partitioned by time.
CREATE TABLE events (
    merchant           text NOT NULL,
    event_id           uuid NOT NULL,
    order_id           uuid NOT NULL,
    channel            text NOT NULL,
    notification_id    text NOT NULL,
    adapter_id         text,
    reference          text,
    scope              text NOT NULL,
    status             text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    created_at         timestamptz NOT NULL,
    request_method     text NOT NULL CHECK (request_method IN ('POST', 'PUT', 'PATCH', 'GET')),
    request_url        text NOT NULL,
    request_headers    jsonb NOT NULL,
    payload            jsonb NOT NULL,
    error              text,
    attempt_count      integer NOT NULL DEFAULT 0 CHECK (attempt_count >= 0),
    next_attempt_at    timestamptz,
    last_attempt_at    timestamptz,
    last_status_code   integer,
    last_response_body text,
    PRIMARY KEY (merchant, event_id)
);

CREATE INDEX events_by_order ON events (merchant, order_id, event_id DESC);
CREATE INDEX events_by_scope ON events (merchant, scope, event_id DESC);

-- The queue: small and hot. A finished delivery has due_at NULL and leaves the partial index.
-- A claim moves due_at to the lease's expiry, so a sweep that dies leaves rows that
-- become due again when their lease runs out. `attempt` counts automatic attempts made.
CREATE TABLE deliveries (
    merchant        text NOT NULL,
    event_id        uuid NOT NULL,
    due_at          timestamptz,
    attempt         integer NOT NULL DEFAULT 0,
    trigger         text NOT NULL DEFAULT 'automatic' CHECK (trigger IN ('automatic', 'manual')),
    lease_token     uuid,
    -- a manual retry asked for while an attempt was in flight: run it when that attempt finishes
    retry_requested boolean NOT NULL DEFAULT false,
    PRIMARY KEY (merchant, event_id),
    FOREIGN KEY (merchant, event_id) REFERENCES events (merchant, event_id) ON DELETE CASCADE
);

CREATE INDEX deliveries_due ON deliveries (due_at) WHERE due_at IS NOT NULL;

CREATE TABLE attempts (
    merchant      text NOT NULL,
    event_id      uuid NOT NULL,
    attempt_id    uuid NOT NULL,
    attempted_at  timestamptz NOT NULL,
    status_code   integer,
    response_body text,
    duration_ms   integer NOT NULL CHECK (duration_ms >= 0),
    error         text,
    trigger       text NOT NULL CHECK (trigger IN ('automatic', 'manual')),
    PRIMARY KEY (merchant, event_id, attempt_id)
);
