//! The thresholds of grouping and cause ranking, in one place, each with the reason for its
//! value. The rule they make is told in [`super`] and in `docs/detection.md`.

use serde::{Deserialize, Serialize};

/// Every threshold of the engine. `Default` is the published method.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GroupingConfig {
    /// Two incidents are close in time when their onsets are at most this many minutes
    /// apart; close incidents chain. 3: a CDN failure shows on its dependents within 1–3
    /// minutes (the detector's window is 3 minutes, and services are flagged as their own
    /// reports cross the thresholds, earlier for busy services, later for small ones).
    pub onset_gap_minutes: i64,
    /// A new group spans at most this many minutes of onsets, and an event takes members on
    /// timing and shape alone only this long after its start (later ones must be explained by
    /// its likely cause), so that ordinary incidents cannot chain onto it for ever.
    pub max_span_minutes: i64,
    /// The shape comparison starts this many minutes before the earliest onset, so that it
    /// sees each series leave its normal level.
    pub pre_onset_minutes: i64,
    /// Two shapes correlate when the Pearson correlation of their excess over normal
    /// (`ln(observed+1) − ln(expected+1)`, minute by minute) reaches this. 0.5: the steps of
    /// two services failing within the same minute or two correlate at 0.8–1; a service
    /// whose surge was already under way, or fading, correlates far less.
    pub min_correlation: f64,
    /// Fewest members of an event. Two services failing together is too common to name.
    pub min_members: usize,
    /// A group is an event when as many onsets in its window would happen by chance with
    /// probability at most this (Poisson tail, given the background rate and the number of
    /// active services). 1e-5: about 480 three-minute windows a day are tested, so chance alone
    /// makes about one event in 200 days even before shapes are compared (a looser test, as
    /// shapes and causes must also agree).
    pub max_chance: f64,
    /// … and at most this when no likely cause can be named (none reaches `min_confidence`):
    /// nothing links the services but time and shape, so the coincidence must be a hundred
    /// times rarer.
    pub max_chance_unexplained: f64,
    /// Only incidents that opened within this many minutes can start a new event.
    pub formation_minutes: i64,
    /// A service with a documented provider (or a dominant network) that the event does not
    /// share waits this many minutes before it can join an event on timing and shape alone:
    /// time for a second, unrelated outage starting at the same time to show itself.
    pub hold_minutes: i64,
    /// A service explained by an event's likely cause (it depends on the provider, or its
    /// reports come from the network) joins it when its incident opens up to this many
    /// minutes after the event's last onset: cloud outages spread for hours.
    pub join_minutes: i64,
    /// The likely-cause provider's own incident joins its event when it opened up to this many
    /// minutes before the event started.
    pub provider_lead_minutes: i64,
    /// An event's likely cause draws in the services it explains (`join_minutes`) only when
    /// its confidence reaches this.
    pub join_confidence: f64,
    /// A cause explains a member when its recent reports come from the network for at least
    /// this share. 0.5, as the evidence of incidents (`network_concentration`).
    pub network_share: f64,
    /// … or from the country for at least this share. 0.7: international services often have
    /// half their reports in their largest market.
    pub country_share: f64,
    /// The chance that a member's reports are concentrated on any one given network on an
    /// ordinary day (an assumption, not measured: ISP concentration is rare for a service
    /// with an audience beyond one ISP).
    pub network_base_rate: f64,
    /// The chance that an international member's reports are concentrated in one given
    /// country on an ordinary day (an assumption; national services do not count).
    pub country_base_rate: f64,
    /// A cause's evidence is full when chance alone explains it with probability at most
    /// 10^-this (a weaker one counts in proportion to `-log10` of that chance).
    pub full_evidence_neg_log10: f64,
    /// Two concurrent groups are told apart when each has its own cause this unlikely by
    /// chance, explaining few of the other's members.
    pub split_chance: f64,
    /// … "few" being at most this share of the smaller one.
    pub split_overlap: f64,
    /// Causes under this confidence are not listed.
    pub min_confidence: f64,
    /// Confidence is never stated above this: correlation is not proof.
    pub max_confidence: f64,
    /// An open event is re-published (`Updated`) at most this often when only its numbers
    /// changed.
    pub update_every_minutes: i64,
}

impl Default for GroupingConfig {
    fn default() -> Self {
        Self {
            onset_gap_minutes: 3,
            max_span_minutes: 10,
            pre_onset_minutes: 10,
            min_correlation: 0.5,
            min_members: 3,
            max_chance: 1e-5,
            max_chance_unexplained: 1e-7,
            formation_minutes: 15,
            hold_minutes: 2,
            join_minutes: 30,
            provider_lead_minutes: 30,
            join_confidence: 0.5,
            network_share: 0.5,
            country_share: 0.7,
            network_base_rate: 0.05,
            country_base_rate: 0.1,
            full_evidence_neg_log10: 4.0,
            split_chance: 1e-3,
            split_overlap: 0.25,
            min_confidence: 0.15,
            max_confidence: 0.95,
            update_every_minutes: 5,
        }
    }
}
