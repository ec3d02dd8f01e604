//! The scripted outages: what each one does to the traffic, and when it happens — in the
//! backfilled history (so the incident list is not empty) and live, on a repeating schedule.

use chrono::{DateTime, TimeDelta, Utc};

use super::population::{allowed_shares, Population};

/// Where an outage's extra reports come from.
#[derive(Debug, Clone, PartialEq)]
pub enum Scope {
    /// From everywhere the service is used, in its usual proportions.
    Global,
    /// From one country; only from these subdivisions (`IT-72`…) when not empty.
    Country {
        iso: &'static str,
        subdivisions: &'static [&'static str],
    },
}

/// What an outage does to one service.
#[derive(Debug, Clone)]
pub struct Effect {
    /// Index of the service in the [`Population`].
    pub service: usize,
    pub scope: Scope,
    /// Reports in the scope are this many times their usual level…
    pub multiplier: f64,
    /// …and at least this many more per minute than usual, so that the outage shows even
    /// on a quiet service or a small demo.
    pub floor_per_minute: f64,
    /// `(AS, share)`: this share of the extra reporters are customers of that AS.
    pub network: Option<(u32, f64)>,
    /// Symptoms of the extra reports, with their shares.
    pub symptoms: Vec<(String, f64)>,
}

/// One scripted outage, at real (wall-clock) times.
#[derive(Debug, Clone)]
pub struct Outage {
    pub title: String,
    /// What to look for, printed when it starts.
    pub detail: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub effects: Vec<Effect>,
}

impl Outage {
    /// How strong the outage is at `t`: 0 outside it; a quick rise, a plateau and a slower
    /// recovery inside.
    pub fn intensity(&self, t: DateTime<Utc>) -> f64 {
        if t < self.start || t >= self.end {
            return 0.0;
        }
        let total = (self.end - self.start).num_milliseconds().max(1) as f64;
        let frac = (t - self.start).num_milliseconds() as f64 / total;
        if frac < 0.06 {
            0.5 + 0.5 * frac / 0.06
        } else if frac > 0.85 {
            1.0 - 0.6 * (frac - 0.85) / 0.15
        } else {
            1.0
        }
    }
}

/// Minutes divided by the demo's speed.
pub fn span(minutes: i64, speed: f64) -> TimeDelta {
    TimeDelta::milliseconds((minutes as f64 * 60_000.0 / speed.max(1e-3)) as i64)
}

/// A chatbot failing worldwide, ×30, for two hours.
pub fn chatbot_worldwide(pop: &Population, start: DateTime<Utc>, speed: f64) -> Option<Outage> {
    let i = pop.index_of("chatgpt")?;
    let s = &pop.services[i];
    Some(Outage {
        title: format!("{} failing worldwide", s.name),
        detail: format!(
            "reports ×30 from every country for about 2 hours, mostly server connection and \
             website: see /api/v1/services/{}/status and /api/v1/incidents",
            s.slug
        ),
        start,
        end: start + span(120, speed),
        effects: vec![Effect {
            service: i,
            scope: Scope::Global,
            multiplier: 30.0,
            floor_per_minute: 20.0,
            network: None,
            symptoms: allowed_shares(
                s,
                &[
                    ("server-connection", 0.35),
                    ("website", 0.25),
                    ("app", 0.2),
                    ("login", 0.15),
                    ("api", 0.05),
                ],
            ),
        }],
    })
}

/// A mobile operator's data network down in three southern Italian regions.
pub fn mobile_regional(pop: &Population, start: DateTime<Utc>, speed: f64) -> Option<Outage> {
    let i = pop.index_of("vodafone-it")?;
    let s = &pop.services[i];
    Some(Outage {
        title: format!("{} mobile data down in southern Italy", s.name),
        detail: format!(
            "Campania, Apulia and Sicily only, mostly mobile data, from customers of AS30722: \
             see /api/v1/services/{}/breakdown?by=subdivision",
            s.slug
        ),
        start,
        end: start + span(60, speed),
        effects: vec![Effect {
            service: i,
            scope: Scope::Country {
                iso: "IT",
                subdivisions: &["IT-72", "IT-75", "IT-82"],
            },
            multiplier: 25.0,
            floor_per_minute: 8.0,
            network: Some((30722, 0.9)),
            symptoms: allowed_shares(
                s,
                &[
                    ("mobile-data", 0.6),
                    ("voice-calls", 0.2),
                    ("sms", 0.1),
                    ("internet", 0.1),
                ],
            ),
        }],
    })
}

/// A broadband outage at Telecom Italia that its customers report as an outage of Netflix,
/// YouTube, WhatsApp and Instagram: one outage event whose likely cause is the network.
pub fn isp_blamed_on_streaming(
    pop: &Population,
    start: DateTime<Utc>,
    speed: f64,
) -> Option<Outage> {
    let i = pop.index_of("netflix")?;
    let s = &pop.services[i];
    let mut effects = vec![Effect {
        service: i,
        scope: Scope::Country {
            iso: "IT",
            subdivisions: &[],
        },
        multiplier: 15.0,
        floor_per_minute: 12.0,
        network: Some((3269, 0.92)),
        symptoms: allowed_shares(
            s,
            &[
                ("video-streaming", 0.6),
                ("app", 0.2),
                ("website", 0.1),
                ("login", 0.1),
            ],
        ),
    }];
    // The same customers blame the other big services they use.
    for (slug, symptoms) in [
        (
            "youtube",
            &[("video-streaming", 0.6), ("app", 0.3), ("website", 0.1)][..],
        ),
        (
            "whatsapp",
            &[("messaging", 0.6), ("app", 0.3), ("voice-calls", 0.1)][..],
        ),
        (
            "instagram",
            &[("app", 0.6), ("website", 0.2), ("login", 0.2)][..],
        ),
    ] {
        if let Some(k) = pop.index_of(slug) {
            effects.push(Effect {
                service: k,
                scope: Scope::Country {
                    iso: "IT",
                    subdivisions: &[],
                },
                multiplier: 15.0,
                floor_per_minute: 10.0,
                network: Some((3269, 0.92)),
                symptoms: allowed_shares(&pop.services[k], symptoms),
            });
        }
    }
    // A few customers blame the right company.
    if let Some(tim) = pop.index_of("tim") {
        effects.push(Effect {
            service: tim,
            scope: Scope::Country {
                iso: "IT",
                subdivisions: &[],
            },
            multiplier: 6.0,
            floor_per_minute: 1.5,
            network: Some((3269, 0.95)),
            symptoms: allowed_shares(
                &pop.services[tim],
                &[("internet", 0.7), ("tv", 0.2), ("website", 0.1)],
            ),
        });
    }
    Some(Outage {
        title: format!("Telecom Italia broadband outage blamed on {}", s.name),
        detail: format!(
            "{} (and YouTube, WhatsApp, Instagram) reports ×15 and more in Italy, almost all \
             from AS3269 Telecom Italia: see /outages, the incident's evidence and \
             /api/v1/services/{}/breakdown?by=asn",
            s.name, s.slug
        ),
        start,
        end: start + span(90, speed),
        effects,
    })
}

/// A messaging app failing worldwide (for the backfilled history).
pub fn messaging_worldwide(pop: &Population, start: DateTime<Utc>) -> Option<Outage> {
    let i = pop.index_of("whatsapp")?;
    let s = &pop.services[i];
    Some(Outage {
        title: format!("{} messages not sending worldwide", s.name),
        detail: String::new(),
        start,
        end: start + TimeDelta::minutes(100),
        effects: vec![Effect {
            service: i,
            scope: Scope::Global,
            multiplier: 20.0,
            floor_per_minute: 15.0,
            network: None,
            symptoms: allowed_shares(
                s,
                &[
                    ("messaging", 0.5),
                    ("app", 0.2),
                    ("voice-calls", 0.15),
                    ("login", 0.1),
                    ("notifications", 0.05),
                ],
            ),
        }],
    })
}

/// The outages of the backfilled history `[from, to)`: a worldwide one 3 days before `to`, a
/// regional one 6 days before and an ISP one 10 days before (relatively as long ago in a
/// history shorter than that).
pub fn past(pop: &Population, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Outage> {
    let history = to - from;
    let at = |days: i64, hour: u32, minute: u32, fallback: f64| {
        let day = (to - TimeDelta::days(days)).date_naive();
        match day.and_hms_opt(hour, minute, 0).map(|t| t.and_utc()) {
            Some(t) if t - from > TimeDelta::hours(12) && to - t > TimeDelta::hours(6) => t,
            _ => to - TimeDelta::seconds((history.num_seconds() as f64 * fallback) as i64),
        }
    };
    [
        isp_blamed_on_streaming(pop, at(10, 19, 30, 0.6), 1.0),
        mobile_regional(pop, at(6, 7, 40, 0.8), 1.0),
        messaging_worldwide(pop, at(3, 14, 20, 0.4)),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Length of the live schedule, which then repeats (at speed 1).
pub const CYCLE_MINUTES: i64 = 6 * 60;

/// The live outages of cycle `k` (0 first) of a demo started at `t0`.
pub fn live_cycle(pop: &Population, t0: DateTime<Utc>, speed: f64, k: i64) -> Vec<Outage> {
    let base = t0 + span(CYCLE_MINUTES * k, speed);
    [
        chatbot_worldwide(pop, base + span(2, speed), speed),
        mobile_regional(pop, base + span(45, speed), speed),
        isp_blamed_on_streaming(pop, base + span(180, speed), speed),
    ]
    .into_iter()
    .flatten()
    .collect()
}
