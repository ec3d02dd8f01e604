//! The ingest queue and its group commit: handlers push reports into a bounded queue; a
//! collector forms batches of up to `max_batch` reports (waiting at most `linger` for
//! company) and hands each batch to one of `writers` concurrent committers. A batch is one
//! abuse-gate round trip, one Postgres INSERT, then one Redis pipeline.

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::{mpsc, oneshot, Semaphore};
use tokio::task::JoinHandle;
use tracing::{debug, error, warn};

use super::{Ack, IngestError};
use crate::config::IngestConfig;
use crate::metrics::metrics;
use crate::store::{
    minute_of, AbuseGate, BucketStore, GateCheck, GateLimits, GateOutcome, NewReport, ReportLog,
    ServiceMinute,
};

/// One report waiting in the queue, with what the abuse gate needs to know.
pub struct Pending {
    pub report: NewReport,
    pub check: GateCheck,
}

type Reply = oneshot::Sender<Result<Ack, IngestError>>;

/// The sending side of the queue, held by request handlers.
#[derive(Clone)]
pub struct QueueHandle {
    tx: mpsc::Sender<(Pending, Reply)>,
}

impl QueueHandle {
    /// Queues a report and waits for the commit of its batch. A full queue answers
    /// `Busy` at once instead of growing memory.
    pub async fn submit(&self, pending: Pending) -> Result<Ack, IngestError> {
        let (reply, answer) = oneshot::channel();
        let m = metrics();
        self.tx.try_send((pending, reply)).map_err(|e| {
            m.reports.with_label_values(&["unavailable"]).inc();
            match e {
                mpsc::error::TrySendError::Full(_) => IngestError::Busy,
                mpsc::error::TrySendError::Closed(_) => IngestError::ShuttingDown,
            }
        })?;
        m.queue_depth
            .set((self.tx.max_capacity() - self.tx.capacity()) as i64);
        let result = answer.await.map_err(|_| IngestError::ShuttingDown)?;
        let outcome = match &result {
            Ok(ack) if ack.counted => "counted",
            Ok(_) => "duplicate",
            Err(IngestError::RateLimited { .. }) => "rate_limited",
            Err(_) => "unavailable",
        };
        m.reports.with_label_values(&[outcome]).inc();
        result
    }
}

/// What a committer needs.
#[derive(Clone)]
pub struct Committer {
    pub log: Arc<dyn ReportLog>,
    pub gate: Arc<dyn AbuseGate>,
    pub buckets: Arc<dyn BucketStore>,
    pub limits: GateLimits,
}

/// Starts the collector; it ends, after committing everything queued, once every
/// `QueueHandle` is dropped.
pub fn start(config: IngestConfig, committer: Committer) -> (QueueHandle, JoinHandle<()>) {
    let (tx, rx) = mpsc::channel(config.queue_capacity.max(1));
    let task = tokio::spawn(collect(rx, config, committer));
    (QueueHandle { tx }, task)
}

async fn collect(
    mut rx: mpsc::Receiver<(Pending, Reply)>,
    config: IngestConfig,
    committer: Committer,
) {
    let writers = config.writers.max(1);
    let slots = Arc::new(Semaphore::new(writers));
    let max_batch = config.max_batch.max(1);
    loop {
        let Ok(slot) = slots.clone().acquire_owned().await else {
            break;
        };
        let Some(first) = rx.recv().await else {
            break;
        };
        let mut batch = Vec::with_capacity(max_batch.min(1024));
        batch.push(first);
        let deadline = tokio::time::Instant::now() + config.linger;
        while batch.len() < max_batch {
            match rx.try_recv() {
                Ok(item) => batch.push(item),
                Err(mpsc::error::TryRecvError::Disconnected) => break,
                Err(mpsc::error::TryRecvError::Empty) => {
                    match tokio::time::timeout_at(deadline, rx.recv()).await {
                        Ok(Some(item)) => batch.push(item),
                        Ok(None) | Err(_) => break,
                    }
                }
            }
        }
        let committer = committer.clone();
        tokio::spawn(async move {
            committer.commit(batch).await;
            drop(slot);
        });
    }
    // Queue closed: wait for the batches in flight.
    let _ = slots.acquire_many(writers as u32).await;
    debug!("ingest queue drained");
}

impl Committer {
    /// Commits one batch and answers each of its reports.
    pub async fn commit(&self, batch: Vec<(Pending, Reply)>) {
        let started = Instant::now();
        let mut checks: Vec<GateCheck> = Vec::with_capacity(batch.len());
        let mut waiting: Vec<(NewReport, Reply)> = Vec::with_capacity(batch.len());
        for (pending, reply) in batch {
            checks.push(pending.check);
            waiting.push((pending.report, reply));
        }
        let outcomes = match self.gate.check(&checks, self.limits).await {
            Ok(o) if o.len() == waiting.len() => o,
            Ok(o) => {
                error!(
                    expected = waiting.len(),
                    got = o.len(),
                    "abuse gate answered a wrong count"
                );
                return refuse(waiting, "abuse gate answered a wrong count");
            }
            Err(e) => {
                metrics().store_error("gate", "check");
                warn!(error = %e, size = waiting.len(), "abuse gate unavailable: batch refused");
                return refuse(waiting, &e.to_string());
            }
        };

        let mut reports: Vec<NewReport> = Vec::with_capacity(waiting.len());
        let mut replies: Vec<Reply> = Vec::with_capacity(waiting.len());
        let mut gated: Vec<(GateCheck, GateOutcome)> = Vec::with_capacity(waiting.len());
        for ((check, (mut report, reply)), outcome) in checks.into_iter().zip(waiting).zip(outcomes)
        {
            match outcome {
                GateOutcome::RateLimited { retry_after_secs } => {
                    let _ = reply.send(Err(IngestError::RateLimited { retry_after_secs }));
                }
                GateOutcome::Counted | GateOutcome::Duplicate => {
                    report.counted = outcome == GateOutcome::Counted;
                    gated.push((check, outcome));
                    reports.push(report);
                    replies.push(reply);
                }
            }
        }
        if reports.is_empty() {
            return;
        }

        let ids = match self.log.append(&reports).await {
            Ok(ids) if ids.len() == reports.len() => ids,
            result => {
                let reason = match result {
                    Err(e) => e.to_string(),
                    Ok(_) => "the log returned a wrong number of ids".to_owned(),
                };
                metrics().store_error("log", "append");
                warn!(error = %reason, size = reports.len(), "report log write failed: batch refused");
                if let Err(e) = self.gate.release(&gated).await {
                    warn!(error = %e, "could not release abuse-gate keys of a refused batch");
                }
                for reply in replies {
                    let _ = reply.send(Err(IngestError::Unavailable(reason.clone())));
                }
                return;
            }
        };
        let committed = started.elapsed();
        metrics().batch_size.observe(reports.len() as f64);
        metrics().commit_seconds.observe(committed.as_secs_f64());
        for ((report, reply), id) in reports.iter().zip(replies).zip(ids) {
            let _ = reply.send(Ok(Ack {
                id,
                counted: report.counted,
                service: report.service.clone(),
                symptoms: report.symptoms.clone(),
                country: report.country.clone(),
                subdivision: report.subdivision.clone(),
                platform: report.platform,
                received_at: report.received_at,
            }));
        }

        if let Err(e) = self.buckets.apply(&reports).await {
            metrics().store_error("buckets", "apply");
            let minutes = touched_minutes(&reports);
            warn!(error = %e, minutes = minutes.len(), "bucket update failed: noted for repair");
            if let Err(e) = self.log.note_bucket_repairs(&minutes).await {
                error!(error = %e, "could not note bucket repairs; run rebuild-buckets");
            }
        }
        debug!(
            size = reports.len(),
            commit_ms = committed.as_millis() as u64,
            total_ms = started.elapsed().as_millis() as u64,
            "batch committed"
        );
    }
}

fn refuse(batch: Vec<(NewReport, Reply)>, reason: &str) {
    for (_, reply) in batch {
        let _ = reply.send(Err(IngestError::Unavailable(reason.to_owned())));
    }
}

/// The distinct (service, minute) buckets that counted reports fall in.
pub fn touched_minutes(reports: &[NewReport]) -> Vec<ServiceMinute> {
    let mut minutes: Vec<_> = reports
        .iter()
        .filter(|r| r.counted)
        .map(|r| (r.service.clone(), minute_of(r.received_at)))
        .collect();
    minutes.sort();
    minutes.dedup();
    minutes
        .into_iter()
        .map(|(service, minute)| ServiceMinute { service, minute })
        .collect()
}
