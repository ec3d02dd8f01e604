-- 15-minute rollups of counted reports: the history behind baselines and long series.
-- `country` is 'ZZ' when unknown; `symptom` is '*' for all symptoms of the bucket.
CREATE TABLE rollups (
    service          text        NOT NULL,
    bucket           timestamptz NOT NULL,
    country          text        NOT NULL,
    symptom          text        NOT NULL,
    reports          integer     NOT NULL,
    unique_reporters integer     NOT NULL,
    PRIMARY KEY (service, bucket, country, symptom)
);
CREATE INDEX rollups_bucket_idx ON rollups (bucket);

-- How far the report log has been rolled up (exclusive upper bound), one row.
CREATE TABLE rollup_watermark (
    id      boolean     PRIMARY KEY DEFAULT true CHECK (id),
    done_to timestamptz NOT NULL
);

-- Incidents: a service (scope 'global') or a service in one country (scope = country code)
-- with more reports than normal. At most one open incident per service and scope.
CREATE TABLE incidents (
    id             bigserial   PRIMARY KEY,
    service        text        NOT NULL,
    scope          text        NOT NULL,
    status         text        NOT NULL CHECK (status IN ('open', 'resolved')),
    severity       text        NOT NULL CHECK (severity IN ('possible-problems', 'problems')),
    started_at     timestamptz NOT NULL,
    escalated_at   timestamptz,
    resolved_at    timestamptz,
    peak_at        timestamptz NOT NULL,
    peak_observed  double precision NOT NULL,
    peak_expected  double precision NOT NULL,
    peak_score     double precision NOT NULL,
    total_reports  bigint      NOT NULL DEFAULT 0,
    evidence       jsonb       NOT NULL,
    methodology    text        NOT NULL,
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX incidents_one_open_idx ON incidents (service, scope) WHERE status = 'open';
CREATE INDEX incidents_started_idx ON incidents (started_at DESC, id DESC);
CREATE INDEX incidents_service_idx ON incidents (service, started_at DESC);

-- The timeline of an incident. A tick writes at most one event of a kind per minute, so a
-- replayed tick (after a leader failover) adds nothing.
CREATE TABLE incident_events (
    id          bigserial   PRIMARY KEY,
    incident_id bigint      NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    at          timestamptz NOT NULL,
    kind        text        NOT NULL CHECK (kind IN ('opened', 'escalated', 'updated', 'resolved')),
    state       text        NOT NULL,
    observed    double precision NOT NULL,
    expected    double precision NOT NULL,
    score       double precision NOT NULL,
    detail      jsonb       NOT NULL DEFAULT '{}',
    UNIQUE (incident_id, kind, at)
);

-- The detector's state machine per series, so that a new leader carries on where the
-- old one stopped.
CREATE TABLE detector_series (
    service    text        NOT NULL,
    scope      text        NOT NULL,
    tracker    jsonb       NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (service, scope)
);
