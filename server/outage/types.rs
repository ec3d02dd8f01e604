//! What the engine takes in (one [`Candidate`] per service in incident, every minute) and what
//! it gives back ([`OutageEvent`]s, their [`LikelyCause`]s, and the [`EventChange`]s of a tick).
//! Plain data, serialisable, so that the detector can store events and pages can word them.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

/// Counts per minute of one service: what was observed and what was expected, minute by
/// minute from `start` (the detector's recent window, about 30 minutes).
///
/// `observed` and `expected` should have the same length; when they do not, only the minutes
/// both have are read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MinuteSeries {
    /// The first minute of the series.
    pub start: DateTime<Utc>,
    pub observed: Vec<f64>,
    pub expected: Vec<f64>,
}

impl MinuteSeries {
    /// Number of minutes both vectors cover.
    pub fn len(&self) -> usize {
        self.observed.len().min(self.expected.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The minute after the last one.
    pub fn end(&self) -> DateTime<Utc> {
        self.start + minutes(self.len() as i64)
    }

    /// The index of `minute`, when the series covers it.
    pub fn index_of(&self, minute: DateTime<Utc>) -> Option<usize> {
        let i = (minute - self.start).num_minutes();
        (i >= 0 && (i as usize) < self.len()).then_some(i as usize)
    }

    /// The minute at index `i`.
    pub fn minute(&self, i: usize) -> DateTime<Utc> {
        self.start + minutes(i as i64)
    }

    /// How far minute `i` is above normal: `ln(observed + 1) − ln(expected + 1)` (0 = normal;
    /// the `+ 1` keeps quiet minutes of small services from looking like huge ratios).
    pub fn excess(&self, i: usize) -> f64 {
        (self.observed[i].max(0.0) + 1.0).ln() - (self.expected[i].max(0.0) + 1.0).ln()
    }
}

/// A whole number of minutes as a [`TimeDelta`].
pub(crate) fn minutes(n: i64) -> TimeDelta {
    TimeDelta::minutes(n)
}

/// How bad a service is, as its detector says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
#[schema(as = OutageSeverity)]
pub enum Severity {
    PossibleProblems,
    Problems,
}

/// The network (autonomous system) that most of a service's recent reports came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = OutageNetworkShare)]
pub struct NetworkShare {
    pub asn: u32,
    /// The organisation that runs it ("Telecom Italia"), as the ASN database names it.
    pub org: String,
    /// The country its reports came from, when one dominates.
    pub country: Option<String>,
    /// Share (0–1) of the service's recent reports from this network.
    pub share: f64,
}

/// A country and its share (0–1) of some reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CountryShare {
    /// ISO 3166-1 alpha-2.
    pub code: String,
    pub share: f64,
}

/// One service in incident, as the detector sees it this minute.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// The service's slug.
    pub service: String,
    /// Its open incident.
    pub incident_id: i64,
    /// The minute that incident opened.
    pub onset: DateTime<Utc>,
    pub severity: Severity,
    /// The recent minutes, up to the last complete one.
    pub series: MinuteSeries,
    /// The providers the catalog says it depends on (slugs).
    pub depends_on: Vec<String>,
    /// The network most of its recent reports came from.
    pub network: Option<NetworkShare>,
    /// Countries of its recent reports, largest first.
    pub countries: Vec<CountryShare>,
    /// The country the catalog says a national service mainly serves (its reports come from
    /// there on any day, which is no evidence of a national outage).
    pub home_country: Option<String>,
}

/// A service that is part of an event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = OutageMember)]
pub struct Member {
    pub service: String,
    pub incident_id: i64,
    /// When its incident opened.
    pub onset: DateTime<Utc>,
    /// The tick that added it to the event.
    pub joined: DateTime<Utc>,
    /// The tick that first saw its incident closed.
    pub resolved: Option<DateTime<Utc>>,
    /// Its worst severity while in the event.
    pub severity: Severity,
    /// Reports counted for it since its incident opened.
    pub reports: f64,
}

/// An outage event: incidents of several services that began together beyond chance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OutageEvent {
    /// The incident id of the event's first member (earliest onset, then lowest id) when it
    /// opened: a new leader regrouping the same open incidents finds the same id.
    pub id: i64,
    pub members: Vec<Member>,
    /// The earliest onset of a member.
    pub start: DateTime<Utc>,
    /// The minute with the most reports over all members, and that many reports.
    pub peak_at: DateTime<Utc>,
    pub peak_reports: f64,
    /// The reports normal at that minute for those members (the peak's ratio to normal is
    /// `peak_reports / peak_expected`).
    #[serde(default)]
    pub peak_expected: f64,
    /// When the last member resolved (`None` while open).
    pub end: Option<DateTime<Utc>>,
    /// Reports to members since their incidents opened.
    pub reports: f64,
    /// Countries of the members' reports, largest first (shares of the event's reports).
    pub countries: Vec<CountryShare>,
    /// Likely causes, most likely first.
    pub causes: Vec<LikelyCause>,
}

impl OutageEvent {
    /// Members whose incident is still open.
    pub fn open_members(&self) -> impl Iterator<Item = &Member> {
        self.members.iter().filter(|m| m.resolved.is_none())
    }

    /// The most likely cause, if any is named.
    pub fn top_cause(&self) -> Option<&LikelyCause> {
        self.causes.first()
    }

    /// Whether `incident_id` is a member.
    pub fn has_incident(&self, incident_id: i64) -> bool {
        self.members.iter().any(|m| m.incident_id == incident_id)
    }
}

/// What may have caused an event.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum CauseKind {
    /// A provider in the catalog (CDN, cloud, identity, payments…).
    Provider { slug: String },
    /// One network: an ISP outage ("Telecom Italia (AS3269), not Netflix").
    Network {
        asn: u32,
        org: String,
        country: Option<String>,
    },
    /// One country (a national outage, a shutdown, a cut cable).
    Country { code: String },
}

/// A likely cause, how confident the engine is (0–1, never 1: it sees correlations, not
/// causes) and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LikelyCause {
    pub cause: CauseKind,
    pub confidence: f64,
    pub reasons: Vec<Reason>,
}

/// One reason for a cause, as numbers that pages put in words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "kebab-case")]
#[schema(as = CauseReason)]
pub enum Reason {
    /// `members` of the event's `of` services depend on the provider, when only
    /// `dependents` of the `catalog` services do: chance alone would pick that many
    /// dependents with probability `chance` (hypergeometric tail).
    SharedDependency {
        members: usize,
        of: usize,
        dependents: usize,
        catalog: usize,
        chance: f64,
    },
    /// The provider's own reports rose `lead_minutes` before the members' (median; negative:
    /// after them, 0: with them).
    ProviderOwnReports { lead_minutes: i64 },
    /// For `members` of the event's `of` services, most reports (median share
    /// `median_share`) came from this network; chance alone: probability `chance`.
    NetworkCarriesReports {
        members: usize,
        of: usize,
        median_share: f64,
        chance: f64,
    },
    /// For `members` of the event's `of` services, most reports came from this country,
    /// `national` of them being national services of that country (which counts for
    /// nothing); chance alone: probability `chance`.
    CountryCarriesReports {
        members: usize,
        of: usize,
        national: usize,
        median_share: f64,
        chance: f64,
    },
}

/// What one tick did to an event. Each carries the event as it is after the tick.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "kebab-case")]
pub enum EventChange {
    Opened {
        event: OutageEvent,
    },
    /// New members (their incident ids) joined.
    Grew {
        event: OutageEvent,
        added: Vec<i64>,
    },
    /// Its likely causes, members' states or peak changed.
    Updated {
        event: OutageEvent,
    },
    /// Its last member resolved.
    Closed {
        event: OutageEvent,
    },
}

impl EventChange {
    /// The event as the change left it.
    pub fn event(&self) -> &OutageEvent {
        match self {
            Self::Opened { event }
            | Self::Grew { event, .. }
            | Self::Updated { event }
            | Self::Closed { event } => event,
        }
    }
}
