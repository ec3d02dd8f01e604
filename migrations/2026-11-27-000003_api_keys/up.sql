-- API keys: they raise a client's read rate limit. The key itself is shown once, when it is
-- created, and never stored: only its SHA-256 (looked up by equality, so no timing attack
-- can learn a key) and its first 8 characters, to recognise it in a list.
CREATE TABLE api_keys (
    id              bigserial   PRIMARY KEY,
    name            text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    prefix          text        NOT NULL,
    key_hash        bytea       NOT NULL UNIQUE CHECK (length(key_hash) = 32),
    -- Reads per minute; NULL for the deployment's default (DOWNWATCH_KEY_RATE_LIMIT).
    rate_per_minute integer     CHECK (rate_per_minute > 0),
    created_at      timestamptz NOT NULL DEFAULT now(),
    last_used_at    timestamptz,
    revoked_at      timestamptz
);
