DELETE FROM incident_events WHERE kind LIKE 'outage-%';
ALTER TABLE incident_events DROP CONSTRAINT incident_events_kind_check;
ALTER TABLE incident_events ADD CONSTRAINT incident_events_kind_check
    CHECK (kind IN ('opened', 'escalated', 'updated', 'resolved'));
