-- Merchants own everything; every table is keyed by merchant first so the schema can later be
-- distributed by merchant. API tokens are stored as SHA-256 hashes only.
CREATE TABLE merchants (
    merchant       text PRIMARY KEY CHECK (merchant ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
    signing_secret text NOT NULL CHECK (signing_secret LIKE 'whsec\_%'),
    created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_tokens (
    merchant   text NOT NULL REFERENCES merchants (merchant),
    token_hash text NOT NULL CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz,
    PRIMARY KEY (merchant, token_hash)
);

CREATE UNIQUE INDEX api_tokens_by_hash ON api_tokens (token_hash);
