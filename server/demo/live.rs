//! Live traffic through the real ingestion path: every second, the reports due at each
//! service's current rhythm (× `--speed`) plus those of the scripted outages under way, each
//! posted to the demo's own `POST /api/v1/reports` from its own address (`X-Forwarded-For`,
//! believed because the demo server trusts its loopback peer).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use tokio::sync::{mpsc, watch};
use tracing::debug;

use super::client::Client;
use super::outages::{self, Outage, CYCLE_MINUTES};
use super::population::Population;
use super::rhythm::Rng;
use super::traffic::{Draft, Traffic};

/// Connections posting reports in parallel.
const WORKERS: usize = 4;
/// Reports waiting per connection before new ones are dropped (the server is too slow).
const QUEUE_PER_WORKER: usize = 500;
/// How often a summary line is printed.
const SUMMARY_EVERY: TimeDelta = TimeDelta::minutes(5);

const USER_AGENTS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0",
];

/// Where demo reporters use the services: `(platform, weight)`.
const PLATFORMS: &[(&str, f64)] = &[
    ("web", 0.35),
    ("ios", 0.25),
    ("android", 0.25),
    ("desktop-app", 0.07),
    ("smart-tv", 0.04),
    ("console", 0.02),
    ("other", 0.02),
];

/// A demo reporter's platform: 80 % name one, as [`PLATFORMS`] weighs them.
pub(super) fn platform(rng: &mut Rng) -> Option<&'static str> {
    rng.chance(0.8).then(|| {
        let mut pick = rng.unit();
        PLATFORMS
            .iter()
            .find(|(_, w)| {
                pick -= w;
                pick < 0.0
            })
            .map_or("other", |(p, _)| *p)
    })
}

/// What demo reporters' screens say, most common first (some written differently, to be
/// grouped by the normalisation; one with a phone number, which is never shown).
const MESSAGES: &[&str] = &[
    "Something went wrong",
    "Something went wrong.",
    "SOMETHING WENT WRONG",
    "Network error",
    "Error 503 Service Unavailable",
    "Too many requests in 1 hour. Try again later.",
    "Connection timed out",
    "Call support at +1 555 010 9999",
];

/// A demo reporter's optional platform and message: most name a platform, some say what
/// their screen said.
fn what_they_saw(rng: &mut Rng) -> (Option<&'static str>, Option<&'static str>) {
    let platform = platform(rng);
    // Earlier messages are likelier: the first of a uniform pair.
    let message = rng.chance(0.3).then(|| {
        let a = rng.below(MESSAGES.len() as u64);
        let b = rng.below(MESSAGES.len() as u64);
        MESSAGES[a.min(b) as usize]
    });
    (platform, message)
}

/// How the live traffic runs.
#[derive(Debug, Clone)]
pub struct LiveOptions {
    /// The demo server.
    pub target: SocketAddr,
    /// Multiplies every rate; the scripted outages come this many times sooner and shorter.
    pub speed: f64,
    pub seed: u64,
}

/// What the live traffic did so far.
#[derive(Debug, Default)]
pub struct LiveStats {
    pub sent: AtomicU64,
    /// Answered 202.
    pub accepted: AtomicU64,
    /// Answered anything else.
    pub refused: AtomicU64,
    /// Not answered.
    pub failed: AtomicU64,
    /// Not sent: the connections were busy.
    pub dropped: AtomicU64,
}

struct Job {
    body: String,
    ip: String,
    user_agent: &'static str,
}

/// Posts reports until `stop` turns true; returns the totals.
pub async fn run(
    pop: Population,
    opts: LiveOptions,
    mut stop: watch::Receiver<bool>,
) -> Arc<LiveStats> {
    let stats = Arc::new(LiveStats::default());
    let mut senders = Vec::with_capacity(WORKERS);
    let mut workers = Vec::with_capacity(WORKERS);
    for _ in 0..WORKERS {
        let (tx, rx) = mpsc::channel(QUEUE_PER_WORKER);
        senders.push(tx);
        workers.push(tokio::spawn(post(opts.target, rx, stats.clone())));
    }
    let traffic = Traffic::new(&pop, opts.seed, 1.0, opts.speed);
    let mut rng = Rng::derive(opts.seed, 2);
    let t0 = Utc::now();
    let cycle = outages::span(CYCLE_MINUTES, opts.speed);
    let mut next_cycle = 0;
    let mut schedule: Vec<(Outage, bool)> = Vec::new();
    let mut drafts: Vec<Draft> = Vec::new();
    let mut last = t0;
    let mut next_worker = 0;
    let mut summary_at = t0 + SUMMARY_EVERY;
    let mut sent_at_summary = 0;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => {}
        }
        if *stop.borrow() {
            break;
        }
        let now = Utc::now();
        while t0 + cycle * next_cycle <= now {
            let planned = outages::live_cycle(&pop, t0, opts.speed, i64::from(next_cycle));
            schedule.extend(planned.into_iter().map(|o| (o, false)));
            next_cycle += 1;
        }
        announce(&mut schedule, now);
        let under_way: Vec<Outage> = schedule
            .iter()
            .filter(|(_, started)| *started)
            .map(|(o, _)| o.clone())
            .collect();
        let dt = (now - last).min(TimeDelta::seconds(5));
        drafts.clear();
        traffic.draw(last, dt, &under_way, &mut rng, &mut drafts);
        last = now;
        for d in drafts.drain(..) {
            let mut body = serde_json::json!({
                "service": pop.services[d.service].slug,
                "symptoms": d.symptoms,
            });
            let (platform, message) = what_they_saw(&mut rng);
            if let Some(p) = platform {
                body["platform"] = p.into();
            }
            if let Some(m) = message {
                body["message"] = m.into();
            }
            let job = Job {
                body: body.to_string(),
                ip: d.ip.to_string(),
                user_agent: USER_AGENTS[rng.below(USER_AGENTS.len() as u64) as usize],
            };
            let counter = match senders[next_worker % WORKERS].try_send(job) {
                Ok(()) => &stats.sent,
                Err(_) => &stats.dropped,
            };
            counter.fetch_add(1, Ordering::Relaxed);
            next_worker += 1;
        }
        if now >= summary_at {
            let sent = stats.sent.load(Ordering::Relaxed);
            eprintln!(
                "{} live: {} reports in the last {} minutes ({} sent in all: {} accepted, {} refused, {} failed)",
                clock(now),
                sent - sent_at_summary,
                SUMMARY_EVERY.num_minutes(),
                sent,
                stats.accepted.load(Ordering::Relaxed),
                stats.refused.load(Ordering::Relaxed),
                stats.failed.load(Ordering::Relaxed),
            );
            sent_at_summary = sent;
            summary_at += SUMMARY_EVERY;
        }
    }
    // Let the reports already queued go out, briefly, then give up on them.
    drop(senders);
    for worker in workers {
        let abort = worker.abort_handle();
        if tokio::time::timeout(Duration::from_secs(2), worker)
            .await
            .is_err()
        {
            abort.abort();
        }
    }
    stats
}

/// Prints a line when a scripted outage starts or ends, and forgets the ended ones.
fn announce(schedule: &mut Vec<(Outage, bool)>, now: DateTime<Utc>) {
    for (outage, started) in schedule.iter_mut() {
        if !*started && outage.start <= now {
            *started = true;
            eprintln!(
                "{} outage started: {} — {}",
                clock(now),
                outage.title,
                outage.detail
            );
        }
    }
    schedule.retain(|(outage, _)| {
        let over = outage.end <= now;
        if over {
            eprintln!("{} outage over: {}", clock(now), outage.title);
        }
        !over
    });
}

fn clock(t: DateTime<Utc>) -> String {
    t.format("%H:%M:%S UTC").to_string()
}

/// One connection's worth of posting.
async fn post(target: SocketAddr, mut jobs: mpsc::Receiver<Job>, stats: Arc<LiveStats>) {
    let mut client = Client::new(target);
    while let Some(job) = jobs.recv().await {
        let headers = [
            ("Content-Type", "application/json"),
            ("X-Forwarded-For", job.ip.as_str()),
            ("User-Agent", job.user_agent),
        ];
        match client
            .request("POST", "/api/v1/reports", &headers, job.body.as_bytes())
            .await
        {
            Ok(r) if r.status == 202 => {
                stats.accepted.fetch_add(1, Ordering::Relaxed);
            }
            Ok(r) => {
                stats.refused.fetch_add(1, Ordering::Relaxed);
                debug!(status = r.status, body = %String::from_utf8_lossy(&r.body), "demo report refused");
            }
            Err(e) => {
                stats.failed.fetch_add(1, Ordering::Relaxed);
                debug!(error = %e, "demo report not sent");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
}
