//! Reading incidents whose stored words this version does not know: a clean failure naming
//! the column, not a panic or a made-up value.

use diesel::prelude::*;
use serde_json::json;

use super::super::detector::SqliteLeader;
use super::super::schema::{incident_events, incidents};
use super::{at, db};
use crate::domain::{Scope, Severity};
use crate::store::{DetectorStore, IncidentFilter, IncidentReader, IncidentTick, StoreError};

#[tokio::test]
async fn a_stored_word_the_types_do_not_know_fails_the_read_naming_it() {
    let db = db();
    let tick = IncidentTick {
        service: "netflix".into(),
        scope: Scope::Global,
        severity: Severity::Problems,
        at: at(300),
        observed: 20.0,
        expected: 2.0,
        score: 0.75,
        evidence: json!({ "observed": 20.0 }),
    };
    let mut leader = SqliteLeader::try_acquire(&db.store).expect("leader");
    let b = leader.open_incident(&tick, "v1").await.expect("open").id;
    drop(leader);
    let store = &db.store;
    store
        .write(move |conn| {
            diesel::update(incident_events::table.filter(incident_events::incident_id.eq(b)))
                .set(incident_events::state.eq("exploded"))
                .execute(conn)
        })
        .await
        .expect("corrupted");
    let err = store.get_incident(b).await.expect_err("refused");
    assert!(matches!(err, StoreError::Failed { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains("incident_events.state: unknown state \"exploded\""),
        "{err}"
    );

    store
        .write(move |conn| {
            diesel::update(incidents::table.find(b))
                .set(incidents::scope.eq("Atlantis"))
                .execute(conn)
        })
        .await
        .expect("corrupted");
    let err = store
        .list_incidents(&IncidentFilter {
            limit: 10,
            ..IncidentFilter::default()
        })
        .await
        .expect_err("refused");
    assert!(
        err.to_string()
            .contains("incidents.scope: unknown scope \"Atlantis\""),
        "{err}"
    );
}
