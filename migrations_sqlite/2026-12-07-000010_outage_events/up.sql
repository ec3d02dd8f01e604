-- The embedded (SQLite) twin of migrations/2026-12-07-000010_outage_events. Timestamps are
-- INTEGER microseconds since the Unix epoch; JSON is TEXT.

-- The providers a service depends on (slugs of other services), as a JSON array.
ALTER TABLE services ADD COLUMN depends_on TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(depends_on));

-- Outage events: incidents of several services that began together beyond chance. The id is
-- the incident id of the event's first member: saving an event is an upsert.
CREATE TABLE outage_events (
    id               INTEGER PRIMARY KEY NOT NULL,
    status           TEXT    NOT NULL CHECK (status IN ('open', 'resolved')),
    started_at       INTEGER NOT NULL,
    ended_at         INTEGER,
    peak_at          INTEGER NOT NULL,
    peak_reports     REAL    NOT NULL,
    reports          REAL    NOT NULL,
    members          INTEGER NOT NULL,
    cause_kind       TEXT    CHECK (cause_kind IN ('provider', 'network', 'country')),
    cause_key        TEXT,
    cause_confidence REAL,
    rank             REAL    NOT NULL,
    detail           TEXT    NOT NULL CHECK (json_valid(detail)),
    updated_at       INTEGER NOT NULL
) STRICT;
CREATE INDEX outage_events_started_idx ON outage_events (started_at DESC, id DESC);
CREATE INDEX outage_events_rank_idx ON outage_events (rank DESC, id DESC);

CREATE TABLE outage_members (
    incident_id INTEGER PRIMARY KEY NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    event_id    INTEGER NOT NULL REFERENCES outage_events (id) ON DELETE CASCADE,
    service     TEXT    NOT NULL
) STRICT;
CREATE INDEX outage_members_event_idx ON outage_members (event_id);
CREATE INDEX outage_members_service_idx ON outage_members (service);

CREATE TABLE outage_countries (
    event_id INTEGER NOT NULL REFERENCES outage_events (id) ON DELETE CASCADE,
    country  TEXT    NOT NULL,
    share    REAL    NOT NULL,
    PRIMARY KEY (event_id, country)
) STRICT;
CREATE INDEX outage_countries_country_idx ON outage_countries (country);
