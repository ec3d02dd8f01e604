DROP TABLE official_lease;
DROP TABLE official_links;
DROP TABLE official_incidents;
DROP TABLE official_component_changes;
DROP TABLE official_sources;
ALTER TABLE services DROP CONSTRAINT services_status_both, DROP COLUMN status_url, DROP COLUMN status_kind;
