//! The service catalog: what can be reported.

use async_trait::async_trait;

use super::StoreError;
use crate::catalog::Service;

/// The service catalog.
#[async_trait]
pub trait CatalogStore: Send + Sync {
    async fn list_services(&self) -> Result<Vec<Service>, StoreError>;
    /// Inserts services that do not exist yet; returns how many were new.
    async fn seed_services(&self, services: &[Service]) -> Result<usize, StoreError>;
    /// Creates a service; `Conflict` when the slug exists.
    async fn create_service(&self, service: &Service) -> Result<(), StoreError>;
    /// Replaces a service; returns false when the slug does not exist.
    async fn update_service(&self, service: &Service) -> Result<bool, StoreError>;
}
