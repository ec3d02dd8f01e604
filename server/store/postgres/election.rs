//! Detector leadership on Postgres: a session advisory lock on a dedicated connection (see
//! [`PgLeader`]); whoever holds it leads until its connection goes away.

use async_trait::async_trait;

use super::detector::PgLeader;
use crate::store::{DetectorStore, LeaderElection, StoreError};

/// Campaigns for the advisory lock of the database at `database_url`.
pub struct PgElection {
    pub database_url: String,
}

#[async_trait]
impl LeaderElection for PgElection {
    async fn campaign(&self) -> Result<Option<Box<dyn DetectorStore>>, StoreError> {
        Ok(PgLeader::try_acquire(&self.database_url)
            .await?
            .map(|l| Box::new(l) as Box<dyn DetectorStore>))
    }
}
