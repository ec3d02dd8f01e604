//! The read side: time series stitched from Redis (hot window) and Postgres rollups
//! (beyond), breakdowns of recent reports, the k-anonymous phrases of what people saw, and
//! the outage map.

pub mod breakdown;
pub mod expected;
pub mod phrases;
pub mod recent;
pub mod series;

pub use crate::store::HOT_WINDOW_MINUTES;

/// Orders services by how much trouble they are in: problems, then possible problems, then
/// the rest; within a state by anomaly score, ratio to normal and reports.
pub fn rank_statuses(statuses: &mut [crate::store::ServiceStatus]) {
    use crate::domain::State;
    let rank = |s: &crate::store::ServiceStatus| match s.state {
        State::Problems => 2,
        State::PossibleProblems => 1,
        State::Ok => 0,
    };
    statuses.sort_by(|a, b| {
        rank(b)
            .cmp(&rank(a))
            .then(b.score.total_cmp(&a.score))
            .then(b.ratio.total_cmp(&a.ratio))
            .then(b.reports.cmp(&a.reports))
            .then(a.service.cmp(&b.service))
    });
}
