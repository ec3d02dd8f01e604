//! The read side: time series stitched from Redis (hot window) and Postgres rollups
//! (beyond), breakdowns of recent reports, and the outage map.

pub mod breakdown;
pub mod series;

/// How far back the Redis minute buckets reach, with a margin under their TTL.
pub const HOT_WINDOW_MINUTES: i64 = 25 * 60;
