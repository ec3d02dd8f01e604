//! Leader election and the detector loop: of all Downwatch processes on one database, the one
//! holding the Postgres advisory lock runs the rollups and the detector every minute; the
//! others wait and take over when its connection (and so its lock) goes away.

use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use tracing::{info, warn};

use super::config::DetectConfig;
use super::tick::Detector;
use crate::catalog::CatalogCache;
use crate::store::{minute_of, BucketStore, LeaderElection, RollupStore, StatusBoard};

/// How often a follower tries to become the leader.
const CAMPAIGN_EVERY: Duration = Duration::from_secs(5);

/// Runs forever: campaign, then lead until the leadership is lost, then campaign again.
pub async fn run(
    election: Arc<dyn LeaderElection>,
    cfg: DetectConfig,
    buckets: Arc<dyn BucketStore>,
    rollups: Arc<dyn RollupStore>,
    board: Arc<dyn StatusBoard>,
    catalog: Arc<CatalogCache>,
) {
    loop {
        match election.campaign().await {
            Ok(Some(session)) => {
                info!("this process is now the detector leader");
                let mut detector = Detector::new(
                    cfg.clone(),
                    session,
                    buckets.clone(),
                    rollups.clone(),
                    board.clone(),
                )
                .with_catalog(catalog.clone());
                lead(&mut detector, rollups.as_ref()).await;
                warn!("detector leadership lost");
            }
            Ok(None) => {}
            Err(e) => warn!(error = %e, "cannot campaign for detector leadership"),
        }
        tokio::time::sleep(CAMPAIGN_EVERY).await;
    }
}

/// Ticks at the start of every minute until the leadership is lost.
async fn lead(detector: &mut Detector, rollups: &dyn RollupStore) {
    if let Err(e) = detector.resume().await {
        warn!(error = %e, "cannot resume detector state");
        return;
    }
    loop {
        let now = Utc::now();
        let next = minute_of(now) + TimeDelta::minutes(1) + TimeDelta::seconds(2);
        let wait = (next - now).to_std().unwrap_or(Duration::from_secs(1));
        tokio::time::sleep(wait).await;
        if !detector.still_leader().await {
            return;
        }
        let now = Utc::now();
        // Reports are committed within seconds of being received; a minute of lag makes
        // sure no straggler lands behind the watermark.
        if let Err(e) = rollups
            .roll_up(minute_of(now) - TimeDelta::minutes(1))
            .await
        {
            warn!(error = %e, "rollup failed");
        }
        let started = std::time::Instant::now();
        match detector.tick(now).await {
            Ok(report) => {
                let m = crate::metrics::metrics();
                m.detector_tick_seconds
                    .observe(started.elapsed().as_secs_f64());
                m.open_incidents.set(detector.open_incidents() as i64);
                info!(
                    services = report.services,
                    series = report.series,
                    opened = report.opened.len(),
                    resolved = report.resolved.len(),
                    tick_ms = started.elapsed().as_millis() as u64,
                    "detector tick"
                );
            }
            Err(e) => {
                crate::metrics::metrics().store_error("detector", "tick");
                warn!(error = %e, "detector tick failed");
                if !detector.still_leader().await {
                    return;
                }
            }
        }
    }
}
