//! The service catalog in SQLite.

use async_trait::async_trait;
use diesel::prelude::*;

use super::models::{NewServiceRow, ServiceRow};
use super::schema::services;
use super::types::Micros;
use super::SqliteStore;
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
        Ok(rows.into_iter().map(Service::from).collect())
    }

    async fn seed_services(&self, seed: &[Service]) -> Result<usize, StoreError> {
        let rows: Vec<NewServiceRow> = seed.iter().map(NewServiceRow::from).collect();
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
        let row = NewServiceRow::from(service);
        self.write(move |conn| {
            diesel::insert_into(services::table)
                .values(&row)
                .execute(conn)
        })
        .await?;
        Ok(())
    }

    async fn update_service(&self, service: &Service) -> Result<bool, StoreError> {
        let row = NewServiceRow::from(service);
        let now = chrono::Utc::now();
        let n = self
            .write(move |conn| {
                diesel::update(services::table.find(&row.slug))
                    .set((&row, services::updated_at.eq(Micros(now))))
                    .execute(conn)
            })
            .await?;
        Ok(n == 1)
    }
}
