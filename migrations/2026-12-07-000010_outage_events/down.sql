DROP TABLE outage_countries;
DROP TABLE outage_members;
DROP TABLE outage_events;
ALTER TABLE services DROP COLUMN depends_on;
