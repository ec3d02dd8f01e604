//! Who knew first: each Downwatch incident is linked to the official incident that overlaps
//! it, with the **lead time** — the official first post (usually "Investigating") minus
//! Downwatch's "problems" onset, in minutes; positive when the crowd saw it first. And per
//! source, a rolling 90-day [`SourceRecord`]: how often and how fast the official page
//! acknowledged what the crowd saw, and what it posted that the crowd never saw.

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::Severity;
use crate::official::Impact;
use crate::store::{
    IncidentFilter, IncidentLink, IncidentReader, IncidentRecord, OfficialFilter, OfficialIncident,
    OfficialStore, StoreError,
};

/// The window of the record and of linking.
pub const RECORD_DAYS: i64 = 90;
/// An official incident may start this long before Downwatch's incident and still be its.
const SLACK_BEFORE: TimeDelta = TimeDelta::hours(3);
/// … or be posted this long after Downwatch's incident ended.
const SLACK_AFTER: TimeDelta = TimeDelta::hours(1);
/// Most incidents of a service looked at.
const MOST: i64 = 500;

/// Downwatch's "problems" onset: when the incident escalated, else when it opened.
pub fn onset(incident: &IncidentRecord) -> DateTime<Utc> {
    incident.escalated_at.unwrap_or(incident.started_at)
}

/// `first_post − onset` in whole minutes (rounded): positive when the crowd was first.
pub fn lead_minutes(onset: DateTime<Utc>, first_post: DateTime<Utc>) -> i32 {
    let minutes = (first_post - onset).num_seconds() as f64 / 60.0;
    minutes
        .round()
        .clamp(f64::from(i32::MIN), f64::from(i32::MAX)) as i32
}

/// The official incident that overlaps `incident` (at `now`), the one posted nearest its
/// onset; maintenance is never an outage.
pub fn best_match<'a>(
    incident: &IncidentRecord,
    officials: &'a [OfficialIncident],
    now: DateTime<Utc>,
) -> Option<&'a OfficialIncident> {
    let start = incident.started_at - SLACK_BEFORE;
    let end = incident.resolved_at.unwrap_or(now) + SLACK_AFTER;
    let at = onset(incident);
    officials
        .iter()
        .filter(|o| o.service == incident.service && o.impact != Impact::Maintenance)
        .filter(|o| {
            let o_start = o.started_at.min(o.first_posted_at);
            let o_end = o.resolved_at.unwrap_or(now);
            o_start <= end && o_end >= start
        })
        .min_by_key(|o| (o.first_posted_at - at).num_seconds().abs())
}

/// Links `service`'s incidents of the last 90 days (those that reached "problems") to the
/// official incidents that overlap them; returns the links made or changed.
pub async fn link_service(
    incidents: &dyn IncidentReader,
    official: &dyn OfficialStore,
    service: &str,
    now: DateTime<Utc>,
) -> Result<Vec<IncidentLink>, StoreError> {
    let since = now - TimeDelta::days(RECORD_DAYS);
    let crowd = crowd_incidents(incidents, service, since).await?;
    if crowd.is_empty() {
        return Ok(Vec::new());
    }
    let officials = official
        .list_official(&OfficialFilter {
            service: Some(service.to_owned()),
            since: Some(since - SLACK_BEFORE),
            limit: MOST,
        })
        .await?;
    let existing = official
        .list_links(Some(service), since - TimeDelta::days(1))
        .await?;
    let mut made = Vec::new();
    for incident in &crowd {
        let Some(o) = best_match(incident, &officials, now) else {
            continue;
        };
        let link = IncidentLink {
            incident_id: incident.id,
            official_id: o.id,
            service: service.to_owned(),
            onset_at: onset(incident),
            lead_minutes: lead_minutes(onset(incident), o.first_posted_at),
            linked_at: now,
        };
        let same = existing.iter().any(|e| {
            e.incident_id == link.incident_id
                && e.official_id == link.official_id
                && e.lead_minutes == link.lead_minutes
        });
        if !same {
            official.save_link(&link).await?;
            made.push(link);
        }
    }
    Ok(made)
}

/// A source's rolling 90-day record.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SourceRecord {
    /// The window, in days.
    pub days: i64,
    /// Downwatch incidents of the service that reached "problems".
    pub crowd_incidents: usize,
    /// How many of them the official page acknowledged (an overlapping official incident).
    pub acknowledged: usize,
    /// `acknowledged / crowd_incidents`; none without crowd incidents.
    pub acknowledged_share: Option<f64>,
    /// The median lead time of the acknowledged ones, in minutes (positive: the crowd first).
    pub median_lead_minutes: Option<f64>,
    /// Official incidents (not maintenance) no Downwatch incident links to: the crowd never saw them.
    pub official_only: usize,
}

/// `service`'s record over the 90 days before `now`.
pub async fn source_record(
    incidents: &dyn IncidentReader,
    official: &dyn OfficialStore,
    service: &str,
    now: DateTime<Utc>,
) -> Result<SourceRecord, StoreError> {
    let since = now - TimeDelta::days(RECORD_DAYS);
    let crowd = crowd_incidents(incidents, service, since).await?;
    let links = official
        .list_links(Some(service), since - TimeDelta::days(1))
        .await?;
    let mut leads: Vec<i32> = crowd
        .iter()
        .filter_map(|i| links.iter().find(|l| l.incident_id == i.id))
        .map(|l| l.lead_minutes)
        .collect();
    leads.sort_unstable();
    let officials = official
        .list_official(&OfficialFilter {
            service: Some(service.to_owned()),
            since: Some(since),
            limit: MOST,
        })
        .await?;
    let official_only = officials
        .iter()
        .filter(|o| !matches!(o.impact, Impact::Maintenance | Impact::None))
        .filter(|o| o.first_posted_at >= since)
        .filter(|o| !links.iter().any(|l| l.official_id == o.id))
        .count();
    Ok(SourceRecord {
        days: RECORD_DAYS,
        crowd_incidents: crowd.len(),
        acknowledged: leads.len(),
        acknowledged_share: (!crowd.is_empty()).then(|| leads.len() as f64 / crowd.len() as f64),
        median_lead_minutes: median(&leads),
        official_only,
    })
}

fn median(sorted: &[i32]) -> Option<f64> {
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(f64::from(sorted[n / 2])),
        _ => Some((f64::from(sorted[n / 2 - 1]) + f64::from(sorted[n / 2])) / 2.0),
    }
}

async fn crowd_incidents(
    incidents: &dyn IncidentReader,
    service: &str,
    since: DateTime<Utc>,
) -> Result<Vec<IncidentRecord>, StoreError> {
    let all = incidents
        .list_incidents(&IncidentFilter {
            service: Some(service.to_owned()),
            from: Some(since),
            limit: MOST,
            ..IncidentFilter::default()
        })
        .await?;
    Ok(all
        .into_iter()
        .filter(|i| i.severity == Severity::Problems)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lead_time_is_rounded_minutes_positive_when_the_crowd_was_first() {
        let t0: DateTime<Utc> = "2026-12-07T13:04:00Z".parse().expect("time");
        assert_eq!(lead_minutes(t0, t0 + TimeDelta::seconds(8 * 60 + 20)), 8);
        assert_eq!(lead_minutes(t0, t0 - TimeDelta::minutes(5)), -5);
        assert_eq!(median(&[1, 3, 10]), Some(3.0));
        assert_eq!(median(&[1, 3]), Some(2.0));
        assert_eq!(median(&[]), None);
    }
}
