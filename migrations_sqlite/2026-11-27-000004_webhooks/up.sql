-- The embedded (SQLite) twin of migrations/2026-11-27-000004_webhooks. Timestamps are
-- INTEGER microseconds since the Unix epoch.

-- Webhooks: URLs that receive every incident event (the `incident_events` table is the
-- outbox) as a signed JSON POST, retried with backoff, each attempt kept in a delivery log.
CREATE TABLE webhooks (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    url              TEXT    NOT NULL CHECK (length(url) BETWEEN 1 AND 2000),
    -- The HMAC-SHA256 key deliveries are signed with. Shown once, when the webhook is
    -- created, and never again; kept as is (unlike an API key, which is only compared)
    -- because every delivery is signed with it.
    secret           TEXT    NOT NULL,
    description      TEXT    CHECK (length(description) <= 200),
    created_at       INTEGER NOT NULL,
    -- Deleted: no new deliveries; the webhook and its delivery log stay.
    disabled_at      INTEGER,
    -- Incident events up to this id have their delivery queued (or predate the webhook).
    -- Starts at the newest event when the webhook is created: a new webhook receives the
    -- events recorded after it, not the past.
    enqueued_through INTEGER NOT NULL
) STRICT;

-- One delivery per webhook and event. `next_attempt_at` is also the claim lease of a
-- delivery being attempted.
CREATE TABLE webhook_deliveries (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id       INTEGER NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id         INTEGER NOT NULL REFERENCES incident_events (id) ON DELETE CASCADE,
    attempts         INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    status           TEXT    NOT NULL DEFAULT 'pending'
                             CHECK (status IN ('pending', 'delivered', 'failed')),
    last_status_code INTEGER,
    last_error       TEXT,
    next_attempt_at  INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    delivered_at     INTEGER,
    UNIQUE (webhook_id, event_id)
) STRICT;
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at)
    WHERE status = 'pending';
CREATE INDEX webhook_deliveries_log_idx ON webhook_deliveries (webhook_id, id DESC);
