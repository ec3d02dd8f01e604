-- The embedded (SQLite) twin of migrations/2026-11-27-000001_init.
-- Conventions: every timestamp is INTEGER microseconds since the Unix epoch (UTC), so that
-- comparisons and bucketing are exact integer arithmetic; arrays are JSON text; tables are
-- STRICT so that a value of the wrong type is refused rather than silently stored.

-- The service catalog: what people can report about.
CREATE TABLE services (
    slug        TEXT    PRIMARY KEY NOT NULL,
    name        TEXT    NOT NULL,
    category    TEXT    NOT NULL,
    aliases     TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(aliases)),
    url         TEXT,
    country     TEXT,
    symptoms    TEXT    NOT NULL CHECK (json_valid(symptoms)),
    created_at  INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)),
    updated_at  INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER))
) STRICT;
CREATE INDEX services_category_idx ON services (category);

-- The append-only report log: the source of truth. No raw IP is ever stored; the reporter
-- and its subnet are keyed hashes under a secret that rotates daily. One plain table: SQLite
-- has no partitions (retention deletes by time, through the received_at index).
CREATE TABLE reports (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at   INTEGER NOT NULL,
    service       TEXT    NOT NULL,
    symptoms      TEXT    NOT NULL CHECK (json_valid(symptoms)),
    counted       INTEGER NOT NULL CHECK (counted IN (0, 1)),
    reporter      BLOB    NOT NULL,
    subnet        BLOB    NOT NULL,
    country       TEXT,
    subdivision   TEXT,
    city          TEXT,
    lat           REAL,
    lon           REAL,
    asn           INTEGER,
    as_org        TEXT,
    region_source TEXT    NOT NULL
) STRICT;
CREATE INDEX reports_service_time_idx ON reports (service, received_at);
-- Postgres prunes partitions by time; here rollups and rebuilds scan this index instead.
CREATE INDEX reports_time_idx ON reports (received_at);

-- Minute buckets whose in-process update failed after the commit; the reconciler rebuilds
-- them from the log.
CREATE TABLE bucket_repairs (
    service     TEXT    NOT NULL,
    minute      INTEGER NOT NULL,
    noted_at    INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)),
    PRIMARY KEY (service, minute)
) STRICT;
