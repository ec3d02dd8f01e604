//! Per-service minute buckets: counter hashes and unique-reporter HyperLogLogs.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{redis_error, series_cache, RedisStore, BUCKET_TTL_SECS, STORE};
use crate::store::{
    bump, minute_of, write_subnet_field, BucketStore, MinuteBucket, MinuteSeries, NewReport,
    ServiceWindow, StoreError, ALL_SERVICES,
};

fn parse<T: redis::FromRedisValue>(value: Option<redis::Value>) -> Result<T, StoreError> {
    let value = value.ok_or_else(|| StoreError::Failed {
        store: STORE,
        reason: "pipeline answered too few values".into(),
    })?;
    redis::from_redis_value(value).map_err(|e| StoreError::Failed {
        store: STORE,
        reason: e.to_string(),
    })
}

/// Adds to `pipe` one `HINCRBY` per field of `counters` on `key`, then the key's `EXPIRE`
/// (none when there is nothing to add: no key is created empty).
fn hincr_all(pipe: &mut redis::Pipeline, key: &str, counters: &HashMap<String, i64>) {
    if counters.is_empty() {
        return;
    }
    for (field, n) in counters {
        pipe.hincr(key, field, *n).ignore();
    }
    pipe.expire(key, BUCKET_TTL_SECS).ignore();
}

/// What one batch adds to one service-minute: counters, subnets and reporters.
#[derive(Default)]
struct MinuteAdds {
    counters: HashMap<String, i64>,
    subnets: HashMap<String, i64>,
    reporters: Vec<String>,
}

impl RedisStore {
    /// Adds `reports` to `pipe`: the reports are grouped by service-minute first, so a batch
    /// sends one `HINCRBY` per key and field, one `PFADD` (all reporters at once) and one
    /// `EXPIRE` per key, however many reports share them; `aggregate` also adds them to the
    /// all-services buckets. Answers each service's last report time, for
    /// [`Self::mark_active`] (a key of its own: in a cluster, on another slot).
    fn add_reports<'r>(
        &self,
        pipe: &mut redis::Pipeline,
        reports: &'r [NewReport],
        aggregate: bool,
    ) -> HashMap<&'r str, i64> {
        let mut minutes: HashMap<(&str, DateTime<Utc>), MinuteAdds> = HashMap::new();
        let mut last_seen: HashMap<&str, i64> = HashMap::new();
        let mut buf = String::with_capacity(32);
        for r in reports.iter().filter(|r| r.counted) {
            let adds = minutes
                .entry((r.service.as_str(), minute_of(r.received_at)))
                .or_default();
            crate::store::for_each_bucket_field(r, &mut buf, |field| {
                bump(&mut adds.counters, field, 1);
            });
            write_subnet_field(r, &mut buf);
            bump(&mut adds.subnets, &buf, 1);
            adds.reporters.push(hex::encode(&r.reporter));
            let seen = last_seen.entry(&r.service).or_insert(i64::MIN);
            *seen = (*seen).max(r.received_at.timestamp());
        }
        let mut all: HashMap<DateTime<Utc>, HashMap<String, i64>> = HashMap::new();
        for ((service, minute), adds) in &minutes {
            if aggregate {
                let sums = all.entry(*minute).or_default();
                for (field, n) in &adds.counters {
                    bump(sums, field, *n);
                }
            }
            let key = self.keys.minute(service, *minute);
            hincr_all(pipe, &key, &adds.counters);
            let key = self.keys.minute_subnets(service, *minute);
            hincr_all(pipe, &key, &adds.subnets);
            let key = self.keys.minute_reporters(service, *minute);
            pipe.pfadd(&key, &adds.reporters).ignore();
            pipe.expire(&key, BUCKET_TTL_SECS).ignore();
        }
        for (minute, sums) in &all {
            hincr_all(pipe, &self.keys.minute(ALL_SERVICES, *minute), sums);
        }
        last_seen
    }

    /// One pipelined read of a series: the service's rebuild generation, `field` of each
    /// minute not `known` already, and the unique reporters per `unique_per` minutes.
    async fn read_series(
        &self,
        service: &str,
        minutes: &[DateTime<Utc>],
        field: &str,
        unique_per: Option<usize>,
        known: Option<&series_cache::Known>,
    ) -> Result<(Option<i64>, Vec<i64>, Vec<i64>), StoreError> {
        let cached = |i: usize| known.and_then(|k| k.counts.get(i).copied().flatten());
        let steps = unique_per.map(|per| minutes.chunks(per.max(1)));
        let mut pipe = redis::pipe();
        pipe.get(self.keys.generation(service));
        for (i, m) in minutes.iter().enumerate() {
            if cached(i).is_none() {
                pipe.hget(self.keys.minute(service, *m), field);
            }
        }
        for step in steps.clone().into_iter().flatten() {
            let keys: Vec<String> = step
                .iter()
                .map(|m| self.keys.minute_reporters(service, *m))
                .collect();
            pipe.pfcount(keys);
        }
        let mut conn = self.conn.clone();
        let values: Vec<redis::Value> = pipe.query_async(&mut conn).await.map_err(redis_error)?;
        let mut values = values.into_iter();
        let generation: Option<i64> = parse(values.next())?;
        let mut counts = Vec::with_capacity(minutes.len());
        for i in 0..minutes.len() {
            counts.push(match cached(i) {
                Some(n) => n,
                None => parse::<Option<i64>>(values.next())?.unwrap_or(0),
            });
        }
        let mut unique = Vec::new();
        for _ in steps.into_iter().flatten() {
            unique.push(parse(values.next())?);
        }
        Ok((generation, counts, unique))
    }

    /// Adds to `pipe` the update of the active-services set with `last_seen`.
    fn mark_active(&self, pipe: &mut redis::Pipeline, last_seen: HashMap<&str, i64>) {
        for (service, at) in last_seen {
            // GT: rebuilding an old minute must not move a service's last report back.
            pipe.cmd("ZADD")
                .arg(self.keys.active_services())
                .arg("GT")
                .arg(at)
                .arg(service)
                .ignore();
        }
    }
}

#[async_trait]
impl BucketStore for RedisStore {
    async fn apply(&self, reports: &[NewReport]) -> Result<(), StoreError> {
        if !reports.iter().any(|r| r.counted) {
            // Nothing to add (a batch of repeats): Redis refuses an empty pipeline.
            return Ok(());
        }
        let mut pipe = redis::pipe();
        let last_seen = self.add_reports(&mut pipe, reports, true);
        self.mark_active(&mut pipe, last_seen);
        let mut conn = self.conn.clone();
        pipe.query_async::<()>(&mut conn).await.map_err(redis_error)
    }

    async fn rebuild(
        &self,
        service: &str,
        minute: DateTime<Utc>,
        reports: &[NewReport],
    ) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        let mut pipe = redis::pipe();
        pipe.atomic();
        pipe.del(self.keys.minute(service, minute)).ignore();
        pipe.del(self.keys.minute_reporters(service, minute))
            .ignore();
        pipe.del(self.keys.minute_subnets(service, minute)).ignore();
        // Readers that kept this service's settled minutes must read them again.
        let generation = self.keys.generation(service);
        pipe.incr(&generation, 1).ignore();
        pipe.expire(&generation, BUCKET_TTL_SECS).ignore();
        let own: Vec<NewReport> = reports
            .iter()
            .filter(|r| {
                (service == ALL_SERVICES || r.service == service)
                    && minute_of(r.received_at) == minute
            })
            .cloned()
            .collect();
        if service == ALL_SERVICES {
            // Only the aggregate: each service's own buckets are rebuilt on their own.
            let key = self.keys.minute(ALL_SERVICES, minute);
            let mut counters: HashMap<String, i64> = HashMap::new();
            let mut buf = String::new();
            for r in own.iter().filter(|r| r.counted) {
                crate::store::for_each_bucket_field(r, &mut buf, |field| {
                    bump(&mut counters, field, 1);
                });
            }
            hincr_all(&mut pipe, &key, &counters);
            return pipe.query_async::<()>(&mut conn).await.map_err(redis_error);
        }
        // The transaction holds only this service's keys (one hash tag, so one cluster
        // slot); the active-services set is another key and is updated after it.
        let last_seen = self.add_reports(&mut pipe, &own, false);
        pipe.query_async::<()>(&mut conn)
            .await
            .map_err(redis_error)?;
        if last_seen.is_empty() {
            return Ok(());
        }
        let mut active = redis::pipe();
        self.mark_active(&mut active, last_seen);
        active
            .query_async::<()>(&mut conn)
            .await
            .map_err(redis_error)
    }

    async fn minute(
        &self,
        service: &str,
        minute: DateTime<Utc>,
    ) -> Result<MinuteBucket, StoreError> {
        let mut conn = self.conn.clone();
        let (fields, unique): (HashMap<String, i64>, i64) = redis::pipe()
            .hgetall(self.keys.minute(service, minute))
            .pfcount(self.keys.minute_reporters(service, minute))
            .query_async(&mut conn)
            .await
            .map_err(redis_error)?;
        let total = fields.get("total").copied().unwrap_or(0);
        let mut fields: Vec<(String, i64)> =
            fields.into_iter().filter(|(f, _)| f != "total").collect();
        fields.sort();
        Ok(MinuteBucket {
            total,
            fields,
            unique_reporters: unique,
        })
    }

    async fn windows(
        &self,
        services: &[String],
        minutes: &[DateTime<Utc>],
    ) -> Result<Vec<ServiceWindow>, StoreError> {
        let mut out = Vec::with_capacity(services.len());
        let mut conn = self.conn.clone();
        for chunk in services.chunks(250) {
            let mut pipe = redis::pipe();
            for service in chunk {
                for m in minutes {
                    pipe.hgetall(self.keys.minute(service, *m));
                    pipe.hgetall(self.keys.minute_subnets(service, *m));
                }
                let hlls: Vec<String> = minutes
                    .iter()
                    .map(|m| self.keys.minute_reporters(service, *m))
                    .collect();
                pipe.pfcount(hlls);
            }
            let values: Vec<redis::Value> =
                pipe.query_async(&mut conn).await.map_err(redis_error)?;
            let mut values = values.into_iter();
            for service in chunk {
                let mut window = ServiceWindow {
                    service: service.clone(),
                    ..ServiceWindow::default()
                };
                for _ in minutes {
                    let counters: HashMap<String, i64> = parse(values.next())?;
                    let subnets: HashMap<String, i64> = parse(values.next())?;
                    window
                        .per_minute
                        .push(counters.get("total").copied().unwrap_or(0));
                    for (field, n) in counters {
                        *window.fields.entry(field).or_default() += n;
                    }
                    for (subnet, n) in subnets {
                        *window.subnets.entry(subnet).or_default() += n;
                    }
                }
                window.unique_reporters = parse(values.next())?;
                out.push(window);
            }
        }
        Ok(out)
    }

    async fn summed_fields(
        &self,
        service: &str,
        minutes: &[DateTime<Utc>],
    ) -> Result<HashMap<String, i64>, StoreError> {
        let mut pipe = redis::pipe();
        for m in minutes {
            pipe.hgetall(self.keys.minute(service, *m));
        }
        let mut conn = self.conn.clone();
        let hashes: Vec<HashMap<String, i64>> =
            pipe.query_async(&mut conn).await.map_err(redis_error)?;
        let mut fields = HashMap::new();
        for (field, n) in hashes.into_iter().flatten() {
            *fields.entry(field).or_default() += n;
        }
        Ok(fields)
    }

    async fn minute_series(
        &self,
        service: &str,
        minutes: &[DateTime<Utc>],
        field: &str,
        unique_per: Option<usize>,
    ) -> Result<MinuteSeries, StoreError> {
        let index: Vec<i64> = minutes
            .iter()
            .map(|m| m.timestamp().div_euclid(60))
            .collect();
        let settled =
            minute_of(Utc::now()).timestamp().div_euclid(60) - series_cache::UNSETTLED_MINUTES;
        let known = self.series.lookup(service, field, &index, settled);
        let mut read = self
            .read_series(service, minutes, field, unique_per, known.as_ref())
            .await?;
        if known.is_some_and(|k| k.generation != read.0) {
            // Rebuilt since the kept minutes were read: read them all again (`keep` then
            // replaces what was kept, as the generation differs).
            read = self
                .read_series(service, minutes, field, unique_per, None)
                .await?;
        }
        let (generation, counts, unique) = read;
        self.series
            .keep(service, field, generation, &index, &counts, settled);
        Ok(MinuteSeries { counts, unique })
    }

    async fn active_services(&self, since: DateTime<Utc>) -> Result<Vec<String>, StoreError> {
        let mut conn = self.conn.clone();
        redis::cmd("ZRANGEBYSCORE")
            .arg(self.keys.active_services())
            .arg(since.timestamp())
            .arg("+inf")
            .query_async(&mut conn)
            .await
            .map_err(redis_error)
    }

    async fn is_filled(&self) -> Result<bool, StoreError> {
        let mut conn = self.conn.clone();
        redis::cmd("EXISTS")
            .arg(self.keys.filled())
            .query_async(&mut conn)
            .await
            .map_err(redis_error)
    }

    async fn mark_filled(&self) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        redis::cmd("SET")
            .arg(self.keys.filled())
            .arg(Utc::now().timestamp())
            .query_async::<()>(&mut conn)
            .await
            .map_err(redis_error)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        let pong: String = redis::cmd("PING")
            .query_async(&mut conn)
            .await
            .map_err(redis_error)?;
        if pong == "PONG" {
            Ok(())
        } else {
            Err(StoreError::Failed {
                store: STORE,
                reason: format!("unexpected PING answer {pong}"),
            })
        }
    }
}
