//! Storage seams: one contract file per seam, each a trait with the types it speaks.
//!
//! What must last (report log, catalog, rollups, incidents, API keys, webhooks) and what is
//! hot and rebuildable (minute buckets, abuse gate, status board, rate counters) are reached
//! through these traits, so that a deployment picks its backends in [`open`]:
//! [`postgres`] + [`redis`] in production, [`sqlite`] + [`memory`] embedded.

pub mod memory;
pub mod open;
pub mod postgres;
pub mod redis;
pub mod sqlite;

mod api_keys;
mod board;
mod buckets;
mod catalog;
mod detector;
mod error;
mod gate;
mod incidents;
mod official;
mod outages;
mod rate;
mod reports;
mod rollups;
mod rows;
mod webhooks;

pub use api_keys::*;
pub use board::*;
pub use buckets::*;
pub use catalog::*;
pub use detector::*;
pub use error::*;
pub use gate::*;
pub use incidents::*;
pub use official::*;
pub use open::{open, Backend, Location, OpenError, ReadReplica, Stores};
pub use outages::*;
pub use rate::*;
pub use reports::*;
pub use rollups::*;
pub use webhooks::*;
