//! The service catalog in SQLite.

use async_trait::async_trait;
use diesel::prelude::*;

use super::models::ServiceRow;
use super::schema::services;
use super::{now_micros, SqliteStore};
use crate::catalog::Service;
use crate::store::{CatalogStore, StoreError};

#[async_trait]
impl CatalogStore for SqliteStore {
    async fn list_services(&self) -> Result<Vec<Service>, StoreError> {
        let rows: Vec<ServiceRow> = self
            .read(|conn| {
                services::table
                    .select(ServiceRow::as_select())
                    .order(services::slug)
                    .load(conn)
            })
            .await?;
        rows.into_iter().map(Service::try_from).collect()
    }

    async fn seed_services(&self, seed: &[Service]) -> Result<usize, StoreError> {
        let rows: Vec<ServiceRow> = seed.iter().map(ServiceRow::from).collect();
        self.write(move |conn| {
            let mut added = 0;
            for row in &rows {
                added += diesel::insert_into(services::table)
                    .values(row)
                    .on_conflict_do_nothing()
                    .execute(conn)?;
            }
            Ok(added)
        })
        .await
    }

    async fn create_service(&self, service: &Service) -> Result<(), StoreError> {
        let row = ServiceRow::from(service);
        self.write(move |conn| {
            diesel::insert_into(services::table)
                .values(&row)
                .execute(conn)
        })
        .await?;
        Ok(())
    }

    async fn update_service(&self, service: &Service) -> Result<bool, StoreError> {
        let row = ServiceRow::from(service);
        let now = now_micros();
        let n = self
            .write(move |conn| {
                diesel::update(services::table.find(&row.slug))
                    .set((&row, services::updated_at.eq(now)))
                    .execute(conn)
            })
            .await?;
        Ok(n == 1)
    }
}
