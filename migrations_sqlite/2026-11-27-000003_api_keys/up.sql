-- The embedded (SQLite) twin of migrations/2026-11-27-000003_api_keys. Timestamps are
-- INTEGER microseconds since the Unix epoch.

-- API keys: they raise a client's read rate limit. The key itself is shown once, when it is
-- created, and never stored: only its SHA-256 (looked up by equality, so no timing attack
-- can learn a key) and its first 8 characters, to recognise it in a list.
CREATE TABLE api_keys (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    name            TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    prefix          TEXT    NOT NULL,
    key_hash        BLOB    NOT NULL UNIQUE CHECK (length(key_hash) = 32),
    -- Reads per minute; NULL for the deployment's default (DOWNWATCH_KEY_RATE_LIMIT).
    rate_per_minute INTEGER CHECK (rate_per_minute > 0),
    created_at      INTEGER NOT NULL,
    last_used_at    INTEGER,
    revoked_at      INTEGER
) STRICT;
