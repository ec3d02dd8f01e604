//! Answers built once and served to everyone: on an outage day thousands of readers a second
//! ask for the same home page, service page, status and series, and every one of them would
//! get the same bytes. [`ReadCache`] keeps each answer, compressed once, its `ETag` computed
//! once, for as long as its inputs have not changed:
//!
//! - a **generation** that [`watch`] bumps when the detector leader finishes a tick (seen in
//!   the status board's tick counter, on every node), on any live event, when the minute
//!   turns and when this node reloads its catalog: what was built before is out of date;
//! - and at most [`ReadCache::max_age`] (a few seconds), which bounds how far the counts of
//!   the current minute can lag behind the reports that arrive between ticks.
//!
//! An answer out of date is rebuilt by the first reader who finds it so, while the others
//! keep getting the previous one for the moment that takes: on an outage day a rebuild of a
//! busy service's page never makes thousands of readers wait (stale while revalidate).
//! Nothing served is older than twice the max age: readers who find an answer older than
//! that wait for the rebuild under way rather than serve it, and never build it again
//! themselves (a page read after a quiet spell would otherwise be built by every reader
//! arriving during its build: a stampede on the database). Likewise a key never built is
//! built once, however many readers ask at the same time. Only `200` answers are kept.

use std::future::Future;
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::body::{self, MessageBody};
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::HttpResponse;
use sha2::{Digest, Sha256};
use tokio::sync::broadcast::error::RecvError;
use tracing::debug;

use crate::metrics::metrics;
use crate::store::StatusBoard;

/// Bodies smaller than this are not worth compressing.
const MIN_GZIP: usize = 512;
/// Answers kept per node at most (every service page in six languages fits many times).
const MAX_ENTRIES: u64 = 20_000;
/// An answer nobody asked for in this long is dropped.
const IDLE: Duration = Duration::from_secs(600);
/// How often a node asks the status board whether the leader ticked.
const POLL: Duration = Duration::from_secs(1);

/// What an answer depends on besides the generation: its route and the parts of the request
/// that change it (slug, language, parsed parameters).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReadKey {
    pub route: &'static str,
    pub parts: String,
}

impl ReadKey {
    pub fn new(route: &'static str, parts: impl Into<String>) -> Self {
        Self {
            route,
            parts: parts.into(),
        }
    }
}

/// One built answer: the status, the headers that describe the body, the body as is and
/// gzipped, and its strong validator.
#[derive(Debug)]
pub struct Rendered {
    pub status: StatusCode,
    /// `Content-Type`, `Content-Disposition`, … as the handler set them (no cookie).
    pub headers: HeaderMap,
    pub body: Bytes,
    pub gzip: Option<Bytes>,
    /// `W/"…"`, a digest of the body.
    pub etag: HeaderValue,
    pub built: Instant,
}

impl Rendered {
    /// Takes a handler's answer apart: its body is read whole (answers worth keeping are
    /// small, finished documents).
    pub async fn from_response(res: HttpResponse) -> Self {
        let status = res.status();
        // Everything that describes the answer, never a cookie meant for one reader.
        let mut headers = res.headers().clone();
        headers.remove(header::SET_COOKIE);
        let body = body::to_bytes(res.into_body().boxed())
            .await
            .unwrap_or_default();
        Self::new(status, headers, body)
    }

    pub fn new(status: StatusCode, headers: HeaderMap, body: Bytes) -> Self {
        let etag = etag_of(&body);
        let gzip = (status == StatusCode::OK && body.len() >= MIN_GZIP)
            .then(|| gzip(&body))
            .flatten();
        Self {
            status,
            headers,
            body,
            gzip,
            etag,
            built: Instant::now(),
        }
    }

    /// The same answer again (for the readers of an error, which is not kept).
    fn copy(&self) -> Self {
        Self::new(self.status, self.headers.clone(), self.body.clone())
    }

    /// Seconds since it was built (the `Age` a cache in front adds to its own).
    pub fn age_secs(&self) -> u64 {
        self.built.elapsed().as_secs()
    }
}

/// The weak validator of a body: `W/"…"`, 12 bytes of its SHA-256 in hex (the same for the
/// read cache and for the API answers the caching middleware tags).
pub fn etag_of(body: &[u8]) -> HeaderValue {
    let digest = Sha256::digest(body);
    // Hex digits between quotes: always a valid header value.
    HeaderValue::from_str(&format!("W/\"{}\"", hex::encode(&digest[..12])))
        .unwrap_or_else(|_| HeaderValue::from_static("W/\"x\""))
}

fn gzip(body: &[u8]) -> Option<Bytes> {
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(body.len() / 4),
        flate2::Compression::default(),
    );
    encoder.write_all(body).ok()?;
    encoder.finish().ok().map(Bytes::from)
}

/// One kept answer and what it was built from.
struct Entry {
    rendered: Arc<Rendered>,
    generation: u64,
    /// A reader is building its successor: the others keep getting this one meanwhile.
    rebuilding: AtomicBool,
    /// Wakes the readers waiting for that successor (when this one is too old to show).
    rebuilt: tokio::sync::Notify,
}

/// Clears an entry's `rebuilding` when its builder finishes or gives up (a reader that
/// disconnects drops the build half-way): another reader then takes over.
struct Rebuilding<'a>(&'a Entry);

impl Drop for Rebuilding<'_> {
    fn drop(&mut self) {
        self.0.rebuilding.store(false, Ordering::Release);
        self.0.rebuilt.notify_waiters();
    }
}

/// The answers this node keeps; see the module's documentation.
pub struct ReadCache {
    entries: moka::future::Cache<ReadKey, Arc<Entry>>,
    generation: AtomicU64,
    max_age: Duration,
}

impl ReadCache {
    /// `max_age` zero keeps nothing: every answer is built for its reader.
    pub fn new(max_age: Duration) -> Self {
        Self {
            entries: moka::future::Cache::builder()
                .max_capacity(MAX_ENTRIES)
                .time_to_idle(IDLE)
                .build(),
            generation: AtomicU64::new(0),
            max_age,
        }
    }

    /// How long an answer is kept at most.
    pub fn max_age(&self) -> Duration {
        self.max_age
    }

    /// Everything kept so far is out of date: the next reader of each key rebuilds it.
    pub fn bump(&self) {
        self.generation.fetch_add(1, Ordering::Relaxed);
    }

    /// The answer for `key`: kept, or built by `build`.
    ///
    /// - A key never built is built once however many readers ask at the same time.
    /// - An answer out of date (a new generation, or older than the max age) is rebuilt by
    ///   the first reader who finds it so; the readers arriving meanwhile get the one
    ///   before, so that nobody waits for a rebuild but its builder.
    /// - An answer other than `200` is given to its readers and not kept.
    pub async fn get_or_build<Fut>(&self, key: ReadKey, build: Fut) -> Arc<Rendered>
    where
        Fut: Future<Output = HttpResponse>,
    {
        let counter = &metrics().read_cache;
        if self.max_age.is_zero() {
            counter.with_label_values(&["off"]).inc();
            return Arc::new(Rendered::from_response(build.await).await);
        }
        let generation = self.generation.load(Ordering::Relaxed);
        loop {
            let Some(entry) = self.entries.get(&key).await else {
                let built = AtomicBool::new(false);
                let result = self
                    .entries
                    .try_get_with(key, async {
                        built.store(true, Ordering::Relaxed);
                        let rendered = Rendered::from_response(build.await).await;
                        kept(rendered, generation)
                    })
                    .await;
                let outcome = if built.load(Ordering::Relaxed) {
                    "built"
                } else {
                    "kept"
                };
                counter.with_label_values(&[outcome]).inc();
                return match result {
                    Ok(entry) => entry.rendered.clone(),
                    Err(error) => Arc::new(error.copy()),
                };
            };
            let age = entry.rendered.built.elapsed();
            if entry.generation == generation && age < self.max_age {
                counter.with_label_values(&["kept"]).inc();
                return entry.rendered.clone();
            }
            if entry.rebuilding.swap(true, Ordering::AcqRel) {
                // Someone rebuilds it. The one before will do meanwhile...
                if age < self.max_age * 2 {
                    counter.with_label_values(&["stale"]).inc();
                    return entry.rendered.clone();
                }
                // ...unless nobody asked for it for so long that it is too old to show: then
                // wait for that rebuild (not build again: on an outage day hundreds of
                // readers would), and look again.
                let rebuilt = entry.rebuilt.notified();
                tokio::pin!(rebuilt);
                rebuilt.as_mut().enable();
                if entry.rebuilding.load(Ordering::Acquire) {
                    counter.with_label_values(&["waited"]).inc();
                    rebuilt.await;
                }
                continue;
            }
            let _rebuilding = Rebuilding(&entry);
            counter.with_label_values(&["built"]).inc();
            let rendered = Rendered::from_response(build.await).await;
            return match kept(rendered, generation) {
                Ok(successor) => {
                    let rendered = successor.rendered.clone();
                    self.entries.insert(key, successor).await;
                    rendered
                }
                // An error now: this reader gets it; the next one tries again.
                Err(error) => Arc::new(*error),
            };
        }
    }
}

/// A `200` answer as an entry to keep; anything else as an error not to keep.
fn kept(rendered: Rendered, generation: u64) -> Result<Arc<Entry>, Box<Rendered>> {
    if rendered.status == StatusCode::OK {
        Ok(Arc::new(Entry {
            rendered: Arc::new(rendered),
            generation,
            rebuilding: AtomicBool::new(false),
            rebuilt: tokio::sync::Notify::new(),
        }))
    } else {
        Err(Box::new(rendered))
    }
}

/// Bumps `cache`'s generation whenever what answers are built from changes: the leader's
/// tick (polled on the status board every second), a live event, a new minute. Runs until
/// aborted.
pub async fn watch(
    cache: Arc<ReadCache>,
    board: Arc<dyn StatusBoard>,
    events: tokio::sync::broadcast::Receiver<(String, crate::store::LiveEvent)>,
) {
    let mut events = Some(events);
    let mut ticks = None;
    let mut minute = chrono::Utc::now().timestamp() / 60;
    let mut poll = tokio::time::interval(POLL);
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = poll.tick() => {
                let now = chrono::Utc::now().timestamp() / 60;
                let seen = match board.tick_count().await {
                    Ok(seen) => Some(seen),
                    Err(err) => {
                        debug!(%err, "cannot read the detector's tick count");
                        None
                    }
                };
                if now != minute || (seen.is_some() && seen != ticks) {
                    minute = now;
                    ticks = seen.or(ticks);
                    cache.bump();
                }
            }
            event = next_event(&mut events) => match event {
                Ok(_) | Err(RecvError::Lagged(_)) => cache.bump(),
                // No more events on this node: the poll alone keeps answers fresh.
                Err(RecvError::Closed) => events = None,
            },
        }
    }
}

async fn next_event(
    events: &mut Option<tokio::sync::broadcast::Receiver<(String, crate::store::LiveEvent)>>,
) -> Result<(String, crate::store::LiveEvent), RecvError> {
    match events {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests;
