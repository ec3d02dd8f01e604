-- Webhooks: URLs that receive every incident event (the `incident_events` table is the
-- outbox) as a signed JSON POST, retried with backoff, each attempt kept in a delivery log.
CREATE TABLE webhooks (
    id               bigserial   PRIMARY KEY,
    url              text        NOT NULL CHECK (char_length(url) BETWEEN 1 AND 2000),
    -- The HMAC-SHA256 key deliveries are signed with. Shown once, when the webhook is
    -- created, and never again; kept as is (unlike an API key, which is only compared)
    -- because every delivery is signed with it.
    secret           text        NOT NULL,
    description      text        CHECK (char_length(description) <= 200),
    created_at       timestamptz NOT NULL DEFAULT now(),
    -- Deleted: no new deliveries; the webhook and its delivery log stay.
    disabled_at      timestamptz,
    -- Incident events up to this id have their delivery queued (or predate the webhook).
    -- Starts at the newest event when the webhook is created: a new webhook receives the
    -- events recorded after it, not the past.
    enqueued_through bigint      NOT NULL
);

-- One delivery per webhook and event (several nodes queue the same event: only one row
-- wins). `next_attempt_at` is also the claim lease of a delivery being attempted.
CREATE TABLE webhook_deliveries (
    id               bigserial   PRIMARY KEY,
    webhook_id       bigint      NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id         bigint      NOT NULL REFERENCES incident_events (id) ON DELETE CASCADE,
    attempts         integer     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    status           text        NOT NULL DEFAULT 'pending'
                                 CHECK (status IN ('pending', 'delivered', 'failed')),
    last_status_code integer,
    last_error       text,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    created_at       timestamptz NOT NULL DEFAULT now(),
    delivered_at     timestamptz,
    UNIQUE (webhook_id, event_id)
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at)
    WHERE status = 'pending';
CREATE INDEX webhook_deliveries_log_idx ON webhook_deliveries (webhook_id, id DESC);
