-- The service catalog: what people can report about.
CREATE TABLE services (
    slug        text PRIMARY KEY,
    name        text        NOT NULL,
    category    text        NOT NULL,
    aliases     text[]      NOT NULL DEFAULT '{}',
    url         text,
    country     text,
    symptoms    text[]      NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX services_category_idx ON services (category);

-- The append-only report log: the source of truth. No raw IP is ever stored; the reporter
-- and its subnet are keyed hashes under a secret that rotates daily.
CREATE TABLE reports (
    id            bigserial   NOT NULL,
    received_at   timestamptz NOT NULL,
    service       text        NOT NULL,
    symptoms      text[]      NOT NULL,
    counted       boolean     NOT NULL,
    reporter      bytea       NOT NULL,
    subnet        bytea       NOT NULL,
    country       text,
    subdivision   text,
    city          text,
    lat           real,
    lon           real,
    asn           integer,
    as_org        text,
    region_source text        NOT NULL,
    PRIMARY KEY (id, received_at)
) PARTITION BY RANGE (received_at);
CREATE INDEX reports_service_time_idx ON reports (service, received_at);
-- Safety net: a report never fails for want of a partition; daily partitions are created ahead.
CREATE TABLE reports_default PARTITION OF reports DEFAULT;

-- Creates the daily partitions of `reports` for [first, first + days). Safe to call
-- concurrently from several processes.
CREATE FUNCTION downwatch_ensure_report_partitions(first date, days integer) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    d date;
    name text;
BEGIN
    FOR i IN 0 .. days - 1 LOOP
        d := first + i;
        name := 'reports_p' || to_char(d, 'YYYYMMDD');
        IF to_regclass(quote_ident(name)) IS NULL THEN
            BEGIN
                EXECUTE format(
                    'CREATE TABLE %I PARTITION OF reports FOR VALUES FROM (%L) TO (%L)',
                    name, d::timestamp AT TIME ZONE 'UTC', (d + 1)::timestamp AT TIME ZONE 'UTC');
            EXCEPTION
                WHEN duplicate_table THEN NULL;
                -- rows for that day already sit in the default partition: keep them there
                WHEN check_violation THEN
                    RAISE NOTICE 'partition % not created: default partition holds its rows', name;
            END;
        END IF;
    END LOOP;
END;
$$;

-- Minute buckets whose Redis update failed after the Postgres commit; the reconciler
-- rebuilds them from the log once Redis answers again.
CREATE TABLE bucket_repairs (
    service     text        NOT NULL,
    minute      timestamptz NOT NULL,
    noted_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (service, minute)
);
