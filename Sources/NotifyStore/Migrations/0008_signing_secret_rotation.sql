-- Signing secrets per destination, and rotation with a grace period. A destination signs with
-- the merchant's secret until it gets one of its own (POST .../destinations/{id}/secret/rotate).
-- A rotation keeps the secret it replaced valid until previous_secret_expires_at: deliveries carry
-- both signatures until then, so receivers can switch without losing a webhook.
ALTER TABLE merchants
    ADD COLUMN previous_signing_secret text CHECK (previous_signing_secret LIKE 'whsec\_%'),
    ADD COLUMN previous_secret_expires_at timestamptz;

ALTER TABLE destinations
    ADD COLUMN signing_secret text CHECK (signing_secret LIKE 'whsec\_%'),
    ADD COLUMN previous_signing_secret text CHECK (previous_signing_secret LIKE 'whsec\_%'),
    ADD COLUMN previous_secret_expires_at timestamptz;
