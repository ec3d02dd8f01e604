DROP TABLE rollup_platforms;
ALTER TABLE reports DROP COLUMN phrase;
ALTER TABLE reports DROP COLUMN platform;
