//! The reports that arrive in a slice of time: each service's ordinary traffic (its size ×
//! the rhythm of each country's day × Poisson noise) plus the extra reports of the outages
//! under way, each from an address in the right city and network. Shared by the backfill
//! and the live loop, so both tell the same story.

use std::net::Ipv4Addr;

use chrono::{DateTime, TimeDelta, Utc};

use super::geoip;
use super::outages::{Effect, Outage, Scope};
use super::places::{CITIES, COUNTRIES};
use super::population::{pick_symptoms, DemoService, Population, OPERATOR_NETWORK_SHARE};
use super::rhythm::{day_level, Profile, Rhythm, Rng};

/// One report to make.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    /// Index of the service in the [`Population`].
    pub service: usize,
    pub symptoms: Vec<String>,
    /// The reporter's address (in the demo's GeoIP networks).
    pub ip: Ipv4Addr,
    pub at: DateTime<Utc>,
}

/// Draws reports for a population.
pub struct Traffic<'a> {
    pop: &'a Population,
    seed: u64,
    /// Multiplies the ordinary traffic only (to make a small history).
    volume: f64,
    /// Multiplies everything, outages included (the live demo's `--speed`).
    pace: f64,
    /// Per country: its cities and their weights.
    cities: Vec<Vec<(usize, f64)>>,
}

impl<'a> Traffic<'a> {
    pub fn new(pop: &'a Population, seed: u64, volume: f64, pace: f64) -> Self {
        let cities = COUNTRIES
            .iter()
            .map(|c| {
                CITIES
                    .iter()
                    .enumerate()
                    .filter(|(_, city)| city.1 == c.iso)
                    .map(|(i, city)| (i, city.6))
                    .collect()
            })
            .collect();
        Self {
            pop,
            seed,
            volume,
            pace,
            cities,
        }
    }

    /// Appends to `out` the reports arriving in `[t, t + dt)`, with `outages` under way.
    pub fn draw(
        &self,
        t: DateTime<Utc>,
        dt: TimeDelta,
        outages: &[Outage],
        rng: &mut Rng,
        out: &mut Vec<Draft>,
    ) {
        let minutes = dt.num_milliseconds().max(0) as f64 / 60_000.0;
        if minutes <= 0.0 {
            return;
        }
        let mid = t + dt / 2;
        let rhythm = |profile: Profile| -> Vec<f64> {
            COUNTRIES
                .iter()
                .map(|c| Rhythm::new(profile, c.utc_offset_minutes).factor(mid))
                .collect()
        };
        let (leisure, work) = (rhythm(Profile::Leisure), rhythm(Profile::Work));
        // Expected ordinary reports of service `i` from each country in the slice.
        let usual = |i: usize, s: &DemoService| -> Vec<f64> {
            let factors = match s.profile {
                Profile::Leisure => &leisure,
                Profile::Work => &work,
            };
            let level = s.per_day / 1440.0 * minutes * day_level(self.seed, i, mid) * self.pace;
            s.countries
                .iter()
                .zip(factors)
                .map(|(share, f)| level * share * f)
                .collect()
        };
        for (i, s) in self.pop.services.iter().enumerate() {
            for (c, lambda) in usual(i, s).into_iter().enumerate() {
                for _ in 0..rng.poisson(lambda * self.volume) {
                    if let Some(ip) = self.address(s, c, &[], None, rng) {
                        let symptoms = pick_symptoms(&s.symptoms, rng);
                        out.push(self.draft(i, symptoms, ip, t, dt, rng));
                    }
                }
            }
        }
        for outage in outages {
            let intensity = outage.intensity(mid);
            if intensity <= 0.0 {
                continue;
            }
            for e in &outage.effects {
                let Some(s) = self.pop.services.get(e.service) else {
                    continue;
                };
                let usual = usual(e.service, s);
                let in_scope = |c: usize| match &e.scope {
                    Scope::Global => true,
                    Scope::Country { iso, .. } => COUNTRIES[c].iso == *iso,
                };
                let base: f64 = (0..usual.len())
                    .filter(|&c| in_scope(c))
                    .map(|c| usual[c])
                    .sum();
                let extra = (base * (e.multiplier - 1.0))
                    .max(e.floor_per_minute * minutes * self.pace)
                    * intensity;
                for _ in 0..rng.poisson(extra) {
                    if let Some(d) = self.outage_draft(e, s, &usual, t, dt, rng) {
                        out.push(d);
                    }
                }
            }
        }
    }

    fn outage_draft(
        &self,
        e: &Effect,
        s: &DemoService,
        usual: &[f64],
        t: DateTime<Utc>,
        dt: TimeDelta,
        rng: &mut Rng,
    ) -> Option<Draft> {
        let (country, subdivisions) = match &e.scope {
            Scope::Global => (rng.weighted(usual.iter().copied()), &[][..]),
            Scope::Country { iso, subdivisions } => {
                (COUNTRIES.iter().position(|c| c.iso == *iso)?, *subdivisions)
            }
        };
        let ip = self.address(s, country, subdivisions, e.network, rng)?;
        let symptoms = pick_symptoms(&e.symptoms, rng);
        Some(self.draft(e.service, symptoms, ip, t, dt, rng))
    }

    fn draft(
        &self,
        service: usize,
        symptoms: Vec<String>,
        ip: Ipv4Addr,
        t: DateTime<Utc>,
        dt: TimeDelta,
        rng: &mut Rng,
    ) -> Draft {
        let offset = (dt.num_milliseconds() as f64 * rng.unit()) as i64;
        Draft {
            service,
            symptoms,
            ip,
            at: t + TimeDelta::milliseconds(offset),
        }
    }

    /// An address in country `country` (an index into [`COUNTRIES`]), in one of
    /// `subdivisions` when not empty, on `network`'s AS with its probability, otherwise on the
    /// service's own network for an operator, otherwise on any.
    fn address(
        &self,
        s: &DemoService,
        country: usize,
        subdivisions: &[&str],
        network: Option<(u32, f64)>,
        rng: &mut Rng,
    ) -> Option<Ipv4Addr> {
        let iso = COUNTRIES.get(country)?.iso;
        let cities = self.cities.get(country)?;
        let in_region = |city: usize| {
            subdivisions.is_empty()
                || subdivisions.iter().any(|sd| {
                    sd.strip_prefix(iso).and_then(|r| r.strip_prefix('-')) == Some(CITIES[city].2)
                })
        };
        let pick = rng.weighted(
            cities
                .iter()
                .map(|(i, w)| if in_region(*i) { *w } else { 0.0 }),
        );
        let city = cities.get(pick)?.0;
        let asn = match network {
            Some((asn, share)) if rng.chance(share) => Some(asn),
            _ => s
                .operator_asn
                .filter(|_| rng.chance(OPERATOR_NETWORK_SHARE)),
        };
        geoip::address(city, asn, rng).or_else(|| geoip::address(city, None, rng))
    }
}
