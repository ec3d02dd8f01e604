-- The embedded (SQLite) twin of migrations/2026-12-07-000020_official_status.

ALTER TABLE services ADD COLUMN status_kind TEXT CHECK (status_kind IN ('statuspage', 'instatus', 'feed', 'gcp'));
ALTER TABLE services ADD COLUMN status_url TEXT;

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

CREATE TABLE official_sources (
    service           TEXT    PRIMARY KEY NOT NULL,
    kind              TEXT    NOT NULL,
    url               TEXT    NOT NULL,
    indicator         TEXT,
    components        TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(components)),
    checked_at        INTEGER NOT NULL,
    ok_at             INTEGER,
    unavailable_since INTEGER,
    error             TEXT
) STRICT;

CREATE TABLE official_component_changes (
    service     TEXT    NOT NULL,
    component   TEXT    NOT NULL,
    status      TEXT    NOT NULL,
    changed_at  INTEGER NOT NULL,
    PRIMARY KEY (service, component, changed_at)
) STRICT;

CREATE TABLE official_incidents (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    service         TEXT    NOT NULL,
    external_id     TEXT    NOT NULL,
    title           TEXT    NOT NULL,
    impact          TEXT    NOT NULL,
    stage           TEXT    NOT NULL,
    url             TEXT,
    components      TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(components)),
    started_at      INTEGER NOT NULL,
    first_posted_at INTEGER NOT NULL,
    resolved_at     INTEGER,
    updates         TEXT    NOT NULL CHECK (json_valid(updates)),
    seen_at         INTEGER NOT NULL,
    UNIQUE (service, external_id)
) STRICT;
CREATE INDEX official_incidents_service_idx ON official_incidents (service, first_posted_at DESC);

CREATE TABLE official_links (
    incident_id   INTEGER PRIMARY KEY NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    official_id   INTEGER NOT NULL REFERENCES official_incidents (id) ON DELETE CASCADE,
    service       TEXT    NOT NULL,
    onset_at      INTEGER NOT NULL,
    lead_minutes  INTEGER NOT NULL,
    linked_at     INTEGER NOT NULL
) STRICT;
CREATE INDEX official_links_service_idx ON official_links (service, onset_at DESC);

CREATE TABLE official_lease (
    name        TEXT    PRIMARY KEY NOT NULL,
    holder      TEXT    NOT NULL,
    expires_at  INTEGER NOT NULL
) STRICT;
