//! Official status in Postgres (see [`crate::store::OfficialStore`]).

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Text, Timestamptz};
use diesel_async::RunQueryDsl;

use super::models::{ComponentChangeRow, LinkRow, OfficialRow, SourceRow};
use super::schema::{
    official_component_changes, official_incidents, official_links, official_sources,
};
use super::{db_error, PgStore, STORE};
use crate::official::{OfficialUpdate, ParsedIncident};
use crate::store::official::{components_json, merged, parse_json, updates_json, LEASE};
use crate::store::{
    ComponentChange, IncidentLink, OfficialFilter, OfficialIncident, OfficialStore, SourceHealth,
    StoreError,
};

#[async_trait]
impl OfficialStore for PgStore {
    async fn take_lease(
        &self,
        holder: &str,
        now: DateTime<Utc>,
        ttl: TimeDelta,
    ) -> Result<bool, StoreError> {
        let mut conn = self.conn().await?;
        let n = diesel::sql_query(
            "INSERT INTO official_lease (name, holder, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at \
             WHERE official_lease.holder = excluded.holder OR official_lease.expires_at < $4",
        )
        .bind::<Text, _>(LEASE)
        .bind::<Text, _>(holder)
        .bind::<Timestamptz, _>(now + ttl)
        .bind::<Timestamptz, _>(now)
        .execute(&mut conn)
        .await
        .map_err(db_error)?;
        Ok(n == 1)
    }

    async fn list_sources(&self) -> Result<Vec<SourceHealth>, StoreError> {
        let mut conn = self.conn().await?;
        let rows: Vec<SourceRow> = official_sources::table
            .select(SourceRow::as_select())
            .order(official_sources::service)
            .load(&mut conn)
            .await
            .map_err(db_error)?;
        rows.into_iter().map(SourceHealth::try_from).collect()
    }

    async fn get_source(&self, service: &str) -> Result<Option<SourceHealth>, StoreError> {
        let mut conn = self.conn().await?;
        let row: Option<SourceRow> = official_sources::table
            .find(service)
            .select(SourceRow::as_select())
            .first(&mut conn)
            .await
            .optional()
            .map_err(db_error)?;
        row.map(SourceHealth::try_from).transpose()
    }

    async fn put_source(&self, h: &SourceHealth) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        let values = (
            official_sources::kind.eq(h.kind.as_str()),
            official_sources::url.eq(&h.url),
            official_sources::indicator.eq(h.indicator.map(|i| i.as_str())),
            official_sources::components.eq(components_json(&h.components)),
            official_sources::checked_at.eq(h.checked_at),
            official_sources::ok_at.eq(h.ok_at),
            official_sources::unavailable_since.eq(h.unavailable_since),
            official_sources::error.eq(&h.error),
        );
        diesel::insert_into(official_sources::table)
            .values((official_sources::service.eq(&h.service), values.clone()))
            .on_conflict(official_sources::service)
            .do_update()
            .set(values)
            .execute(&mut conn)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn add_component_changes(
        &self,
        service: &str,
        changes: &[ComponentChange],
    ) -> Result<(), StoreError> {
        if changes.is_empty() {
            return Ok(());
        }
        let mut conn = self.conn().await?;
        let rows: Vec<_> = changes
            .iter()
            .map(|c| {
                (
                    official_component_changes::service.eq(service),
                    official_component_changes::component.eq(&c.component),
                    official_component_changes::status.eq(c.status.as_str()),
                    official_component_changes::changed_at.eq(c.changed_at),
                )
            })
            .collect();
        diesel::insert_into(official_component_changes::table)
            .values(rows)
            .on_conflict_do_nothing()
            .execute(&mut conn)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn list_component_changes(
        &self,
        service: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<ComponentChange>, StoreError> {
        let mut conn = self.conn().await?;
        let rows: Vec<ComponentChangeRow> = official_component_changes::table
            .filter(official_component_changes::service.eq(service))
            .filter(official_component_changes::changed_at.ge(since))
            .select(ComponentChangeRow::as_select())
            .order((
                official_component_changes::changed_at,
                official_component_changes::component,
            ))
            .load(&mut conn)
            .await
            .map_err(db_error)?;
        rows.into_iter().map(ComponentChange::try_from).collect()
    }

    async fn upsert_official(
        &self,
        service: &str,
        incidents: &[ParsedIncident],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        for incident in incidents {
            let old: Option<(i64, DateTime<Utc>, String)> = official_incidents::table
                .filter(official_incidents::service.eq(service))
                .filter(official_incidents::external_id.eq(&incident.external_id))
                .select((
                    official_incidents::id,
                    official_incidents::first_posted_at,
                    official_incidents::updates,
                ))
                .first(&mut conn)
                .await
                .optional()
                .map_err(db_error)?;
            let old_updates = match &old {
                Some((_, first, raw)) => Some((
                    *first,
                    parse_json::<Vec<OfficialUpdate>>(STORE, "official_incidents.updates", raw)?,
                )),
                None => None,
            };
            let (first_posted_at, updates) = merged(incident, old_updates);
            let values = (
                official_incidents::title.eq(&incident.title),
                official_incidents::impact.eq(incident.impact.as_str()),
                official_incidents::stage.eq(incident.stage.as_str()),
                official_incidents::url.eq(&incident.url),
                official_incidents::components.eq(&incident.components),
                official_incidents::started_at.eq(incident.started_at),
                official_incidents::first_posted_at.eq(first_posted_at),
                official_incidents::resolved_at.eq(incident.resolved_at),
                official_incidents::updates.eq(updates_json(&updates)),
                official_incidents::seen_at.eq(now),
            );
            match old {
                Some((id, _, _)) => {
                    diesel::update(official_incidents::table.find(id))
                        .set(values)
                        .execute(&mut conn)
                        .await
                        .map_err(db_error)?;
                }
                None => {
                    diesel::insert_into(official_incidents::table)
                        .values((
                            official_incidents::service.eq(service),
                            official_incidents::external_id.eq(&incident.external_id),
                            values,
                        ))
                        .execute(&mut conn)
                        .await
                        .map_err(db_error)?;
                }
            }
        }
        Ok(())
    }

    async fn resolve_missing(
        &self,
        service: &str,
        present: &[String],
        at: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        let mut conn = self.conn().await?;
        diesel::update(
            official_incidents::table
                .filter(official_incidents::service.eq(service))
                .filter(official_incidents::resolved_at.is_null())
                .filter(official_incidents::external_id.ne_all(present)),
        )
        .set((
            official_incidents::resolved_at.eq(at),
            official_incidents::stage.eq("resolved"),
        ))
        .execute(&mut conn)
        .await
        .map_err(db_error)
    }

    async fn list_official(&self, f: &OfficialFilter) -> Result<Vec<OfficialIncident>, StoreError> {
        let mut conn = self.conn().await?;
        let mut query = official_incidents::table
            .select(OfficialRow::as_select())
            .into_boxed();
        if let Some(service) = &f.service {
            query = query.filter(official_incidents::service.eq(service.clone()));
        }
        if let Some(since) = f.since {
            query = query.filter(
                official_incidents::first_posted_at
                    .ge(since)
                    .or(official_incidents::resolved_at.is_null())
                    .or(official_incidents::resolved_at.ge(since)),
            );
        }
        let rows: Vec<OfficialRow> = query
            .order((
                official_incidents::first_posted_at.desc(),
                official_incidents::id.desc(),
            ))
            .limit(f.limit)
            .load(&mut conn)
            .await
            .map_err(db_error)?;
        rows.into_iter().map(OfficialIncident::try_from).collect()
    }

    async fn save_link(&self, link: &IncidentLink) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        let values = (
            official_links::official_id.eq(link.official_id),
            official_links::service.eq(&link.service),
            official_links::onset_at.eq(link.onset_at),
            official_links::lead_minutes.eq(link.lead_minutes),
            official_links::linked_at.eq(link.linked_at),
        );
        diesel::insert_into(official_links::table)
            .values((official_links::incident_id.eq(link.incident_id), values))
            .on_conflict(official_links::incident_id)
            .do_update()
            .set(values)
            .execute(&mut conn)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn list_links(
        &self,
        service: Option<&str>,
        since: DateTime<Utc>,
    ) -> Result<Vec<IncidentLink>, StoreError> {
        let mut conn = self.conn().await?;
        let mut query = official_links::table
            .filter(official_links::onset_at.ge(since))
            .select(LinkRow::as_select())
            .into_boxed();
        if let Some(service) = service {
            query = query.filter(official_links::service.eq(service.to_owned()));
        }
        let rows: Vec<LinkRow> = query
            .order((
                official_links::onset_at.desc(),
                official_links::incident_id.desc(),
            ))
            .load(&mut conn)
            .await
            .map_err(db_error)?;
        Ok(rows.into_iter().map(IncidentLink::from).collect())
    }
}
