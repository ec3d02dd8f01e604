//! Weeks of history in a minute: synthetic reports written straight through the store traits
//! (`ReportLog::append` in batches, `RollupStore::roll_up` day by day), then the detector run
//! over the scripted past outages so that they are incidents like any other.
//!
//! The backfill skips the HTTP path on purpose: it writes what ingestion would have written
//! (located by the same GeoIP databases), a hundred times faster.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};

use super::history;
use super::outages::{self, Outage};
use super::population::Population;
use super::rhythm::Rng;
use super::traffic::{Draft, Traffic};
use crate::detect::config::DetectConfig;
use crate::geo::GeoIp;
use crate::store::Stores;
use crate::store::{minute_of, NewReport, StoreError};

/// Reports per `ReportLog::append`.
const BATCH: usize = 2_000;

/// What to backfill.
#[derive(Debug, Clone)]
pub struct BackfillPlan {
    /// Start of the history (reports from here on)…
    pub from: DateTime<Utc>,
    /// …up to here (exclusive; in the past). When this is more than a few seconds behind the
    /// clock once done, the gap is filled too.
    pub to: DateTime<Utc>,
    pub seed: u64,
    /// Multiplies the ordinary traffic (1 for the demo; less for a quick test).
    pub volume: f64,
    /// Whether to script the past outages (a fresh history) or not (filling a gap).
    pub past_outages: bool,
}

/// What the backfill did.
#[derive(Debug, Clone)]
pub struct BackfillSummary {
    pub reports: u64,
    /// Where the history now ends.
    pub to: DateTime<Utc>,
    /// The scripted past outages.
    pub outages: Vec<Outage>,
    /// Incidents the detector opened over them.
    pub incidents: usize,
    pub took: Duration,
}

/// Writes the history of `plan` into `stores`, calling `progress(fraction, label)` as it goes.
pub async fn run(
    stores: &Stores,
    geo: &GeoIp,
    pop: &Population,
    plan: &BackfillPlan,
    detect: &DetectConfig,
    progress: &mut dyn FnMut(f64, &str),
) -> Result<BackfillSummary, StoreError> {
    let started = Instant::now();
    let days = (plan.to - plan.from).num_days() + 1;
    stores
        .log
        .ensure_partitions(
            plan.from.date_naive(),
            i32::try_from(days + 2).unwrap_or(i32::MAX),
        )
        .await?;
    let past = if plan.past_outages {
        outages::past(pop, plan.from, plan.to)
    } else {
        Vec::new()
    };
    let mut filler = Filler {
        stores,
        geo,
        pop,
        traffic: Traffic::new(pop, plan.seed, plan.volume, 1.0),
        rng: Rng::derive(plan.seed, 1),
        batch: Vec::with_capacity(BATCH),
        drafts: Vec::new(),
        reports: 0,
    };
    // Whole seconds: the stores keep microseconds, and the rollup watermark must fall
    // between reports, not inside one's rounding.
    let mut to = whole_second(plan.to);
    filler
        .fill(whole_second(plan.from), to, &past, &mut |f, label| {
            progress(f, label)
        })
        .await?;
    // The clock moved on while we wrote: fill what is now missing (without a progress bar).
    loop {
        let now = whole_second(Utc::now() - TimeDelta::seconds(1));
        if now - to < TimeDelta::seconds(5) {
            break;
        }
        filler.fill(to, now, &past, &mut |_, _| {}).await?;
        to = now;
    }
    let incidents = history::replay(stores, detect, &past).await?;
    Ok(BackfillSummary {
        reports: filler.reports,
        to,
        outages: past,
        incidents,
        took: started.elapsed(),
    })
}

fn whole_second(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(t)
}

/// The state of one backfill.
struct Filler<'a> {
    stores: &'a Stores,
    geo: &'a GeoIp,
    pop: &'a Population,
    traffic: Traffic<'a>,
    rng: Rng,
    batch: Vec<NewReport>,
    drafts: Vec<Draft>,
    reports: u64,
}

impl Filler<'_> {
    /// Reports of `[from, to)`, appended in batches and rolled up day by day.
    async fn fill(
        &mut self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        outages: &[Outage],
        progress: &mut dyn FnMut(f64, &str),
    ) -> Result<(), StoreError> {
        let total_days = ((to - from).num_minutes() + 1439) / 1440;
        let span = (to - from).num_seconds().max(1) as f64;
        let mut t = from;
        let mut day = 0;
        while t < to {
            day += 1;
            let day_end = (t + TimeDelta::days(1)).min(to);
            while t < day_end {
                let next = (minute_of(t) + TimeDelta::minutes(1)).min(day_end);
                self.drafts.clear();
                self.traffic
                    .draw(t, next - t, outages, &mut self.rng, &mut self.drafts);
                let drafts = std::mem::take(&mut self.drafts);
                for d in &drafts {
                    // Only the past: the live traffic takes over from `to`.
                    if d.at < to {
                        let report = self.report(d);
                        self.batch.push(report);
                    }
                }
                self.drafts = drafts;
                if self.batch.len() >= BATCH {
                    self.flush().await?;
                }
                t = next;
                if t.timestamp() % 3600 == 0 {
                    let done = (t - from).num_seconds() as f64 / span;
                    progress(done, &format!("day {day}/{total_days}"));
                }
            }
            self.flush().await?;
            self.stores.rollups.roll_up(day_end).await?;
            let done = (day_end - from).num_seconds() as f64 / span;
            progress(done, &format!("day {day}/{total_days}"));
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), StoreError> {
        if !self.batch.is_empty() {
            self.stores.log.append(&self.batch).await?;
            self.reports += self.batch.len() as u64;
            self.batch.clear();
        }
        Ok(())
    }

    /// What ingestion would have written for `d`: located by the demo's GeoIP; the reporter
    /// and subnet pseudonyms are random (they are keyed hashes, opaque anyway).
    fn report(&mut self, d: &Draft) -> NewReport {
        let place = self.geo.lookup(IpAddr::V4(d.ip));
        let service = &self.pop.services[d.service];
        NewReport {
            received_at: d.at,
            service: service.slug.clone(),
            symptoms: d.symptoms.clone(),
            counted: true,
            reporter: self.rng.bytes16(),
            subnet: self.rng.bytes16(),
            region_source: if place.country.is_some() {
                "geoip"
            } else {
                "none"
            },
            country: place.country,
            subdivision: place.subdivision,
            city: place.city,
            lat: place.lat.map(|v| v as f32),
            lon: place.lon.map(|v| v as f32),
            asn: place.asn.and_then(|a| i32::try_from(a).ok()),
            as_org: place.as_org,
            // History has platforms too (for the rollups), never messages.
            platform: super::live::platform(&mut self.rng).and_then(|p| p.parse().ok()),
            phrase: None,
        }
    }
}

/// A text progress bar: `[#####.....]  42% day 12/28`.
pub fn progress_bar(fraction: f64, label: &str) -> String {
    const WIDTH: usize = 30;
    let fraction = fraction.clamp(0.0, 1.0);
    let filled = (fraction * WIDTH as f64).round() as usize;
    format!(
        "[{}{}] {:>3}% {label}",
        "#".repeat(filled),
        ".".repeat(WIDTH - filled),
        (fraction * 100.0).round() as u32
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bar_fills_with_the_fraction() {
        assert_eq!(
            progress_bar(0.42, "day 12/28"),
            format!("[{}{}]  42% day 12/28", "#".repeat(13), ".".repeat(17))
        );
        assert!(progress_bar(2.0, "").starts_with(&format!("[{}] 100%", "#".repeat(30))));
    }
}
