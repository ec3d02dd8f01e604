//! What the official page says now, as the service page, the home page and the API show it:
//! an [`OfficialView`] whose [`OfficialState`] is never "operational" for a source that fails
//! or has not been heard from lately.

use crate::catalog::StatusSource;
pub use crate::official::OfficialState;
use crate::official::{Component, ComponentStatus, Impact, Indicator};
use crate::store::{IncidentLink, OfficialFilter, OfficialIncident, OfficialStore, StoreError};
use chrono::{DateTime, TimeDelta, Utc};

/// A source whose last poll is older than this is shown as unavailable (polling stopped).
pub const STALE_AFTER: TimeDelta = TimeDelta::minutes(30);

/// A service's official status now.
#[derive(Debug, Clone, PartialEq)]
pub struct OfficialView {
    pub source: StatusSource,
    pub state: OfficialState,
    pub indicator: Option<Indicator>,
    pub checked_at: Option<DateTime<Utc>>,
    pub ok_at: Option<DateTime<Utc>>,
    /// Since when the source has been failing (or, when it went stale, its last good poll).
    pub unavailable_since: Option<DateTime<Utc>>,
    pub error: Option<String>,
    pub components: Vec<Component>,
    /// The worst component that is not operational.
    pub worst: Option<Component>,
    /// Open official incidents, newest first.
    pub open: Vec<OfficialIncident>,
    /// The link of the newest open official incident to a Downwatch incident, if any.
    pub lead: Option<IncidentLink>,
}

/// The official view of a service with `source`, at `now`.
pub async fn official_view(
    store: &dyn OfficialStore,
    service: &str,
    source: &StatusSource,
    now: DateTime<Utc>,
) -> Result<OfficialView, StoreError> {
    let Some(health) = store.get_source(service).await? else {
        return Ok(OfficialView {
            source: source.clone(),
            state: OfficialState::NotPolled,
            indicator: None,
            checked_at: None,
            ok_at: None,
            unavailable_since: None,
            error: None,
            components: Vec::new(),
            worst: None,
            open: Vec::new(),
            lead: None,
        });
    };
    let open: Vec<OfficialIncident> = store
        .list_official(&OfficialFilter {
            service: Some(service.to_owned()),
            since: Some(now),
            limit: 20,
        })
        .await?
        .into_iter()
        .filter(|i| i.resolved_at.is_none())
        .collect();
    let worst = health
        .components
        .iter()
        .filter(|c| c.status.rank() > 0)
        .max_by_key(|c| c.status.rank())
        .cloned();
    let stale = now - health.checked_at > STALE_AFTER;
    let state = if health.unavailable_since.is_some() || stale {
        OfficialState::Unavailable
    } else {
        state_of(health.indicator, worst.as_ref(), &open)
    };
    let unavailable_since = health
        .unavailable_since
        .or_else(|| stale.then_some(health.ok_at.unwrap_or(health.checked_at)));
    let lead = match open.first() {
        Some(newest) => store
            .list_links(Some(service), now - TimeDelta::days(2))
            .await?
            .into_iter()
            .find(|l| l.official_id == newest.id),
        None => None,
    };
    Ok(OfficialView {
        source: source.clone(),
        state,
        indicator: health.indicator,
        checked_at: Some(health.checked_at),
        ok_at: health.ok_at,
        unavailable_since,
        error: health.error,
        components: health.components,
        worst,
        open,
        lead,
    })
}

/// The state a page's indicator, worst component and open incidents say together.
fn state_of(
    indicator: Option<Indicator>,
    worst: Option<&Component>,
    open: &[OfficialIncident],
) -> OfficialState {
    let outage = worst.is_some_and(|c| c.status != ComponentStatus::UnderMaintenance)
        || open
            .iter()
            .any(|i| !matches!(i.impact, Impact::Maintenance | Impact::None));
    match indicator {
        Some(Indicator::Minor | Indicator::Major | Indicator::Critical) => OfficialState::Issues,
        _ if outage => OfficialState::Issues,
        Some(Indicator::Maintenance) => OfficialState::Maintenance,
        _ if worst.is_some() => OfficialState::Maintenance,
        Some(Indicator::None) => OfficialState::Operational,
        Some(Indicator::Unknown) | None => OfficialState::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_is_the_worst_of_what_the_page_says() {
        let partial = Component {
            name: "API".into(),
            status: ComponentStatus::PartialOutage,
        };
        let works = Some(Indicator::None);
        assert_eq!(state_of(works, None, &[]), OfficialState::Operational);
        assert_eq!(state_of(works, Some(&partial), &[]), OfficialState::Issues);
        assert_eq!(
            state_of(Some(Indicator::Major), None, &[]),
            OfficialState::Issues
        );
        assert_eq!(
            state_of(Some(Indicator::Unknown), None, &[]),
            OfficialState::Unknown
        );
        assert_eq!(
            state_of(Some(Indicator::Maintenance), None, &[]),
            OfficialState::Maintenance
        );
    }
}
