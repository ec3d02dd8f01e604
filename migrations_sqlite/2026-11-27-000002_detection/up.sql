-- The embedded (SQLite) twin of migrations/2026-11-27-000002_detection. Timestamps are
-- INTEGER microseconds since the Unix epoch; JSON is TEXT.

-- 15-minute rollups of counted reports: the history behind baselines and long series.
-- `country` is 'ZZ' when unknown; `symptom` is '*' for all symptoms of the bucket.
CREATE TABLE rollups (
    service          TEXT    NOT NULL,
    bucket           INTEGER NOT NULL,
    country          TEXT    NOT NULL,
    symptom          TEXT    NOT NULL,
    reports          INTEGER NOT NULL,
    unique_reporters INTEGER NOT NULL,
    PRIMARY KEY (service, bucket, country, symptom)
) STRICT;
CREATE INDEX rollups_bucket_idx ON rollups (bucket);

-- How far the report log has been rolled up (exclusive upper bound), one row.
CREATE TABLE rollup_watermark (
    id      INTEGER PRIMARY KEY NOT NULL DEFAULT 1 CHECK (id = 1),
    done_to INTEGER NOT NULL
) STRICT;

-- Incidents: a service (scope 'global') or a service in one country (scope = country code)
-- with more reports than normal. At most one open incident per service and scope.
CREATE TABLE incidents (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    service        TEXT    NOT NULL,
    scope          TEXT    NOT NULL,
    status         TEXT    NOT NULL CHECK (status IN ('open', 'resolved')),
    severity       TEXT    NOT NULL CHECK (severity IN ('possible-problems', 'problems')),
    started_at     INTEGER NOT NULL,
    escalated_at   INTEGER,
    resolved_at    INTEGER,
    peak_at        INTEGER NOT NULL,
    peak_observed  REAL    NOT NULL,
    peak_expected  REAL    NOT NULL,
    peak_score     REAL    NOT NULL,
    total_reports  INTEGER NOT NULL DEFAULT 0,
    evidence       TEXT    NOT NULL CHECK (json_valid(evidence)),
    methodology    TEXT    NOT NULL,
    updated_at     INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER))
) STRICT;
CREATE UNIQUE INDEX incidents_one_open_idx ON incidents (service, scope) WHERE status = 'open';
CREATE INDEX incidents_started_idx ON incidents (started_at DESC, id DESC);
CREATE INDEX incidents_service_idx ON incidents (service, started_at DESC);

-- The timeline of an incident. A tick writes at most one event of a kind per minute, so a
-- replayed tick adds nothing.
CREATE TABLE incident_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    at          INTEGER NOT NULL,
    kind        TEXT    NOT NULL CHECK (kind IN ('opened', 'escalated', 'updated', 'resolved')),
    state       TEXT    NOT NULL,
    observed    REAL    NOT NULL,
    expected    REAL    NOT NULL,
    score       REAL    NOT NULL,
    detail      TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(detail)),
    UNIQUE (incident_id, kind, at)
) STRICT;

-- The detector's state machine per series, so that a restarted detector carries on.
CREATE TABLE detector_series (
    service    TEXT    NOT NULL,
    scope      TEXT    NOT NULL,
    tracker    TEXT    NOT NULL CHECK (json_valid(tracker)),
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (service, scope)
) STRICT;
