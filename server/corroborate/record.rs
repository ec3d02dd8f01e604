//! What a poll stores: a good snapshot (source health, component changes, incidents, those no
//! longer listed resolved) or a failure ("unavailable since" the first one of a run).

use chrono::{DateTime, Utc};

use crate::catalog::StatusSource;
use crate::official::Snapshot;
use crate::store::{ComponentChange, OfficialStore, SourceHealth, StoreError};

/// Stores a good poll of `service`'s `source` at `now`.
pub async fn record_snapshot(
    store: &dyn OfficialStore,
    service: &str,
    source: &StatusSource,
    snapshot: &Snapshot,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let previous = store.get_source(service).await?;
    let before = previous
        .as_ref()
        .map(|p| p.components.as_slice())
        .unwrap_or(&[]);
    let changes: Vec<ComponentChange> = snapshot
        .components
        .iter()
        .filter(|c| {
            !before
                .iter()
                .any(|b| b.name == c.name && b.status == c.status)
        })
        .map(|c| ComponentChange {
            component: c.name.clone(),
            status: c.status,
            changed_at: now,
        })
        .collect();
    store.add_component_changes(service, &changes).await?;
    store
        .upsert_official(service, &snapshot.incidents, now)
        .await?;
    if snapshot.active_only {
        let present: Vec<String> = snapshot
            .incidents
            .iter()
            .map(|i| i.external_id.clone())
            .collect();
        store.resolve_missing(service, &present, now).await?;
    }
    store
        .put_source(&SourceHealth {
            service: service.to_owned(),
            kind: source.kind,
            url: source.url.clone(),
            indicator: snapshot
                .indicator
                .or(previous.as_ref().and_then(|p| p.indicator)),
            components: snapshot.components.clone(),
            checked_at: now,
            ok_at: Some(now),
            unavailable_since: None,
            error: None,
        })
        .await
}

/// Stores a poll that changed nothing (`304`): the source is fine, its state as before.
pub async fn record_unchanged(
    store: &dyn OfficialStore,
    service: &str,
    source: &StatusSource,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    match store.get_source(service).await? {
        Some(previous) => {
            store
                .put_source(&SourceHealth {
                    kind: source.kind,
                    url: source.url.clone(),
                    checked_at: now,
                    ok_at: Some(now),
                    unavailable_since: None,
                    error: None,
                    ..previous
                })
                .await
        }
        // Nothing known yet: a 304 to no question cannot be; say so.
        None => record_failure(store, service, source, "304 without a previous answer", now).await,
    }
}

/// Stores a failed poll: the source is unavailable since the first failure of this run; what
/// it said before is kept, but never shown as current.
pub async fn record_failure(
    store: &dyn OfficialStore,
    service: &str,
    source: &StatusSource,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let previous = store.get_source(service).await?;
    let since = previous
        .as_ref()
        .and_then(|p| p.unavailable_since)
        .unwrap_or(now);
    store
        .put_source(&SourceHealth {
            service: service.to_owned(),
            kind: source.kind,
            url: source.url.clone(),
            indicator: previous.as_ref().and_then(|p| p.indicator),
            components: previous
                .as_ref()
                .map(|p| p.components.clone())
                .unwrap_or_default(),
            checked_at: now,
            ok_at: previous.as_ref().and_then(|p| p.ok_at),
            unavailable_since: Some(since),
            error: Some(reason.chars().take(300).collect()),
        })
        .await
}
