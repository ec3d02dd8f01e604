//! The names of the networks (autonomous systems) reports come from, as the detector's evidence
//! and outage causes name them ("Telecom Italia"), remembered between ticks: the store is asked
//! only about networks not asked about within the last hour, not once per service per tick.

use std::collections::HashMap;

use chrono::{DateTime, TimeDelta, Utc};

use super::tick::Detector;
use crate::store::StoreError;

/// How long a name (or the lack of one) is kept before the store is asked again.
const KEEP_FOR: TimeDelta = TimeDelta::hours(1);

/// Network names known to the detector, and when each was asked for.
#[derive(Default)]
pub struct NetworkNames {
    names: HashMap<i32, String>,
    asked: HashMap<i32, DateTime<Utc>>,
}

impl Detector {
    /// The names of `asns` that the store knows, asking it about those not asked about within
    /// the last hour.
    pub(super) async fn network_names(
        &mut self,
        asns: impl IntoIterator<Item = i32>,
        now: DateTime<Utc>,
    ) -> Result<HashMap<i32, String>, StoreError> {
        let asns: Vec<i32> = asns.into_iter().collect();
        let mut stale: Vec<i32> = asns
            .iter()
            .copied()
            .filter(|a| {
                self.networks
                    .asked
                    .get(a)
                    .is_none_or(|t| now - *t >= KEEP_FOR)
            })
            .collect();
        stale.sort_unstable();
        stale.dedup();
        if !stale.is_empty() {
            let found = self.store.as_orgs(&stale).await?;
            for a in &stale {
                self.networks.asked.insert(*a, now);
                self.networks.names.remove(a);
            }
            for o in found {
                self.networks.names.insert(o.asn, o.org);
            }
        }
        Ok(asns
            .into_iter()
            .filter_map(|a| self.networks.names.get(&a).map(|n| (a, n.clone())))
            .collect())
    }
}
