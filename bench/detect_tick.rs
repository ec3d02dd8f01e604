//! `bench/detect`'s engine: one detector tick over many active services with realistic
//! buckets in Redis and history in Postgres. Run through `bench/detect`, which provides the
//! servers; prints its figures.
//!
//! Environment: `DATABASE_URL` (a maintenance database: the bench creates and drops its own),
//! `REDIS_URL`, `BENCH_SERVICES` (default 10000), `BENCH_HISTORY_DAYS` (default 2).

use std::sync::Arc;
use std::time::Instant;

use chrono::{TimeDelta, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use downwatch::detect::config::DetectConfig;
use downwatch::detect::tick::Detector;
use downwatch::store::postgres::detector::PgLeader;
use downwatch::store::postgres::{run_migrations, PgStore};
use downwatch::store::redis::RedisStore;
use downwatch::store::{minute_of, quarter_of, BucketStore, NewReport};

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let admin_url = std::env::var("DATABASE_URL")?;
    let redis_url = std::env::var("REDIS_URL")?;
    let services = env_or("BENCH_SERVICES", 10_000);
    let history_days = env_or("BENCH_HISTORY_DAYS", 2) as i64;
    let id = uuid::Uuid::new_v4().simple().to_string();
    let db_name = format!("dwbench_{}", &id[..12]);
    let prefix = format!("bench{}:", &id[..12]);

    let mut admin = AsyncPgConnection::establish(&admin_url).await?;
    diesel::sql_query(format!("CREATE DATABASE \"{db_name}\""))
        .execute(&mut admin)
        .await?;
    let base = admin_url
        .rsplit_once('/')
        .map_or(admin_url.as_str(), |(b, _)| b);
    let url = format!("{base}/{db_name}");
    let result = run(&url, &redis_url, &prefix, services, history_days).await;

    // Clean up whatever happened.
    let client = redis::Client::open(redis_url.as_str())?;
    let mut conn = client.get_multiplexed_async_connection().await?;
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}*"))
        .query_async(&mut conn)
        .await?;
    for chunk in keys.chunks(1000) {
        let _: i64 = redis::cmd("DEL").arg(chunk).query_async(&mut conn).await?;
    }
    diesel::sql_query(format!(
        "DROP DATABASE IF EXISTS \"{db_name}\" WITH (FORCE)"
    ))
    .execute(&mut admin)
    .await?;
    result
}

async fn run(
    url: &str,
    redis_url: &str,
    prefix: &str,
    services: usize,
    history_days: i64,
) -> anyhow::Result<()> {
    run_migrations(url).await?;
    let pg = PgStore::new(url, 4)?;
    let redis = RedisStore::connect(redis_url, prefix).await?;
    let slugs: Vec<String> = (0..services).map(|i| format!("svc-{i:05}")).collect();
    let now = Utc::now();

    // History: every service in two countries, sizes spread like real services (a few big,
    // most small), one row per quarter.
    let started = Instant::now();
    let mut conn = AsyncPgConnection::establish(url).await?;
    let end = quarter_of(now - TimeDelta::minutes(2));
    diesel::sql_query(
        "INSERT INTO rollups (service, bucket, country, symptom, reports, unique_reporters)
         SELECT 'svc-' || lpad(s::text, 5, '0'), b, c, '*', r, r
         FROM generate_series(0, $1 - 1) AS s,
              generate_series($2::timestamptz - make_interval(days => $3), $2::timestamptz - interval '15 minutes', interval '15 minutes') AS b,
              unnest(ARRAY['IT', 'GB']) AS c,
              LATERAL (SELECT greatest(1, (2000 / (s + 1))::int) AS r) AS size",
    )
    .bind::<diesel::sql_types::Integer, _>(services as i32)
    .bind::<diesel::sql_types::Timestamptz, _>(end)
    .bind::<diesel::sql_types::Integer, _>(history_days as i32)
    .execute(&mut conn)
    .await?;
    println!("history      {services} services x 2 countries x {history_days} days of quarters in {:.1?}", started.elapsed());

    // The last five minutes in Redis: reports from many subnets, countries and networks.
    let started = Instant::now();
    let mut rng = StdRng::seed_from_u64(42);
    let mut batch = Vec::new();
    let mut reports = 0usize;
    // An outage: one service in 33 (about 300 of 10,000) gets far more reports in the last 3
    // minutes, so that the tick opens their incidents and groups them into an outage event.
    let mut outage = 0usize;
    for (i, slug) in slugs.iter().enumerate() {
        let per_minute = (400 / (i + 1)).max(1);
        let failing = i % 33 == 16;
        outage += usize::from(failing);
        for m in 0..5i64 {
            let minute = minute_of(now) - TimeDelta::minutes(m);
            let extra = if failing && m < 3 {
                40 + 4 * per_minute
            } else {
                0
            };
            for _ in 0..per_minute + extra {
                let r: u64 = rng.random();
                let country = ["IT", "GB", "FR", "DE"][(r % 4) as usize];
                batch.push(NewReport {
                    received_at: minute + TimeDelta::seconds((r % 60) as i64),
                    service: slug.clone(),
                    symptoms: vec!["login".into()],
                    counted: true,
                    reporter: r.to_le_bytes().repeat(2),
                    subnet: (r >> 8).to_le_bytes().repeat(2),
                    country: Some(country.into()),
                    subdivision: None,
                    city: None,
                    lat: None,
                    lon: None,
                    asn: Some(1000 + (r % 50) as i32),
                    as_org: None,
                    region_source: "geoip",
                    platform: None,
                    phrase: None,
                });
            }
        }
        if batch.len() >= 5000 {
            reports += batch.len();
            redis.apply(&batch).await?;
            batch.clear();
        }
    }
    reports += batch.len();
    redis.apply(&batch).await?;
    println!(
        "buckets      {reports} counted reports over the last 5 minutes ({outage} services failing in the last 3) in {:.1?}",
        started.elapsed()
    );

    let leader = PgLeader::try_acquire(url)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no leadership"))?;
    let mut detector = Detector::new(
        DetectConfig::default(),
        Box::new(leader),
        Arc::new(redis.clone()),
        Arc::new(pg),
        Arc::new(redis),
    );
    let started = Instant::now();
    let learnt = detector.learn(now).await?;
    println!("learn        {learnt} series' baselines from history in {:.1?} (every 15 min, not per tick)", started.elapsed());

    let mut times = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        let report = detector.tick(now + TimeDelta::minutes(1)).await?;
        times.push(started.elapsed());
        println!(
            "tick         {} services, {} series, {} incidents opened, {} open in {} outage event(s): {:.1?} (grouping {:.1?})",
            report.services,
            report.series,
            report.opened.len(),
            detector.open_outages().map(|e| e.members.len()).sum::<usize>(),
            detector.open_outages().count(),
            started.elapsed(),
            report.grouping
        );
    }
    times.sort();
    println!("RESULT       detector tick (with outage grouping) over {services} active services: median {:.0?} (target well under 1 s)", times[1]);
    Ok(())
}
