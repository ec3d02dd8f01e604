-- The embedded (SQLite) twin of migrations/2026-12-07-000011_outage_webhooks. SQLite cannot
-- change a CHECK constraint, so the table is rebuilt (SQLite's documented procedure: the store
-- runs migrations with foreign keys off, so that webhook deliveries referencing these rows
-- stay).

CREATE TABLE incident_events_next (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    at          INTEGER NOT NULL,
    kind        TEXT    NOT NULL CHECK (kind IN ('opened', 'escalated', 'updated', 'resolved',
        'outage-opened', 'outage-grew', 'outage-updated', 'outage-resolved')),
    state       TEXT    NOT NULL,
    observed    REAL    NOT NULL,
    expected    REAL    NOT NULL,
    score       REAL    NOT NULL,
    detail      TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(detail)),
    UNIQUE (incident_id, kind, at)
) STRICT;
INSERT INTO incident_events_next (id, incident_id, at, kind, state, observed, expected, score, detail)
    SELECT id, incident_id, at, kind, state, observed, expected, score, detail FROM incident_events;
DROP TABLE incident_events;
ALTER TABLE incident_events_next RENAME TO incident_events;
