-- The providers a service depends on (slugs of other services: CDN, cloud, identity…), as
-- publicly documented (server/catalog/dependencies.toml) or set by an admin.
ALTER TABLE services ADD COLUMN depends_on text[] NOT NULL DEFAULT '{}';

-- Outage events: incidents of several services that began together beyond chance
-- (server/outage). The id is the incident id of the event's first member, so a new leader
-- regrouping the same open incidents writes the same row: saving an event is an upsert.
CREATE TABLE outage_events (
    id               bigint      PRIMARY KEY,
    status           text        NOT NULL CHECK (status IN ('open', 'resolved')),
    started_at       timestamptz NOT NULL,
    ended_at         timestamptz,
    peak_at          timestamptz NOT NULL,
    peak_reports     double precision NOT NULL,
    reports          double precision NOT NULL,
    members          integer     NOT NULL,
    -- The most likely cause: 'provider' (cause_key = its slug), 'network' (the ASN) or
    -- 'country' (the code); NULL when none is named.
    cause_kind       text        CHECK (cause_kind IN ('provider', 'network', 'country')),
    cause_key        text,
    cause_confidence double precision,
    -- Size × severity: reports × duration in minutes × peak ratio to normal.
    rank             double precision NOT NULL,
    -- The whole event as the engine keeps it (members, countries, causes and reasons).
    detail           jsonb       NOT NULL,
    updated_at       timestamptz NOT NULL
);
CREATE INDEX outage_events_started_idx ON outage_events (started_at DESC, id DESC);
CREATE INDEX outage_events_rank_idx ON outage_events (rank DESC, id DESC);
CREATE INDEX outage_events_open_idx ON outage_events (id) WHERE status = 'open';

-- Which incident belongs to which event (an incident to at most one).
CREATE TABLE outage_members (
    incident_id bigint PRIMARY KEY REFERENCES incidents (id) ON DELETE CASCADE,
    event_id    bigint NOT NULL REFERENCES outage_events (id) ON DELETE CASCADE,
    service     text   NOT NULL
);
CREATE INDEX outage_members_event_idx ON outage_members (event_id);
CREATE INDEX outage_members_service_idx ON outage_members (service);

-- The countries of an event's reports, for filtering the archive.
CREATE TABLE outage_countries (
    event_id bigint NOT NULL REFERENCES outage_events (id) ON DELETE CASCADE,
    country  text   NOT NULL,
    share    double precision NOT NULL,
    PRIMARY KEY (event_id, country)
);
CREATE INDEX outage_countries_country_idx ON outage_countries (country);
