//! The official status line of a service page ("GitHub's status page: Partial outage —
//! Actions (posted 13:12, 8 minutes after reports rose)") and the home page's list of services
//! whose users report problems while their official page says all is well.

use chrono::{DateTime, Utc};

use super::view::{Chrome, Stamp};
use crate::catalog::Service;
use crate::corroborate::view::{official_view, OfficialState, OfficialView};
use crate::official::{ComponentStatus, Impact};
use crate::store::{OfficialStore, StoreError};

/// The line under a service page's banner.
pub struct OfficialLine {
    /// `operational`, `issues`, `maintenance`, `unknown`, `unavailable` (a CSS class).
    pub class: &'static str,
    /// "GitHub's status page:"
    pub page: String,
    /// "Partial outage", or "official status unavailable since".
    pub headline: String,
    /// The component or incident it is about.
    pub what: Option<String>,
    /// When the company first posted about it.
    pub posted: Option<Stamp>,
    /// "8 minutes after reports rose".
    pub lead: Option<String>,
    /// Since when the source is unavailable.
    pub since: Option<Stamp>,
    /// The source polled (the page's own link when it is an incident's).
    pub link: String,
}

/// The official line of `service` at `now`; none when it has no source.
pub async fn official_line(
    c: &Chrome,
    store: &dyn OfficialStore,
    service: &Service,
    now: DateTime<Utc>,
) -> Result<Option<OfficialLine>, StoreError> {
    let Some(source) = &service.official_status else {
        return Ok(None);
    };
    let view = official_view(store, &service.slug, source, now).await?;
    Ok(Some(line(c, &service.name, &view)))
}

fn line(c: &Chrome, name: &str, view: &OfficialView) -> OfficialLine {
    let page = c.f("official.page", &[("service", name)]);
    let newest = view.open.first();
    let link = newest
        .and_then(|i| i.url.clone())
        .unwrap_or_else(|| view.source.url.clone());
    let mut out = OfficialLine {
        class: "unknown",
        page,
        headline: String::new(),
        what: None,
        posted: None,
        lead: None,
        since: None,
        link,
    };
    match view.state {
        OfficialState::Unavailable => {
            out.class = "unavailable";
            out.headline = c.t("official.unavailable_since").to_owned();
            out.since = view.unavailable_since.map(Stamp::new);
        }
        OfficialState::NotPolled | OfficialState::NoSource => {
            out.headline = c.t("official.not_polled").to_owned();
        }
        OfficialState::Operational => {
            out.class = "operational";
            out.headline = c.t("official.operational").to_owned();
        }
        OfficialState::Unknown => {
            out.headline = c.t("official.unknown").to_owned();
        }
        OfficialState::Issues | OfficialState::Maintenance => {
            out.class = if view.state == OfficialState::Issues {
                "issues"
            } else {
                "maintenance"
            };
            out.headline = match (&view.worst, newest.map(|i| i.impact)) {
                (Some(worst), _) => component_words(c, worst.status),
                (None, Some(Impact::Major | Impact::Critical)) => {
                    c.t("official.major_outage").to_owned()
                }
                (None, Some(Impact::Maintenance)) => c.t("official.under_maintenance").to_owned(),
                (None, _) => c.t("official.issues").to_owned(),
            };
            out.what = view
                .worst
                .as_ref()
                .map(|w| w.name.clone())
                .or_else(|| newest.map(|i| i.title.clone()))
                .filter(|w| !w.is_empty());
            out.posted = newest.map(|i| Stamp::new(i.first_posted_at));
            out.lead = view.lead.as_ref().map(|l| lead_words(c, l.lead_minutes));
        }
    }
    out
}

fn component_words(c: &Chrome, status: ComponentStatus) -> String {
    c.t(match status {
        ComponentStatus::Operational => "official.operational",
        ComponentStatus::DegradedPerformance => "official.degraded_performance",
        ComponentStatus::PartialOutage => "official.partial_outage",
        ComponentStatus::MajorOutage => "official.major_outage",
        ComponentStatus::UnderMaintenance => "official.under_maintenance",
        ComponentStatus::Unknown => "official.unknown",
    })
    .to_owned()
}

/// "8 minutes after reports rose", "3 minutes before reports rose", "as reports rose".
pub fn lead_words(c: &Chrome, minutes: i32) -> String {
    let n = minutes.unsigned_abs().to_string();
    match minutes {
        0 => c.t("official.lead_same").to_owned(),
        m if m > 0 => c.f("official.lead_after", &[("minutes", &n)]),
        _ => c.f("official.lead_before", &[("minutes", &n)]),
    }
}

/// Whether `service`'s official page says all is well now (polled, answering, operational).
pub async fn says_operational(
    store: &dyn OfficialStore,
    service: &Service,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let Some(source) = &service.official_status else {
        return Ok(false);
    };
    let view = official_view(store, &service.slug, source, now).await?;
    Ok(view.state == OfficialState::Operational)
}

/// What the official page said about a Downwatch incident: the linked official incident's
/// posts, for the incident page's second timeline and the marks on its chart.
pub struct OfficialTimeline {
    /// "What GitHub's status page said".
    pub heading: String,
    pub title: String,
    /// "First posted 13:12, 8 minutes after reports rose".
    pub lead: String,
    pub link: Option<String>,
    pub posts: Vec<OfficialPost>,
    /// `[{"t": seconds, "label": "Official: investigating"}]`, for the chart.
    pub marks: String,
}

/// One post of the official timeline.
pub struct OfficialPost {
    pub at: Stamp,
    pub stage: String,
    pub body: String,
}

/// The official timeline of incident `id` of `service` (started at `started_at`), if a link
/// was made.
pub async fn incident_timeline(
    c: &Chrome,
    store: &dyn OfficialStore,
    name: &str,
    service: &str,
    id: i64,
    started_at: DateTime<Utc>,
) -> Result<Option<OfficialTimeline>, StoreError> {
    let since = started_at - chrono::TimeDelta::days(1);
    let links = store.list_links(Some(service), since).await?;
    let Some(link) = links.into_iter().find(|l| l.incident_id == id) else {
        return Ok(None);
    };
    let officials = store
        .list_official(&crate::store::OfficialFilter {
            service: Some(service.to_owned()),
            since: Some(since),
            limit: 500,
        })
        .await?;
    let Some(official) = officials.into_iter().find(|o| o.id == link.official_id) else {
        return Ok(None);
    };
    let stage = |s: crate::official::Stage| c.t(&format!("official.stage_{s}")).to_owned();
    let marks: Vec<serde_json::Value> = official
        .updates
        .iter()
        .map(|u| {
            serde_json::json!({
                "t": u.posted_at.timestamp(),
                "label": c.f("official.mark", &[("stage", &stage(u.stage))]),
            })
        })
        .collect();
    Ok(Some(OfficialTimeline {
        heading: c.f("official.timeline_heading", &[("service", name)]),
        lead: c.f(
            "official.first_posted",
            &[("lead", &lead_words(c, link.lead_minutes))],
        ),
        title: official.title,
        link: official.url,
        posts: official
            .updates
            .iter()
            .map(|u| OfficialPost {
                at: Stamp::new(u.posted_at),
                stage: stage(u.stage),
                body: u.body.clone(),
            })
            .collect(),
        marks: serde_json::Value::from(marks).to_string(),
    }))
}
