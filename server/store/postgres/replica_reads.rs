//! Which call of the read stores goes where when there is a read replica: the history the
//! public pages and API read (incidents, outages, rollups, official status, phrases) is read
//! through [`ReplicaReads::read`]; every write, and what must see the primary's latest
//! (the report log's rebuild reads and repairs, leases, the readiness ping), goes to the
//! primary.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};

use super::ReplicaReads;
use crate::official::ParsedIncident;
use crate::store::{
    ComponentChange, CountryLevel, Expired, IncidentDetail, IncidentFilter, IncidentLink,
    IncidentReader, IncidentRecord, NewReport, OfficialFilter, OfficialIncident, OfficialStore,
    OutageFilter, OutageReader, Period, Phrases, PlatformTotal, QuarterTotal, ReportLog, RollupRow,
    RollupStore, ServiceMinute, SourceHealth, StoreError, StoredOutage,
};

#[async_trait]
impl IncidentReader for ReplicaReads {
    async fn list_incidents(
        &self,
        filter: &IncidentFilter,
    ) -> Result<Vec<IncidentRecord>, StoreError> {
        self.read(|s| s.list_incidents(filter)).await
    }

    async fn get_incident(&self, id: i64) -> Result<Option<IncidentDetail>, StoreError> {
        self.read(|s| s.get_incident(id)).await
    }
}

#[async_trait]
impl OutageReader for ReplicaReads {
    async fn list_outages(&self, filter: &OutageFilter) -> Result<Vec<StoredOutage>, StoreError> {
        self.read(|s| s.list_outages(filter)).await
    }

    async fn get_outage(&self, id: i64) -> Result<Option<StoredOutage>, StoreError> {
        self.read(|s| s.get_outage(id)).await
    }

    async fn outage_of_incident(
        &self,
        incident_id: i64,
    ) -> Result<Option<StoredOutage>, StoreError> {
        self.read(|s| s.outage_of_incident(incident_id)).await
    }
}

#[async_trait]
impl RollupStore for ReplicaReads {
    async fn roll_up(&self, to: DateTime<Utc>) -> Result<Option<Period>, StoreError> {
        self.primary.roll_up(to).await
    }

    async fn rebuild_rollups(&self, since: DateTime<Utc>) -> Result<u64, StoreError> {
        self.primary.rebuild_rollups(since).await
    }

    async fn watermark(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        self.read(|s| s.watermark()).await
    }

    async fn history_start(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        self.read(|s| s.history_start()).await
    }

    async fn typical_by_country(
        &self,
        service: Option<&str>,
        at: DateTime<Utc>,
        window_minutes: i64,
    ) -> Result<Vec<CountryLevel>, StoreError> {
        self.read(|s| s.typical_by_country(service, at, window_minutes))
            .await
    }

    async fn history(
        &self,
        services: Option<&[String]>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<RollupRow>, StoreError> {
        self.read(|s| s.history(services, from, to)).await
    }

    async fn platform_totals(
        &self,
        service: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<PlatformTotal>, StoreError> {
        self.read(|s| s.platform_totals(service, from, to)).await
    }

    async fn quarter_totals(
        &self,
        service: &str,
        country: Option<&str>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<QuarterTotal>, StoreError> {
        self.read(|s| s.quarter_totals(service, country, from, to))
            .await
    }
}

#[async_trait]
impl OfficialStore for ReplicaReads {
    async fn take_lease(
        &self,
        holder: &str,
        now: DateTime<Utc>,
        ttl: TimeDelta,
    ) -> Result<bool, StoreError> {
        self.primary.take_lease(holder, now, ttl).await
    }

    async fn list_sources(&self) -> Result<Vec<SourceHealth>, StoreError> {
        self.read(|s| s.list_sources()).await
    }

    async fn get_source(&self, service: &str) -> Result<Option<SourceHealth>, StoreError> {
        self.read(|s| s.get_source(service)).await
    }

    async fn put_source(&self, health: &SourceHealth) -> Result<(), StoreError> {
        self.primary.put_source(health).await
    }

    async fn add_component_changes(
        &self,
        service: &str,
        changes: &[ComponentChange],
    ) -> Result<(), StoreError> {
        self.primary.add_component_changes(service, changes).await
    }

    async fn list_component_changes(
        &self,
        service: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<ComponentChange>, StoreError> {
        self.read(|s| s.list_component_changes(service, since))
            .await
    }

    async fn upsert_official(
        &self,
        service: &str,
        incidents: &[ParsedIncident],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.primary.upsert_official(service, incidents, now).await
    }

    async fn resolve_missing(
        &self,
        service: &str,
        present: &[String],
        at: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        self.primary.resolve_missing(service, present, at).await
    }

    async fn list_official(
        &self,
        filter: &OfficialFilter,
    ) -> Result<Vec<OfficialIncident>, StoreError> {
        self.read(|s| s.list_official(filter)).await
    }

    async fn save_link(&self, link: &IncidentLink) -> Result<(), StoreError> {
        self.primary.save_link(link).await
    }

    async fn list_links(
        &self,
        service: Option<&str>,
        since: DateTime<Utc>,
    ) -> Result<Vec<IncidentLink>, StoreError> {
        self.read(|s| s.list_links(service, since)).await
    }
}

#[async_trait]
impl ReportLog for ReplicaReads {
    async fn append(&self, batch: &[NewReport]) -> Result<Vec<i64>, StoreError> {
        self.primary.append(batch).await
    }

    /// From the primary: minute buckets are rebuilt from it, and a replica's lag would
    /// lose the reports it has not replayed yet.
    async fn counted_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        service: Option<&str>,
    ) -> Result<Vec<NewReport>, StoreError> {
        self.primary.counted_between(from, to, service).await
    }

    async fn ensure_partitions(&self, first: NaiveDate, days: i32) -> Result<(), StoreError> {
        self.primary.ensure_partitions(first, days).await
    }

    async fn expire_reports(&self, keep_from: NaiveDate) -> Result<Vec<Expired>, StoreError> {
        self.primary.expire_reports(keep_from).await
    }

    async fn note_bucket_repairs(&self, minutes: &[ServiceMinute]) -> Result<(), StoreError> {
        self.primary.note_bucket_repairs(minutes).await
    }

    async fn pending_bucket_repairs(&self, limit: i64) -> Result<Vec<ServiceMinute>, StoreError> {
        self.primary.pending_bucket_repairs(limit).await
    }

    async fn clear_bucket_repairs(&self, minutes: &[ServiceMinute]) -> Result<(), StoreError> {
        self.primary.clear_bucket_repairs(minutes).await
    }

    async fn top_phrases(
        &self,
        service: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        min_reporters: i64,
        limit: i64,
    ) -> Result<Phrases, StoreError> {
        self.read(|s| s.top_phrases(service, from, to, min_reporters, limit))
            .await
    }

    /// The primary: readiness means the primary answers (the replica only speeds reads).
    async fn ping(&self) -> Result<(), StoreError> {
        self.primary.ping().await
    }
}
