DROP TABLE bucket_repairs;
DROP TABLE reports;
DROP TABLE services;
