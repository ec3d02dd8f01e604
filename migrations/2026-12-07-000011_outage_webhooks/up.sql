-- Outage events in the incident timeline (and so in the webhook outbox): an event's changes
-- are recorded on its first member's incident, whose id is the event's.
ALTER TABLE incident_events DROP CONSTRAINT incident_events_kind_check;
ALTER TABLE incident_events ADD CONSTRAINT incident_events_kind_check CHECK (kind IN (
    'opened', 'escalated', 'updated', 'resolved',
    'outage-opened', 'outage-grew', 'outage-updated', 'outage-resolved'));
