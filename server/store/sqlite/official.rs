//! Official status in SQLite: the semantics of `postgres::official` in one process.

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use diesel::prelude::*;
use diesel::sql_types::Text;

use super::models::{ComponentChangeRow, LinkRow, OfficialRow, SourceRow};
use super::schema::{
    official_component_changes, official_incidents, official_links, official_sources,
};
use super::types::{JsonList, Micros, UnixMicros};
use super::{SqliteStore, STORE};
use crate::official::{OfficialUpdate, ParsedIncident};
use crate::store::official::{components_json, merged, parse_json, updates_json, LEASE};
use crate::store::{
    ComponentChange, IncidentLink, OfficialFilter, OfficialIncident, OfficialStore, SourceHealth,
    StoreError,
};

#[async_trait]
impl OfficialStore for SqliteStore {
    async fn take_lease(
        &self,
        holder: &str,
        now: DateTime<Utc>,
        ttl: TimeDelta,
    ) -> Result<bool, StoreError> {
        let holder = holder.to_owned();
        let n = self
            .write(move |conn| {
                diesel::sql_query(
                    "INSERT INTO official_lease (name, holder, expires_at) VALUES (?, ?, ?) \
                     ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at \
                     WHERE official_lease.holder = excluded.holder OR official_lease.expires_at < ?",
                )
                .bind::<Text, _>(LEASE)
                .bind::<Text, _>(holder)
                .bind::<UnixMicros, _>(now + ttl)
                .bind::<UnixMicros, _>(now)
                .execute(conn)
            })
            .await?;
        Ok(n == 1)
    }

    async fn list_sources(&self) -> Result<Vec<SourceHealth>, StoreError> {
        let rows: Vec<SourceRow> = self
            .read(|conn| {
                official_sources::table
                    .select(SourceRow::as_select())
                    .order(official_sources::service)
                    .load(conn)
            })
            .await?;
        rows.into_iter().map(SourceHealth::try_from).collect()
    }

    async fn get_source(&self, service: &str) -> Result<Option<SourceHealth>, StoreError> {
        let service = service.to_owned();
        let row: Option<SourceRow> = self
            .read(move |conn| {
                official_sources::table
                    .find(service)
                    .select(SourceRow::as_select())
                    .first(conn)
                    .optional()
            })
            .await?;
        row.map(SourceHealth::try_from).transpose()
    }

    async fn put_source(&self, h: &SourceHealth) -> Result<(), StoreError> {
        let h = h.clone();
        self.write(move |conn| {
            let values = (
                official_sources::kind.eq(h.kind.as_str()),
                official_sources::url.eq(&h.url),
                official_sources::indicator.eq(h.indicator.map(|i| i.as_str())),
                official_sources::components.eq(components_json(&h.components)),
                official_sources::checked_at.eq(Micros(h.checked_at)),
                official_sources::ok_at.eq(h.ok_at.map(Micros)),
                official_sources::unavailable_since.eq(h.unavailable_since.map(Micros)),
                official_sources::error.eq(&h.error),
            );
            diesel::insert_into(official_sources::table)
                .values((official_sources::service.eq(&h.service), values.clone()))
                .on_conflict(official_sources::service)
                .do_update()
                .set(values)
                .execute(conn)
        })
        .await?;
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
        let service = service.to_owned();
        let changes = changes.to_vec();
        self.write(move |conn| {
            for c in &changes {
                diesel::insert_into(official_component_changes::table)
                    .values((
                        official_component_changes::service.eq(&service),
                        official_component_changes::component.eq(&c.component),
                        official_component_changes::status.eq(c.status.as_str()),
                        official_component_changes::changed_at.eq(Micros(c.changed_at)),
                    ))
                    .on_conflict_do_nothing()
                    .execute(conn)?;
            }
            Ok(())
        })
        .await
    }

    async fn list_component_changes(
        &self,
        service: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<ComponentChange>, StoreError> {
        let service = service.to_owned();
        let rows: Vec<ComponentChangeRow> = self
            .read(move |conn| {
                official_component_changes::table
                    .filter(official_component_changes::service.eq(service))
                    .filter(official_component_changes::changed_at.ge(Micros(since)))
                    .select(ComponentChangeRow::as_select())
                    .order((
                        official_component_changes::changed_at,
                        official_component_changes::component,
                    ))
                    .load(conn)
            })
            .await?;
        rows.into_iter().map(ComponentChange::try_from).collect()
    }

    async fn upsert_official(
        &self,
        service: &str,
        incidents: &[ParsedIncident],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let service = service.to_owned();
        let incidents = incidents.to_vec();
        self.write(move |conn| {
            for incident in &incidents {
                let old: Option<(i64, DateTime<Utc>, String)> = official_incidents::table
                    .filter(official_incidents::service.eq(&service))
                    .filter(official_incidents::external_id.eq(&incident.external_id))
                    .select((
                        official_incidents::id,
                        official_incidents::first_posted_at,
                        official_incidents::updates,
                    ))
                    .first(conn)
                    .optional()?;
                // A row this store wrote always parses: a foreign one loses its old posts.
                let old_updates = old.as_ref().map(|(_, first, raw)| {
                    (
                        *first,
                        parse_json::<Vec<OfficialUpdate>>(STORE, "official_incidents.updates", raw)
                            .unwrap_or_default(),
                    )
                });
                let (first_posted_at, updates) = merged(incident, old_updates);
                let values = (
                    official_incidents::title.eq(&incident.title),
                    official_incidents::impact.eq(incident.impact.as_str()),
                    official_incidents::stage.eq(incident.stage.as_str()),
                    official_incidents::url.eq(&incident.url),
                    official_incidents::components.eq(JsonList(incident.components.clone())),
                    official_incidents::started_at.eq(Micros(incident.started_at)),
                    official_incidents::first_posted_at.eq(Micros(first_posted_at)),
                    official_incidents::resolved_at.eq(incident.resolved_at.map(Micros)),
                    official_incidents::updates.eq(updates_json(&updates)),
                    official_incidents::seen_at.eq(Micros(now)),
                );
                match old {
                    Some((id, _, _)) => {
                        diesel::update(official_incidents::table.find(id))
                            .set(values)
                            .execute(conn)?;
                    }
                    None => {
                        diesel::insert_into(official_incidents::table)
                            .values((
                                official_incidents::service.eq(&service),
                                official_incidents::external_id.eq(&incident.external_id),
                                values,
                            ))
                            .execute(conn)?;
                    }
                }
            }
            Ok(())
        })
        .await
    }

    async fn resolve_missing(
        &self,
        service: &str,
        present: &[String],
        at: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        let service = service.to_owned();
        let present = present.to_vec();
        self.write(move |conn| {
            diesel::update(
                official_incidents::table
                    .filter(official_incidents::service.eq(&service))
                    .filter(official_incidents::resolved_at.is_null())
                    .filter(official_incidents::external_id.ne_all(&present)),
            )
            .set((
                official_incidents::resolved_at.eq(Micros(at)),
                official_incidents::stage.eq("resolved"),
            ))
            .execute(conn)
        })
        .await
    }

    async fn list_official(&self, f: &OfficialFilter) -> Result<Vec<OfficialIncident>, StoreError> {
        let f = f.clone();
        let rows: Vec<OfficialRow> = self
            .read(move |conn| {
                let mut query = official_incidents::table
                    .select(OfficialRow::as_select())
                    .into_boxed();
                if let Some(service) = &f.service {
                    query = query.filter(official_incidents::service.eq(service.clone()));
                }
                if let Some(since) = f.since {
                    query = query.filter(
                        official_incidents::first_posted_at
                            .ge(Micros(since))
                            .or(official_incidents::resolved_at.is_null())
                            .or(official_incidents::resolved_at.ge(Micros(since))),
                    );
                }
                query
                    .order((
                        official_incidents::first_posted_at.desc(),
                        official_incidents::id.desc(),
                    ))
                    .limit(f.limit)
                    .load(conn)
            })
            .await?;
        rows.into_iter().map(OfficialIncident::try_from).collect()
    }

    async fn save_link(&self, link: &IncidentLink) -> Result<(), StoreError> {
        let link = link.clone();
        self.write(move |conn| {
            let values = (
                official_links::official_id.eq(link.official_id),
                official_links::service.eq(&link.service),
                official_links::onset_at.eq(Micros(link.onset_at)),
                official_links::lead_minutes.eq(link.lead_minutes),
                official_links::linked_at.eq(Micros(link.linked_at)),
            );
            diesel::insert_into(official_links::table)
                .values((official_links::incident_id.eq(link.incident_id), values))
                .on_conflict(official_links::incident_id)
                .do_update()
                .set(values)
                .execute(conn)
        })
        .await?;
        Ok(())
    }

    async fn list_links(
        &self,
        service: Option<&str>,
        since: DateTime<Utc>,
    ) -> Result<Vec<IncidentLink>, StoreError> {
        let service = service.map(str::to_owned);
        let rows: Vec<LinkRow> = self
            .read(move |conn| {
                let mut query = official_links::table
                    .filter(official_links::onset_at.ge(Micros(since)))
                    .select(LinkRow::as_select())
                    .into_boxed();
                if let Some(service) = service {
                    query = query.filter(official_links::service.eq(service));
                }
                query
                    .order((
                        official_links::onset_at.desc(),
                        official_links::incident_id.desc(),
                    ))
                    .load(conn)
            })
            .await?;
        Ok(rows.into_iter().map(IncidentLink::from).collect())
    }
}
