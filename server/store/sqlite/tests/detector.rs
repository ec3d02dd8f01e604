//! The detector leader of the embedded stack: an in-process claim per database file.

use super::super::detector::SqliteLeader;
use super::super::SqliteStore;
use super::db;
use crate::store::DetectorStore;

#[tokio::test]
async fn only_one_leader_per_database_lives_in_this_process() {
    let db = db();
    let other = super::db();
    let leader = SqliteLeader::try_acquire(&db.store).expect("first leader");
    assert!(SqliteLeader::try_acquire(&db.store).is_none());
    // The same file opened again is the same database.
    let same = SqliteStore::open(db.store.path()).expect("open again");
    assert!(SqliteLeader::try_acquire(&same).is_none());
    // Another database has its own leader.
    let other_leader = SqliteLeader::try_acquire(&other.store).expect("other leader");
    drop(leader);
    let mut next = SqliteLeader::try_acquire(&same).expect("leader after the first is gone");
    assert!(next.still_leader().await);
    drop(other_leader);
}
