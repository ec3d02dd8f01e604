-- What people saw: where they use the service, and the normalised phrase of what their screen
-- said (never the raw text; published only once enough reporters sent the same phrase).
ALTER TABLE reports ADD COLUMN platform TEXT;
ALTER TABLE reports ADD COLUMN phrase TEXT;

-- 15-minute counted reports per service and platform ('unknown' when not said), beside
-- `rollups`, filled by the same roll-up.
CREATE TABLE rollup_platforms (
    service          TEXT    NOT NULL,
    bucket           INTEGER NOT NULL,
    platform         TEXT    NOT NULL,
    reports          INTEGER NOT NULL,
    unique_reporters INTEGER NOT NULL,
    PRIMARY KEY (service, bucket, platform)
) STRICT;
CREATE INDEX rollup_platforms_bucket_idx ON rollup_platforms (bucket);
