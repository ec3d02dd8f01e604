//! A simulated world, minute by minute: services with gamma-Poisson reports over an audience
//! spread across networks and countries, surges (a provider failing, an ISP failing, a viral
//! burst), the real detector's score and state machine deciding when each service's incident
//! opens and closes, and the outage grouper called every minute with the services in
//! incident — as the detector's tick will call it.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use downwatch::detect::{score, DetectConfig, State, Tracker};
use downwatch::outage::{
    Candidate, CountryShare, EventChange, Grouper, MinuteSeries, NetworkShare, OutageEvent,
    Severity,
};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, Gamma, Poisson};

/// The detector's observation window (minutes).
const WINDOW: usize = 3;
/// Minutes of series each candidate carries.
const SERIES: usize = 30;
/// Minutes whose reports give a candidate's network and country shares.
const SHARES: usize = 10;
/// Overdispersion of a minute's count (negative binomial α).
const ALPHA: f64 = 0.05;
/// Share of an ISP outage's extra reports that come from the failing network.
const ISP_SHARE: f64 = 0.9;

/// One network of a service's audience.
#[derive(Debug, Clone)]
pub struct Net {
    pub asn: u32,
    pub org: &'static str,
    pub country: &'static str,
    /// Share of the service's ordinary reports.
    pub share: f64,
}

const fn net(asn: u32, org: &'static str, country: &'static str, share: f64) -> Net {
    Net {
        asn,
        org,
        country,
        share,
    }
}

/// The audience of a worldwide service (8% on networks too small to list).
pub fn worldwide() -> Vec<Net> {
    vec![
        net(7922, "Comcast", "US", 0.12),
        net(7018, "AT&T", "US", 0.10),
        net(701, "Verizon", "US", 0.08),
        net(2856, "BT", "GB", 0.06),
        net(5089, "Virgin Media", "GB", 0.04),
        net(3320, "Deutsche Telekom", "DE", 0.08),
        net(3209, "Vodafone", "DE", 0.04),
        net(3269, "Telecom Italia", "IT", 0.05),
        net(30722, "Vodafone Italia", "IT", 0.03),
        net(3215, "Orange", "FR", 0.06),
        net(12322, "Free", "FR", 0.04),
        net(28573, "Claro", "BR", 0.06),
        net(55836, "Reliance Jio", "IN", 0.10),
        net(45609, "Bharti Airtel", "IN", 0.06),
    ]
}

/// The audience of an Italian national service.
pub fn italian() -> Vec<Net> {
    vec![
        net(3269, "Telecom Italia", "IT", 0.35),
        net(30722, "Vodafone Italia", "IT", 0.25),
        net(1267, "WindTre", "IT", 0.20),
        net(12874, "Fastweb", "IT", 0.12),
    ]
}

/// A simulated service.
#[derive(Debug, Clone)]
pub struct Service {
    pub slug: String,
    /// Ordinary reports per minute.
    pub base: f64,
    pub nets: Vec<Net>,
    pub home: Option<&'static str>,
    pub depends_on: Vec<String>,
}

/// Extra reports on some services: a failure, or an ordinary viral burst.
#[derive(Debug, Clone)]
pub struct Surge {
    pub services: Vec<usize>,
    /// Minute it starts on its first service.
    pub start: i64,
    /// Each service starts up to this many minutes later.
    pub spread: i64,
    /// Minutes from start to peak.
    pub rise: i64,
    /// Extra reports at the peak, in multiples of the ordinary level (±30% by service).
    pub peak: f64,
    pub minutes: i64,
    /// The network that carries most of the extra reports (an ISP outage).
    pub isp: Option<u32>,
}

/// A world and the minutes it runs.
#[derive(Debug, Clone)]
pub struct World {
    pub start: DateTime<Utc>,
    pub services: Vec<Service>,
    pub surges: Vec<Surge>,
    pub minutes: i64,
    pub seed: u64,
}

/// An incident the detector opened.
#[derive(Debug, Clone)]
pub struct Incident {
    pub service: usize,
    pub id: i64,
    pub onset: DateTime<Utc>,
}

/// What a run did.
#[derive(Debug, Default)]
pub struct Run {
    pub incidents: Vec<Incident>,
    pub changes: Vec<(DateTime<Utc>, EventChange)>,
}

impl Run {
    /// Events as they opened, with the tick that opened them.
    pub fn opened(&self) -> Vec<(DateTime<Utc>, &OutageEvent)> {
        self.changes
            .iter()
            .filter_map(|(at, c)| match c {
                EventChange::Opened { event } => Some((*at, event)),
                _ => None,
            })
            .collect()
    }

    /// Each event as its last change left it, by id.
    pub fn last_state(&self) -> BTreeMap<i64, &OutageEvent> {
        self.changes
            .iter()
            .map(|(_, c)| (c.event().id, c.event()))
            .collect()
    }

    /// The incidents of `services` that opened in `[from, to)` minutes of the world.
    pub fn incidents_of(&self, services: &[usize]) -> Vec<&Incident> {
        self.incidents
            .iter()
            .filter(|i| services.contains(&i.service))
            .collect()
    }
}

/// One surge on one service.
struct Effect {
    start: i64,
    rise: i64,
    peak: f64,
    end: i64,
    isp: Option<u32>,
}

impl Effect {
    fn extra(&self, m: i64) -> f64 {
        if m < self.start || m >= self.end {
            0.0
        } else if m < self.start + self.rise {
            self.peak * (m - self.start + 1) as f64 / self.rise.max(1) as f64
        } else {
            self.peak
        }
    }
}

/// One service as the run goes.
#[derive(Default)]
struct Live {
    tracker: Tracker,
    observed: Vec<f64>,
    isp_extra: Vec<f64>,
    isp: Option<u32>,
    effects: Vec<Effect>,
    incident: Option<(i64, DateTime<Utc>)>,
}

impl World {
    /// The minute `m` of the world (its start).
    pub fn minute(&self, m: i64) -> DateTime<Utc> {
        self.start + TimeDelta::minutes(m)
    }

    /// Runs the world, calling `grouper` every minute once 30 minutes of series exist.
    pub fn run(&self, grouper: &mut Grouper) -> Run {
        let mut rng = StdRng::seed_from_u64(self.seed);
        let cfg = DetectConfig::default();
        let mut live: Vec<Live> = self.services.iter().map(|_| Live::default()).collect();
        for s in &self.surges {
            for &i in &s.services {
                let start = s.start + rng.random_range(0..=s.spread);
                live[i].isp = live[i].isp.or(s.isp);
                live[i].effects.push(Effect {
                    start,
                    rise: s.rise,
                    peak: s.peak * rng.random_range(0.7..1.3),
                    end: start + s.minutes,
                    isp: s.isp,
                });
            }
        }
        let gamma = Gamma::new(1.0 / ALPHA, ALPHA).ok();
        let mut run = Run::default();
        let mut next_id = 1000;
        for m in 0..self.minutes {
            let at = self.minute(m + 1);
            let mut candidates = Vec::new();
            for (i, (svc, l)) in self.services.iter().zip(live.iter_mut()).enumerate() {
                let noise = gamma.as_ref().map_or(1.0, |g| g.sample(&mut rng));
                let normal = poisson(&mut rng, svc.base * noise);
                let mut extra = 0.0;
                let mut isp = 0.0;
                for e in &l.effects {
                    let n = poisson(&mut rng, svc.base * e.extra(m));
                    extra += n;
                    if e.isp.is_some() {
                        isp += (n * ISP_SHARE).round();
                    }
                }
                l.observed.push(normal + extra);
                l.isp_extra.push(isp);
                if l.observed.len() < WINDOW {
                    continue;
                }
                let window: f64 = l.observed[l.observed.len() - WINDOW..].iter().sum();
                let s = score(window, svc.base * WINDOW as f64, cfg.dispersion_prior, &cfg);
                l.tracker.step(at, &s, &cfg);
                match (l.tracker.state, l.incident) {
                    (State::Ok, Some(_)) => l.incident = None,
                    (State::Ok, None) | (_, Some(_)) => {}
                    (_, None) => {
                        next_id += 1;
                        l.incident = Some((next_id, at));
                        run.incidents.push(Incident {
                            service: i,
                            id: next_id,
                            onset: at,
                        });
                    }
                }
                if l.observed.len() >= SERIES {
                    if let Some((id, onset)) = l.incident {
                        candidates.push(self.candidate(svc, l, id, onset, m));
                    }
                }
            }
            if m + 1 >= SERIES as i64 {
                for change in grouper.observe(at, self.services.len(), &candidates) {
                    run.changes.push((at, change));
                }
            }
        }
        run
    }

    /// What the tick would tell the grouper about a service in incident at minute `m`.
    fn candidate(
        &self,
        svc: &Service,
        l: &Live,
        id: i64,
        onset: DateTime<Utc>,
        m: i64,
    ) -> Candidate {
        let n = l.observed.len();
        let recent = &l.observed[n - SHARES..];
        let isp: f64 = l.isp_extra[n - SHARES..].iter().sum();
        let total: f64 = recent.iter().sum::<f64>().max(1.0);
        let mixed = total - isp;
        let count = |net: &Net| mixed * net.share + if l.isp == Some(net.asn) { isp } else { 0.0 };
        let network = svc
            .nets
            .iter()
            .max_by(|a, b| count(a).total_cmp(&count(b)))
            .map(|net| NetworkShare {
                asn: net.asn,
                org: net.org.to_owned(),
                country: Some(net.country.to_owned()),
                share: count(net) / total,
            });
        let mut by_country: BTreeMap<&str, f64> = BTreeMap::new();
        for net in &svc.nets {
            *by_country.entry(net.country).or_default() += count(net) / total;
        }
        let mut countries: Vec<CountryShare> = by_country
            .into_iter()
            .map(|(code, share)| CountryShare {
                code: code.to_owned(),
                share,
            })
            .collect();
        countries.sort_by(|a, b| b.share.total_cmp(&a.share));
        countries.truncate(3);
        Candidate {
            service: svc.slug.clone(),
            incident_id: id,
            onset,
            severity: if l.tracker.state == State::Problems {
                Severity::Problems
            } else {
                Severity::PossibleProblems
            },
            series: MinuteSeries {
                start: self.minute(m + 1 - SERIES as i64),
                observed: l.observed[n - SERIES..].to_vec(),
                expected: vec![svc.base; SERIES],
            },
            depends_on: svc.depends_on.clone(),
            network,
            countries,
            home_country: svc.home.map(str::to_owned),
        }
    }
}

fn poisson(rng: &mut StdRng, mean: f64) -> f64 {
    if mean <= 0.0 {
        return 0.0;
    }
    Poisson::new(mean).map_or(0.0, |p| p.sample(rng))
}

/// A Monday noon in December 2026.
pub fn noon() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 7, 12, 0, 0)
        .single()
        .expect("a valid time")
}
