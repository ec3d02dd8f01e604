DROP TABLE detector_series;
DROP TABLE incident_events;
DROP TABLE incidents;
DROP TABLE rollup_watermark;
DROP TABLE rollups;
