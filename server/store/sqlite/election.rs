//! Detector leadership on the embedded stack: it is one process, so it leads as long as it
//! lives (see [`SqliteLeader`]).

use async_trait::async_trait;

use super::detector::SqliteLeader;
use super::SqliteStore;
use crate::store::{DetectorStore, LeaderElection, StoreError};

/// Leads through the one SQLite store of the process.
pub struct SqliteElection {
    pub store: SqliteStore,
}

#[async_trait]
impl LeaderElection for SqliteElection {
    async fn campaign(&self) -> Result<Option<Box<dyn DetectorStore>>, StoreError> {
        Ok(SqliteLeader::try_acquire(&self.store).map(|l| Box::new(l) as Box<dyn DetectorStore>))
    }
}
