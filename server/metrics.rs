//! Prometheus metrics (`GET /metrics`, text format): requests by route and status, the
//! ingest queue and its group commits, report outcomes, the detector's ticks and open
//! incidents, webhook deliveries, store errors. One process-wide registry: metrics are about the process.

use std::sync::OnceLock;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::HttpResponse;
use prometheus::{
    Encoder, Gauge, Histogram, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, Opts,
    Registry, TextEncoder,
};

/// Every metric Downwatch exports.
pub struct Metrics {
    registry: Registry,
    pub http_requests: IntCounterVec,
    pub http_seconds: HistogramVec,
    /// Reports by outcome: counted, duplicate, rate_limited, invalid, unavailable.
    pub reports: IntCounterVec,
    pub queue_depth: IntGauge,
    pub batch_size: Histogram,
    pub commit_seconds: Histogram,
    pub detector_tick_seconds: Histogram,
    pub open_incidents: IntGauge,
    /// Store errors by store (postgres, redis, …) and operation.
    pub store_errors: IntCounterVec,
    /// Webhook delivery attempts by outcome: delivered, retry (failed, will be retried),
    /// failed (failed, no attempt left).
    pub webhook_deliveries: IntCounterVec,
    /// Cached reads (pages, status, series) by outcome: kept (served as built before),
    /// stale (the one before, while another reader rebuilds it), waited (for a rebuild, the
    /// one before being too old), built, off.
    pub read_cache: IntCounterVec,
    /// With a read replica (`DATABASE_READ_URL`): the read path's Postgres reads by the
    /// server that answered them, `replica` or `primary` (the fallback).
    pub db_reads: IntCounterVec,
    /// With a read replica: how far behind the primary it was at the last check, in seconds
    /// (+Inf until it is first seen caught up).
    pub replica_lag_seconds: Gauge,
}

fn build() -> Result<Metrics, prometheus::Error> {
    let registry = Registry::new_custom(Some("downwatch".into()), None)?;
    let http_requests = IntCounterVec::new(
        Opts::new(
            "http_requests_total",
            "HTTP requests by route, method and status",
        ),
        &["route", "method", "status"],
    )?;
    let http_seconds = HistogramVec::new(
        HistogramOpts::new(
            "http_request_duration_seconds",
            "HTTP request latency by route",
        )
        .buckets(vec![
            0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
        ]),
        &["route"],
    )?;
    let reports = IntCounterVec::new(
        Opts::new("reports_total", "Reports by outcome"),
        &["outcome"],
    )?;
    let queue_depth = IntGauge::new("ingest_queue_depth", "Reports waiting for a commit")?;
    let batch_size = Histogram::with_opts(
        HistogramOpts::new("ingest_batch_size", "Reports per group commit").buckets(vec![
            1.0, 2.0, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2000.0,
        ]),
    )?;
    let commit_seconds = Histogram::with_opts(
        HistogramOpts::new(
            "ingest_commit_seconds",
            "Abuse gate + Postgres commit of one batch",
        )
        .buckets(vec![
            0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
        ]),
    )?;
    let detector_tick_seconds = Histogram::with_opts(
        HistogramOpts::new("detector_tick_seconds", "Duration of one detector tick")
            .buckets(vec![0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0]),
    )?;
    let open_incidents =
        IntGauge::new("open_incidents", "Open incidents (as the leader sees them)")?;
    let store_errors = IntCounterVec::new(
        Opts::new("store_errors_total", "Store errors by store and operation"),
        &["store", "operation"],
    )?;
    let webhook_deliveries = IntCounterVec::new(
        Opts::new(
            "webhook_deliveries_total",
            "Webhook delivery attempts by outcome: delivered, retry, failed",
        ),
        &["outcome"],
    )?;
    let read_cache = IntCounterVec::new(
        Opts::new(
            "read_cache_total",
            "Pages and hot API answers by outcome: kept, stale, waited, built, off",
        ),
        &["outcome"],
    )?;
    let db_reads = IntCounterVec::new(
        Opts::new(
            "db_reads_total",
            "Read-path Postgres reads by the server that answered: replica or primary",
        ),
        &["target"],
    )?;
    let replica_lag_seconds = Gauge::new(
        "read_replica_lag_seconds",
        "How far the read replica was behind the primary at the last check",
    )?;
    registry.register(Box::new(http_requests.clone()))?;
    registry.register(Box::new(http_seconds.clone()))?;
    registry.register(Box::new(reports.clone()))?;
    registry.register(Box::new(queue_depth.clone()))?;
    registry.register(Box::new(batch_size.clone()))?;
    registry.register(Box::new(commit_seconds.clone()))?;
    registry.register(Box::new(detector_tick_seconds.clone()))?;
    registry.register(Box::new(open_incidents.clone()))?;
    registry.register(Box::new(store_errors.clone()))?;
    registry.register(Box::new(webhook_deliveries.clone()))?;
    registry.register(Box::new(read_cache.clone()))?;
    registry.register(Box::new(db_reads.clone()))?;
    registry.register(Box::new(replica_lag_seconds.clone()))?;
    Ok(Metrics {
        registry,
        http_requests,
        http_seconds,
        reports,
        queue_depth,
        batch_size,
        commit_seconds,
        detector_tick_seconds,
        open_incidents,
        store_errors,
        webhook_deliveries,
        read_cache,
        db_reads,
        replica_lag_seconds,
    })
}

/// The process's metrics.
pub fn metrics() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    // The names above are constants: building them cannot fail at run time.
    METRICS.get_or_init(|| build().unwrap_or_else(|e| unreachable!("metric definitions: {e}")))
}

impl Metrics {
    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut out);
        String::from_utf8(out).unwrap_or_default()
    }

    /// Counts a store error.
    pub fn store_error(&self, store: &str, operation: &str) {
        self.store_errors
            .with_label_values(&[store, operation])
            .inc();
    }
}

/// `GET /metrics`
pub async fn export() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(metrics().render())
}

/// Counts every request by its route pattern (never the raw path: no unbounded labels).
pub async fn count_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let route = req
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = req.method().as_str().to_owned();
    let res = next.call(req).await?;
    let m = metrics();
    m.http_requests
        .with_label_values(&[&route, &method, res.status().as_str()])
        .inc();
    m.http_seconds
        .with_label_values(&[&route])
        .observe(started.elapsed().as_secs_f64());
    Ok(res)
}
