DROP TABLE bucket_repairs;
DROP FUNCTION downwatch_ensure_report_partitions(date, integer);
DROP TABLE reports;
DROP TABLE services;
