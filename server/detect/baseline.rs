//! The seasonal baseline: how many reports a series normally gets at a given moment.
//!
//! Reports are kept in 15-minute slots (96 a day) of the series' time of day: UTC, or local
//! time in a zone for a country's series (DST included: in the autumn the repeated hour is
//! learnt once, in the spring the missing one is simply absent). The expectation for a moment is
//! 1. the **time-of-day profile**: over each of the previous 14 days, the rate in the same
//!    slot and its two neighbours (weights 1-2-1); then the mean of those daily rates after
//!    dropping the highest and lowest fifth (a trimmed mean, so one odd day does not count);
//! 2. times a **day-of-week factor** once two weeks are known: the median daily rate of that
//!    weekday over the last `history_days` against the median of all days;
//! 3. times a **recent level factor**: observed / expected over the last 6 hours, shrunk
//!    towards 1 by 20 pseudo-reports and clamped to `level_bounds`, so that a service whose
//!    audience grows is followed rather than flagged forever.
//!
//! With less than a day of history, the profile is the overall mean so far, blended with
//! `prior_per_minute` as if one hour at the prior had been seen. Samples taken while the series
//! was not ok count as seen time, but their reports are left out: an outage must not teach the
//! baseline that outages are normal. The time-of-day profile of the current day is computed
//! once, when its first sample arrives, so that an expectation costs O(1) most of the time.

use chrono::{DateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;

use super::config::DetectConfig;
use super::score::poisson_band;

const SLOT_MINUTES: i64 = 15;
const SLOTS_PER_DAY: i64 = 96;
const MINUTES_PER_DAY: i64 = 1440;
/// Days that feed the time-of-day profile.
const PROFILE_DAYS: i64 = 14;
/// Weighted minutes (out of 60) a past day needs in a slot's neighbourhood to count.
const MIN_PROFILE_MINUTES: f64 = 15.0;
/// The recent level looks back this many slots (6 hours).
const LEVEL_SLOTS: i64 = 24;
const LEVEL_PSEUDO_REPORTS: f64 = 20.0;
/// Days of history before the day-of-week factor is used, and per-day coverage it needs.
const WEEKDAY_MIN_DAYS: usize = 14;
const WEEKDAY_MIN_MINUTES: u32 = 720;
const WEEKDAY_PSEUDO_REPORTS: f64 = 10.0;
const WEEKDAY_BOUNDS: (f64, f64) = (0.2, 5.0);
/// Weight of the prior, in minutes, while history is short.
const PRIOR_MINUTES: f64 = 60.0;
/// The expectation never drops below this fraction of the prior.
const FLOOR_FRACTION: f64 = 0.1;

/// One past observation: `value` reports over the `minutes` starting at `start`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    pub start: DateTime<Utc>,
    pub minutes: u32,
    pub value: f64,
    /// Taken while the series was not ok: counted as seen time, its reports excluded.
    pub anomalous: bool,
}

/// Reports per slot for one UTC day.
#[derive(Debug, Clone)]
struct Day {
    day: i64,
    sums: [f32; SLOTS_PER_DAY as usize],
    minutes: [u8; SLOTS_PER_DAY as usize],
}

/// One day's totals: reports and minutes of normal samples, and all minutes seen.
#[derive(Debug, Clone, Copy)]
struct DayTotal {
    day: i64,
    sum: f64,
    minutes: u32,
    seen: u32,
}

/// The profile and weekday factor of one day, computed from earlier days only.
#[derive(Debug, Clone)]
struct DayCache {
    day: i64,
    profile: [Option<f32>; SLOTS_PER_DAY as usize],
    weekday: f64,
}

/// Seasonal, robust, incremental expectation of one series (~10 KiB of memory).
#[derive(Debug, Clone)]
pub struct Baseline {
    /// The time zone whose time of day the series follows (`None`: UTC).
    zone: Option<Tz>,
    /// The zone's offset (seconds) over one whole UTC day, when it is the same at both ends
    /// of that day: learning pushes ~100 samples a day, and a zone lookup costs a microsecond.
    day_offset: Option<(i64, Option<i64>)>,
    history_days: i64,
    prior_per_minute: f64,
    level_bounds: (f64, f64),
    days: Vec<Day>,
    totals: Vec<DayTotal>,
    /// (slot, observed, seasonal expected) of the last `LEVEL_SLOTS` slots.
    level: Vec<(i64, f64, f64)>,
    seen_minutes: u64,
    last_end: Option<i64>,
    cache: Option<Box<DayCache>>,
}

impl Baseline {
    /// An empty baseline that will use `cfg.prior_per_minute` until it has learnt.
    pub fn new(cfg: &DetectConfig) -> Self {
        Self::in_zone(cfg, None)
    }

    /// An empty baseline on the local time of day of `zone` (UTC when `None`).
    pub fn in_zone(cfg: &DetectConfig, zone: Option<Tz>) -> Self {
        let history_days = i64::from(cfg.history_days.clamp(1, 366));
        let (lo, hi) = cfg.level_bounds;
        let level_bounds = if lo.is_finite() && hi.is_finite() && lo > 0.0 && lo <= hi {
            (lo, hi)
        } else {
            (1.0, 1.0)
        };
        let empty_day = Day {
            day: i64::MIN,
            sums: [0.0; SLOTS_PER_DAY as usize],
            minutes: [0; SLOTS_PER_DAY as usize],
        };
        let empty_total = DayTotal {
            day: i64::MIN,
            sum: 0.0,
            minutes: 0,
            seen: 0,
        };
        Self {
            zone,
            day_offset: None,
            history_days,
            prior_per_minute: cfg.prior_per_minute.max(0.0),
            level_bounds,
            days: vec![empty_day; (PROFILE_DAYS + 2) as usize],
            totals: vec![empty_total; (history_days + 1) as usize],
            level: vec![(i64::MIN, 0.0, 0.0); LEVEL_SLOTS as usize],
            seen_minutes: 0,
            last_end: None,
            cache: None,
        }
    }

    /// Adds a sample. Samples arrive in time order; one that starts before the end of the
    /// previous one, or is empty, negative or not finite, is ignored. Reports of an anomalous
    /// sample are excluded.
    pub fn push(&mut self, s: &Sample) {
        if s.minutes == 0 || !s.value.is_finite() || s.value < 0.0 {
            return;
        }
        let start = self.learning_minute_index(s.start);
        if self.last_end.is_some_and(|end| start < end) {
            return;
        }
        let end = start + i64::from(s.minutes);
        self.last_end = Some(end);
        let per_minute = s.value / f64::from(s.minutes);
        // Only the remembered part of a very long sample matters.
        let mut m = start.max(end - self.history_days * MINUTES_PER_DAY);
        while m < end {
            let slot = m.div_euclid(SLOT_MINUTES);
            let piece_end = ((slot + 1) * SLOT_MINUTES).min(end);
            let len = piece_end - m;
            self.add(slot, len as u32, per_minute * len as f64, s.anomalous);
            m = piece_end;
        }
    }

    /// Expected reports per minute at `at`.
    pub fn expected_per_minute(&self, at: DateTime<Utc>) -> f64 {
        let slot = self.minute_index(at).div_euclid(SLOT_MINUTES);
        let seasonal = self.seasonal(slot);
        (seasonal * self.level_factor(slot)).max(self.prior_per_minute * FLOOR_FRACTION)
    }

    /// The 15-minute slot holding `at`: [`Self::expected_per_minute`] and
    /// [`Self::band_per_minute`] answer the same for every minute of one slot (time zones
    /// are offset by whole quarters, so a UTC quarter is one local quarter).
    pub fn slot_of(at: DateTime<Utc>) -> i64 {
        at.timestamp().div_euclid(60).div_euclid(SLOT_MINUTES)
    }

    /// [`Self::minute_index`] for the samples being learnt, with the day's offset kept.
    fn learning_minute_index(&mut self, at: DateTime<Utc>) -> i64 {
        let Some(zone) = self.zone else {
            return at.timestamp().div_euclid(60);
        };
        let day = at.timestamp().div_euclid(86_400);
        let offset = match self.day_offset {
            Some((d, offset)) if d == day => offset,
            _ => {
                let at_second =
                    |s: i64| DateTime::from_timestamp(s, 0).map(|t| zone_offset(zone, t));
                let (first, last) = (at_second(day * 86_400), at_second(day * 86_400 + 86_399));
                let offset = first.filter(|f| Some(*f) == last);
                self.day_offset = Some((day, offset));
                offset
            }
        };
        match offset {
            Some(offset) => (at.timestamp() + offset).div_euclid(60),
            None => self.minute_index(at),
        }
    }

    /// Minutes since the epoch on the series' clock (local wall time in its zone).
    fn minute_index(&self, at: DateTime<Utc>) -> i64 {
        let offset = self.zone.map_or(0, |zone| zone_offset(zone, at));
        (at.timestamp() + offset).div_euclid(60)
    }

    /// A plausible band (low, high) per minute around the expectation at `at`: the Poisson 5%
    /// and 95% quantiles over a 15-minute slot, divided by 15.
    pub fn band_per_minute(&self, at: DateTime<Utc>) -> (f64, f64) {
        let per_slot = self.expected_per_minute(at) * SLOT_MINUTES as f64;
        let (lo, hi) = poisson_band(per_slot);
        (lo / SLOT_MINUTES as f64, hi / SLOT_MINUTES as f64)
    }

    /// Days of data seen (including anomalous time), at most `history_days`.
    pub fn days_of_history(&self) -> f64 {
        (self.seen_minutes as f64 / MINUTES_PER_DAY as f64).min(self.history_days as f64)
    }

    /// Minutes of data seen within the remembered period.
    pub fn minutes_of_history(&self) -> u64 {
        self.seen_minutes
    }

    fn add(&mut self, slot: i64, len: u32, value: f64, anomalous: bool) {
        let day = slot.div_euclid(SLOTS_PER_DAY);
        if self.cache.as_ref().is_none_or(|c| c.day < day) {
            self.roll_to(day);
        }
        let total = self.total_mut(day);
        total.seen += len;
        self.seen_minutes += u64::from(len);
        if anomalous {
            return;
        }
        let expected = self.seasonal(slot) * f64::from(len);
        let total = self.total_mut(day);
        total.sum += value;
        total.minutes += len;
        let rec = self.day_mut(day);
        let idx = slot.rem_euclid(SLOTS_PER_DAY) as usize;
        rec.sums[idx] += value as f32;
        rec.minutes[idx] = rec.minutes[idx].saturating_add(len as u8);
        let level = &mut self.level[slot.rem_euclid(LEVEL_SLOTS) as usize];
        if level.0 != slot {
            *level = (slot, 0.0, 0.0);
        }
        level.1 += value;
        level.2 += expected;
    }

    /// Forgets days past the memory and computes the new day's profile from earlier days.
    fn roll_to(&mut self, day: i64) {
        let oldest = day - self.history_days;
        for t in self
            .totals
            .iter_mut()
            .filter(|t| t.day != i64::MIN && t.day < oldest)
        {
            self.seen_minutes -= u64::from(t.seen);
            t.day = i64::MIN;
        }
        let mut profile = [None; SLOTS_PER_DAY as usize];
        for (idx, p) in profile.iter_mut().enumerate() {
            *p = self.profile(day, idx as i64).map(|v| v as f32);
        }
        let weekday = self.weekday_factor(day);
        self.cache = Some(Box::new(DayCache {
            day,
            profile,
            weekday,
        }));
    }

    fn total_mut(&mut self, day: i64) -> &mut DayTotal {
        let len = self.totals.len() as i64;
        let t = &mut self.totals[day.rem_euclid(len) as usize];
        if t.day != day {
            self.seen_minutes -= u64::from(if t.day == i64::MIN { 0 } else { t.seen });
            *t = DayTotal {
                day,
                sum: 0.0,
                minutes: 0,
                seen: 0,
            };
        }
        t
    }

    fn day_mut(&mut self, day: i64) -> &mut Day {
        let len = self.days.len() as i64;
        let d = &mut self.days[day.rem_euclid(len) as usize];
        if d.day != day {
            d.day = day;
            d.sums = [0.0; SLOTS_PER_DAY as usize];
            d.minutes = [0; SLOTS_PER_DAY as usize];
        }
        d
    }

    /// Reports and minutes of an absolute slot, if remembered.
    fn slot_data(&self, slot: i64) -> Option<(f64, f64)> {
        let day = slot.div_euclid(SLOTS_PER_DAY);
        let d = &self.days[day.rem_euclid(self.days.len() as i64) as usize];
        let idx = slot.rem_euclid(SLOTS_PER_DAY) as usize;
        (d.day == day).then(|| (f64::from(d.sums[idx]), f64::from(d.minutes[idx])))
    }

    /// Seasonal expectation per minute for an absolute slot, before the recent level.
    fn seasonal(&self, slot: i64) -> f64 {
        if self.days_of_history() < 1.0 {
            return self.overall_mean();
        }
        let day = slot.div_euclid(SLOTS_PER_DAY);
        let idx = slot.rem_euclid(SLOTS_PER_DAY);
        let (profile, weekday) = match self.cache.as_deref() {
            Some(c) if c.day == day => (c.profile[idx as usize].map(f64::from), c.weekday),
            _ => (self.profile(day, idx), self.weekday_factor(day)),
        };
        profile.unwrap_or_else(|| self.overall_mean()) * weekday
    }

    /// Trimmed mean over the previous days of the 1-2-1 weighted rate around slot `idx`.
    fn profile(&self, day: i64, idx: i64) -> Option<f64> {
        let mut rates = [0.0; PROFILE_DAYS as usize];
        let mut n = 0;
        let first = day * SLOTS_PER_DAY + idx;
        for back in 1..=PROFILE_DAYS.min(self.history_days) {
            let centre = first - back * SLOTS_PER_DAY;
            let (mut sum, mut minutes) = (0.0, 0.0);
            for (offset, weight) in [(-1, 1.0), (0, 2.0), (1, 1.0)] {
                let slot = centre + offset;
                if slot.div_euclid(SLOTS_PER_DAY) >= day {
                    continue;
                }
                if let Some((s, m)) = self.slot_data(slot) {
                    sum += weight * s;
                    minutes += weight * m;
                }
            }
            if minutes >= MIN_PROFILE_MINUTES {
                rates[n] = sum / minutes;
                n += 1;
            }
        }
        let rates = &mut rates[..n];
        rates.sort_by(f64::total_cmp);
        let trim = n / 5;
        let kept = &rates[trim..n - trim];
        (!kept.is_empty()).then(|| kept.iter().sum::<f64>() / kept.len() as f64)
    }

    /// Median daily rate of `day`'s weekday against the median of all remembered days.
    fn weekday_factor(&self, day: i64) -> f64 {
        if self.days_of_history() < WEEKDAY_MIN_DAYS as f64 {
            return 1.0;
        }
        let (mut all, mut same) = (Vec::new(), Vec::new());
        for t in &self.totals {
            if t.day >= day || t.day < day - self.history_days || t.minutes < WEEKDAY_MIN_MINUTES {
                continue;
            }
            let rate = t.sum / f64::from(t.minutes);
            all.push(rate);
            if (day - t.day) % 7 == 0 {
                same.push(rate);
            }
        }
        if all.len() < WEEKDAY_MIN_DAYS || same.len() < 2 {
            return 1.0;
        }
        let per_day = MINUTES_PER_DAY as f64;
        let factor = (median(&mut same) * per_day + WEEKDAY_PSEUDO_REPORTS)
            / (median(&mut all) * per_day + WEEKDAY_PSEUDO_REPORTS);
        factor.clamp(WEEKDAY_BOUNDS.0, WEEKDAY_BOUNDS.1)
    }

    /// Mean rate of everything remembered, blended with the prior.
    fn overall_mean(&self) -> f64 {
        let (mut sum, mut minutes) = (0.0, 0.0);
        for t in self.totals.iter().filter(|t| t.day != i64::MIN) {
            sum += t.sum;
            minutes += f64::from(t.minutes);
        }
        (sum + self.prior_per_minute * PRIOR_MINUTES) / (minutes + PRIOR_MINUTES)
    }

    /// Observed / expected over the last 6 hours, shrunk towards 1 and clamped.
    fn level_factor(&self, slot: i64) -> f64 {
        let (mut observed, mut expected) = (0.0, 0.0);
        for &(s, o, e) in &self.level {
            if s <= slot && s > slot - LEVEL_SLOTS {
                observed += o;
                expected += e;
            }
        }
        let factor = (observed + LEVEL_PSEUDO_REPORTS) / (expected + LEVEL_PSEUDO_REPORTS);
        factor.clamp(self.level_bounds.0, self.level_bounds.1)
    }
}

/// Seconds `zone` is ahead of UTC at `at`.
fn zone_offset(zone: Tz, at: DateTime<Utc>) -> i64 {
    i64::from(
        zone.offset_from_utc_datetime(&at.naive_utc())
            .fix()
            .local_minus_utc(),
    )
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// Feeds `baseline` the 15-minute quarters of `[from, to)`: `value(t)` reports in the quarter
/// starting at `t`, flagged by `anomalous(t)`. Quarters missing from a rollup had no reports,
/// so callers answer 0 for them.
pub fn push_quarters(
    baseline: &mut Baseline,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    value: impl Fn(DateTime<Utc>) -> f64,
    anomalous: impl Fn(DateTime<Utc>) -> bool,
) {
    let mut t = from;
    while t < to {
        baseline.push(&Sample {
            start: t,
            minutes: 15,
            value: value(t),
            anomalous: anomalous(t),
        });
        t += chrono::TimeDelta::minutes(15);
    }
}

#[cfg(test)]
#[path = "baseline_tests.rs"]
mod tests;
