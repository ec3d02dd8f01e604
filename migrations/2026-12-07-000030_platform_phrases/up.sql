-- What people saw: where they use the service, and the normalised phrase of what their screen
-- said (never the raw text; published only once enough reporters sent the same phrase).
-- Nullable columns: adding them rewrites nothing, and older reports simply have none.
ALTER TABLE reports ADD COLUMN platform text;
ALTER TABLE reports ADD COLUMN phrase text;

-- 15-minute counted reports per service and platform ('unknown' when not said), beside
-- `rollups`, filled by the same roll-up.
CREATE TABLE rollup_platforms (
    service          text        NOT NULL,
    bucket           timestamptz NOT NULL,
    platform         text        NOT NULL,
    reports          integer     NOT NULL,
    unique_reporters integer     NOT NULL,
    PRIMARY KEY (service, bucket, platform)
);
CREATE INDEX rollup_platforms_bucket_idx ON rollup_platforms (bucket);
