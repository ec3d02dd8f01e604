//! Every background job a Downwatch process runs, in one list ([`spawn`]).
//!
//! On every node:
//! - **bucket repair** ([`reconcile::run`]): notes minute buckets the hot store missed or lost
//!   and rebuilds them from the report log;
//! - **catalog refresh** ([`refresh_catalog`]): picks up services changed through other nodes;
//! - **webhook delivery** ([`crate::webhooks::run`]): the store hands each delivery to one node
//!   at a time;
//! - **report upkeep** ([`maintain_reports`]): the coming days' partitions and the retention
//!   of raw reports, whichever the backend needs.
//!
//! - **official status polling** ([`crate::corroborate::poll::run`], when
//!   `DOWNWATCH_STATUS_POLL` is set): every node runs it, the one holding the poller lease
//!   polls.
//!
//! Only while this node leads the detector ([`leader::run`] campaigns on every node and runs
//! these once elected): the **rollups** of the report log, then the **detector tick**, every
//! minute.
//!
//! The live event hub that feeds server-sent events is started with the HTTP state
//! ([`crate::app::EventHub::start`]), since it lives as long as the handlers reading it.

use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use tokio::task::JoinHandle;
use tracing::{info, warn};

use crate::catalog::CatalogCache;
use crate::config::Config;
use crate::detect::leader;
use crate::ingest::reconcile;
use crate::store::{Expired, ReportLog, Stores};

/// How often a node reloads the catalog from its store.
const CATALOG_REFRESH: Duration = Duration::from_secs(30);
/// How often the report partitions and the retention are seen to.
const REPORT_UPKEEP: Duration = Duration::from_secs(3600);

/// Starts every background job `config` asks for; the handles let the caller stop them.
pub fn spawn(config: &Config, stores: &Stores, catalog: Arc<CatalogCache>) -> Vec<JoinHandle<()>> {
    let mut jobs = vec![
        tokio::spawn(reconcile::run(
            stores.log.clone(),
            stores.buckets.clone(),
            config.ingest.repair_every,
            config.ingest.repair_settle,
        )),
        tokio::spawn(refresh_catalog(catalog.clone(), stores.clone())),
        tokio::spawn(crate::webhooks::run(
            stores.webhooks.clone(),
            config.webhooks,
        )),
        tokio::spawn(maintain_reports(
            stores.log.clone(),
            config.ingest.retention_days,
        )),
    ];
    if config.status.enabled {
        jobs.push(tokio::spawn(crate::corroborate::poll::run(
            config.status.clone(),
            catalog.clone(),
            stores.official.clone(),
            stores.incidents.clone(),
            stores.board.clone(),
        )));
    }
    if config.run_detector {
        // Leader only: rollups, then the detector tick, every minute.
        jobs.push(tokio::spawn(leader::run(
            stores.election.clone(),
            config.detect.clone(),
            stores.buckets.clone(),
            stores.rollups.clone(),
            stores.board.clone(),
            catalog,
        )));
    } else {
        info!("detector disabled in this process");
    }
    jobs
}

/// Every 30 s: reloads the in-memory catalog, for changes made through other nodes.
pub async fn refresh_catalog(catalog: Arc<CatalogCache>, stores: Stores) {
    let mut tick = tokio::time::interval(CATALOG_REFRESH);
    tick.tick().await;
    loop {
        tick.tick().await;
        match stores.catalog.list_services().await {
            Ok(services) => catalog.replace(services),
            Err(e) => warn!(error = %e, "could not refresh the catalog"),
        }
    }
}

/// Every hour: makes room for the coming days' reports and removes the raw reports older than
/// `retention_days` whose rollups are verified complete.
pub async fn maintain_reports(log: Arc<dyn ReportLog>, retention_days: i64) {
    let mut tick = tokio::time::interval(REPORT_UPKEEP);
    loop {
        tick.tick().await;
        let today = Utc::now().date_naive();
        if let Err(e) = log.ensure_partitions(today, 3).await {
            warn!(error = %e, "could not make room for the coming days' reports");
        }
        match log
            .expire_reports(today - TimeDelta::days(retention_days))
            .await
        {
            Ok(outcomes) => {
                let kept = outcomes
                    .iter()
                    .filter(|o| matches!(o, Expired::Kept { .. }))
                    .count();
                if kept > 0 {
                    warn!(
                        days = kept,
                        "expired reports kept until their rollups are complete"
                    );
                }
            }
            Err(e) => warn!(error = %e, "could not apply the report retention"),
        }
    }
}
