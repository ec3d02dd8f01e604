-- Official status pages next to the crowd (docs/status-pages.md).

-- A service's official status source: its format and the https URL polled.
ALTER TABLE services
    ADD COLUMN status_kind text CHECK (status_kind IN ('statuspage', 'instatus', 'feed', 'gcp')),
    ADD COLUMN status_url  text,
    ADD CONSTRAINT services_status_both CHECK ((status_kind IS NULL) = (status_url IS NULL));

-- Deployments seeded before this migration get the sources of the seed catalog
-- (server/catalog/services.toml); new ones get them from the seed itself.
UPDATE services SET status_kind = 'statuspage', status_url = 'https://www.redditstatus.com/api/v2/summary.json' WHERE slug = 'reddit' AND status_kind IS NULL;
UPDATE services SET status_kind = 'statuspage', status_url = 'https://discordstatus.com/api/v2/summary.json' WHERE slug = 'discord' AND status_kind IS NULL;
UPDATE services SET status_kind = 'statuspage', status_url = 'https://status.zoom.us/api/v2/summary.json' WHERE slug = 'zoom' AND status_kind IS NULL;
UPDATE services SET status_kind = 'statuspage', status_url = 'https://status.openai.com/api/v2/summary.json' WHERE slug = 'chatgpt' AND status_kind IS NULL;
UPDATE services SET status_kind = 'statuspage', status_url = 'https://status.openai.com/api/v2/summary.json' WHERE slug = 'openai-api' AND status_kind IS NULL;
UPDATE services SET status_kind = 'feed', status_url = 'https://status.aws.amazon.com/rss/all.rss' WHERE slug = 'aws' AND status_kind IS NULL;
UPDATE services SET status_kind = 'feed', status_url = 'https://azure.status.microsoft/en-us/status/feed/' WHERE slug = 'azure' AND status_kind IS NULL;
UPDATE services SET status_kind = 'gcp', status_url = 'https://status.cloud.google.com/incidents.json' WHERE slug = 'google-cloud' AND status_kind IS NULL;
UPDATE services SET status_kind = 'statuspage', status_url = 'https://www.cloudflarestatus.com/api/v2/summary.json' WHERE slug = 'cloudflare' AND status_kind IS NULL;
UPDATE services SET status_kind = 'statuspage', status_url = 'https://status.twilio.com/api/v2/summary.json' WHERE slug = 'twilio' AND status_kind IS NULL;
UPDATE services SET status_kind = 'statuspage', status_url = 'https://status.digitalocean.com/api/v2/summary.json' WHERE slug = 'digitalocean' AND status_kind IS NULL;
UPDATE services SET status_kind = 'statuspage', status_url = 'https://www.vercel-status.com/api/v2/summary.json' WHERE slug = 'vercel' AND status_kind IS NULL;
UPDATE services SET status_kind = 'statuspage', status_url = 'https://www.netlifystatus.com/api/v2/summary.json' WHERE slug = 'netlify' AND status_kind IS NULL;
UPDATE services SET status_kind = 'statuspage', status_url = 'https://www.githubstatus.com/api/v2/summary.json' WHERE slug = 'github' AND status_kind IS NULL;
UPDATE services SET status_kind = 'statuspage', status_url = 'https://bitbucket.status.atlassian.com/api/v2/summary.json' WHERE slug = 'bitbucket' AND status_kind IS NULL;
UPDATE services SET status_kind = 'statuspage', status_url = 'https://status.atlassian.com/api/v2/summary.json' WHERE slug = 'atlassian' AND status_kind IS NULL;
UPDATE services SET status_kind = 'statuspage', status_url = 'https://status.dropbox.com/api/v2/summary.json' WHERE slug = 'dropbox' AND status_kind IS NULL;

-- Each polled source: its health and what the last good poll said.
CREATE TABLE official_sources (
    service           text        PRIMARY KEY,
    kind              text        NOT NULL,
    url               text        NOT NULL,
    -- The page's indicator at the last good poll (none when the format does not say).
    indicator         text,
    -- JSON [{"name", "status"}] of the last good poll.
    components        text        NOT NULL DEFAULT '[]',
    checked_at        timestamptz NOT NULL,
    ok_at             timestamptz,
    -- Set at the first failure of a run of failures, cleared by a good poll.
    unavailable_since timestamptz,
    error             text
);

-- Component states with their history: one row per change.
CREATE TABLE official_component_changes (
    service     text        NOT NULL,
    component   text        NOT NULL,
    status      text        NOT NULL,
    changed_at  timestamptz NOT NULL,
    PRIMARY KEY (service, component, changed_at)
);

-- Official incidents with their posts (JSON [{"stage", "posted_at", "body"}], oldest first).
CREATE TABLE official_incidents (
    id              bigserial   PRIMARY KEY,
    service         text        NOT NULL,
    external_id     text        NOT NULL,
    title           text        NOT NULL,
    impact          text        NOT NULL,
    stage           text        NOT NULL,
    url             text,
    components      text[]      NOT NULL DEFAULT '{}',
    started_at      timestamptz NOT NULL,
    first_posted_at timestamptz NOT NULL,
    resolved_at     timestamptz,
    updates         text        NOT NULL,
    seen_at         timestamptz NOT NULL,
    UNIQUE (service, external_id)
);
CREATE INDEX official_incidents_service_idx ON official_incidents (service, first_posted_at DESC);

-- A Downwatch incident and the official incident that overlaps it, with the lead time.
CREATE TABLE official_links (
    incident_id   bigint      PRIMARY KEY REFERENCES incidents (id) ON DELETE CASCADE,
    official_id   bigint      NOT NULL REFERENCES official_incidents (id) ON DELETE CASCADE,
    service       text        NOT NULL,
    onset_at      timestamptz NOT NULL,
    lead_minutes  integer     NOT NULL,
    linked_at     timestamptz NOT NULL
);
CREATE INDEX official_links_service_idx ON official_links (service, onset_at DESC);

-- Who polls: a lease taken and renewed by one node at a time.
CREATE TABLE official_lease (
    name        text        PRIMARY KEY,
    holder      text        NOT NULL,
    expires_at  timestamptz NOT NULL
);
