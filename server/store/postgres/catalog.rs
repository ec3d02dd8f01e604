//! The service catalog in Postgres.

use async_trait::async_trait;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::models::{NewServiceRow, ServiceRow};
use super::schema::services;
use super::{db_error, PgStore};
use crate::catalog::Service;
use crate::store::{CatalogStore, StoreError};

#[async_trait]
impl CatalogStore for PgStore {
    async fn list_services(&self) -> Result<Vec<Service>, StoreError> {
        let mut conn = self.conn().await?;
        let rows: Vec<ServiceRow> = services::table
            .select(ServiceRow::as_select())
            .order(services::slug)
            .load(&mut conn)
            .await
            .map_err(db_error)?;
        Ok(rows.into_iter().map(Service::from).collect())
    }

    async fn seed_services(&self, seed: &[Service]) -> Result<usize, StoreError> {
        let mut conn = self.conn().await?;
        let rows: Vec<NewServiceRow> = seed.iter().map(NewServiceRow::from).collect();
        diesel::insert_into(services::table)
            .values(&rows)
            .on_conflict_do_nothing()
            .execute(&mut conn)
            .await
            .map_err(db_error)
    }

    async fn create_service(&self, service: &Service) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        diesel::insert_into(services::table)
            .values(NewServiceRow::from(service))
            .execute(&mut conn)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn update_service(&self, service: &Service) -> Result<bool, StoreError> {
        let mut conn = self.conn().await?;
        let n = diesel::update(services::table.find(&service.slug))
            .set((
                NewServiceRow::from(service),
                services::updated_at.eq(diesel::dsl::now),
            ))
            .execute(&mut conn)
            .await
            .map_err(db_error)?;
        Ok(n == 1)
    }
}
