//! In-process implementation of the hot stores (abuse gate, minute buckets and status board)
//! for the embedded stack: the semantics of `store::redis`, held in this process's memory.
//!
//! Like Redis it holds nothing that must last: after a restart the buckets are rebuilt from
//! the report log. Unlike Redis it is not shared, so the embedded stack runs as one process.
//! Expired entries are dropped lazily (an expired entry reads as absent) and swept at most
//! once a minute by `check` and `apply`, so memory stays bounded by the last 26 hours.
//! As in Redis, `apply` also adds every report's counters to the `ALL_SERVICES` buckets.
//! The status board (statuses and the capped live event log) is in [`board`], the read rate
//! limit's counters in [`reads`].

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};

use super::redis::BUCKET_TTL_SECS;
use super::{
    minute_of, AbuseGate, BucketStore, GateCheck, GateLimits, GateOutcome, MinuteBucket, NewReport,
    ServiceWindow, StoreError, ALL_SERVICES,
};

mod board;
mod reads;
#[cfg(test)]
pub(crate) mod tests;

/// Where the store reads the time: the system clock, or a test's.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// How often `check` and `apply` sweep expired entries away.
const SWEEP_EVERY: TimeDelta = TimeDelta::seconds(60);

/// The in-process hot store. Cloning is cheap: clones share one state.
#[derive(Clone)]
pub struct MemoryStore {
    state: Arc<Mutex<State>>,
    /// The status board: its own lock, so that readers of the board never wait on buckets.
    board: Arc<board::Board>,
    /// The read rate limit's counters: their own lock too.
    reads: Arc<reads::Counters>,
    clock: Clock,
}

/// Dedupe marker key: (address, service, reporter), as in `keys::dedupe`.
type DedupeKey = (String, String, String);

#[derive(Default)]
struct State {
    /// Reports per address in its current rate-limit window: (count, end of window).
    rate: HashMap<String, (u64, DateTime<Utc>)>,
    /// Dedupe markers and when they expire.
    dedupe: HashMap<DedupeKey, DateTime<Utc>>,
    /// Minute buckets by (service, start of the minute in seconds).
    minutes: HashMap<(String, i64), Minute>,
    /// The time (seconds) of each service's latest counted report.
    active: HashMap<String, i64>,
    next_sweep: Option<DateTime<Utc>>,
}

/// One service-minute: the counter hash, the subnet hash and the reporters, which Redis
/// keeps under three keys that are always written, and so expire, together.
struct Minute {
    counters: HashMap<String, i64>,
    subnets: HashMap<String, i64>,
    /// Hex of each reporter hash: exact where Redis keeps a HyperLogLog.
    reporters: HashSet<String>,
    expires_at: DateTime<Utc>,
}

impl Minute {
    fn empty(expires_at: DateTime<Utc>) -> Self {
        Self {
            counters: HashMap::new(),
            subnets: HashMap::new(),
            reporters: HashSet::new(),
            expires_at,
        }
    }
}

/// `now` plus `secs`, saturating instead of overflowing.
fn after(now: DateTime<Utc>, secs: u64) -> DateTime<Utc> {
    TimeDelta::try_seconds(i64::try_from(secs).unwrap_or(i64::MAX))
        .and_then(|d| now.checked_add_signed(d))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// Whole seconds from `now` to `end`, rounded up: retrying after that is never too early.
fn secs_until(now: DateTime<Utc>, end: DateTime<Utc>) -> u64 {
    let micros = (end - now).num_microseconds().unwrap_or(i64::MAX);
    u64::try_from(micros).unwrap_or(0).div_ceil(1_000_000)
}

impl State {
    /// Drops every expired entry, at most once per `SWEEP_EVERY`.
    fn sweep(&mut self, now: DateTime<Utc>) {
        if self.next_sweep.is_some_and(|next| now < next) {
            return;
        }
        self.rate.retain(|_, (_, end)| *end > now);
        self.dedupe.retain(|_, expires| *expires > now);
        self.minutes.retain(|_, m| m.expires_at > now);
        self.next_sweep = Some(now + SWEEP_EVERY);
    }

    /// The gate script of `redis::gate`: a refused request changes nothing.
    fn gate(&mut self, c: &GateCheck, limits: GateLimits, now: DateTime<Utc>) -> GateOutcome {
        let window = self.rate.get(&c.address).filter(|(_, end)| *end > now);
        let used = window.map_or(0, |(n, _)| *n);
        if used >= limits.rate_limit {
            let retry = match window {
                Some((_, end)) => secs_until(now, *end),
                None => limits.rate_window_secs,
            };
            return GateOutcome::RateLimited {
                retry_after_secs: retry.max(1),
            };
        }
        // The window is fixed from the first report of the address.
        let end = window.map_or_else(|| after(now, limits.rate_window_secs), |(_, end)| *end);
        self.rate.insert(c.address.clone(), (used + 1, end));
        let key = (c.address.clone(), c.service.clone(), c.reporter.clone());
        match self.dedupe.get(&key) {
            Some(expires) if *expires > now => GateOutcome::Duplicate,
            _ => {
                self.dedupe.insert(key, after(now, limits.dedupe_secs));
                GateOutcome::Counted
            }
        }
    }

    /// The release script of `redis::gate`.
    fn release(&mut self, c: &GateCheck, outcome: GateOutcome, now: DateTime<Utc>) {
        if matches!(outcome, GateOutcome::RateLimited { .. }) {
            return;
        }
        if let Some((n, end)) = self.rate.get_mut(&c.address) {
            if *end > now && *n > 0 {
                *n -= 1;
            }
        }
        if outcome == GateOutcome::Counted {
            self.dedupe
                .remove(&(c.address.clone(), c.service.clone(), c.reporter.clone()));
        }
    }

    /// The bucket of one service-minute, created (or started afresh when expired but not yet
    /// swept, as Redis would have dropped it) and with its expiry renewed.
    fn bucket(&mut self, service: &str, minute: i64, now: DateTime<Utc>) -> &mut Minute {
        let expires_at = after(now, BUCKET_TTL_SECS.unsigned_abs());
        let bucket = self
            .minutes
            .entry((service.to_owned(), minute))
            .or_insert_with(|| Minute::empty(expires_at));
        if bucket.expires_at <= now {
            *bucket = Minute::empty(expires_at);
        }
        bucket.expires_at = expires_at;
        bucket
    }

    /// Adds counted reports to their minute buckets; `aggregate` also adds their counters to
    /// the all-services buckets (`ALL_SERVICES`, counters only, as in Redis).
    fn add(&mut self, reports: &[NewReport], now: DateTime<Utc>, aggregate: bool) {
        for r in reports.iter().filter(|r| r.counted) {
            let minute = minute_of(r.received_at).timestamp();
            let fields = crate::store::bucket_fields(r);
            if aggregate {
                let all = self.bucket(ALL_SERVICES, minute, now);
                for field in &fields {
                    *all.counters.entry(field.clone()).or_default() += 1;
                }
            }
            let bucket = self.bucket(&r.service, minute, now);
            for field in fields {
                *bucket.counters.entry(field).or_default() += 1;
            }
            *bucket
                .subnets
                .entry(crate::store::subnet_field(r))
                .or_default() += 1;
            bucket.reporters.insert(hex::encode(&r.reporter));
            let seen = self.active.entry(r.service.clone()).or_insert(i64::MIN);
            *seen = (*seen).max(r.received_at.timestamp());
        }
    }

    /// A live minute bucket, or `None` when absent or expired.
    fn live(&self, service: &str, minute: DateTime<Utc>, now: DateTime<Utc>) -> Option<&Minute> {
        self.minutes
            .get(&(service.to_owned(), minute_of(minute).timestamp()))
            .filter(|m| m.expires_at > now)
    }
}

impl MemoryStore {
    /// An empty store on the system clock.
    pub fn new() -> Self {
        Self::with_clock(Arc::new(Utc::now))
    }

    /// An empty store reading the time from `clock` (tests move it forward by hand).
    pub fn with_clock(clock: Clock) -> Self {
        Self {
            state: Arc::new(Mutex::new(State::default())),
            board: Arc::default(),
            reads: Arc::default(),
            clock,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        crate::sync::lock(&self.state)
    }

    fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait]
impl AbuseGate for MemoryStore {
    async fn check(
        &self,
        checks: &[GateCheck],
        limits: GateLimits,
    ) -> Result<Vec<GateOutcome>, StoreError> {
        let now = self.now();
        let mut state = self.lock();
        state.sweep(now);
        Ok(checks.iter().map(|c| state.gate(c, limits, now)).collect())
    }

    async fn release(&self, checks: &[(GateCheck, GateOutcome)]) -> Result<(), StoreError> {
        let now = self.now();
        let mut state = self.lock();
        for (c, outcome) in checks {
            state.release(c, *outcome, now);
        }
        Ok(())
    }
}

#[async_trait]
impl BucketStore for MemoryStore {
    async fn apply(&self, reports: &[NewReport]) -> Result<(), StoreError> {
        let now = self.now();
        let mut state = self.lock();
        state.sweep(now);
        state.add(reports, now, true);
        Ok(())
    }

    async fn rebuild(
        &self,
        service: &str,
        minute: DateTime<Utc>,
        reports: &[NewReport],
    ) -> Result<(), StoreError> {
        let now = self.now();
        let minute = minute_of(minute);
        let own: Vec<NewReport> = reports
            .iter()
            .filter(|r| {
                (service == ALL_SERVICES || r.service == service)
                    && minute_of(r.received_at) == minute
            })
            .cloned()
            .collect();
        let mut state = self.lock();
        // Counters, subnets and reporters all go: the minute is exactly `own` afterwards.
        state
            .minutes
            .remove(&(service.to_owned(), minute.timestamp()));
        if service == ALL_SERVICES {
            // Only the aggregate: each service's own buckets are rebuilt on their own.
            for r in own.iter().filter(|r| r.counted) {
                let all = state.bucket(ALL_SERVICES, minute.timestamp(), now);
                for field in crate::store::bucket_fields(r) {
                    *all.counters.entry(field).or_default() += 1;
                }
            }
        } else {
            state.add(&own, now, false);
        }
        Ok(())
    }

    async fn minute(
        &self,
        service: &str,
        minute: DateTime<Utc>,
    ) -> Result<MinuteBucket, StoreError> {
        let now = self.now();
        let state = self.lock();
        let Some(m) = state.live(service, minute, now) else {
            return Ok(MinuteBucket::default());
        };
        let mut fields: Vec<(String, i64)> = m
            .counters
            .iter()
            .filter(|(f, _)| f.as_str() != "total")
            .map(|(f, n)| (f.clone(), *n))
            .collect();
        fields.sort();
        Ok(MinuteBucket {
            total: m.counters.get("total").copied().unwrap_or(0),
            fields,
            unique_reporters: i64::try_from(m.reporters.len()).unwrap_or(i64::MAX),
        })
    }

    async fn windows(
        &self,
        services: &[String],
        minutes: &[DateTime<Utc>],
    ) -> Result<Vec<ServiceWindow>, StoreError> {
        let now = self.now();
        let state = self.lock();
        let mut out = Vec::with_capacity(services.len());
        for service in services {
            let mut window = ServiceWindow {
                service: service.clone(),
                ..ServiceWindow::default()
            };
            let mut reporters: HashSet<&str> = HashSet::new();
            for m in minutes {
                let Some(bucket) = state.live(service, *m, now) else {
                    window.per_minute.push(0);
                    continue;
                };
                window
                    .per_minute
                    .push(bucket.counters.get("total").copied().unwrap_or(0));
                for (field, n) in &bucket.counters {
                    *window.fields.entry(field.clone()).or_default() += n;
                }
                for (subnet, n) in &bucket.subnets {
                    *window.subnets.entry(subnet.clone()).or_default() += n;
                }
                reporters.extend(bucket.reporters.iter().map(String::as_str));
            }
            window.unique_reporters = i64::try_from(reporters.len()).unwrap_or(i64::MAX);
            out.push(window);
        }
        Ok(out)
    }

    async fn active_services(&self, since: DateTime<Utc>) -> Result<Vec<String>, StoreError> {
        let since = since.timestamp();
        let state = self.lock();
        // Oldest first, ties by name: the order of ZRANGEBYSCORE.
        let mut active: Vec<(i64, &String)> = state
            .active
            .iter()
            .filter(|(_, at)| **at >= since)
            .map(|(service, at)| (*at, service))
            .collect();
        active.sort();
        Ok(active.into_iter().map(|(_, s)| s.clone()).collect())
    }

    /// The buckets live and die with this process, which rebuilds them from the log at
    /// start: they are never lost behind its back.
    async fn is_filled(&self) -> Result<bool, StoreError> {
        Ok(true)
    }

    async fn mark_filled(&self) -> Result<(), StoreError> {
        Ok(())
    }

    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }
}
